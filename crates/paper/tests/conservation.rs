//! Property: over random quotes, orders and cancels, money is conserved —
//! `cash + Σ position × mark − starting_cash == realized + unrealized − charges` — positions
//! equal the sum of their fills, every fill is on the tick grid, taker fills sit within
//! price protection of their quote, and nothing fills on a quote the guard refuses.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use common::{at, crude_fut, nifty_ce, nifty_fut, reliance, request};
use mandi_domain::{Instrument, Tick, TickSource};
use mandi_paper::{
    is_on_tick, mark_price, Liquidity, OrderKind, PaperBook, PaperEvent, PaperSettings, Side,
};
use proptest::prelude::*;

const SETTINGS_SLIPPAGE: u32 = 1;
const SETTINGS_PROTECTION: u32 = 3;
const MAX_AGE_MS: u64 = 5_000;

/// Instruments and the tick count their prices wander around.
fn universe() -> Vec<(Instrument, i64)> {
    vec![
        (nifty_ce(), 2_000),    // ₹100.00 in 0.05 ticks
        (nifty_fut(), 250_000), // ₹25,000.0 in 0.1 ticks
        (crude_fut(), 5_500),   // ₹5,500 in 1.0 ticks
        (reliance(), 12_500),   // ₹1,250.0 in 0.1 ticks
    ]
}

#[derive(Clone, Debug)]
enum Action {
    Quote {
        inst: usize,
        mid: i64,
        spread: i64,
        bid_qty: u32,
        ask_qty: u32,
        age_ms: i64,
        snapshot: bool,
    },
    Submit {
        inst: usize,
        buy: bool,
        kind: u8,
        lots: u32,
        offset: i64,
        width: i64,
    },
    Cancel {
        nth: usize,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let quote = (
        0..4usize,
        -40..40i64,
        1..4i64,
        0..400u32,
        0..400u32,
        prop_oneof![4 => 0..3_000i64, 1 => 4_000..9_000i64],
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(inst, mid, spread, bid_qty, ask_qty, age_ms, snapshot)| Action::Quote {
                inst,
                mid,
                spread,
                bid_qty,
                ask_qty,
                age_ms,
                snapshot,
            },
        );
    let submit = (0..4usize, any::<bool>(), 0..4u8, 1..6u32, -8..8i64, 0..4i64).prop_map(
        |(inst, buy, kind, lots, offset, width)| Action::Submit {
            inst,
            buy,
            kind,
            lots,
            offset,
            width,
        },
    );
    prop_oneof![5 => quote, 4 => submit, 1 => (0..8usize).prop_map(|nth| Action::Cancel { nth })]
}

struct World {
    universe: Vec<(Instrument, i64)>,
    book: PaperBook,
    quotes: BTreeMap<usize, Tick>,
    step: i64,
}

impl World {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        at(0) + Duration::milliseconds(self.step * 250)
    }

    fn price(&self, inst: usize, ticks: i64) -> f64 {
        let tick = self.universe[inst].0.tick_size;
        mandi_domain::time::round_to_tick(ticks.max(1) as f64 * tick, tick)
    }

    /// Apply one action; returns its events and the quote it was matched against.
    fn apply(&mut self, a: &Action) -> (Vec<PaperEvent>, Option<(usize, Tick)>) {
        self.step += 1;
        let now = self.now();
        match *a {
            Action::Quote {
                inst,
                mid,
                spread,
                bid_qty,
                ask_qty,
                age_ms,
                snapshot,
            } => {
                let (instrument, base) = self.universe[inst].clone();
                let mut t = Tick::empty(instrument.symbol.clone(), now);
                t.bid = self.price(inst, base + mid);
                t.ask = self.price(inst, base + mid + spread);
                t.ltp = self.price(inst, base + mid + spread / 2);
                t.bid_qty = bid_qty;
                t.ask_qty = ask_qty;
                t.exchange_time = Some(now - Duration::milliseconds(age_ms));
                t.source = if snapshot {
                    TickSource::Snapshot
                } else {
                    TickSource::Socket
                };
                self.quotes.insert(inst, t.clone());
                (self.book.on_tick(&instrument, &t, now), Some((inst, t)))
            }
            Action::Submit {
                inst,
                buy,
                kind,
                lots,
                offset,
                width,
            } => {
                let instrument = self.universe[inst].0.clone();
                let tick = self.quotes.get(&inst).cloned();
                let side = if buy { Side::Buy } else { Side::Sell };
                let ref_ticks = tick.as_ref().map_or(self.universe[inst].1, |t| {
                    (t.ltp / instrument.tick_size).round() as i64
                });
                let toward_stop = side.sign() * (offset.abs() + 1);
                let kind = match kind {
                    0 => OrderKind::Market,
                    1 => OrderKind::Limit {
                        price: self.price(inst, ref_ticks + offset),
                    },
                    2 => OrderKind::StopLoss {
                        trigger_price: self.price(inst, ref_ticks + toward_stop),
                        price: self.price(inst, ref_ticks + toward_stop + side.sign() * width),
                    },
                    _ => OrderKind::StopLossMarket {
                        trigger_price: self.price(inst, ref_ticks + toward_stop),
                    },
                };
                let events =
                    self.book
                        .submit(request(side, kind, lots), &instrument, tick.as_ref(), now);
                (events, tick.map(|t| (inst, t)))
            }
            Action::Cancel { nth } => {
                let open: Vec<_> = self.book.open_orders().map(|o| o.order_id).collect();
                let events = match open.get(nth % open.len().max(1)) {
                    Some(&id) => self.book.cancel(id, now).unwrap_or_default(),
                    None => Vec::new(),
                };
                (events, None)
            }
        }
    }
}

fn check_invariants(
    world: &World,
    events: &[PaperEvent],
    quote: Option<&(usize, Tick)>,
) -> Result<(), TestCaseError> {
    let book = &world.book;
    let start = book.settings().starting_cash;

    // Marks: the touch a close would hit, from the last quote of each symbol; avg price if none.
    let by_symbol: BTreeMap<Arc<str>, &Tick> = world
        .quotes
        .values()
        .map(|t| (t.symbol.clone(), t))
        .collect();
    let (mut held_value, mut realized, mut unrealized) = (0.0, 0.0, 0.0);
    for p in book.positions() {
        let mark = by_symbol
            .get(&p.symbol)
            .and_then(|t| mark_price(p.net_quantity, t))
            .unwrap_or(p.avg_price);
        held_value += p.net_quantity as f64 * mark;
        realized += p.realized_pnl;
        unrealized += (mark - p.avg_price) * p.net_quantity as f64;
    }
    let fill_charges: f64 = book.fills().iter().map(|f| f.charges.total).sum();
    let lhs = book.cash() + held_value - start;
    let rhs = realized + unrealized - fill_charges;
    prop_assert!((lhs - rhs).abs() < 1e-6, "conservation: {lhs} vs {rhs}");

    let traded: f64 = book
        .fills()
        .iter()
        .map(|f| f.signed_quantity() as f64 * f.price)
        .sum();
    let cash = start - traded - fill_charges;
    prop_assert!(
        (book.cash() - cash).abs() < 1e-6,
        "cash {} vs {cash}",
        book.cash()
    );
    prop_assert!((book.charges().total - fill_charges).abs() < 1e-6);

    let mut net: BTreeMap<Arc<str>, i64> = BTreeMap::new();
    for f in book.fills() {
        *net.entry(f.symbol.clone()).or_default() += f.signed_quantity();
        let tick = world
            .universe
            .iter()
            .find(|(i, _)| i.symbol == f.symbol)
            .map_or(0.0, |(i, _)| i.tick_size);
        prop_assert!(
            is_on_tick(f.price, tick) && f.price > 0.0,
            "off grid: {f:?}"
        );
        prop_assert!(f.charges.total >= 0.0);
    }
    for p in book.positions() {
        prop_assert_eq!(
            p.net_quantity,
            net.get(&p.symbol).copied().unwrap_or(0),
            "{}",
            p.symbol
        );
    }

    // Fills of this call: never on a refused quote; takers within protection of it.
    let fills: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            PaperEvent::OrderFilled { fill } => Some(fill),
            _ => None,
        })
        .collect();
    if let Some((inst, t)) = quote {
        let age = (world.now() - t.exchange_time.unwrap_or(t.received_time)).num_milliseconds();
        let refused = t.source == TickSource::Snapshot || age > MAX_AGE_MS as i64;
        prop_assert!(
            !refused || fills.is_empty(),
            "filled on a refused quote: {fills:?}"
        );
        let tick = world.universe[*inst].0.tick_size;
        let band = f64::from(SETTINGS_PROTECTION) * tick + 1e-9;
        for f in fills.iter().filter(|f| f.liquidity == Liquidity::Taker) {
            let ok = match f.side {
                Side::Buy => f.price <= t.ask + band && f.price >= t.ask - 1e-9,
                Side::Sell => f.price >= (t.bid - band).max(tick) - 1e-9 && f.price <= t.bid + 1e-9,
            };
            prop_assert!(ok, "taker fill outside [touch, protection]: {f:?} on {t:?}");
        }
    } else {
        prop_assert!(fills.is_empty(), "filled without a quote");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn money_is_conserved(actions in prop::collection::vec(action(), 1..60)) {
        let settings = PaperSettings {
            slippage_ticks: SETTINGS_SLIPPAGE,
            protection_ticks: SETTINGS_PROTECTION,
            max_quote_age_ms: MAX_AGE_MS,
            ..PaperSettings::default()
        };
        let mut world = World {
            universe: universe(),
            book: PaperBook::new(settings),
            quotes: BTreeMap::new(),
            step: 0,
        };
        for a in &actions {
            let (events, quote) = world.apply(a);
            check_invariants(&world, &events, quote.as_ref())?;
        }
    }
}
