//! The history vocabulary every broker's `history.rs` speaks: which instrument, which
//! span (whole sessions or one-minute bars), broker-neutral. Each broker maps a request
//! to its own endpoint and bounds convention.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::Instrument;

/// What to ask the broker's historical API for.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRequest {
    pub instrument: Arc<Instrument>,
    pub span: HistorySpan,
}

/// Bars of one kind over a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistorySpan {
    /// One bar per session, IST dates `from` to `to`, both included.
    Daily { from: NaiveDate, to: NaiveDate },
    /// One-minute bars starting in `[from, to)`.
    Minutes {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}
