//! Messages the upstream feed takes and emits.

use actix::Message;
use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode, TickUpdate};
use serde::Serialize;

/// The feed's state, as clients, bots and `/health` see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedState {
    /// Not yet connected, or connecting for the first time.
    Connecting,
    /// Socket open, subscriptions sent, data flowing.
    Live,
    /// Lost the socket; waiting out the backoff before the next attempt.
    Reconnecting,
    /// The broker rejected the credentials; waiting for a new token.
    LoginRequired,
    /// The broker says the account cannot use the feed (e.g. Dhan 806); needs a human.
    Stopped,
}

impl FeedState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Connecting => "connecting",
            FeedState::Live => "live",
            FeedState::Reconnecting => "reconnecting",
            FeedState::LoginRequired => "login_required",
            FeedState::Stopped => "stopped",
        }
    }
}

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

/// Feed → price store: every update decoded from one upstream frame.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct TicksReceived {
    pub updates: Vec<TickUpdate>,
    pub received_time: DateTime<Utc>,
}

/// Feed → anyone interested: the feed's state changed.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct FeedStatusChanged {
    pub state: FeedState,
    /// Operator-facing reason, e.g. "dhan disconnect 807: access token expired".
    pub reason: Option<String>,
    /// Failed attempts in a row when this was published; 0 once live.
    pub consecutive_failures: u32,
    /// The broker's REST API refused the token too: a REST fallback would be refused.
    pub rest_refused: bool,
    pub at: DateTime<Utc>,
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
