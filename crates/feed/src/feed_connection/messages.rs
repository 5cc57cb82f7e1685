//! Messages the upstream feed takes and emits.

use actix::Message;
use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode};
use serde::Serialize;

pub use crate::backplane::{FeedStatusChanged, TicksReceived};
pub use crate::upstream::UpstreamChange;
pub use mandi_domain::FeedState;

/// Registry → feed: the changes to this connection's set, gathered over one flush
/// window. A live socket is told them (paced); a disconnected one only keeps the set,
/// because the registry replays it on the connection's next `Live`. An extra connection
/// opens when its set stops being empty and closes when it becomes empty.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct ApplyUpstreamChanges {
    pub changes: Vec<UpstreamChange>,
}

/// Registry → feed: this connection's whole set, sent after each (re)connect.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct ReplaySubscriptions {
    pub active: Vec<(Instrument, Mode)>,
}

/// Feed → registry: one connection's state changed. The registry replays that
/// connection's set on its `Live` and tells the client side one state for all of them.
#[derive(Message, Clone, Debug, PartialEq)]
#[rtype(result = "()")]
pub struct ShardStatusChanged {
    /// Which upstream connection (0 is the first, always open).
    pub shard: usize,
    pub status: FeedStatusChanged,
}

/// Drop the current socket (or pending wait) and connect again now, e.g. after a new token
/// was adopted. Subscriptions come back through the registry's replay.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct ReconnectNow {
    pub reason: String,
}

/// Query: the feed's state and counters, for `/health`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "FeedHealth")]
pub struct GetFeedHealth;

#[derive(Clone, Debug, Serialize)]
pub struct FeedHealth {
    /// Which upstream connection this is (0 is the first).
    pub shard: usize,
    pub state: FeedState,
    pub broker: &'static str,
    pub reason: Option<String>,
    pub connects: u64,
    pub frames: u64,
    pub packets: u64,
    pub decode_errors: u64,
    pub last_frame_at: Option<DateTime<Utc>>,
    /// Instruments this connection should carry.
    pub subscribed: usize,
    /// Instruments its open socket has been told to carry (behind `subscribed` while
    /// paced changes wait, 0 while down).
    pub carried: usize,
    /// An extra connection with nothing to carry: no socket until it gets instruments.
    pub idle: bool,
    /// Packets for instruments the index does not know (skipped).
    pub unknown_instruments: u64,
    /// Packets with a non-finite or negative price (skipped).
    pub rejected_prices: u64,
    /// Frames dropped because the price store's mailbox was full (conflated data: the
    /// next frame supersedes them).
    pub dropped_frames: u64,
    /// Failed attempts since the last good connection; drives the backoff.
    pub consecutive_failures: u32,
    /// When the next connection attempt is due, while waiting out a backoff.
    pub next_attempt_at: Option<DateTime<Utc>>,
}
