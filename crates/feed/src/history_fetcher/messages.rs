//! Messages the history fetcher takes and answers. It emits `HistoryLoaded`, defined in
//! the backplane because the price store on the other side takes it.

use std::sync::Arc;

use actix::Message;
use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::{Candle, Exchange, Instrument};
use serde::Serialize;
use thiserror::Error;

use crate::rest_fallback::PollFailure;

pub use crate::backplane::HistoryLoaded;

/// Market clock → fetcher: `exchange`'s session just opened; fetch its instruments'
/// previous session (the day that just closed is now the previous day).
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct ExchangeOpened {
    pub exchange: Exchange,
}

/// Query: the one-minute candles of `instrument` on the IST days `from` to `to` (both
/// included, all before today), from local storage, fetched from the broker once for the
/// days it does not hold.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<Vec<Candle>, HistoryError>")]
pub struct GetDayCandles {
    pub instrument: Arc<Instrument>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Query: the fetcher's counters, for `/health`.
#[derive(Message, Clone, Copy, Debug)]
#[rtype(result = "HistoryStatus")]
pub struct GetHistoryStatus;

/// Why older days could not be served.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HistoryError {
    #[error("history.enabled is false and these days are not stored locally: set history.enabled = true to fetch them from the broker")]
    Disabled,
    #[error("the broker refused the access token; older days are fetched once a new token is set")]
    TokenRefused,
    #[error("the broker has no identifier for {0}")]
    UnknownToBroker(Arc<str>),
    #[error("the broker's history request failed: {0}")]
    Failed(#[from] PollFailure),
    #[error("the history fetcher stopped before answering")]
    Gone,
}

/// `/health` → `history`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HistoryStatus {
    pub enabled: bool,
    /// History requests sent (answered or not).
    pub requests_total: u64,
    /// Requests that brought nothing, all reasons together …
    pub requests_failed: u64,
    /// … of which the broker refused the credentials or the account,
    pub refused: u64,
    /// … the broker answered 429,
    pub rate_limited: u64,
    /// … and no answer came in time.
    pub timeouts: u64,
    /// Instruments whose previous session came from the broker.
    pub previous_days_loaded: usize,
    /// Requests waiting for their turn under the rate limit.
    pub queued: usize,
    /// Older days served from local storage without asking the broker.
    pub days_from_storage: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}
