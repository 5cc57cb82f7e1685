//! Messages the price store takes and emits.

use std::sync::Arc;

use actix::Message;
use chrono::{DateTime, Utc};
use mandi_domain::Tick;
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
