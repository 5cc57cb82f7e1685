//! Cancels, marks and the account summary.

mod common;

use common::{at, kinds, nifty_ce, nifty_fut, quote, request};
use mandi_paper::{
    mark_price, CancelError, Marks, OrderId, OrderKind, OrderStatus, PaperBook, PaperSettings, Side,
};

#[test]
fn cancel_open_orders_only() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q = quote(&inst, (100.0, 100.1, 100.05), 0);
    book.submit(
        request(Side::Buy, OrderKind::Limit { price: 99.0 }, 1),
        &inst,
        Some(&q),
        at(0),
    );
    book.submit(
        request(Side::Buy, OrderKind::Market, 1),
        &inst,
        Some(&q),
        at(0),
    );

    let events = book.cancel(OrderId(1), at(1)).unwrap_or_default();
    assert_eq!(kinds(&events), ["cancelled"]);
    assert_eq!(
        book.order(OrderId(1)).map(|o| o.status),
        Some(OrderStatus::Cancelled)
    );
    assert_eq!(
        book.cancel(OrderId(1), at(2)),
        Err(CancelError::NotOpen {
            order_id: OrderId(1),
            status: OrderStatus::Cancelled
        }),
        "twice"
    );
    assert_eq!(
        book.cancel(OrderId(2), at(2)),
        Err(CancelError::NotOpen {
            order_id: OrderId(2),
            status: OrderStatus::Filled
        }),
        "filled"
    );
    assert_eq!(
        book.cancel(OrderId(9), at(2)),
        Err(CancelError::UnknownOrder(OrderId(9)))
    );

    // A cancelled limit does not fill when the market comes through it.
    let through = quote(&inst, (98.0, 98.5, 98.2), 3);
    assert!(book.on_tick(&inst, &through, at(3)).is_empty());
}

struct TestCase {
    name: &'static str,
    net_quantity: i64,
    bid: f64,
    ask: f64,
    ltp: f64,
    want: Option<f64>,
}

#[test]
fn marks_are_the_closing_touch() {
    let inst = nifty_ce();
    let cases = [
        TestCase {
            name: "long at the bid",
            net_quantity: 65,
            bid: 100.0,
            ask: 100.1,
            ltp: 100.05,
            want: Some(100.0),
        },
        TestCase {
            name: "short at the ask",
            net_quantity: -65,
            bid: 100.0,
            ask: 100.1,
            ltp: 100.05,
            want: Some(100.1),
        },
        TestCase {
            name: "empty side falls back to LTP",
            net_quantity: 65,
            bid: 0.0,
            ask: 100.1,
            ltp: 100.05,
            want: Some(100.05),
        },
        TestCase {
            name: "nothing usable",
            net_quantity: -65,
            bid: 0.0,
            ask: 0.0,
            ltp: 0.0,
            want: None,
        },
    ];
    for c in cases {
        let t = quote(&inst, (c.bid, c.ask, c.ltp), 0);
        assert_eq!(mark_price(c.net_quantity, &t), c.want, "{}", c.name);
    }
}

#[test]
fn summary_values_open_positions_at_marks() {
    let (ce, fut) = (nifty_ce(), nifty_fut());
    let mut book = PaperBook::new(PaperSettings::default());
    let q = quote(&ce, (100.0, 100.1, 100.05), 0);
    book.submit(
        request(Side::Buy, OrderKind::Market, 2),
        &ce,
        Some(&q),
        at(0),
    );
    let qf = quote(&fut, (25_000.0, 25_000.5, 25_000.2), 0);
    book.submit(
        request(Side::Sell, OrderKind::Market, 1),
        &fut,
        Some(&qf),
        at(0),
    );

    // CE long 130 @ 100.10 marked at 101.00: +117.00. FUT short 65 unmarked: 0.
    let mut marks = Marks::new();
    marks.insert(ce.symbol.clone(), 101.0);
    let s = book.summary(&marks);
    assert!((s.unrealized_pnl - 117.0).abs() < 1e-6, "{s:?}");
    assert_eq!(s.unmarked, vec![fut.symbol.clone()]);
    assert_eq!(s.open_positions, 2);
    let identity =
        s.equity - s.starting_cash - (s.realized_pnl + s.unrealized_pnl - s.charges.total);
    assert!(identity.abs() < 1e-6, "{s:?}");
    assert!(
        (s.net_pnl - (117.0 - s.charges.total)).abs() < 1e-6,
        "{s:?}"
    );

    // Marks from the last quotes: long CE at its bid, short FUT at its ask.
    let marks = book.marks_from_last_quotes();
    assert_eq!(marks.get(&ce.symbol), Some(&100.0));
    assert_eq!(marks.get(&fut.symbol), Some(&25_000.5));
}
