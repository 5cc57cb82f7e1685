//! Messages the subscription registry takes.

use std::sync::Arc;

use actix::{Message, Recipient};
use mandi_domain::Mode;

use super::state::{ActiveSubscription, SubscriberId};
use crate::feed_connection::messages::{ApplyUpstreamChanges, ReplaySubscriptions};

/// Subscribe a subscriber to symbols (unknown symbols are returned, not subscribed).
#[derive(Message, Debug, Clone)]
#[rtype(result = "Vec<Arc<str>>")]
pub struct Subscribe {
    pub subscriber: SubscriberId,
    pub symbols: Vec<Arc<str>>,
    pub mode: Mode,
}

/// Release some of a subscriber's symbols.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Release {
    pub subscriber: SubscriberId,
    pub symbols: Vec<Arc<str>>,
}

/// Release everything a subscriber holds.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct ReleaseAll {
    pub subscriber: SubscriberId,
}

/// Attach one more follower of the upstream set (the feed, the REST fallback poller) once
/// both exist (the feed also reports to the registry, so one of them has to be told about
/// the other after start). The follower gets the whole set at once, then every change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AttachFeed {
    pub changes: Recipient<ApplyUpstreamChanges>,
    pub replay: Recipient<ReplaySubscriptions>,
}

/// Query: the active upstream set with subscriber counts.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Vec<ActiveSubscription>")]
pub struct GetActiveSubscriptions;
