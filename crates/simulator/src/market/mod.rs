//! The simulated market: instruments ([`Universe`]), their random walks ([`PriceModel`])
//! and the one clock that advances them all and tells every session ([`MarketClock`]).

mod clock;
mod model;
mod universe;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use clock::{MarketClock, MarketTicked, StopClock};
pub use model::{circuit_limits, PriceModel, Quote};
pub use universe::Universe;

/// Every instrument's state at one clock tick, indexed like the [`Universe`].
/// Shared read-only (`Arc`) by the REST handlers and every feed session.
#[derive(Clone, Debug)]
pub struct MarketSnapshot {
    pub time: DateTime<Utc>,
    pub quotes: Vec<Quote>,
}

impl MarketSnapshot {
    pub fn quote(&self, idx: usize) -> Option<&Quote> {
        self.quotes.get(idx)
    }
}

/// The latest snapshot, swapped in whole by the clock.
pub type SharedSnapshot = Arc<MarketSnapshot>;
