//! Messages the subscription registry takes.

use actix::{Message, Recipient};
use serde::Serialize;

pub use crate::backplane::{FeedStatusChanged, Release, ReleaseAll, Subscribe, SubscribeAnswer};
pub use crate::feed_connection::messages::ShardStatusChanged;
use mandi_domain::FeedState;

use super::state::ActiveSubscription;
use crate::feed_connection::messages::{ApplyUpstreamChanges, ReplaySubscriptions};

/// Attach one more follower of the whole upstream set (the REST fallback poller) once
/// both exist. The follower gets the whole set at once, then every change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AttachFeed {
    pub changes: Recipient<ApplyUpstreamChanges>,
    pub replay: Recipient<ReplaySubscriptions>,
}

/// Attach upstream connection number `shard`: it gets its own share of the set (and its
/// replay on each of its `Live`s), then the changes to that share.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AttachShard {
    pub shard: usize,
    pub changes: Recipient<ApplyUpstreamChanges>,
    pub replay: Recipient<ReplaySubscriptions>,
}

/// Tell `follower` the one feed state of all connections together (the broadcaster, the
/// REST fallback), now if any connection has reported, then on every change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FollowFeedStatus {
    pub follower: Recipient<FeedStatusChanged>,
}

/// Query: the active upstream set with subscriber counts.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Vec<ActiveSubscription>")]
pub struct GetActiveSubscriptions;

/// Query: how full the upstream is, per connection and in total, for `/health`.
#[derive(Message, Debug, Clone)]
#[rtype(result = "UpstreamCapacity")]
pub struct GetUpstreamCapacity;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpstreamCapacity {
    /// Instruments one connection may carry (the broker's limit or a lower configured one).
    pub per_connection: usize,
    /// Connections that may be opened.
    pub max_connections: usize,
    /// `per_connection × max_connections`: past it, new symbols are refused
    /// (`capacity_reached`).
    pub capacity: usize,
    /// Instruments carried now over all connections.
    pub instruments: usize,
    /// Symbols refused for want of room since start.
    pub refused_total: u64,
    /// The one state clients see (live when every connection in use is live).
    pub state: FeedState,
    pub reason: Option<String>,
    pub shards: Vec<ShardUsage>,
}

/// One upstream connection as the registry sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardUsage {
    pub shard: usize,
    /// Instruments assigned to it.
    pub instruments: usize,
    /// In use: the first connection always, any other while it carries instruments.
    pub in_use: bool,
    /// What it last reported (`None` before its first report, or after it went idle).
    pub state: Option<FeedState>,
}
