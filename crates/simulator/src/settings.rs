//! What a simulator run is configured with: seed, tick cadence, keep-alive intervals,
//! the credentials it accepts, the instruments it makes a market in and the
//! derivatives it lists on them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::{Exchange, Instrument, Segment};
use serde::{Deserialize, Serialize};

use crate::market::profile::Activity;
use crate::market::underlyings::spec_for;
use crate::market::WalkSpec;

/// Annualised volatility of an index the simulator has no figure for.
const DEFAULT_INDEX_VOLATILITY: f64 = 0.14;
/// … of an MCX contract.
const DEFAULT_COMMODITY_VOLATILITY: f64 = 0.30;
/// … of anything else (stocks).
const DEFAULT_STOCK_VOLATILITY: f64 = 0.25;

/// One instrument the simulator quotes, and where its random walk starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimInstrument {
    pub instrument: Instrument,
    /// Also the previous close the feeds report.
    pub start_price: f64,
}

/// The only credentials the simulator accepts. `Debug` never prints the tokens.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SimCredentials {
    pub dhan_client_id: String,
    pub dhan_access_token: String,
    pub kite_api_key: String,
    pub kite_access_token: String,
}

/// A whole simulator configuration. `Default` gives the development credentials
/// (`SimCredentials::default`), [`SimSettings::default_universe`] and broker-like
/// keep-alive intervals.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SimSettings {
    pub seed: u64,
    pub tick_interval_ms: u64,
    /// Annualised volatility by instrument symbol (0.13 = 13 %), over the built-in ones
    /// (see [`SimSettings::volatility_of`]). Also the Black-Scholes volatility of the
    /// options on it.
    pub volatility_annual: BTreeMap<String, f64>,
    pub kite_heartbeat_interval_ms: u64,
    pub dhan_ping_interval_ms: u64,
    pub credentials: SimCredentials,
    pub universe: Vec<SimInstrument>,
    pub derivatives: DerivativeSettings,
    /// Activity follows each exchange's session (busier at the open and the close,
    /// quiet outside it); `false` makes every minute of the day like mid-session, so a
    /// test or a demonstration at night sees the market move as in the day.
    pub intraday_profile: bool,
    /// The time the market clock stamps its quotes with. The wall clock, except in a
    /// scripted scenario, where a test moves time itself (the runtime shares the clock).
    #[serde(skip)]
    pub clock: SimClock,
    /// Recorded upstream frames to play instead of the generated market (`mandi run
    /// --replay`): each goes out, as recorded, once the clock passes its receive time.
    #[serde(skip)]
    pub replay: SimReplay,
}

/// A recording the feeds play out: binary frames with their receive times (ns since the
/// epoch), sorted by time. The default is none: the generated market.
/// The recording's instrument rows, when it kept them, are the masters served meanwhile.
#[derive(Clone, Default)]
pub struct SimReplay {
    frames: Option<Arc<Vec<(i64, bytes::Bytes)>>>,
    instruments: Option<Arc<Vec<Instrument>>>,
}

impl SimReplay {
    pub fn new(mut frames: Vec<(i64, bytes::Bytes)>, instruments: Vec<Instrument>) -> SimReplay {
        frames.sort_by_key(|(at, _)| *at);
        SimReplay {
            frames: Some(Arc::new(frames)),
            instruments: Some(Arc::new(instruments)),
        }
    }

    pub fn instruments(&self) -> Option<&[Instrument]> {
        self.instruments.as_deref().map(Vec::as_slice)
    }

    pub fn frames(&self) -> Option<&Arc<Vec<(i64, bytes::Bytes)>>> {
        self.frames.as_ref()
    }

    pub fn is_on(&self) -> bool {
        self.frames.is_some()
    }
}

impl fmt::Debug for SimReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SimReplay({} frames)",
            self.frames.as_ref().map_or(0, |v| v.len())
        )
    }
}

/// "Now" for the market clock: quote stamps (Dhan LTT, Kite exchange time) and model
/// steps. Cloning shares the one source.
#[derive(Clone)]
pub struct SimClock(pub Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock(Arc::new(Utc::now))
    }
}

impl fmt::Debug for SimClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimClock({})", self.now())
    }
}

/// The futures and options generated around the configured underlyings, and how
/// they are priced from them (see `market::contracts` and `market::pricing`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default)]
pub struct DerivativeSettings {
    pub enabled: bool,
    /// Continuously compounded, annualised; also the futures' cost of carry.
    pub risk_free_rate_annual: f64,
    /// Strikes listed on each side of the at-the-money one, for index options.
    pub index_strikes_each_side: u32,
    /// The same for stock options.
    pub stock_strikes_each_side: u32,
    /// The IST date the expiry calendar counts from; `None` takes today's at start.
    /// Fixed dates make the listed contracts reproducible.
    pub start_date: Option<NaiveDate>,
}

impl Default for DerivativeSettings {
    fn default() -> Self {
        DerivativeSettings {
            enabled: true,
            risk_free_rate_annual: 0.065,
            index_strikes_each_side: 20,
            stock_strikes_each_side: 10,
            start_date: None,
        }
    }
}

impl Default for SimCredentials {
    /// The development pair used by `examples/serve.rs` and the oracle scripts.
    fn default() -> Self {
        SimCredentials {
            dhan_client_id: "1000000001".into(),
            dhan_access_token: "sim-dhan-token".into(),
            kite_api_key: "sim_api_key".into(),
            kite_access_token: "sim-kite-token".into(),
        }
    }
}

impl fmt::Debug for SimCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCredentials")
            .field("dhan_client_id", &self.dhan_client_id)
            .field("dhan_access_token", &"<redacted>")
            .field("kite_api_key", &self.kite_api_key)
            .field("kite_access_token", &"<redacted>")
            .finish()
    }
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            seed: 42,
            tick_interval_ms: 250,
            volatility_annual: BTreeMap::new(),
            kite_heartbeat_interval_ms: 1_000,
            dhan_ping_interval_ms: 10_000,
            credentials: SimCredentials::default(),
            universe: SimSettings::default_universe(),
            derivatives: DerivativeSettings::default(),
            intraday_profile: true,
            clock: SimClock::default(),
            replay: SimReplay::default(),
        }
    }
}

impl SimSettings {
    /// The annualised volatility of `i`: configured, else the built-in figure of its
    /// underlying (NIFTY 13 %, CRUDEOIL 30 %, …), else by kind: indices 14 %, MCX 30 %,
    /// anything else 25 %.
    pub fn volatility_of(&self, i: &Instrument) -> f64 {
        if let Some(v) = self.volatility_annual.get(&*i.symbol) {
            return *v;
        }
        if let Some(spec) = spec_for(&i.symbol) {
            return spec.volatility_annual;
        }
        match i.segment {
            _ if i.is_index() => DEFAULT_INDEX_VOLATILITY,
            Segment::McxComm => DEFAULT_COMMODITY_VOLATILITY,
            _ => DEFAULT_STOCK_VOLATILITY,
        }
    }

    /// Session-shaped or flat activity, per `intraday_profile`.
    pub fn activity(&self) -> Activity {
        if self.intraday_profile {
            Activity::Session
        } else {
            Activity::AllDay
        }
    }

    /// How the walk of `s` is made.
    pub fn walk_spec(&self, s: &SimInstrument) -> WalkSpec {
        WalkSpec {
            start_price: s.start_price,
            volatility_annual: self.volatility_of(&s.instrument),
            seed: self.seed,
            step_ms: self.tick_interval_ms,
            activity: self.activity(),
        }
    }

    /// NIFTY 50 and SENSEX (indices), RELIANCE (NSE cash), a CRUDEOIL future (MCX),
    /// then HDFCBANK, TCS (NSE cash) and NIFTY BANK: the instruments and prices of
    /// `config/default.toml`, so every generated derivative has its underlying.
    pub fn default_universe() -> Vec<SimInstrument> {
        vec![
            sim(
                "NIFTY",
                Exchange::Nse,
                Segment::IdxI,
                (13, 256_265, "NSE:NIFTY 50"),
                (0.05, 1),
                25_760.0,
            ),
            sim(
                "SENSEX",
                Exchange::Bse,
                Segment::IdxI,
                (51, 265, "BSE:SENSEX"),
                (0.05, 1),
                83_858.0,
            ),
            sim(
                "RELIANCE",
                Exchange::Nse,
                Segment::NseEq,
                (2885, 738_561, "NSE:RELIANCE"),
                (0.1, 1),
                1_443.4,
            ),
            sim(
                "CRUDEOIL",
                Exchange::Mcx,
                Segment::McxComm,
                (467_013, 60_297_479, "MCX:CRUDEOIL26DECFUT"),
                (1.0, 100),
                5_545.0,
            ),
            sim(
                "HDFCBANK",
                Exchange::Nse,
                Segment::NseEq,
                (1333, 341_249, "NSE:HDFCBANK"),
                (0.05, 1),
                1_712.6,
            ),
            sim(
                "TCS",
                Exchange::Nse,
                Segment::NseEq,
                (11536, 2_953_217, "NSE:TCS"),
                (0.1, 1),
                3_462.0,
            ),
            sim(
                "BANKNIFTY",
                Exchange::Nse,
                Segment::IdxI,
                (25, 260_105, "NSE:NIFTY BANK"),
                (0.05, 1),
                58_120.4,
            ),
        ]
    }
}

/// `ids` is (Dhan security id, Kite token, Kite key); `grid` is (tick size, lot size).
fn sim(
    symbol: &str,
    exchange: Exchange,
    segment: Segment,
    ids: (u32, u32, &str),
    grid: (f64, u32),
    start_price: f64,
) -> SimInstrument {
    SimInstrument {
        instrument: Instrument {
            symbol: symbol.into(),
            exchange,
            segment,
            security_id: ids.0,
            kite_token: ids.1,
            kite_key: ids.2.into(),
            tick_size: grid.0,
            lot_size: grid.1,
            derivative: None,
        },
        start_price,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_universe_is_consistent() {
        for s in SimSettings::default_universe() {
            let i = &s.instrument;
            assert_eq!(i.is_index(), i.kite_segment() == 9, "{}", i.symbol);
            let steps = s.start_price / i.tick_size;
            assert!(
                (steps - steps.round()).abs() < 1e-6,
                "{} off grid",
                i.symbol
            );
        }
    }

    #[test]
    fn debug_redacts_tokens() {
        let text = format!("{:?}", SimCredentials::default());
        assert!(!text.contains("sim-dhan-token") && !text.contains("sim-kite-token"));
        assert!(text.contains("1000000001"));
    }

    #[test]
    fn partial_settings_deserialize_with_defaults() {
        let s: SimSettings =
            serde_json::from_str(r#"{"seed":7,"tick_interval_ms":20}"#).unwrap_or_default();
        assert_eq!((s.seed, s.tick_interval_ms), (7, 20));
        assert_eq!(s.universe.len(), 7);
        assert_eq!(s.derivatives, DerivativeSettings::default());
    }
}
