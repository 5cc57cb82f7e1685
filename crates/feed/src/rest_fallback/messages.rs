//! Messages the REST fallback takes and emits. It also takes the feed's
//! `FeedStatusChanged` and the registry's `ReplaySubscriptions` and
//! `ApplyUpstreamChanges`, and emits `TicksReceived`, all defined with the feed.

use actix::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::backplane::FallbackStatusChanged;

/// Schedule → fallback: whether the market is open. Polling happens only while it is;
/// until told otherwise the fallback assumes it is.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct SetMarketOpen {
    pub open: bool,
}

/// Query: the fallback's state and counters, for `/health`.
#[derive(Message, Clone, Copy, Debug)]
#[rtype(result = "FallbackStatus")]
pub struct GetFallbackStatus;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FallbackStatus {
    pub active: bool,
    /// When `active` last changed; `None` before the first transition.
    pub since: Option<DateTime<Utc>>,
    /// Why it last changed.
    pub reason: Option<String>,
    /// Quote requests sent (answered or not).
    pub requests_total: u64,
    pub requests_failed: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Instruments in the polled set.
    pub instruments: usize,
    /// The ceiling in force: the configured rate, never above the brokers' 1 request/s.
    pub max_requests_per_s: f64,
    pub market_open: bool,
    /// Current spacing between requests; grows while the broker answers 429.
    pub interval_ms: u64,
    /// Polling is held until then because the broker refused the credentials.
    pub paused_until: Option<DateTime<Utc>>,
    /// The broker refuses the poller's requests (token or account): it serves nothing.
    pub refused: Option<String>,
    /// Answers dropped because the price store's mailbox was full.
    pub responses_dropped: u64,
    /// Requested instruments the broker left out of its answers.
    pub rows_missing: u64,
    /// Rows dropped for an unusable price.
    pub rows_rejected: u64,
    pub last_error: Option<String>,
}
