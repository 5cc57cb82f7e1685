//! The stale guard: no fill and no trigger against an old, snapshot, one-sided, crossed
//! or foreign quote; resting orders stay open and say why, market orders are rejected.

mod common;

use common::{at, fills, kinds, nifty_ce, nifty_index, quote, request};
use mandi_domain::{Tick, TickSource};
use mandi_paper::{
    Liquidity, OrderKind, OrderStatus, PaperBook, PaperEvent, PaperSettings, RefuseReason,
    RejectReason, Side,
};

struct TestCase {
    name: &'static str,
    tick: Option<Tick>,
    now_secs: i64,
    want: RejectReason,
}

#[test]
fn market_orders_on_untradeable_quotes_are_rejected() {
    let inst = nifty_ce();
    let fresh = || quote(&inst, (100.0, 100.1, 100.05), 0);
    let mut snapshot = fresh();
    snapshot.source = TickSource::Snapshot;
    let mut received_only = fresh();
    received_only.exchange_time = None;
    received_only.received_time = at(-8);
    let mut one_sided = fresh();
    one_sided.bid = 0.0;
    let mut crossed = fresh();
    crossed.bid = 100.2;
    let index_quote = quote(&nifty_index(), (0.0, 0.0, 25_000.0), 0);
    let cases = [
        TestCase {
            name: "stale by exchange time",
            tick: Some(fresh()),
            now_secs: 6,
            want: RejectReason::QuoteRefused {
                refusal: RefuseReason::StaleQuote {
                    age_ms: 6_000,
                    max_age_ms: 5_000,
                },
            },
        },
        TestCase {
            name: "stale by received time when the exchange sent none",
            tick: Some(received_only),
            now_secs: 0,
            want: RejectReason::QuoteRefused {
                refusal: RefuseReason::StaleQuote {
                    age_ms: 8_000,
                    max_age_ms: 5_000,
                },
            },
        },
        TestCase {
            name: "snapshot",
            tick: Some(snapshot),
            now_secs: 0,
            want: RejectReason::QuoteRefused {
                refusal: RefuseReason::SnapshotQuote,
            },
        },
        TestCase {
            name: "one-sided",
            tick: Some(one_sided),
            now_secs: 0,
            want: RejectReason::QuoteRefused {
                refusal: RefuseReason::NoTwoSidedQuote {
                    bid: 0.0,
                    ask: 100.1,
                },
            },
        },
        TestCase {
            name: "crossed",
            tick: Some(crossed),
            now_secs: 0,
            want: RejectReason::QuoteRefused {
                refusal: RefuseReason::CrossedQuote {
                    bid: 100.2,
                    ask: 100.1,
                },
            },
        },
        TestCase {
            name: "no quote",
            tick: None,
            now_secs: 0,
            want: RejectReason::NoQuote,
        },
        TestCase {
            name: "the index's quote for an option",
            tick: Some(index_quote),
            now_secs: 0,
            want: RejectReason::QuoteForOtherSymbol {
                symbol: inst.symbol.clone(),
                quote_symbol: "NIFTY".into(),
            },
        },
    ];
    for c in cases {
        let mut book = PaperBook::new(PaperSettings::default());
        let req = request(Side::Buy, OrderKind::Market, 1);
        let events = book.submit(req, &inst, c.tick.as_ref(), at(c.now_secs));
        assert_eq!(kinds(&events), ["rejected"], "{}", c.name);
        match &events[0] {
            PaperEvent::OrderRejected { reason, order, .. } => {
                assert_eq!(reason, &c.want, "{}", c.name);
                assert_eq!(order.status, OrderStatus::Rejected, "{}", c.name);
            }
            other => panic!("{}: {other:?}", c.name),
        }
        assert!(book.fills().is_empty(), "{}", c.name);
        assert_eq!(book.cash(), 1_000_000.0, "{}", c.name);
    }
}

#[test]
fn resting_limit_refuses_a_stale_cross_then_fills_on_a_fresh_one() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote(&inst, (100.0, 100.1, 100.05), 0);
    book.submit(
        request(Side::Buy, OrderKind::Limit { price: 99.5 }, 1),
        &inst,
        Some(&q0),
        at(0),
    );

    // Crosses the limit, but was stamped 7 s before the book sees it.
    let old = quote(&inst, (99.0, 99.2, 99.1), 3);
    let events = book.on_tick(&inst, &old, at(10));
    assert_eq!(kinds(&events), ["refused"]);
    assert!(
        matches!(
            &events[0],
            PaperEvent::FillRefused {
                reason: RefuseReason::StaleQuote {
                    age_ms: 7_000,
                    max_age_ms: 5_000
                },
                quote_age_ms: 7_000,
                ..
            }
        ),
        "{events:?}"
    );
    assert_eq!(book.open_orders().count(), 1, "order stays open");

    // A stale quote that would not fill the order says nothing.
    let old_far = quote(&inst, (100.0, 100.1, 100.05), 4);
    assert!(book.on_tick(&inst, &old_far, at(10)).is_empty());

    let fresh = quote(&inst, (99.0, 99.2, 99.1), 11);
    let events = book.on_tick(&inst, &fresh, at(11));
    assert_eq!(kinds(&events), ["filled", "position"]);
    assert_eq!(fills(&events)[0].price, 99.5);
}

#[test]
fn stale_quote_does_not_fire_a_stop() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote(&inst, (100.0, 100.1, 100.05), 0);
    let sl = OrderKind::StopLossMarket {
        trigger_price: 99.0,
    };
    book.submit(request(Side::Sell, sl, 1), &inst, Some(&q0), at(0));

    let mut snapshot = quote(&inst, (95.0, 95.1, 95.0), 1);
    snapshot.source = TickSource::Snapshot;
    let events = book.on_tick(&inst, &snapshot, at(1));
    assert_eq!(kinds(&events), ["refused"]);
    assert!(
        book.orders().all(|o| o.triggered_at.is_none()),
        "not triggered"
    );

    let fresh = quote(&inst, (95.0, 95.1, 95.0), 2);
    let events = book.on_tick(&inst, &fresh, at(2));
    assert_eq!(kinds(&events), ["triggered", "filled", "position"]);
    assert_eq!(fills(&events)[0].price, 95.0);
}

#[test]
fn marketable_limit_on_a_stale_quote_waits_and_then_takes() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let old = quote(&inst, (100.0, 100.1, 100.05), 0);
    let limit = OrderKind::Limit { price: 100.5 };
    let events = book.submit(request(Side::Buy, limit, 1), &inst, Some(&old), at(9));
    assert_eq!(kinds(&events), ["accepted", "refused"]);

    // Its first tradeable quote is its arrival at the market: it takes the ask, it does
    // not get filled at its own (worse) limit as if it had been resting.
    let fresh = quote(&inst, (100.1, 100.2, 100.15), 10);
    let events = book.on_tick(&inst, &fresh, at(10));
    let got: Vec<_> = fills(&events)
        .iter()
        .map(|f| (f.price, f.liquidity))
        .collect();
    assert_eq!(got, vec![(100.2, Liquidity::Taker)]);
}

#[test]
fn a_foreign_quote_refuses_every_open_order() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q0 = quote(&inst, (100.0, 100.1, 100.05), 0);
    book.submit(
        request(Side::Buy, OrderKind::Limit { price: 99.5 }, 1),
        &inst,
        Some(&q0),
        at(0),
    );
    let sl = OrderKind::StopLossMarket {
        trigger_price: 101.0,
    };
    book.submit(request(Side::Buy, sl, 1), &inst, Some(&q0), at(0));

    // The index at 25,000 must never fill (or trigger) an option.
    let index = quote(&nifty_index(), (24_999.0, 25_001.0, 25_000.0), 1);
    let events = book.on_tick(&inst, &index, at(1));
    assert_eq!(kinds(&events), ["refused", "refused"]);
    assert!(book.fills().is_empty());
    assert_eq!(book.open_orders().count(), 2);
}
