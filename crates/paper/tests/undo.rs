//! Taking a call back: after any submission, quote or cancel, undoing it to the point
//! saved before gives the book it was, so a call the journal could not keep leaves no
//! trace; and the orders a call changed without an event are found.

mod common;

use std::sync::Arc;

use common::{at, crude_fut, nifty_ce, nifty_fut, quote, request};
use mandi_domain::{Instrument, Tick};
use mandi_paper::{OrderId, OrderKind, OrderRequest, PaperBook, PaperSettings, Side};

enum Step {
    Submit(Instrument, OrderRequest, Tick),
    Quote(Instrument, Tick),
    Cancel(Instrument, u64),
}

struct TestCase {
    name: &'static str,
    step: Step,
}

/// A book with a position, a resting limit, a stop and an order on another symbol.
fn busy_book() -> PaperBook {
    let (ce, fut) = (nifty_ce(), nifty_fut());
    let mut book = PaperBook::new(PaperSettings::default());
    let q = quote(&ce, (100.0, 100.1, 100.0), 0);
    book.submit(
        request(Side::Buy, OrderKind::Market, 3),
        &ce,
        Some(&q),
        at(0),
    );
    let limit = OrderKind::Limit { price: 99.0 };
    book.submit(request(Side::Buy, limit, 1), &ce, Some(&q), at(0));
    let stop = OrderKind::StopLossMarket {
        trigger_price: 98.0,
    };
    book.submit(request(Side::Sell, stop, 3), &ce, Some(&q), at(0));
    let fq = quote(&fut, (25_000.0, 25_000.5, 25_000.2), 0);
    let far = OrderKind::Limit { price: 24_000.0 };
    book.submit(request(Side::Buy, far, 1), &fut, Some(&fq), at(0));
    book
}

#[test]
fn undoing_a_call_gives_back_the_book_it_was() {
    let (ce, fut, crude) = (nifty_ce(), nifty_fut(), crude_fut());
    let cases = vec![
        TestCase {
            name: "a market buy that fills and moves the position",
            step: Step::Submit(
                ce.clone(),
                request(Side::Buy, OrderKind::Market, 2),
                quote(&ce, (100.0, 100.1, 100.0), 1),
            ),
        },
        TestCase {
            name: "a market sell on a new quote that also fills the resting limit first",
            step: Step::Submit(
                ce.clone(),
                request(Side::Sell, OrderKind::Market, 1),
                quote(&ce, (98.9, 99.0, 99.0), 1),
            ),
        },
        TestCase {
            name: "a quote that triggers the stop and fills the limit",
            step: Step::Quote(ce.clone(), quote(&ce, (97.0, 97.1, 97.5), 2)),
        },
        TestCase {
            name: "a rejected order on a new symbol",
            step: Step::Submit(
                crude.clone(),
                request(Side::Buy, OrderKind::Market, 1),
                quote(&crude, (5_540.0, 5_541.0, 5_540.0), -10),
            ),
        },
        TestCase {
            name: "a first order on a new symbol that fills",
            step: Step::Submit(
                crude.clone(),
                request(Side::Buy, OrderKind::Market, 1),
                quote(&crude, (5_540.0, 5_541.0, 5_540.0), 3),
            ),
        },
        TestCase {
            name: "a cancel",
            step: Step::Cancel(fut.clone(), 4),
        },
    ];
    for case in cases {
        let mut book = busy_book();
        let before = book.clone();
        let symbol: Arc<str> = match &case.step {
            Step::Submit(i, ..) | Step::Quote(i, _) | Step::Cancel(i, _) => i.symbol.clone(),
        };
        let undo = book.undo_point(&[symbol]);
        let events = match case.step {
            Step::Submit(inst, req, tick) => book.submit(req, &inst, Some(&tick), at(3)),
            Step::Quote(inst, tick) => book.on_tick(&inst, &tick, at(3)),
            Step::Cancel(_, id) => book.cancel(OrderId(id), at(3)).unwrap_or_default(),
        };
        assert!(
            !events.is_empty(),
            "case `{}`: the call did something",
            case.name
        );
        assert_ne!(book, before, "case `{}`", case.name);
        book.undo(undo);
        assert_eq!(book, before, "case `{}`", case.name);
    }
}

#[test]
fn an_order_that_starts_resting_without_an_event_is_found() {
    let ce = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    // Accepted on a stale quote: it cannot rest on a quote it may not trade against.
    let stale = quote(&ce, (100.0, 100.1, 100.0), 0);
    let limit = OrderKind::Limit { price: 99.0 };
    book.submit(request(Side::Buy, limit, 1), &ce, Some(&stale), at(60));
    assert!(book
        .order(OrderId(1))
        .is_some_and(|o| o.resting_since.is_none()));

    let undo = book.undo_point(std::slice::from_ref(&ce.symbol));
    let fresh = quote(&ce, (100.0, 100.1, 100.0), 61);
    let events = book.on_tick(&ce, &fresh, at(61));
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(undo.changed_orders(&book), [OrderId(1)]);
    assert!(book
        .order(OrderId(1))
        .is_some_and(|o| o.resting_since.is_some()));
}
