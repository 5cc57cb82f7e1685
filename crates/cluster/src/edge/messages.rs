//! Messages the edge uplink takes besides the registry's set (`ReplaySubscriptions`,
//! `ApplyUpstreamChanges`, from `mandi-feed`).

use actix::Message;
use mandi_feed::backplane::FeedStatusChanged;

/// Query: the feed's state as this edge knows it (the leader's last status, or the
/// backplane's loss), and how many instruments the edge carries.
#[derive(Message, Debug)]
#[rtype(result = "EdgeFeedView")]
pub struct GetEdgeFeed;

#[derive(Clone, Debug, Default)]
pub struct EdgeFeedView {
    pub status: Option<FeedStatusChanged>,
    pub instruments: usize,
}

/// The backplane connection went down or came back.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct LinkChanged {
    pub up: bool,
}

/// A status the leader published (or the last one, read at start and after a reconnect).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct StatusArrived {
    pub key: String,
    pub payload: bytes::Bytes,
}

/// A read of the leader lease (every renewal interval).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct LeaseObserved {
    pub read: super::leader_watch::LeaseRead,
}

/// The edge is stopping cleanly: stop renewing its interest key and delete it, so the
/// leader releases what only it held now rather than after the TTL. Answers once the
/// delete was acknowledged, or with why not (the key then expires as after a crash).
#[derive(Message, Debug)]
#[rtype(result = "Result<(), String>")]
pub struct LeaveCluster;
