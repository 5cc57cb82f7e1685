//! Messages the price store takes and emits.

use std::sync::Arc;

use actix::Message;
use chrono::{DateTime, Utc};
use mandi_domain::{DayOhlc, Tick};
use serde::Serialize;

use super::state::Candle;

/// Price store → broadcaster (and later strategies): the merged ticks of one frame.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct TicksPublished {
    pub ticks: Arc<[Tick]>,
}

/// Query: the last known tick of each symbol that has one.
#[derive(Message, Debug)]
#[rtype(result = "Vec<Tick>")]
pub struct GetSnapshot {
    pub symbols: Vec<Arc<str>>,
}

/// Query: today's 1-minute candles of one symbol.
#[derive(Message, Debug)]
#[rtype(result = "Vec<Candle>")]
pub struct GetCandles {
    pub symbol: Arc<str>,
}

/// Query: what the day levels of one symbol are computed from, in one round trip.
#[derive(Message, Debug)]
#[rtype(result = "LevelsInput")]
pub struct GetLevelsInput {
    pub symbol: Arc<str>,
}

/// The store's view of one symbol for `mandi_domain::levels::day_levels`.
#[derive(Clone, Debug, Default)]
pub struct LevelsInput {
    /// The last session before the current candles' day, folded at the day roll or
    /// restored from disk; `None` until one has been seen.
    pub previous_day: Option<DayOhlc>,
    /// The current day's 1-minute candles (yesterday's until today's first tick).
    pub candles: Vec<Candle>,
    /// The last tick: its `prev_close` stands in when no previous session is known.
    pub tick: Option<Tick>,
}

/// Query: store counters for `/health`.
#[derive(Message, Debug)]
#[rtype(result = "PriceStoreStats")]
pub struct GetPriceStoreStats;

#[derive(Clone, Debug, Serialize)]
pub struct PriceStoreStats {
    pub instruments: usize,
    pub updates: u64,
    pub stale_rejected: u64,
    pub last_update_at: Option<DateTime<Utc>>,
    pub publish_dropped: u64,
}

/// An exchange closed (or the process is going down): write the
/// snapshot now rather than at the next interval.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct PersistNow {
    pub reason: String,
}
