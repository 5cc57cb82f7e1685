//! A derivative's market: its price recomputed from its underlying every step (futures
//! by carry, options by Black-Scholes) on its tick grid, a book whose spread widens away
//! from the money, and seeded volume and open interest. Pure: time is an argument.

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{DepthLevel, Instrument, OptionType};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::expiry::expiry_instant;
use super::model::{tick_of, Quote, DEPTH_LEVELS};
use super::pinned::{self, Walk};
use super::pricing::{call_put, future, years_to, PricingParams};
use super::profile::{ist_minute, spread_factor, Activity};
use crate::pins::QuotePin;

/// Extra ticks of spread per unit of |ln(S/K)|: one more tick per 1 % out of (or in)
/// the money, so at-the-money books are one tick wide and the wings several.
const SPREAD_TICKS_PER_LOG_MONEYNESS: f64 = 100.0;
/// Open interest crowds around the money; this is the width (in |ln(S/K)|) of the crowd.
const OI_MONEYNESS_WIDTH: f64 = 0.03;

/// What a derivative's price follows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Follows {
    /// Index of the underlying's model among the configured instruments.
    pub underlying: usize,
    /// When the underlying is itself a future (MCX crude off the configured contract):
    /// its expiry, so only the difference in time to expiry is carried.
    pub carry_from: Option<DateTime<Utc>>,
    /// The underlying market's activity: the book is as wide as the hour makes it.
    pub activity: Activity,
}

/// One derivative. The generator is seeded with `seed ^ security_id`, like the random
/// walks, so a seed always gives the same volumes, books and OI.
#[derive(Debug)]
pub struct DerivedModel {
    instrument: Instrument,
    follows: Follows,
    expiry_at: DateTime<Utc>,
    rng: SmallRng,
    quote: Quote,
    turnover: f64,
}

impl DerivedModel {
    /// Starts at the fair value for `spot` at `now`; its open and previous close are
    /// the fair value at `day_start` (the underlying's previous close and the instant
    /// the day began).
    pub fn new(
        instrument: Instrument,
        follows: Follows,
        spot: f64,
        day_start: (f64, DateTime<Utc>),
        seed: u64,
        params: PricingParams,
        now: DateTime<Utc>,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ u64::from(instrument.security_id));
        let expiry_at = instrument
            .derivative
            .as_ref()
            .map_or(now, |d| expiry_instant(instrument.exchange, d.expiry));
        let lot = u64::from(instrument.lot_size.max(1));
        let m = moneyness(&instrument, spot);
        let crowd = 1.0 + 4.0 * (-(m / OI_MONEYNESS_WIDTH).powi(2)).exp();
        let oi = lot * (rng.gen_range(1_000..5_000) as f64 * crowd) as u64;
        let mut model = DerivedModel {
            instrument,
            follows,
            expiry_at,
            rng,
            quote: Quote {
                ltp: 0.0,
                last_qty: 0,
                avg_price: 0.0,
                volume: 0,
                total_buy_qty: 0,
                total_sell_qty: 0,
                open: 0.0,
                high: 0.0,
                low: 0.0,
                prev_close: 0.0,
                oi,
                oi_day_high: oi,
                oi_day_low: oi,
                prev_oi: oi,
                depth: [DepthLevel::default(); DEPTH_LEVELS],
                last_trade_time: now,
                version: 1,
            },
            turnover: 0.0,
        };
        let start = model.fair_value(spot, params, now);
        let prev = model.fair_value(day_start.0, params, day_start.1);
        let q = &mut model.quote;
        (q.ltp, q.avg_price, q.open, q.prev_close) = (start, start, prev, prev);
        (q.high, q.low) = (start.max(prev), start.min(prev));
        model.rebuild_book(spot, now);
        model
    }

    /// A new IST day of the underlying: open and previous close at the fair value of
    /// its previous close, the day's range, volume and OI marks start over.
    pub fn start_day(&mut self, day_start: (f64, DateTime<Utc>), params: PricingParams) {
        let prev = self.fair_value(day_start.0, params, day_start.1);
        self.turnover = 0.0;
        let q = &mut self.quote;
        (q.open, q.prev_close) = (prev, prev);
        (q.high, q.low) = (q.ltp.max(prev), q.ltp.min(prev));
        (q.volume, q.last_qty, q.avg_price) = (0, 0, q.ltp);
        (q.prev_oi, q.oi_day_high, q.oi_day_low) = (q.oi, q.oi, q.oi);
    }

    pub fn underlying(&self) -> usize {
        self.follows.underlying
    }

    pub fn quote(&self) -> &Quote {
        &self.quote
    }

    #[cfg(test)]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The model price for `spot` at `now`: on the tick grid, never below one tick.
    pub fn fair_value(&self, spot: f64, params: PricingParams, now: DateTime<Utc>) -> f64 {
        let tick = self.tick();
        let years = years_to(self.expiry_at, now);
        let d = self.instrument.derivative.as_ref();
        let raw = match (d.and_then(|d| d.strike), d.and_then(|d| d.option_type)) {
            (Some(k), Some(OptionType::Call)) => call_put(spot, k, years, params).0,
            (Some(k), Some(OptionType::Put)) => call_put(spot, k, years, params).1,
            _ => {
                let already = self.follows.carry_from.map_or(0.0, |t| years_to(t, now));
                future(spot, years - already, params)
            }
        };
        round_to_tick(raw.max(tick), tick).max(tick)
    }

    /// Re-price from `spot`. Returns whether the price moved; nothing else changes when
    /// it did not, so an unchanged contract emits no tick.
    pub fn step(&mut self, spot: f64, params: PricingParams, now: DateTime<Utc>) -> bool {
        let next = self.fair_value(spot, params, now);
        let tick = self.tick();
        if (next - self.quote.ltp).abs() < tick / 2.0 {
            return false;
        }
        let lot = self.instrument.lot_size.max(1);
        let q = &mut self.quote;
        q.ltp = next;
        q.high = q.high.max(next);
        q.low = q.low.min(next);
        q.last_trade_time = now;
        q.version += 1;
        q.last_qty = lot * self.rng.gen_range(1..=20);
        q.volume += u64::from(q.last_qty);
        self.turnover += next * f64::from(q.last_qty);
        q.avg_price = round_to_tick(self.turnover / q.volume as f64, tick);
        q.oi += u64::from(lot) * self.rng.gen_range(0..5);
        q.oi_day_high = q.oi_day_high.max(q.oi);
        self.rebuild_book(spot, now);
        true
    }

    /// One step at the pinned quote instead of the fair value.
    pub fn pin(&mut self, pin: &QuotePin, now: DateTime<Utc>) {
        let walk = Walk {
            rng: &mut self.rng,
            turnover: &mut self.turnover,
        };
        pinned::apply(&mut self.quote, pin, &self.instrument, walk, now);
    }

    /// Back to the model: the fair value for `spot` and its book, sent as a tick even
    /// when the fair value happens to equal the pinned price.
    pub fn release(&mut self, spot: f64, params: PricingParams, now: DateTime<Utc>) {
        if !self.step(spot, params, now) {
            self.rebuild_book(spot, now);
            self.quote.version += 1;
        }
    }

    fn tick(&self) -> f64 {
        tick_of(&self.instrument)
    }

    /// Best bid at or just under the last price, the ask `spread` ticks above it (wider
    /// at the open and the close, see `profile::spread_factor`), one tick between
    /// levels; levels that would sit at or below zero stay empty.
    fn rebuild_book(&mut self, spot: f64, now: DateTime<Utc>) {
        let tick = self.tick();
        let lot = self.instrument.lot_size.max(1);
        let m = moneyness(&self.instrument, spot);
        let factor = spread_factor(
            self.instrument.exchange,
            ist_minute(now),
            self.follows.activity,
        );
        let spread = factor * (1 + (m * SPREAD_TICKS_PER_LOG_MONEYNESS).floor() as u32);
        let q = &mut self.quote;
        let best_bid = q.ltp - f64::from(spread / 2) * tick;
        let best_ask = best_bid + f64::from(spread) * tick;
        let (mut bids, mut asks) = (0u64, 0u64);
        for (level, slot) in q.depth.iter_mut().enumerate() {
            let away = level as f64 * tick;
            let ask_qty = lot * self.rng.gen_range(1..=100);
            let bid_price = round_to_tick(best_bid - away, tick);
            let bid_qty = if bid_price < tick / 2.0 {
                0
            } else {
                lot * self.rng.gen_range(1..=100)
            };
            *slot = DepthLevel {
                bid_price: if bid_qty == 0 { 0.0 } else { bid_price },
                bid_qty,
                bid_orders: if bid_qty == 0 {
                    0
                } else {
                    self.rng.gen_range(1..=(bid_qty / lot).min(40))
                },
                ask_price: round_to_tick(best_ask + away, tick),
                ask_qty,
                ask_orders: self.rng.gen_range(1..=(ask_qty / lot).min(40)),
            };
            bids += u64::from(bid_qty);
            asks += u64::from(ask_qty);
        }
        q.total_buy_qty = bids * self.rng.gen_range(20..40);
        q.total_sell_qty = asks * self.rng.gen_range(20..40);
    }
}

/// |ln(S/K)| for options; futures are always "at the money".
fn moneyness(i: &Instrument, spot: f64) -> f64 {
    match i.derivative.as_ref().and_then(|d| d.strike) {
        Some(k) if k > 0.0 && spot > 0.0 => (spot / k).ln().abs(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use mandi_domain::Exchange;

    use super::*;
    use crate::market::test_contract as nifty;

    const PARAMS: PricingParams = PricingParams {
        volatility: 0.14,
        rate: 0.065,
    };

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T04:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn model(strike: Option<f64>, option_type: Option<OptionType>, spot: f64) -> DerivedModel {
        let follows = Follows {
            underlying: 0,
            carry_from: None,
            activity: Activity::Session,
        };
        DerivedModel::new(
            nifty(strike, option_type),
            follows,
            spot,
            (spot, start()),
            7,
            PARAMS,
            start(),
        )
    }

    fn on_grid(price: f64, tick: f64) -> bool {
        ((price / tick) - (price / tick).round()).abs() < 1e-6
    }

    #[test]
    fn options_move_with_the_index() {
        let mut call = model(Some(25_800.0), Some(OptionType::Call), 25_760.0);
        let mut put = model(Some(25_800.0), Some(OptionType::Put), 25_760.0);
        let (mut last_call, mut last_put) = (call.quote().ltp, put.quote().ltp);
        for spot in [25_800.0, 25_850.0, 25_910.0, 25_990.0] {
            assert!(call.step(spot, PARAMS, start()), "call moves at {spot}");
            assert!(put.step(spot, PARAMS, start()), "put moves at {spot}");
            assert!(call.quote().ltp > last_call, "call rises with the index");
            assert!(put.quote().ltp < last_put, "put falls with the index");
            (last_call, last_put) = (call.quote().ltp, put.quote().ltp);
        }
        assert_eq!(call.quote().version, 5);
        assert!(call.quote().volume > 0 && call.quote().volume.is_multiple_of(75));
        assert!(
            !call.step(25_990.0, PARAMS, start()),
            "same spot, same instant: no tick"
        );
    }

    struct TestCase {
        name: &'static str,
        strike: Option<f64>,
        option_type: Option<OptionType>,
        spot: f64,
        want_spread_ticks: std::ops::RangeInclusive<u32>,
    }

    #[test]
    fn prices_on_grid_and_spread_widens_away_from_the_money() {
        let cases = [
            TestCase {
                name: "at the money",
                strike: Some(25_800.0),
                option_type: Some(OptionType::Call),
                spot: 25_800.0,
                want_spread_ticks: 1..=1,
            },
            TestCase {
                name: "4 % out of the money",
                strike: Some(26_850.0),
                option_type: Some(OptionType::Call),
                spot: 25_800.0,
                want_spread_ticks: 4..=5,
            },
            TestCase {
                name: "deep out of the money put, floored at one tick",
                strike: Some(12_000.0),
                option_type: Some(OptionType::Put),
                spot: 25_800.0,
                want_spread_ticks: 60..=90,
            },
            TestCase {
                name: "future",
                strike: None,
                option_type: None,
                spot: 25_800.0,
                want_spread_ticks: 1..=1,
            },
        ];
        for c in cases {
            let m = model(c.strike, c.option_type, c.spot);
            let q = m.quote();
            let tick = m.instrument().tick_size;
            assert!(
                q.ltp >= tick && on_grid(q.ltp, tick),
                "{}: ltp {}",
                c.name,
                q.ltp
            );
            let spread = ((q.depth[0].ask_price - q.ltp.max(q.depth[0].bid_price)) / tick).round();
            let best = q.depth[0];
            if best.bid_qty > 0 {
                let ticks = ((best.ask_price - best.bid_price) / tick).round() as u32;
                // The book is wider at the open: count in mid-session widths.
                let ticks =
                    ticks / spread_factor(Exchange::Nse, ist_minute(start()), Activity::Session);
                assert!(
                    c.want_spread_ticks.contains(&ticks),
                    "{}: {ticks} ticks",
                    c.name
                );
                assert!(
                    best.bid_price <= q.ltp && q.ltp < best.ask_price,
                    "{}",
                    c.name
                );
            } else {
                assert!(spread >= 1.0, "{}: one-sided book", c.name);
            }
            for d in &q.depth {
                assert!(
                    on_grid(d.bid_price, tick) && on_grid(d.ask_price, tick),
                    "{}",
                    c.name
                );
            }
            assert!(
                q.oi > 0 && q.oi.is_multiple_of(75),
                "{}: oi {}",
                c.name,
                q.oi
            );
        }
        let deep = model(Some(12_000.0), Some(OptionType::Put), 25_800.0);
        assert_eq!(deep.quote().ltp, 0.05);
    }

    #[test]
    fn futures_carry_to_their_expiry() {
        let fut = model(None, None, 25_800.0);
        let years = years_to(
            expiry_instant(
                Exchange::Nse,
                NaiveDate::from_ymd_opt(2026, 12, 29).unwrap_or_default(),
            ),
            start(),
        );
        let want = round_to_tick(25_800.0 * (0.065 * years).exp(), 0.10);
        assert_eq!(fut.quote().ltp, want);
        assert!(fut.quote().ltp > 25_800.0);
        // Off another future, only the extra time is carried.
        let follows = Follows {
            underlying: 0,
            carry_from: Some(start() + chrono::Duration::days(36)),
            activity: Activity::Session,
        };
        let off_future = DerivedModel::new(
            nifty(None, None),
            follows,
            25_800.0,
            (25_800.0, start()),
            7,
            PARAMS,
            start(),
        );
        assert!(off_future.quote().ltp > 25_800.0 && off_future.quote().ltp < 25_810.0);
    }
}
