//! One OHLC bar, as built by the price store and read by strategies and the levels API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One OHLC bar. `start` is the bar's opening instant (UTC, aligned to the interval);
/// `volume` is the traded volume inside the bar (difference of the cumulative day
/// volume), so indices (no volume) show 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub start: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: u64,
}
