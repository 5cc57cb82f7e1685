//! The price model: a seeded log-normal random walk per instrument on the exchange
//! tick grid, with the day's OHLC, volume, OI and a 5-level book around the last price.
//! Pure: time arrives as an argument.

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{DepthLevel, Instrument, Segment};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::pinned::{self, Walk};
use crate::pins::QuotePin;

/// How many price levels each side of the book carries (both brokers send 5).
pub const DEPTH_LEVELS: usize = 5;
/// Circuit band around the previous close for tradable instruments.
const CIRCUIT_BAND: f64 = 0.10;

/// The market state of one instrument as every feed and REST endpoint reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub ltp: f64,
    pub last_qty: u32,
    pub avg_price: f64,
    /// Cumulative for the day; stays 0 for indices.
    pub volume: u64,
    pub total_buy_qty: u64,
    pub total_sell_qty: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    /// The start price: what the feeds send as previous close.
    pub prev_close: f64,
    pub oi: u64,
    pub oi_day_high: u64,
    pub oi_day_low: u64,
    pub prev_oi: u64,
    /// Best first; all zero for indices, which have no book.
    pub depth: [DepthLevel; DEPTH_LEVELS],
    pub last_trade_time: DateTime<Utc>,
    /// Bumped on every change, so a session can tell what it has not sent yet.
    pub version: u64,
}

/// One instrument's random walk. The generator is seeded with `seed ^ security_id`,
/// so a given seed always produces the same path whatever else is in the universe.
#[derive(Debug)]
pub struct PriceModel {
    instrument: Instrument,
    rng: SmallRng,
    quote: Quote,
    turnover: f64,
}

impl PriceModel {
    pub fn new(instrument: Instrument, start_price: f64, seed: u64, now: DateTime<Utc>) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ u64::from(instrument.security_id));
        let tick = tick_of(&instrument);
        let start = round_to_tick(start_price, tick).max(tick);
        let oi = if has_oi(&instrument) {
            u64::from(instrument.lot_size.max(1)) * rng.gen_range(5_000..10_000)
        } else {
            0
        };
        let mut quote = Quote {
            ltp: start,
            last_qty: 0,
            avg_price: start,
            volume: 0,
            total_buy_qty: 0,
            total_sell_qty: 0,
            open: start,
            high: start,
            low: start,
            prev_close: start,
            oi,
            oi_day_high: oi,
            oi_day_low: oi,
            prev_oi: oi,
            depth: [DepthLevel::default(); DEPTH_LEVELS],
            last_trade_time: now,
            version: 1,
        };
        if !instrument.is_index() {
            rebuild_book(&mut quote, &mut rng, tick, instrument.lot_size);
        }
        PriceModel {
            instrument,
            rng,
            quote,
            turnover: 0.0,
        }
    }

    #[cfg(test)]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    pub fn quote(&self) -> &Quote {
        &self.quote
    }

    /// Advance one tick. Returns whether the price moved; nothing else changes when
    /// it did not, so an unchanged instrument emits no tick.
    pub fn step(&mut self, volatility: f64, now: DateTime<Utc>) -> bool {
        let tick = tick_of(&self.instrument);
        let z = standard_normal(&mut self.rng);
        let raw = self.quote.ltp * (volatility * z).exp();
        let next = round_to_tick(raw, tick).max(tick);
        if (next - self.quote.ltp).abs() < tick / 2.0 {
            return false;
        }
        let q = &mut self.quote;
        q.ltp = next;
        q.high = q.high.max(next);
        q.low = q.low.min(next);
        q.last_trade_time = now;
        q.version += 1;
        if !self.instrument.is_index() {
            let lot = self.instrument.lot_size.max(1);
            q.last_qty = lot * self.rng.gen_range(1..=50);
            q.volume += u64::from(q.last_qty);
            self.turnover += next * f64::from(q.last_qty);
            q.avg_price = round_to_tick(self.turnover / q.volume as f64, tick);
            rebuild_book(q, &mut self.rng, tick, lot);
        }
        if has_oi(&self.instrument) {
            q.oi += u64::from(self.instrument.lot_size.max(1)) * self.rng.gen_range(0..20);
            q.oi_day_high = q.oi_day_high.max(q.oi);
            q.oi_day_low = q.oi_day_low.min(q.oi);
        }
        true
    }
}

impl PriceModel {
    /// One step at the pinned quote instead of the walk; the walk resumes from the
    /// pinned price once released.
    pub fn pin(&mut self, pin: &QuotePin, now: DateTime<Utc>) {
        let walk = Walk {
            rng: &mut self.rng,
            turnover: &mut self.turnover,
        };
        pinned::apply(&mut self.quote, pin, &self.instrument, walk, now);
    }

    /// Back to the model: the price stays where the pin left it, the book is the
    /// model's again, and the change goes out as a tick.
    pub fn release(&mut self) {
        if !self.instrument.is_index() {
            let tick = tick_of(&self.instrument);
            rebuild_book(
                &mut self.quote,
                &mut self.rng,
                tick,
                self.instrument.lot_size,
            );
        }
        self.quote.version += 1;
    }
}

/// ±10 % of the previous close on the tick grid; indices have no circuit (0).
pub fn circuit_limits(i: &Instrument, q: &Quote) -> (f64, f64) {
    if i.is_index() {
        return (0.0, 0.0);
    }
    let tick = tick_of(i);
    (
        round_to_tick(q.prev_close * (1.0 - CIRCUIT_BAND), tick),
        round_to_tick(q.prev_close * (1.0 + CIRCUIT_BAND), tick),
    )
}

/// Derivatives carry open interest; cash and indices do not.
pub fn has_oi(i: &Instrument) -> bool {
    matches!(
        i.segment,
        Segment::NseFno
            | Segment::BseFno
            | Segment::McxComm
            | Segment::NseCurrency
            | Segment::BseCurrency
    )
}

/// The instrument's tick; a missing one (0) prices on the ₹0.05 grid.
pub fn tick_of(i: &Instrument) -> f64 {
    if i.tick_size > 0.0 {
        i.tick_size
    } else {
        0.05
    }
}

/// Box–Muller; `rand_distr` is not a workspace dependency and one normal is all we need.
fn standard_normal(rng: &mut SmallRng) -> f64 {
    let u1 = 1.0 - rng.gen::<f64>(); // (0, 1], keeps ln finite
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A book 2–4 ticks wide around the last price, one tick between levels.
fn rebuild_book(q: &mut Quote, rng: &mut SmallRng, tick: f64, lot: u32) {
    let lot = lot.max(1);
    let half = f64::from(rng.gen_range(1u32..=2)) * tick;
    let (mut bids, mut asks) = (0u64, 0u64);
    for (level, slot) in q.depth.iter_mut().enumerate() {
        let away = level as f64 * tick;
        let bid_qty = lot * rng.gen_range(1..=200);
        let ask_qty = lot * rng.gen_range(1..=200);
        *slot = DepthLevel {
            bid_price: round_to_tick(q.ltp - half - away, tick).max(0.0),
            bid_qty,
            bid_orders: rng.gen_range(1..=bid_qty.min(40)),
            ask_price: round_to_tick(q.ltp + half + away, tick),
            ask_qty,
            ask_orders: rng.gen_range(1..=ask_qty.min(40)),
        };
        bids += u64::from(bid_qty);
        asks += u64::from(ask_qty);
    }
    q.total_buy_qty = bids * rng.gen_range(20..40);
    q.total_sell_qty = asks * rng.gen_range(20..40);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimSettings;

    fn models(seed: u64) -> Vec<PriceModel> {
        SimSettings::default_universe()
            .into_iter()
            .map(|s| PriceModel::new(s.instrument, s.start_price, seed, DateTime::UNIX_EPOCH))
            .collect()
    }

    fn path(seed: u64, steps: usize) -> Vec<Vec<f64>> {
        let mut ms = models(seed);
        (0..steps)
            .map(|_| {
                ms.iter_mut()
                    .map(|m| {
                        m.step(0.0005, DateTime::UNIX_EPOCH);
                        m.quote().ltp
                    })
                    .collect()
            })
            .collect()
    }

    fn on_grid(price: f64, tick: f64) -> bool {
        let steps = price / tick;
        (steps - steps.round()).abs() < 1e-6
    }

    #[test]
    fn same_seed_same_path() {
        assert_eq!(path(7, 200), path(7, 200));
        assert_ne!(path(7, 200), path(8, 200));
    }

    #[test]
    fn prices_and_book_stay_on_the_tick_grid() {
        let mut ms = models(3);
        for _ in 0..500 {
            for m in &mut ms {
                m.step(0.002, DateTime::UNIX_EPOCH);
                let tick = m.instrument().tick_size;
                let q = m.quote();
                let name = &m.instrument().symbol;
                assert!(on_grid(q.ltp, tick), "{name} ltp {}", q.ltp);
                assert!(
                    q.low <= q.ltp && q.ltp <= q.high,
                    "{name} outside day range"
                );
                if m.instrument().is_index() {
                    assert_eq!(q.volume, 0, "{name} index has no volume");
                    continue;
                }
                for d in &q.depth {
                    assert!(
                        on_grid(d.bid_price, tick) && on_grid(d.ask_price, tick),
                        "{name}"
                    );
                }
                assert!(
                    q.depth[0].bid_price < q.ltp && q.ltp < q.depth[0].ask_price,
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn unchanged_price_emits_nothing() {
        let mut ms = models(1);
        for m in &mut ms {
            let before = m.quote().clone();
            assert!(
                !m.step(0.0, DateTime::UNIX_EPOCH),
                "zero volatility never moves"
            );
            assert_eq!(m.quote(), &before);
        }
    }

    #[test]
    fn volume_and_oi_only_grow() {
        let mut ms = models(5);
        let crude = ms
            .iter_mut()
            .find(|m| m.instrument().segment == Segment::McxComm);
        let Some(crude) = crude else {
            panic!("default universe has an MCX future")
        };
        let (mut vol, mut oi) = (crude.quote().volume, crude.quote().oi);
        assert!(oi > 0);
        for _ in 0..100 {
            crude.step(0.001, DateTime::UNIX_EPOCH);
            assert!(crude.quote().volume >= vol && crude.quote().oi >= oi);
            (vol, oi) = (crude.quote().volume, crude.quote().oi);
        }
        assert!(vol > 0);
    }
}
