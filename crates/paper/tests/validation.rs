//! Submission checks: lots, tick grid, positive prices, stop sanity, tradable instrument.

mod common;

use common::{at, kinds, nifty_ce, nifty_index, quote, request};
use mandi_domain::Instrument;
use mandi_paper::{
    OrderKind, PaperBook, PaperEvent, PaperSettings, PriceField, RejectReason, Side,
};

struct TestCase {
    name: &'static str,
    instrument: Instrument,
    side: Side,
    kind: OrderKind,
    lots: u32,
    /// `None` = accepted.
    want: Option<RejectReason>,
}

#[test]
fn submission_checks() {
    let ce = nifty_ce();
    let mut zero_tick = nifty_ce();
    zero_tick.tick_size = 0.0;
    let mut zero_lot = nifty_ce();
    zero_lot.lot_size = 0;
    let limit = |price| OrderKind::Limit { price };
    let cases = [
        TestCase {
            name: "limit on the grid",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: limit(99.95),
            lots: 3,
            want: None,
        },
        TestCase {
            name: "binary residue within tolerance",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: limit(99.95 + 5e-7),
            lots: 1,
            want: None,
        },
        TestCase {
            name: "zero lots",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 0,
            want: Some(RejectReason::ZeroLots),
        },
        TestCase {
            name: "limit off the grid",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: limit(99.93),
            lots: 1,
            want: Some(RejectReason::OffTick {
                field: PriceField::Limit,
                price: 99.93,
                tick_size: 0.05,
            }),
        },
        TestCase {
            name: "trigger off the grid",
            instrument: ce.clone(),
            side: Side::Sell,
            kind: OrderKind::StopLossMarket {
                trigger_price: 99.01,
            },
            lots: 1,
            want: Some(RejectReason::OffTick {
                field: PriceField::Trigger,
                price: 99.01,
                tick_size: 0.05,
            }),
        },
        TestCase {
            name: "zero limit",
            instrument: ce.clone(),
            side: Side::Sell,
            kind: limit(0.0),
            lots: 1,
            want: Some(RejectReason::NonPositivePrice {
                field: PriceField::Limit,
                price: 0.0,
            }),
        },
        TestCase {
            name: "negative trigger",
            instrument: ce.clone(),
            side: Side::Sell,
            kind: OrderKind::StopLoss {
                trigger_price: -1.0,
                price: 99.0,
            },
            lots: 1,
            want: Some(RejectReason::NonPositivePrice {
                field: PriceField::Trigger,
                price: -1.0,
            }),
        },
        TestCase {
            name: "buy SL with its limit below the trigger",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: OrderKind::StopLoss {
                trigger_price: 101.0,
                price: 100.5,
            },
            lots: 1,
            want: Some(RejectReason::LimitBeyondTrigger {
                trigger_price: 101.0,
                price: 100.5,
            }),
        },
        TestCase {
            name: "sell SL with its limit above the trigger",
            instrument: ce.clone(),
            side: Side::Sell,
            kind: OrderKind::StopLoss {
                trigger_price: 99.0,
                price: 99.5,
            },
            lots: 1,
            want: Some(RejectReason::LimitBeyondTrigger {
                trigger_price: 99.0,
                price: 99.5,
            }),
        },
        TestCase {
            name: "buy stop already reached by LTP",
            instrument: ce.clone(),
            side: Side::Buy,
            kind: OrderKind::StopLossMarket {
                trigger_price: 100.05,
            },
            lots: 1,
            want: Some(RejectReason::TriggerAlreadyCrossed {
                trigger_price: 100.05,
                ltp: 100.05,
            }),
        },
        TestCase {
            name: "sell stop already passed by LTP",
            instrument: ce.clone(),
            side: Side::Sell,
            kind: OrderKind::StopLossMarket {
                trigger_price: 101.0,
            },
            lots: 1,
            want: Some(RejectReason::TriggerAlreadyCrossed {
                trigger_price: 101.0,
                ltp: 100.05,
            }),
        },
        TestCase {
            name: "an index",
            instrument: nifty_index(),
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 1,
            want: Some(RejectReason::NotTradable {
                symbol: "NIFTY".into(),
            }),
        },
        TestCase {
            name: "zero tick size",
            instrument: zero_tick,
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 1,
            want: Some(RejectReason::BadInstrument {
                tick_size: 0.0,
                lot_size: 65,
            }),
        },
        TestCase {
            name: "zero lot size",
            instrument: zero_lot,
            side: Side::Buy,
            kind: OrderKind::Market,
            lots: 1,
            want: Some(RejectReason::BadInstrument {
                tick_size: 0.05,
                lot_size: 0,
            }),
        },
    ];
    for c in cases {
        let mut book = PaperBook::new(PaperSettings::default());
        let q0 = quote(&c.instrument, (100.0, 100.1, 100.05), 0);
        let events = book.submit(
            request(c.side, c.kind, c.lots),
            &c.instrument,
            Some(&q0),
            at(0),
        );
        match (&c.want, events.first()) {
            (None, Some(PaperEvent::OrderAccepted { order, .. })) => {
                let want_qty = u64::from(c.lots) * u64::from(c.instrument.lot_size);
                assert_eq!(order.quantity, want_qty, "{}: lots × lot size", c.name);
            }
            (Some(want), Some(PaperEvent::OrderRejected { reason, .. })) => {
                assert_eq!(reason, want, "{}", c.name);
                assert_eq!(kinds(&events), ["rejected"], "{}", c.name);
            }
            (_, got) => panic!("{}: got {got:?}", c.name),
        }
    }
}

#[test]
fn stops_need_a_last_price() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote(&inst, (100.0, 100.1, 0.0), 0);
    let sl = OrderKind::StopLossMarket {
        trigger_price: 99.0,
    };
    let events = book.submit(request(Side::Sell, sl, 1), &inst, Some(&q0), at(0));
    assert!(
        matches!(
            events.first(),
            Some(PaperEvent::OrderRejected {
                reason: RejectReason::NoLastPrice,
                ..
            })
        ),
        "{events:?}"
    );
}

#[test]
fn rejected_orders_still_take_an_id() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote(&inst, (100.0, 100.1, 100.05), 0);
    book.submit(
        request(Side::Buy, OrderKind::Market, 0),
        &inst,
        Some(&q0),
        at(0),
    );
    book.submit(
        request(Side::Buy, OrderKind::Market, 1),
        &inst,
        Some(&q0),
        at(0),
    );
    let ids: Vec<String> = book.orders().map(|o| o.order_id.to_string()).collect();
    assert_eq!(ids, ["PO-000001", "PO-000002"]);
    let fill_ids: Vec<String> = book.fills().iter().map(|f| f.fill_id.to_string()).collect();
    assert_eq!(fill_ids, ["PF-000001"]);
}

#[test]
fn closed_market_rejects_every_kind_and_books_nothing() {
    let inst = nifty_ce();
    let limit = OrderKind::Limit { price: 100.1 };
    for (name, kind) in [("market", OrderKind::Market), ("limit", limit)] {
        let mut book = PaperBook::new(PaperSettings::default());
        let q0 = quote(&inst, (100.0, 100.1, 100.05), 0);
        let events =
            book.submit_in_session(request(Side::Buy, kind, 1), &inst, Some(&q0), at(0), false);
        match events.first() {
            Some(PaperEvent::OrderRejected { reason, .. }) => {
                assert_eq!(
                    reason,
                    &RejectReason::MarketClosed {
                        exchange: inst.exchange
                    },
                    "{name}"
                );
                assert_eq!(reason.code(), "market_closed", "{name}");
            }
            got => panic!("{name}: got {got:?}"),
        }
        assert_eq!(
            kinds(&events),
            ["rejected"],
            "{name}: no fill, nothing rests"
        );
        assert!(book.positions().next().is_none(), "{name}: no position");
        let open =
            book.submit_in_session(request(Side::Buy, kind, 1), &inst, Some(&q0), at(0), true);
        assert!(
            matches!(open.first(), Some(PaperEvent::OrderAccepted { .. })),
            "{name}: the same order in session is taken: {open:?}"
        );
    }
}
