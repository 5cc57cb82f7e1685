//! Assembles the simulated market at start: the configured instruments (random walks),
//! the derivatives generated around them (priced from their underlying every step),
//! and the snapshot both produce. The clock owns the result.

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::time::IST;

use super::contracts::{generate, with_derivative_details};
use super::derived::{DerivedModel, Follows};
use super::expiry::expiry_instant;
use super::pricing::PricingParams;
use super::{MarketSnapshot, PriceModel, Universe};
use crate::SimSettings;

/// Every model, in [`Universe`] order: configured instruments first, then contracts.
#[derive(Debug)]
pub struct MarketModels {
    walks: Vec<PriceModel>,
    derived: Vec<DerivedModel>,
    params: PricingParams,
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
    let d = &settings.derivatives;
    let params = PricingParams {
        volatility: d.option_volatility_annual,
        rate: d.risk_free_rate_annual,
    };
    let walks: Vec<PriceModel> = configured
        .iter()
        .map(|s| PriceModel::new(s.instrument.clone(), s.start_price, settings.seed, now))
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
            };
            let spot = walks[c.underlying].quote().ltp;
            DerivedModel::new(
                c.instrument.clone(),
                follows,
                spot,
                settings.seed,
                params,
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
    };
    (universe, models)
}

impl MarketModels {
    /// Advance every random walk, then re-price every derivative from its underlying's
    /// new price. Returns how many instruments moved.
    pub fn step(&mut self, volatility: f64, now: DateTime<Utc>) -> usize {
        let mut moved = 0;
        for m in &mut self.walks {
            moved += usize::from(m.step(volatility, now));
        }
        for d in &mut self.derived {
            let spot = self.walks[d.underlying()].quote().ltp;
            moved += usize::from(d.step(spot, self.params, now));
        }
        moved
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
    use crate::settings::DerivativeSettings;

    fn settings() -> SimSettings {
        SimSettings {
            volatility: 0.002,
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
            models.step(0.002, now());
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
            models.step(0.0004, t);
            let _ = models.snapshot(t);
        }
        let per_step = started.elapsed() / steps;
        println!("{} instruments: {per_step:?} per step", models.len());
        assert!(per_step.as_millis() < 100, "{per_step:?} per step");
    }
}
