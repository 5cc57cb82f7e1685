//! The simulated market: instruments ([`Universe`]), their random walks ([`PriceModel`]),
//! the derivatives generated around them and priced from them (with the underlying's
//! own volatility) ([`contracts`],
//! [`DerivedModel`]), and the one clock that advances them all and tells every session
//! ([`MarketClock`]).

mod build;
mod clock;
pub mod contracts;
mod derived;
pub mod expiry;
pub mod history;
mod model;
pub mod path;
mod pinned;
pub mod pricing;
pub mod profile;
pub mod symbols;
pub mod underlyings;
mod universe;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use build::{build, MarketModels};
pub use clock::{ChangePins, MarketClock, MarketTicked, PinChange, StopClock};
pub use model::{circuit_limits, tick_of, PriceModel, Quote, WalkSpec};
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

/// A NIFTY December contract for unit tests: an option with a strike and type, the
/// future without (its tick is then 0.10).
#[cfg(test)]
pub fn test_contract(
    strike: Option<f64>,
    option_type: Option<mandi_domain::OptionType>,
) -> mandi_domain::Instrument {
    use mandi_domain::{Derivative, Exchange, Instrument, Segment};
    Instrument {
        symbol: "NIFTY-Dec2026-25800-CE".into(),
        exchange: Exchange::Nse,
        segment: Segment::NseFno,
        security_id: 40_001,
        kite_token: 40_001 << 8 | 2,
        kite_key: "NFO:NIFTY26DEC25800CE".into(),
        tick_size: if strike.is_some() { 0.05 } else { 0.10 },
        lot_size: 75,
        derivative: Some(Derivative {
            underlying: "NIFTY".into(),
            expiry: chrono::NaiveDate::from_ymd_opt(2026, 12, 29).unwrap_or_default(),
            strike,
            option_type,
        }),
    }
}

/// The default universe at its start prices (seed 1, at the epoch): the market the
/// session tests of both brokers subscribe against.
#[cfg(test)]
pub fn test_market() -> (Universe, MarketSnapshot) {
    let settings = crate::SimSettings {
        seed: 1,
        ..crate::SimSettings::default()
    };
    let sims = crate::SimSettings::default_universe();
    let quotes = sims
        .iter()
        .map(|s| {
            PriceModel::new(
                s.instrument.clone(),
                settings.walk_spec(s),
                DateTime::UNIX_EPOCH,
            )
        })
        .map(|m| m.quote().clone())
        .collect();
    let u = Universe::new(sims.into_iter().map(|s| s.instrument).collect());
    (
        u,
        MarketSnapshot {
            time: DateTime::UNIX_EPOCH,
            quotes,
        },
    )
}
