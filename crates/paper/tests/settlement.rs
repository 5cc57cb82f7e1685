//! Expiry settlement: a contract still held at its expiry is closed at its settlement
//! price (an option's intrinsic value, a future's underlying close) as one journaled
//! fill with its charges; one that expires worthless settles at ₹0 and pays nothing.

mod common;

use common::{at, fills, kinds, nifty_ce, nifty_fut, quote, request, sensex_pe};
use mandi_domain::Instrument;
use mandi_paper::{
    Liquidity, OrderKind, OrderStatus, PaperBook, PaperSettings, Side, SETTLEMENT_REASON,
    SETTLEMENT_TAG,
};

struct TestCase {
    name: &'static str,
    instrument: Instrument,
    /// The opening order: side and the quote (bid, ask) it fills on.
    side: Side,
    touch: (f64, f64),
    close: f64,
    /// (settlement side, price, charges paid).
    want_side: Side,
    want_price: f64,
    want_charged: bool,
}

#[test]
fn held_contracts_settle_at_the_close() {
    let cases = [
        TestCase {
            name: "long call in the money: sold at intrinsic",
            instrument: nifty_ce(),
            side: Side::Buy,
            touch: (120.0, 120.1),
            close: 25_062.37,
            want_side: Side::Sell,
            want_price: 62.37,
            want_charged: true,
        },
        TestCase {
            name: "long call out of the money: worthless, no charges",
            instrument: nifty_ce(),
            side: Side::Buy,
            touch: (120.0, 120.1),
            close: 24_900.0,
            want_side: Side::Sell,
            want_price: 0.0,
            want_charged: false,
        },
        TestCase {
            name: "short put in the money: bought back at intrinsic",
            instrument: sensex_pe(),
            side: Side::Sell,
            touch: (300.0, 300.1),
            close: 81_750.0,
            want_side: Side::Buy,
            want_price: 250.0,
            want_charged: true,
        },
        TestCase {
            name: "long future: sold at the underlying close",
            instrument: nifty_fut(),
            side: Side::Buy,
            touch: (25_000.0, 25_000.1),
            close: 25_062.37,
            want_side: Side::Sell,
            want_price: 25_062.37,
            want_charged: true,
        },
    ];
    for case in cases {
        let name = case.name;
        let inst = &case.instrument;
        let mut book = PaperBook::new(PaperSettings::default());
        let (bid, ask) = case.touch;
        let q = quote(inst, (bid, ask, bid), 0);
        let opened = book.submit(
            request(case.side, OrderKind::Market, 2),
            inst,
            Some(&q),
            at(0),
        );
        let entry = fills(&opened)[0].clone();
        let cash_before = book.cash();

        let events = book.settle_expired(inst, case.close, at(100));
        assert_eq!(kinds(&events), ["accepted", "filled", "position"], "{name}");
        let fill = fills(&events)[0].clone();
        assert_eq!(
            (fill.side, fill.price, fill.quantity, fill.liquidity),
            (
                case.want_side,
                case.want_price,
                entry.quantity,
                Liquidity::Settlement
            ),
            "{name}"
        );
        assert_eq!(
            (fill.reason.as_str(), fill.tag.as_str()),
            (SETTLEMENT_REASON, SETTLEMENT_TAG),
            "{name}"
        );
        assert_eq!(
            fill.charges.total > 0.0,
            case.want_charged,
            "{name}: {:?}",
            fill.charges
        );
        let order = book
            .order(fill.order_id)
            .cloned()
            .expect("settlement order");
        assert_eq!(order.status, OrderStatus::Filled, "{name}");

        let position = book.position(&inst.symbol).cloned().expect("position");
        assert_eq!(position.net_quantity, 0, "{name}: flat after settlement");
        let signed = case.want_side.sign() as f64 * fill.value();
        assert!(
            (book.cash() - (cash_before - signed - fill.charges.total)).abs() < 1e-6,
            "{name}: cash moves by the settlement value less its charges"
        );
        let pnl = (fill.price - entry.price) * entry.quantity as f64 * entry.side.sign() as f64;
        assert!(
            (position.realized_pnl - pnl).abs() < 1e-6,
            "{name}: realized {} want {pnl}",
            position.realized_pnl
        );

        // Settled once: a second call finds nothing to settle.
        assert!(
            book.settle_expired(inst, case.close, at(101)).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn open_orders_of_an_expired_contract_are_cancelled() {
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let q = quote(&inst, (120.0, 120.1, 120.0), 0);
    book.submit(
        request(Side::Buy, OrderKind::Limit { price: 90.0 }, 1),
        &inst,
        Some(&q),
        at(0),
    );
    let events = book.settle_expired(&inst, 25_100.0, at(100));
    assert_eq!(
        kinds(&events),
        ["cancelled"],
        "no position: only the cancel"
    );
    assert_eq!(book.open_orders().count(), 0);
}

#[test]
fn cash_instruments_and_missing_closes_settle_nothing() {
    let mut book = PaperBook::new(PaperSettings::default());
    let ce = nifty_ce();
    let q = quote(&ce, (120.0, 120.1, 120.0), 0);
    book.submit(
        request(Side::Buy, OrderKind::Market, 1),
        &ce,
        Some(&q),
        at(0),
    );
    assert!(
        book.settle_expired(&ce, f64::NAN, at(100)).is_empty(),
        "no close"
    );
    assert!(
        book.settle_expired(&common::reliance(), 2_500.0, at(100))
            .is_empty(),
        "cash"
    );
    assert_eq!(book.position(&ce.symbol).map(|p| p.net_quantity), Some(65));
}
