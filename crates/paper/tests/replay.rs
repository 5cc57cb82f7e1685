//! Determinism and restarts: the same inputs give byte-identical events, and a book
//! restored from a snapshot carries on exactly as the original would have.

mod common;

use common::{at, crude_fut, nifty_ce, nifty_fut, quote, quote_sized, request};
use mandi_domain::{Instrument, Tick};
use mandi_paper::{
    OrderId, OrderKind, OrderRequest, PaperBook, PaperEvent, PaperSettings, PaperSnapshot,
    RestoreError, Side,
};

enum Step {
    Submit(Instrument, OrderRequest, Tick, i64),
    Quote(Instrument, Tick, i64),
    Cancel(u64, i64),
}

/// A small trading session over three instruments touching every order type.
fn session() -> Vec<Step> {
    let (ce, fut, crude) = (nifty_ce(), nifty_fut(), crude_fut());
    let ce_q = |secs, bid, ask| quote_sized(&ce, (bid, ask, bid), (130, 130), secs);
    vec![
        Step::Submit(
            ce.clone(),
            request(Side::Buy, OrderKind::Market, 3),
            ce_q(0, 100.0, 100.1),
            0,
        ),
        Step::Submit(
            ce.clone(),
            request(
                Side::Sell,
                OrderKind::StopLossMarket {
                    trigger_price: 98.0,
                },
                3,
            ),
            ce_q(1, 100.0, 100.1),
            1,
        ),
        Step::Submit(
            fut.clone(),
            request(Side::Sell, OrderKind::Limit { price: 25_050.0 }, 1),
            quote(&fut, (25_000.0, 25_000.5, 25_000.2), 2),
            2,
        ),
        Step::Submit(
            crude.clone(),
            request(
                Side::Buy,
                OrderKind::StopLoss {
                    trigger_price: 5_550.0,
                    price: 5_552.0,
                },
                2,
            ),
            quote(&crude, (5_540.0, 5_541.0, 5_540.0), 3),
            3,
        ),
        Step::Quote(ce.clone(), ce_q(4, 99.0, 99.05), 4),
        Step::Quote(
            fut.clone(),
            quote(&fut, (25_050.0, 25_050.3, 25_050.0), 5),
            5,
        ),
        Step::Quote(
            crude.clone(),
            quote(&crude, (5_549.0, 5_551.0, 5_550.0), 6),
            6,
        ),
        // Everything after this point runs on both the original and the restored book.
        Step::Quote(ce.clone(), ce_q(7, 97.9, 98.0), 7),
        Step::Submit(
            ce.clone(),
            request(Side::Buy, OrderKind::Limit { price: 97.0 }, 1),
            ce_q(8, 97.9, 98.0),
            8,
        ),
        Step::Cancel(5, 9),
        Step::Submit(
            fut.clone(),
            request(Side::Buy, OrderKind::Market, 1),
            quote(&fut, (24_990.0, 24_990.1, 24_990.0), 10),
            10,
        ),
        Step::Quote(
            crude.clone(),
            quote(&crude, (5_560.0, 5_561.0, 5_560.0), 20),
            30,
        ),
    ]
}

const SPLIT: usize = 7;

fn apply(book: &mut PaperBook, step: &Step) -> Vec<PaperEvent> {
    match step {
        Step::Submit(inst, req, tick, secs) => {
            book.submit(req.clone(), inst, Some(tick), at(*secs))
        }
        Step::Quote(inst, tick, secs) => book.on_tick(inst, tick, at(*secs)),
        Step::Cancel(id, secs) => book.cancel(OrderId(*id), at(*secs)).unwrap_or_default(),
    }
}

fn run(book: &mut PaperBook, steps: &[Step]) -> String {
    let events: Vec<PaperEvent> = steps.iter().flat_map(|s| apply(book, s)).collect();
    serde_json::to_string(&events).unwrap_or_default()
}

#[test]
fn same_inputs_give_byte_identical_events() {
    let steps = session();
    let mut a = PaperBook::new(PaperSettings::default());
    let mut b = PaperBook::new(PaperSettings::default());
    let (ja, jb) = (run(&mut a, &steps), run(&mut b, &steps));
    assert!(ja.len() > 1_000, "the session does something: {ja}");
    assert_eq!(ja, jb);
    assert!(!a.fills().is_empty());
    let sa = serde_json::to_string(&a.snapshot()).unwrap_or_default();
    let sb = serde_json::to_string(&b.snapshot()).unwrap_or_default();
    assert_eq!(sa, sb);
}

#[test]
fn restored_book_carries_on_identically() {
    let steps = session();
    let mut original = PaperBook::new(PaperSettings::default());
    run(&mut original, &steps[..SPLIT]);
    assert!(
        original.open_orders().count() > 0,
        "something is left to restore"
    );

    // Through JSON, as a journal would store it.
    let json = serde_json::to_string(&original.snapshot()).unwrap_or_default();
    let snapshot: PaperSnapshot = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snapshot, original.snapshot(), "snapshot survives JSON");
    let mut restored = PaperBook::restore(snapshot.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored, original, "restore gives the same book");
    assert_eq!(restored.snapshot(), snapshot, "and the same snapshot");

    let rest_original = run(&mut original, &steps[SPLIT..]);
    let rest_restored = run(&mut restored, &steps[SPLIT..]);
    assert_eq!(rest_original, rest_restored);
    assert_eq!(original.snapshot(), restored.snapshot());
}

struct TestCase {
    name: &'static str,
    damage: fn(&mut PaperSnapshot),
    want: fn(&RestoreError) -> bool,
}

#[test]
fn damaged_snapshots_are_refused() {
    let steps = session();
    let mut book = PaperBook::new(PaperSettings::default());
    run(&mut book, &steps);
    let cases = [
        TestCase {
            name: "order counter behind",
            damage: |s| s.next_order_id = 2,
            want: |e| matches!(e, RestoreError::CounterBehind { kind: "order", .. }),
        },
        TestCase {
            name: "fill counter behind",
            damage: |s| s.next_fill_id = 1,
            want: |e| matches!(e, RestoreError::CounterBehind { kind: "fill", .. }),
        },
        TestCase {
            name: "duplicate order",
            damage: |s| {
                let first = s.orders[0].clone();
                s.orders.push(first);
            },
            want: |e| matches!(e, RestoreError::DuplicateOrder(OrderId(1))),
        },
        TestCase {
            name: "fill of a missing order",
            damage: |s| {
                s.orders.remove(0);
            },
            want: |e| matches!(e, RestoreError::OrphanFill { .. }),
        },
    ];
    for c in cases {
        let mut snapshot = book.snapshot();
        (c.damage)(&mut snapshot);
        match PaperBook::restore(snapshot) {
            Err(e) => assert!((c.want)(&e), "{}: {e}", c.name),
            Ok(_) => panic!("{}: restored", c.name),
        }
    }
}
