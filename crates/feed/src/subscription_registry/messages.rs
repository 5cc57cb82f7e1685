//! Messages the subscription registry takes.

use actix::{Message, Recipient};

pub use crate::backplane::{Release, ReleaseAll, Subscribe};

use super::state::ActiveSubscription;
use crate::feed_connection::messages::{ApplyUpstreamChanges, ReplaySubscriptions};

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
