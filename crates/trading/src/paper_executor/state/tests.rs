//! The executor's decisions: what a placement, a tick or a cancel commits, and what it
//! streams.

use mandi_paper::{OrderKind, OrderStatus, PaperSettings, Side};

use super::*;
use crate::test_support::{at, index, nifty_ce, quote, request, CE};

fn frame_types(commit: &Commit) -> Vec<String> {
    commit
        .frames
        .iter()
        .map(|f| {
            let v: serde_json::Value = serde_json::from_str(f).unwrap_or_default();
            v["type"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn names(symbols: &[Arc<str>]) -> Vec<&str> {
    symbols.iter().map(|s| &**s).collect()
}

#[test]
fn placements_decide_the_outcome_the_frames_and_the_streaming() {
    struct TestCase {
        name: &'static str,
        kind: OrderKind,
        /// The quote the caller carries: (bid, ask, seconds before the order).
        carried: Option<(f64, f64, i64)>,
        status: OrderStatus,
        reject_code: Option<&'static str>,
        frames: &'static [&'static str],
        subscribe: &'static [&'static str],
    }
    let cases = [
        TestCase {
            name: "a market buy on a live quote fills and streams its position",
            kind: OrderKind::Market,
            carried: Some((100.0, 100.5, 0)),
            status: OrderStatus::Filled,
            reject_code: None,
            frames: &["order_update", "fill", "position_update"],
            subscribe: &[CE],
        },
        TestCase {
            name: "a limit below the ask rests and streams for its ticks",
            kind: OrderKind::Limit { price: 95.0 },
            carried: Some((100.0, 100.5, 0)),
            status: OrderStatus::Open,
            reject_code: None,
            frames: &["order_update"],
            subscribe: &[CE],
        },
        TestCase {
            name: "a market order with no quote is rejected and streams nothing",
            kind: OrderKind::Market,
            carried: None,
            status: OrderStatus::Rejected,
            reject_code: Some("no_quote"),
            frames: &["order_update"],
            subscribe: &[],
        },
        TestCase {
            name: "a market order on a stale quote is rejected",
            kind: OrderKind::Market,
            carried: Some((100.0, 100.5, 60)),
            status: OrderStatus::Rejected,
            reject_code: Some("quote_refused"),
            frames: &["order_update"],
            subscribe: &[],
        },
    ];
    for case in cases {
        let mut state = ExecutorState::new(PaperSettings::default());
        let now = at(100);
        let carried = case
            .carried
            .map(|(bid, ask, age_s)| quote(CE, bid, ask, 100 - age_s));
        let placed = state.place(
            &nifty_ce(),
            request(Side::Buy, case.kind, "t#1"),
            carried,
            now,
            true,
        );
        let outcome = placed.outcome.expect("every order is accepted or rejected");
        assert_eq!(outcome.order.status, case.status, "case `{}`", case.name);
        assert_eq!(
            outcome.order.reject_reason.as_ref().map(|r| r.code()),
            case.reject_code,
            "case `{}`",
            case.name
        );
        assert_eq!(
            frame_types(&placed.commit),
            case.frames,
            "case `{}`",
            case.name
        );
        assert_eq!(
            names(&placed.commit.streaming.subscribe),
            case.subscribe,
            "case `{}`",
            case.name
        );
        assert!(
            placed.commit.streaming.release.is_empty(),
            "case `{}`",
            case.name
        );
    }
}

#[test]
fn a_resting_order_is_worked_by_ticks_and_its_symbol_released_after_the_window() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let index = index();
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    let placed = state.place(
        &nifty_ce(),
        limit,
        Some(quote(CE, 100.0, 100.5, 0)),
        at(0),
        true,
    );
    assert_eq!(names(&placed.commit.streaming.subscribe), [CE]);

    let other = state.on_ticks(&[quote("BANKNIFTY", 1.0, 1.5, 1)], &index, at(1));
    assert!(
        other.events.is_empty(),
        "a symbol without orders is not worked"
    );

    let crossed = state.on_ticks(&[quote(CE, 94.0, 94.5, 2)], &index, at(2));
    let types = frame_types(&crossed);
    assert!(
        types.contains(&"fill".to_string()) && types.contains(&"position_update".to_string()),
        "{types:?}"
    );
    assert!(
        crossed.streaming.is_empty(),
        "the position keeps {CE} streaming"
    );
    assert_eq!(state.stats().fills, 1);

    let sell = request(Side::Sell, OrderKind::Market, "t#2");
    let closed = state.place(
        &nifty_ce(),
        sell,
        Some(quote(CE, 96.0, 96.5, 3)),
        at(3),
        true,
    );
    assert!(
        closed.commit.streaming.is_empty(),
        "flat, but traded just now: kept"
    );
    let stats = state.stats();
    assert_eq!((stats.orders, stats.fills, stats.open_positions), (2, 2, 0));
    assert!(state.expire(at(302)).is_empty(), "inside the window");
    assert_eq!(
        names(&state.expire(at(303)).release),
        [CE],
        "window over: released"
    );
    assert_eq!(state.stats().streaming, 0);
}

/// The stale-quote trap: a symbol traded flat and released long ago keeps its last
/// quote; an order on it must wait for a live one rather than meet that one.
#[test]
fn an_order_on_a_released_symbol_with_a_stale_quote_waits_for_a_live_one() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let ce = nifty_ce();
    for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
        let q = quote(CE, 100.0, 100.5, i as i64);
        state.place(
            &ce,
            request(side, OrderKind::Market, "t"),
            Some(q),
            at(i as i64),
            true,
        );
    }
    assert!(
        !state.needs_first_quote(&ce, None, at(1)),
        "a live quote, streaming"
    );
    assert!(
        !state.needs_first_quote(&ce, None, at(60)),
        "streaming inside the window: a stale quote there is the market's, not a trap"
    );
    state.expire(at(400));
    assert!(
        state.needs_first_quote(&ce, None, at(400)),
        "released, quote stale"
    );
    // Someone else streams it: a live quote arrives without the executor asking.
    state.on_ticks(&[quote(CE, 101.0, 101.5, 400)], &index(), at(400));
    assert!(
        !state.needs_first_quote(&ce, None, at(401)),
        "released, quote live"
    );
    let carried = quote(CE, 101.0, 101.5, 500);
    assert!(
        !state.needs_first_quote(&ce, Some(&carried), at(900)),
        "the caller's own quote"
    );
}

#[test]
fn limits_are_checked_against_the_newest_quote_and_refusals_counted() {
    let settings = PaperSettings {
        max_lots_per_order: 2,
        max_price_deviation_pct: 20.0,
        ..PaperSettings::default()
    };
    let mut state = ExecutorState::new(settings);
    let ce = nifty_ce();
    let far = request(Side::Buy, OrderKind::Limit { price: 50.0 }, "t");
    assert!(
        state.check_limits(&far, &ce, None, true).is_ok(),
        "no last price: no band"
    );
    state.on_ticks(&[quote(CE, 100.0, 100.5, 0)], &index(), at(0));
    assert!(
        state.check_limits(&far, &ce, None, false).is_ok(),
        "band not asked for"
    );
    let refused = state.check_limits(&far, &ce, None, true);
    assert_eq!(refused.map_err(|e| e.code()), Err("price_out_of_band"));
    // A newer quote carried by the caller moves the band.
    let carried = quote(CE, 55.0, 55.5, 1);
    assert!(state.check_limits(&far, &ce, Some(&carried), true).is_ok());
    let big = OrderRequest {
        lots: 3,
        ..request(Side::Buy, OrderKind::Market, "t")
    };
    assert!(state.check_limits(&big, &ce, None, false).is_err());
    assert_eq!(state.stats().refused_by_limits, 2);
}

#[test]
fn a_call_taken_back_leaves_the_state_as_it_was() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let ce = nifty_ce();
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    state.place(&ce, limit, Some(quote(CE, 100.0, 100.5, 0)), at(0), true);
    let (orders, fills, stats) = (
        state.orders(false),
        state.book().fills().len(),
        state.stats(),
    );
    let snapshot = state.book().snapshot();

    struct TestCase {
        name: &'static str,
        call: fn(&mut ExecutorState) -> Commit,
    }
    let cases = [
        TestCase {
            name: "a market buy that fills",
            call: |s| {
                let buy = request(Side::Buy, OrderKind::Market, "t#2");
                s.place(
                    &nifty_ce(),
                    buy,
                    Some(quote(CE, 100.0, 100.5, 1)),
                    at(1),
                    true,
                )
                .commit
            },
        },
        TestCase {
            name: "a tick that fills the resting limit",
            call: |s| s.on_ticks(&[quote(CE, 94.0, 94.5, 1)], &index(), at(1)),
        },
        TestCase {
            name: "a cancel",
            call: |s| {
                s.cancel(OrderId(1), at(1))
                    .map(|c| c.commit)
                    .unwrap_or_default()
            },
        },
    ];
    for case in cases {
        let commit = (case.call)(&mut state);
        assert!(!commit.events.is_empty(), "case `{}`", case.name);
        let undo = commit
            .undo
            .expect("a call that did something can be taken back");
        state.rollback(undo);
        assert_eq!(state.book().snapshot(), snapshot, "case `{}`", case.name);
        assert_eq!(state.orders(false), orders, "case `{}`", case.name);
        assert_eq!(state.book().fills().len(), fills, "case `{}`", case.name);
        assert_eq!(state.stats(), stats, "case `{}`", case.name);
    }
}

#[test]
fn a_limit_that_starts_resting_without_an_event_is_journaled() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    // Accepted on a stale quote: not yet resting.
    state.place(
        &nifty_ce(),
        limit,
        Some(quote(CE, 100.0, 100.5, 0)),
        at(60),
        true,
    );
    let commit = state.on_ticks(&[quote(CE, 100.0, 100.5, 61)], &index(), at(61));
    assert!(commit.events.is_empty(), "{:?}", commit.events);
    assert_eq!(commit.changed, [OrderId(1)]);
    assert!(commit.undo.is_some(), "a row to write");
    assert!(commit.frames.is_empty());
    let quiet = state.on_ticks(&[quote(CE, 100.0, 100.5, 62)], &index(), at(62));
    assert!(quiet.undo.is_none(), "nothing changed: nothing to journal");
}

#[test]
fn a_stale_spell_is_committed_once_per_order() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let index = index();
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    state.place(
        &nifty_ce(),
        limit,
        Some(quote(CE, 100.0, 100.5, 0)),
        at(0),
        true,
    );
    // Crossing quotes stamped long before `now`: refused, and said once.
    let first = state.on_ticks(&[quote(CE, 94.0, 94.5, 10)], &index, at(60));
    assert_eq!(frame_types(&first), ["fill_refused"]);
    let again = state.on_ticks(&[quote(CE, 94.0, 94.4, 11)], &index, at(61));
    assert!(
        again.events.is_empty() && again.frames.is_empty(),
        "{again:?}"
    );
    assert_eq!(state.stats().fills_refused, 1);
}

#[test]
fn an_order_waits_for_a_first_quote_only_when_none_is_known() {
    struct TestCase {
        name: &'static str,
        seen: Option<&'static str>,
        carried: Option<&'static str>,
        waits: bool,
    }
    let cases = [
        TestCase {
            name: "nothing known",
            seen: None,
            carried: None,
            waits: true,
        },
        TestCase {
            name: "the caller carries a quote of the symbol",
            seen: None,
            carried: Some(CE),
            waits: false,
        },
        TestCase {
            name: "the caller carries another symbol's quote",
            seen: None,
            carried: Some("NIFTY"),
            waits: true,
        },
        TestCase {
            name: "the executor has seen the symbol",
            seen: Some(CE),
            carried: None,
            waits: false,
        },
    ];
    for case in cases {
        let mut state = ExecutorState::new(PaperSettings::default());
        if let Some(symbol) = case.seen {
            state.on_ticks(&[quote(symbol, 1.0, 1.5, 0)], &index(), at(0));
        }
        let carried = case.carried.map(|s| quote(s, 1.0, 1.5, 0));
        assert_eq!(
            state.needs_first_quote(&nifty_ce(), carried.as_ref(), at(0)),
            case.waits,
            "case `{}`",
            case.name
        );
    }
}

#[test]
fn a_wait_streams_the_symbol_until_it_ends() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let symbol: Arc<str> = CE.into();
    assert_eq!(names(&state.begin_wait(&symbol).subscribe), [CE]);
    // The quote came; the order rests, so its symbol stays when the wait ends.
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    let placed = state.place(
        &nifty_ce(),
        limit,
        Some(quote(CE, 100.0, 100.5, 0)),
        at(0),
        true,
    );
    assert!(placed.commit.streaming.is_empty());
    assert!(state.end_wait(CE).is_empty());
}

#[test]
fn a_cancel_commits_and_releases_and_a_second_one_is_refused() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    let placed = state.place(
        &nifty_ce(),
        limit,
        Some(quote(CE, 100.0, 100.5, 0)),
        at(0),
        true,
    );
    let id = placed.outcome.map(|o| o.order.order_id).expect("placed");
    let cancelled = state.cancel(id, at(1)).expect("open order cancels");
    assert_eq!(
        cancelled.order.map(|o| o.status),
        Some(OrderStatus::Cancelled)
    );
    assert_eq!(frame_types(&cancelled.commit), ["order_update"]);
    assert_eq!(names(&cancelled.commit.streaming.release), [CE]);
    assert!(matches!(
        state.cancel(id, at(2)),
        Err(CancelError::NotOpen { .. })
    ));
}

#[test]
fn the_latest_order_of_a_tag_comes_with_its_fills() {
    let mut state = ExecutorState::new(PaperSettings::default());
    for (i, kind) in [OrderKind::Limit { price: 95.0 }, OrderKind::Market]
        .into_iter()
        .enumerate()
    {
        let q = quote(CE, 100.0, 100.5, i as i64);
        state.place(
            &nifty_ce(),
            request(Side::Buy, kind, "bot#1"),
            Some(q),
            at(i as i64),
            true,
        );
    }
    let (order, fills) = state.order_by_tag("bot#1").expect("tagged");
    assert_eq!(order.status, OrderStatus::Filled, "the newer of the two");
    assert_eq!(fills.len(), 1);
    assert!(state.order_by_tag("bot#2").is_none());
    assert_eq!(state.orders(true).len(), 1, "the limit still rests");
    assert_eq!(state.orders(false).len(), 2);
}
