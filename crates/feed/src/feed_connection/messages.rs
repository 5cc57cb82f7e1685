//! Messages the upstream feed takes and emits.

use actix::Message;
use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode};
use serde::Serialize;

pub use crate::backplane::{FeedStatusChanged, TicksReceived};
pub use mandi_domain::FeedState;

/// One upstream instrument's mode moving from `from` to `to` (None = not subscribed).
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamChange {
    pub instrument: Instrument,
    pub from: Option<Mode>,
    pub to: Option<Mode>,
}

/// Registry → feed: apply these changes on the live socket (ignored while disconnected,
/// because the registry replays everything on the next `FeedStatusChanged{Live}`).
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct ApplyUpstreamChanges {
    pub changes: Vec<UpstreamChange>,
}

/// Registry → feed: the whole active set, sent after each (re)connect.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct ReplaySubscriptions {
    pub active: Vec<(Instrument, Mode)>,
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
    pub state: FeedState,
    pub broker: &'static str,
    pub reason: Option<String>,
    pub connects: u64,
    pub frames: u64,
    pub packets: u64,
    pub decode_errors: u64,
    pub last_frame_at: Option<DateTime<Utc>>,
    pub subscribed: usize,
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
