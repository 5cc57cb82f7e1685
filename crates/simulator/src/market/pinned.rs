//! A pin laid over a model's quote for one step: a trade at the pinned price stamped
//! `now` (so a pinned instrument keeps ticking at a constant price), the pinned bid and
//! ask as the best level, deeper levels a tick apart behind them. Pure: the generator
//! and the time are arguments.

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{DepthLevel, Instrument};
use rand::rngs::SmallRng;
use rand::Rng;

use super::model::{tick_of, Quote};
use crate::pins::QuotePin;

/// What a model keeps besides its quote that a pinned step updates.
pub struct Walk<'a> {
    pub rng: &'a mut SmallRng,
    /// Σ price × quantity of the day, for the average price.
    pub turnover: &'a mut f64,
}

/// One pinned step of `q` at `now`.
pub fn apply(q: &mut Quote, pin: &QuotePin, i: &Instrument, walk: Walk<'_>, now: DateTime<Utc>) {
    q.ltp = pin.ltp;
    q.high = q.high.max(pin.ltp);
    q.low = q.low.min(pin.ltp);
    q.last_trade_time = now;
    q.version += 1;
    if i.is_index() {
        return;
    }
    let tick = tick_of(i);
    let lot = i.lot_size.max(1);
    q.last_qty = lot * walk.rng.gen_range(1..=20);
    q.volume += u64::from(q.last_qty);
    *walk.turnover += pin.ltp * f64::from(q.last_qty);
    q.avg_price = round_to_tick(*walk.turnover / q.volume as f64, tick);
    book(q, pin, tick, lot, walk.rng);
}

/// The pinned best level (its quantities pinned too when given), then one tick per
/// level outwards; bid levels that would sit at or below zero stay empty.
fn book(q: &mut Quote, pin: &QuotePin, tick: f64, lot: u32, rng: &mut SmallRng) {
    // Resolved pins always carry both sides for instruments with a book.
    let (Some(best_bid), Some(best_ask)) = (pin.bid, pin.ask) else {
        return;
    };
    let (mut bids, mut asks) = (0u64, 0u64);
    for (level, slot) in q.depth.iter_mut().enumerate() {
        let away = level as f64 * tick;
        let bid_price = round_to_tick(best_bid - away, tick);
        let bid_qty = match pin.bid_qty.filter(|_| level == 0) {
            Some(qty) => qty,
            None if bid_price < tick / 2.0 => 0,
            None => lot * rng.gen_range(1..=100),
        };
        let ask_qty = match pin.ask_qty.filter(|_| level == 0) {
            Some(qty) => qty,
            None => lot * rng.gen_range(1..=100),
        };
        *slot = DepthLevel {
            bid_price: if bid_qty == 0 { 0.0 } else { bid_price },
            bid_qty,
            bid_orders: orders(rng, bid_qty, lot),
            ask_price: round_to_tick(best_ask + away, tick),
            ask_qty,
            ask_orders: orders(rng, ask_qty, lot),
        };
        bids += u64::from(bid_qty);
        asks += u64::from(ask_qty);
    }
    q.total_buy_qty = bids * rng.gen_range(20..40);
    q.total_sell_qty = asks * rng.gen_range(20..40);
}

/// 1–40 orders behind a non-empty level, never more than its lots; a pinned quantity
/// smaller than a lot is still one order.
fn orders(rng: &mut SmallRng, qty: u32, lot: u32) -> u32 {
    if qty == 0 {
        return 0;
    }
    rng.gen_range(1..=(qty / lot).clamp(1, 40))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::market::{test_contract, test_market};

    fn option() -> Instrument {
        test_contract(Some(25_800.0), Some(mandi_domain::OptionType::Call))
    }

    fn step(q: &mut Quote, pin: &QuotePin, i: &Instrument, at: i64) {
        let mut rng = SmallRng::seed_from_u64(at as u64);
        let mut turnover = 0.0;
        let walk = Walk {
            rng: &mut rng,
            turnover: &mut turnover,
        };
        let now = DateTime::UNIX_EPOCH + chrono::Duration::seconds(at);
        apply(q, pin, i, walk, now);
    }

    #[test]
    fn best_level_is_the_pin_and_the_rest_stays_behind_it() {
        let (_, m) = test_market();
        let mut q = m.quotes[2].clone(); // any model quote to lay the pin over
        let pin = QuotePin {
            ltp: 0.15,
            bid: Some(0.1),
            ask: Some(0.25),
            bid_qty: Some(7), // less than a lot: still one order
            ask_qty: None,
        };
        let i = option();
        for at in 1..=3 {
            let before = q.version;
            step(&mut q, &pin, &i, at);
            assert_eq!(q.version, before + 1, "a fresh tick every step");
            assert_eq!(q.last_trade_time.timestamp(), at);
            assert_eq!(q.ltp, 0.15);
            assert_eq!((q.depth[0].bid_price, q.depth[0].bid_qty), (0.1, 7));
            assert_eq!(q.depth[0].bid_orders, 1);
            assert_eq!(q.depth[0].ask_price, 0.25);
            assert!(q.depth[0].ask_qty > 0 && q.depth[0].ask_qty.is_multiple_of(75));
            assert_eq!((q.depth[1].bid_price, q.depth[1].ask_price), (0.05, 0.3));
            for d in &q.depth[2..] {
                assert_eq!((d.bid_price, d.bid_qty, d.bid_orders), (0.0, 0, 0), "{d:?}");
            }
            for pair in q.depth.windows(2) {
                assert!(pair[1].ask_price > pair[0].ask_price);
            }
            assert!(q.low <= q.ltp && q.ltp <= q.high);
        }
    }

    #[test]
    fn an_index_gets_the_price_and_no_book() {
        let (u, m) = test_market();
        let mut q = m.quotes[0].clone();
        let Some(nifty) = u.get(0) else {
            panic!("NIFTY is first")
        };
        step(&mut q, &QuotePin::at(26_000.0), nifty, 1);
        assert_eq!((q.ltp, q.high, q.volume), (26_000.0, 26_000.0, 0));
        assert_eq!(q.depth, [DepthLevel::default(); 5]);
    }
}
