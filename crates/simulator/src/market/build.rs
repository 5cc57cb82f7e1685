//! Assembles the simulated market at start: the configured instruments (random walks),
//! the derivatives generated around them (priced from their underlying every step),
//! and the snapshot both produce. The clock owns the result, and the quote pins in force
//! (`/admin/quotes`), which take a pinned instrument's place in every step.

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::time::IST;

use super::contracts::{generate, with_derivative_details};
use super::derived::{DerivedModel, Follows};
use super::expiry::expiry_instant;
use super::pricing::PricingParams;
use super::{MarketSnapshot, PriceModel, Universe};
use crate::pins::PinTable;
use crate::SimSettings;

/// Every model, in [`Universe`] order: configured instruments first, then contracts.
#[derive(Debug)]
pub struct MarketModels {
    walks: Vec<PriceModel>,
    derived: Vec<DerivedModel>,
    /// Per walk: its options are priced with the underlying's own volatility.
    params: Vec<PricingParams>,
    pins: PinTable,
}

/// The IST calendar date the expiry calendar counts from: the configured one, or
/// today's at `now`.
pub fn start_date(settings: &SimSettings, now: DateTime<Utc>) -> NaiveDate {
    settings
        .derivatives
        .start_date
        .unwrap_or_else(|| now.with_timezone(&IST).date_naive())
}

/// The universe and its models at `now`.
pub fn build(settings: &SimSettings, now: DateTime<Utc>) -> (Universe, MarketModels) {
    let configured = with_derivative_details(&settings.universe);
    let contracts = generate(
        &configured,
        start_date(settings, now),
        &settings.derivatives,
    );
    let params: Vec<PricingParams> = configured
        .iter()
        .map(|s| PricingParams {
            volatility: settings.volatility_of(&s.instrument),
            rate: settings.derivatives.risk_free_rate_annual,
        })
        .collect();
    let walks: Vec<PriceModel> = configured
        .iter()
        .map(|s| PriceModel::new(s.instrument.clone(), settings.walk_spec(s), now))
        .collect();
    let derived = contracts
        .iter()
        .map(|c| {
            let under = &configured[c.underlying].instrument;
            let follows = Follows {
                underlying: c.underlying,
                carry_from: under
                    .derivative
                    .as_ref()
                    .map(|x| expiry_instant(under.exchange, x.expiry)),
                activity: settings.activity(),
            };
            let under = &walks[c.underlying];
            DerivedModel::new(
                c.instrument.clone(),
                follows,
                under.quote().ltp,
                under.day_start(),
                settings.seed,
                params[c.underlying],
                now,
            )
        })
        .collect();
    let universe = Universe::new(
        configured
            .into_iter()
            .map(|s| s.instrument)
            .chain(contracts.into_iter().map(|c| c.instrument))
            .collect(),
    );
    let models = MarketModels {
        walks,
        derived,
        params,
        pins: PinTable::new(),
    };
    (universe, models)
}

impl MarketModels {
    /// Advance every walk along its path to `now`, then re-price every derivative from
    /// its underlying's new price. Returns how many instruments moved.
    ///
    /// A pinned instrument trades at its pin instead (and always counts as moved, so it
    /// keeps ticking); a pinned underlying's derivatives are priced from the pin. When
    /// an underlying enters a new IST day its derivatives start their day too.
    pub fn step(&mut self, now: DateTime<Utc>) -> usize {
        let mut moved = 0;
        let mut new_day = vec![false; self.walks.len()];
        for (idx, m) in self.walks.iter_mut().enumerate() {
            let day = m.day();
            moved += match self.pins.get(&idx) {
                Some(pin) => {
                    m.pin(pin, now);
                    1
                }
                None => usize::from(m.step(now)),
            };
            new_day[idx] = m.day() != day;
        }
        let first_derived = self.walks.len();
        for (j, d) in self.derived.iter_mut().enumerate() {
            let under = &self.walks[d.underlying()];
            let params = self.params[d.underlying()];
            if new_day[d.underlying()] {
                d.start_day(under.day_start(), params);
            }
            moved += match self.pins.get(&(first_derived + j)) {
                Some(pin) => {
                    d.pin(pin, now);
                    1
                }
                None => usize::from(d.step(under.quote().ltp, params, now)),
            };
        }
        moved
    }

    pub fn pins(&self) -> &PinTable {
        &self.pins
    }

    /// Lay `pins` over the ones in force (a new pin of an instrument replaces its old
    /// one) and re-quote at once, so the next snapshot already carries them.
    pub fn pin(&mut self, pins: PinTable, now: DateTime<Utc>) {
        self.pins.extend(pins);
        self.requote(&[], now);
    }

    /// Release the pin of `idx`, or every pin with `None`, and re-quote at once.
    pub fn unpin(&mut self, which: Option<usize>, now: DateTime<Utc>) {
        let released: Vec<usize> = match which {
            Some(idx) => self.pins.remove(&idx).map(|_| idx).into_iter().collect(),
            None => std::mem::take(&mut self.pins).into_keys().collect(),
        };
        self.requote(&released, now);
    }

    /// Pinned instruments take their pins, `released` ones go back to their models
    /// (a walk from where its pin left it, a derivative to its fair value), and every
    /// other derivative is re-priced from its underlying, pinned or not. Walks that are
    /// neither are left alone: this is not a step of the market.
    fn requote(&mut self, released: &[usize], now: DateTime<Utc>) {
        for (idx, m) in self.walks.iter_mut().enumerate() {
            if let Some(pin) = self.pins.get(&idx) {
                m.pin(pin, now);
            } else if released.contains(&idx) {
                m.release();
            }
        }
        let first_derived = self.walks.len();
        for (j, d) in self.derived.iter_mut().enumerate() {
            let idx = first_derived + j;
            let spot = self.walks[d.underlying()].quote().ltp;
            let params = self.params[d.underlying()];
            match self.pins.get(&idx) {
                Some(pin) => d.pin(pin, now),
                None if released.contains(&idx) => d.release(spot, params, now),
                None => {
                    d.step(spot, params, now);
                }
            }
        }
    }

    pub fn snapshot(&self, time: DateTime<Utc>) -> MarketSnapshot {
        let quotes = self
            .walks
            .iter()
            .map(|m| m.quote().clone())
            .chain(self.derived.iter().map(|d| d.quote().clone()))
            .collect();
        MarketSnapshot { time, quotes }
    }

    pub fn len(&self) -> usize {
        self.walks.len() + self.derived.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use chrono::Duration;
    use mandi_domain::OptionType;

    use super::*;
    use crate::pins::QuotePin;
    use crate::settings::DerivativeSettings;

    fn settings() -> SimSettings {
        SimSettings {
            volatility_annual: [("NIFTY".to_string(), 2.0)].into(),
            derivatives: DerivativeSettings {
                start_date: NaiveDate::from_ymd_opt(2026, 11, 22),
                ..DerivativeSettings::default()
            },
            ..SimSettings::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T04:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn universe_and_snapshot_line_up() {
        let (u, models) = build(&settings(), now());
        let snap = models.snapshot(now());
        assert_eq!((u.len(), snap.quotes.len()), (models.len(), models.len()));
        assert!(u.len() > 1_000, "{} instruments", u.len());
        let idx = u.by_kite_key("NFO:NIFTY26DEC25750CE");
        let Some(call) = idx.and_then(|i| u.get(i)) else {
            panic!("the December 25750 call is listed")
        };
        assert_eq!(&*call.symbol, "NIFTY-Dec2026-25750-CE");
        assert_eq!(u.by_dhan(call.segment, call.security_id), idx);
        assert_eq!(u.by_kite_token(call.kite_token), idx);
    }

    /// Each step the at-the-money December call moves the way NIFTY moved (or not at
    /// all) and the put the other way: at a fixed instant price is monotone in spot.
    #[test]
    fn option_ticks_follow_the_index() {
        let (u, mut models) = build(&settings(), now());
        let nifty = u.by_kite_key("NSE:NIFTY 50").unwrap_or(usize::MAX);
        let call = u.by_kite_key("NFO:NIFTY26DEC25750CE").unwrap_or(usize::MAX);
        let put = u.by_kite_key("NFO:NIFTY26DEC25750PE").unwrap_or(usize::MAX);
        assert_eq!(
            u.get(call).and_then(|i| i.option_type()),
            Some(OptionType::Call)
        );
        let mut before = models.snapshot(now());
        let mut call_moves = 0;
        for _ in 0..20 {
            models.step(now());
            let after = models.snapshot(now());
            let delta = |idx: usize| after.quotes[idx].ltp - before.quotes[idx].ltp;
            let (ds, dc, dp) = (delta(nifty), delta(call), delta(put));
            assert!(
                ds * dc >= 0.0 && ds * dp <= 0.0,
                "index {ds:+} call {dc:+} put {dp:+}"
            );
            call_moves += usize::from(dc != 0.0);
            before = after;
        }
        assert!(
            call_moves >= 15,
            "the call ticked {call_moves} times in 20 steps"
        );
    }

    fn index_of(u: &Universe, kite_key: &str) -> usize {
        u.by_kite_key(kite_key).unwrap_or(usize::MAX)
    }

    /// A pinned NIFTY prices the options on it: each step the call is exactly its
    /// Black-Scholes value at the pinned spot, and the pin itself ticks every step.
    #[test]
    fn a_pinned_underlying_prices_its_options() {
        let (u, mut models) = build(&settings(), now());
        let nifty = index_of(&u, "NSE:NIFTY 50");
        let call = index_of(&u, "NFO:NIFTY26DEC25750CE");
        let derived_call = call - models.walks.len();
        models.pin(PinTable::from([(nifty, QuotePin::at(26_500.0))]), now());
        let mut t = now();
        for step in 0..5 {
            let before = models.snapshot(t);
            t += Duration::milliseconds(250);
            let moved = models.step(t);
            assert!(moved >= 1, "step {step}: the pin ticks at zero volatility");
            let after = models.snapshot(t);
            assert_eq!(after.quotes[nifty].ltp, 26_500.0);
            assert_eq!(
                after.quotes[nifty].version,
                before.quotes[nifty].version + 1
            );
            assert_eq!(after.quotes[nifty].last_trade_time, t);
            let fair = models.derived[derived_call].fair_value(26_500.0, models.params[nifty], t);
            assert_eq!(after.quotes[call].ltp, fair, "step {step}");
        }
        assert!(
            models.snapshot(t).quotes[call].ltp > 26_500.0 - 25_750.0,
            "deep in the money now"
        );
    }

    /// Released, a walk carries on from its pin and a derivative returns to its fair
    /// value; the rest of the pins stay.
    #[test]
    fn released_pins_return_to_the_model() {
        let (u, mut models) = build(&settings(), now());
        let reliance = index_of(&u, "NSE:RELIANCE");
        let call = index_of(&u, "NFO:NIFTY26DEC25750CE");
        let tcs = index_of(&u, "NSE:TCS");
        let pins = crate::pins::resolve_all(
            [
                ("RELIANCE", QuotePin::at(1_600.0)),
                ("NIFTY-Dec2026-25750-CE", QuotePin::at(5.0)),
                ("TCS", QuotePin::at(3_500.0)),
            ],
            &u,
        );
        let Ok(pins) = pins else {
            panic!("valid pins: {pins:?}")
        };
        models.pin(pins, now());
        let snap = models.snapshot(now());
        assert_eq!(snap.quotes[call].ltp, 5.0);
        assert_eq!(snap.quotes[reliance].depth[0].bid_price, 1_599.9);
        models.unpin(Some(reliance), now());
        models.unpin(Some(call), now());
        assert_eq!(models.pins().keys().copied().collect::<Vec<_>>(), vec![tcs]);
        let released = models.snapshot(now());
        let nifty_spot = released.quotes[index_of(&u, "NSE:NIFTY 50")].ltp;
        let d = call - models.walks.len();
        let fair = models.derived[d].fair_value(nifty_spot, models.params[0], now());
        assert_eq!(released.quotes[call].ltp, fair, "back to its fair value");
        assert!(released.quotes[call].version > snap.quotes[call].version);
        let q = &released.quotes[reliance];
        assert_eq!(q.ltp, 1_600.0, "released where the pin left it");
        assert!(
            q.version > snap.quotes[reliance].version,
            "the model book goes out"
        );
        let mut t = now();
        for _ in 0..10 {
            t += Duration::milliseconds(250);
            models.step(t);
        }
        let ltp = models.snapshot(t).quotes[reliance].ltp;
        assert_ne!(ltp, 1_600.0, "walking again");
        assert!(
            (ltp / 1_600.0 - 1.0).abs() < 0.05,
            "from the pin, not the start: {ltp}"
        );
        models.unpin(None, t);
        assert!(models.pins().is_empty());
    }

    /// The per-step cost of the whole universe: every walk stepped, every derivative
    /// re-priced, the snapshot cloned. `cargo test -p mandi-simulator step_cost -- --nocapture`.
    #[test]
    fn step_cost_of_the_whole_universe() {
        let (_, mut models) = build(&settings(), now());
        let steps = 40;
        let started = Instant::now();
        let mut t = now();
        for _ in 0..steps {
            t += Duration::milliseconds(250);
            models.step(t);
            let _ = models.snapshot(t);
        }
        let per_step = started.elapsed() / steps;
        println!("{} instruments: {per_step:?} per step", models.len());
        assert!(per_step.as_millis() < 100, "{per_step:?} per step");
    }
}
