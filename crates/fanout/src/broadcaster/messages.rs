//! Messages the broadcaster takes. Sessions are woken through their outbox, not by
//! message, so a session with a full socket costs the broadcaster no mailbox space.

use std::sync::{Arc, Mutex};

use actix::Message;
use mandi_domain::Mode;
use mandi_protocol::client::Frame;
use serde::Serialize;

use super::outbox::Outbox;

/// What a session registers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// `/ws`: per-instrument ticks, status and heartbeats.
    Ticks,
    /// `/ws/prices`: the broking terminal's one-second price map.
    Prices,
}

/// A session opened, under an id it chose (unique in the process), so it can name itself
/// in `SessionClosed` even if it ends before any answer could reach it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SessionOpened {
    pub session: u64,
    pub kind: SessionKind,
    /// Filled by the broadcaster, drained by the session's socket writer, which registers
    /// its wake-up in it.
    pub outbox: Arc<Mutex<Outbox>>,
}

/// The server is shutting down: close every session with 1001 (going away). Returns how
/// many were told.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "usize")]
pub struct CloseSessions;

/// A session's connection is gone: forget it and release its subscriptions.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct SessionClosed {
    pub session: u64,
    /// Closed with 4008 for not draining its queue (counted in `slow_clients_closed`).
    pub too_slow: bool,
}

/// A session asks for symbols. Unknown symbols come back; the rest get a `subscribed`
/// message and a snapshot queued before any later tick.
#[derive(Message, Debug)]
#[rtype(result = "Vec<String>")]
pub struct ClientSubscribe {
    pub session: u64,
    pub symbols: Vec<String>,
    pub mode: Mode,
}

#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ClientUnsubscribe {
    pub session: u64,
    pub symbols: Vec<String>,
}

/// Query: the terminal's `/prices` payload right now.
#[derive(Message, Debug)]
#[rtype(result = "serde_json::Value")]
pub struct GetPricesPayload;

/// Query: fan-out counters for `/health` and `/metrics`.
#[derive(Message, Debug)]
#[rtype(result = "BroadcastStats")]
pub struct GetBroadcastStats;

#[derive(Clone, Debug, Serialize)]
pub struct BroadcastStats {
    pub clients: usize,
    pub prices_clients: usize,
    pub ticks_in: u64,
    pub serializations: u64,
    /// Times a session was woken to drain its outbox (one wake-up may carry many frames).
    pub wakeups: u64,
    /// Sessions closed with 4008, counted once their connection is gone.
    pub slow_clients_closed: u64,
    pub feed_state: &'static str,
    /// The feed's data quality as clients are told it (`good`, `quiet`, `stale`, ...).
    pub feed_quality: mandi_domain::FeedQuality,
    pub last_tick_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Query: every known or watched instrument's health, for `/health` and the API.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<super::InstrumentStatus>")]
pub struct GetInstrumentHealth;

/// Trading → every client tick socket: order, fill and position updates, bot events. The
/// trading side is handed a `Recipient` of it and never names the broadcaster.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct TradingUpdate {
    pub frame: Frame,
}
