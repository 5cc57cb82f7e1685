//! The fill model, one table per order type, each covering both sides: at the touch,
//! crossed, gap-through and a quantity beyond the displayed L1 size.

mod common;

use common::{at, fills, nifty_ce, quote_sized, request};
use mandi_paper::{Liquidity, OrderKind, OrderStatus, PaperBook, PaperSettings, Side};

/// An L1 quote: (bid, ask, ltp) and (bid_qty, ask_qty) in units (65 per lot here).
type Q = ((f64, f64, f64), (u32, u32));

/// The quote every order is submitted on: 100.00 / 100.10, two lots a side.
const Q0: Q = ((100.0, 100.1, 100.05), (130, 130));

struct TestCase {
    name: &'static str,
    side: Side,
    kind: OrderKind,
    lots: u32,
    /// Quotes delivered through `on_tick` after the submission, one second apart.
    later: &'static [Q],
    /// Expected fills over the whole case: (lots, price, liquidity).
    want: &'static [(u32, f64, Liquidity)],
}

const T: Liquidity = Liquidity::Taker;
const M: Liquidity = Liquidity::Maker;

fn run(cases: &[TestCase]) {
    let inst = nifty_ce();
    for c in cases {
        let settings = PaperSettings {
            slippage_ticks: 0,
            protection_ticks: 5,
            ..PaperSettings::default()
        };
        let mut book = PaperBook::new(settings);
        let q0 = quote_sized(&inst, Q0.0, Q0.1, 0);
        let mut events = book.submit(request(c.side, c.kind, c.lots), &inst, Some(&q0), at(0));
        for (i, q) in c.later.iter().enumerate() {
            let secs = i as i64 + 1;
            let tick = quote_sized(&inst, q.0, q.1, secs);
            events.extend(book.on_tick(&inst, &tick, at(secs)));
        }
        let got: Vec<(u32, f64, Liquidity)> = fills(&events)
            .iter()
            .map(|f| (f.lots, f.price, f.liquidity))
            .collect();
        assert_eq!(got, c.want, "{}", c.name);
        for f in fills(&events) {
            assert_eq!(
                f.quantity,
                u64::from(f.lots) * 65,
                "{}: quantity in lots",
                c.name
            );
        }
        let status = book.orders().next().map(|o| o.status);
        let want_status = if c.want.is_empty() {
            OrderStatus::Open
        } else {
            OrderStatus::Filled
        };
        assert_eq!(status, Some(want_status), "{}: status", c.name);
    }
}

#[test]
fn market_orders() {
    run(&[
        TestCase {
            name: "buy at the touch",
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 2,
            later: &[],
            want: &[(2, 100.1, T)],
        },
        TestCase {
            name: "sell at the touch",
            side: Side::Sell,
            kind: OrderKind::Market,
            lots: 2,
            later: &[],
            want: &[(2, 100.0, T)],
        },
        TestCase {
            name: "buy beyond L1: residual one tick worse",
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 5,
            later: &[],
            want: &[(2, 100.1, T), (3, 100.15, T)],
        },
        TestCase {
            name: "sell beyond L1: residual one tick worse",
            side: Side::Sell,
            kind: OrderKind::Market,
            lots: 3,
            later: &[],
            want: &[(2, 100.0, T), (1, 99.95, T)],
        },
    ]);
}

#[test]
fn limit_orders() {
    run(&[
        TestCase {
            name: "buy limit at the ask takes it",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 100.1 },
            lots: 1,
            later: &[],
            want: &[(1, 100.1, T)],
        },
        TestCase {
            name: "buy limit through the ask fills at the ask, not the limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 100.5 },
            lots: 1,
            later: &[],
            want: &[(1, 100.1, T)],
        },
        TestCase {
            name: "buy limit beyond L1: residual one tick worse, within the limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 100.5 },
            lots: 3,
            later: &[],
            want: &[(2, 100.1, T), (1, 100.15, T)],
        },
        TestCase {
            name: "buy limit at the ask beyond L1: residual held at the limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 100.1 },
            lots: 3,
            later: &[],
            want: &[(3, 100.1, T)],
        },
        TestCase {
            name: "resting buy touched by the ask fills at its limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 99.9 },
            lots: 1,
            later: &[((99.8, 99.9, 99.85), (130, 130))],
            want: &[(1, 99.9, M)],
        },
        TestCase {
            name: "resting buy gapped through fills at its limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 99.9 },
            lots: 1,
            later: &[((98.9, 99.0, 99.0), (130, 130))],
            want: &[(1, 99.9, M)],
        },
        TestCase {
            name: "resting buy fills whole beyond L1 at its limit",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 99.9 },
            lots: 4,
            later: &[((99.7, 99.8, 99.8), (65, 65))],
            want: &[(4, 99.9, M)],
        },
        TestCase {
            name: "resting buy not reached stays open",
            side: Side::Buy,
            kind: OrderKind::Limit { price: 99.9 },
            lots: 1,
            later: &[((99.9, 99.95, 99.95), (130, 130))],
            want: &[],
        },
        TestCase {
            name: "sell limit at the bid takes it",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 100.0 },
            lots: 1,
            later: &[],
            want: &[(1, 100.0, T)],
        },
        TestCase {
            name: "sell limit through the bid fills at the bid",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 99.5 },
            lots: 1,
            later: &[],
            want: &[(1, 100.0, T)],
        },
        TestCase {
            name: "sell limit beyond L1: residual one tick worse, within the limit",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 99.5 },
            lots: 3,
            later: &[],
            want: &[(2, 100.0, T), (1, 99.95, T)],
        },
        TestCase {
            name: "resting sell touched by the bid fills at its limit",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 100.2 },
            lots: 1,
            later: &[((100.2, 100.25, 100.2), (130, 130))],
            want: &[(1, 100.2, M)],
        },
        TestCase {
            name: "resting sell gapped through fills at its limit",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 100.2 },
            lots: 1,
            later: &[((101.0, 101.1, 101.0), (130, 130))],
            want: &[(1, 100.2, M)],
        },
        TestCase {
            name: "resting sell not reached stays open",
            side: Side::Sell,
            kind: OrderKind::Limit { price: 100.2 },
            lots: 1,
            later: &[((100.1, 100.2, 100.15), (130, 130))],
            want: &[],
        },
    ]);
}

#[test]
fn stop_loss_limit_orders() {
    let buy = OrderKind::StopLoss {
        trigger_price: 100.5,
        price: 100.6,
    };
    let sell = OrderKind::StopLoss {
        trigger_price: 99.5,
        price: 99.4,
    };
    run(&[
        TestCase {
            name: "buy SL triggered at the touch takes the ask",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[((100.45, 100.55, 100.5), (130, 130))],
            want: &[(1, 100.55, T)],
        },
        TestCase {
            name: "buy SL below its trigger waits",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[((100.35, 100.45, 100.45), (130, 130))],
            want: &[],
        },
        TestCase {
            name: "buy SL gapped through its limit rests, then fills as maker",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[
                ((100.95, 101.05, 101.0), (130, 130)),
                ((100.5, 100.6, 100.6), (130, 130)),
            ],
            want: &[(1, 100.6, M)],
        },
        TestCase {
            name: "buy SL beyond L1: residual one tick worse, within the limit",
            side: Side::Buy,
            kind: buy,
            lots: 3,
            later: &[((100.45, 100.55, 100.5), (65, 65))],
            want: &[(1, 100.55, T), (2, 100.6, T)],
        },
        TestCase {
            name: "sell SL triggered at the touch takes the bid",
            side: Side::Sell,
            kind: sell,
            lots: 1,
            later: &[((99.45, 99.55, 99.5), (130, 130))],
            want: &[(1, 99.45, T)],
        },
        TestCase {
            name: "sell SL gapped through its limit rests, then fills as maker",
            side: Side::Sell,
            kind: sell,
            lots: 1,
            later: &[
                ((98.9, 99.0, 99.0), (130, 130)),
                ((99.4, 99.5, 99.45), (130, 130)),
            ],
            want: &[(1, 99.4, M)],
        },
        TestCase {
            name: "sell SL beyond L1: residual held at the limit",
            side: Side::Sell,
            kind: sell,
            lots: 3,
            later: &[((99.4, 99.5, 99.5), (65, 65))],
            want: &[(3, 99.4, T)],
        },
    ]);
}

#[test]
fn stop_loss_market_orders() {
    let buy = OrderKind::StopLossMarket {
        trigger_price: 100.5,
    };
    let sell = OrderKind::StopLossMarket {
        trigger_price: 99.5,
    };
    run(&[
        TestCase {
            name: "buy SL-M triggered at the touch takes the ask",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[((100.45, 100.55, 100.5), (130, 130))],
            want: &[(1, 100.55, T)],
        },
        TestCase {
            name: "buy SL-M gapped through fills at the new ask",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[((101.95, 102.05, 102.0), (130, 130))],
            want: &[(1, 102.05, T)],
        },
        TestCase {
            name: "buy SL-M beyond L1: residual one tick worse",
            side: Side::Buy,
            kind: buy,
            lots: 2,
            later: &[((100.45, 100.55, 100.5), (65, 65))],
            want: &[(1, 100.55, T), (1, 100.6, T)],
        },
        TestCase {
            name: "buy SL-M below its trigger waits",
            side: Side::Buy,
            kind: buy,
            lots: 1,
            later: &[((100.35, 100.45, 100.45), (130, 130))],
            want: &[],
        },
        TestCase {
            name: "sell SL-M triggered at the touch takes the bid",
            side: Side::Sell,
            kind: sell,
            lots: 1,
            later: &[((99.45, 99.55, 99.5), (130, 130))],
            want: &[(1, 99.45, T)],
        },
        TestCase {
            name: "sell SL-M gapped through fills at the new bid",
            side: Side::Sell,
            kind: sell,
            lots: 1,
            later: &[((97.0, 97.1, 97.05), (130, 130))],
            want: &[(1, 97.0, T)],
        },
        TestCase {
            name: "sell SL-M beyond L1: residual one tick worse",
            side: Side::Sell,
            kind: sell,
            lots: 2,
            later: &[((99.45, 99.55, 99.5), (65, 65))],
            want: &[(1, 99.45, T), (1, 99.4, T)],
        },
    ]);
}

struct SlipCase {
    name: &'static str,
    side: Side,
    lots: u32,
    slippage_ticks: u32,
    protection_ticks: u32,
    want: &'static [(u32, f64)],
}

#[test]
fn slippage_and_price_protection() {
    let cases = [
        SlipCase {
            name: "one tick of slippage on a buy",
            side: Side::Buy,
            lots: 1,
            slippage_ticks: 1,
            protection_ticks: 5,
            want: &[(1, 100.15)],
        },
        SlipCase {
            name: "slippage then residual on a sell",
            side: Side::Sell,
            lots: 3,
            slippage_ticks: 2,
            protection_ticks: 5,
            want: &[(2, 99.9), (1, 99.85)],
        },
        SlipCase {
            name: "protection holds slippage and residual",
            side: Side::Buy,
            lots: 3,
            slippage_ticks: 4,
            protection_ticks: 2,
            want: &[(3, 100.2)],
        },
        SlipCase {
            name: "zero protection pins the residual to the touch",
            side: Side::Sell,
            lots: 3,
            slippage_ticks: 0,
            protection_ticks: 0,
            want: &[(3, 100.0)],
        },
    ];
    let inst = nifty_ce();
    for c in cases {
        let settings = PaperSettings {
            slippage_ticks: c.slippage_ticks,
            protection_ticks: c.protection_ticks,
            ..PaperSettings::default()
        };
        let mut book = PaperBook::new(settings);
        let q0 = quote_sized(&inst, Q0.0, Q0.1, 0);
        let events = book.submit(
            request(c.side, OrderKind::Market, c.lots),
            &inst,
            Some(&q0),
            at(0),
        );
        let got: Vec<(u32, f64)> = fills(&events).iter().map(|f| (f.lots, f.price)).collect();
        assert_eq!(got, c.want, "{}", c.name);
    }
}

#[test]
fn resting_orders_see_a_new_quote_before_a_new_order_does() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote_sized(&inst, Q0.0, Q0.1, 0);
    let resting = request(Side::Buy, OrderKind::Limit { price: 99.9 }, 1);
    book.submit(resting, &inst, Some(&q0), at(0));

    // A new quote that crosses the resting buy arrives with a new sell order: the resting
    // order fills first (as maker, at its limit), then the market sell at the bid.
    let q1 = quote_sized(&inst, (99.8, 99.85, 99.85), (130, 130), 1);
    let events = book.submit(
        request(Side::Sell, OrderKind::Market, 1),
        &inst,
        Some(&q1),
        at(1),
    );
    let got: Vec<(u64, f64, Liquidity)> = fills(&events)
        .iter()
        .map(|f| (f.order_id.0, f.price, f.liquidity))
        .collect();
    assert_eq!(
        got,
        vec![(1, 99.9, Liquidity::Maker), (2, 99.8, Liquidity::Taker)]
    );

    // The same quote again does not work the (now empty) resting side twice.
    let events = book.on_tick(&inst, &q1, at(1));
    assert!(events.is_empty(), "{events:?}");
}
