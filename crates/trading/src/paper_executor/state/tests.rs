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
fn a_resting_order_is_worked_by_ticks_and_its_symbol_released_when_flat() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let index = index();
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    let placed = state.place(&nifty_ce(), limit, Some(quote(CE, 100.0, 100.5, 0)), at(0));
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
    let closed = state.place(&nifty_ce(), sell, Some(quote(CE, 96.0, 96.5, 3)), at(3));
    assert_eq!(
        names(&closed.commit.streaming.release),
        [CE],
        "flat: released"
    );
    let stats = state.stats();
    assert_eq!((stats.orders, stats.fills, stats.open_positions), (2, 2, 0));
}

#[test]
fn a_stale_spell_is_committed_once_per_order() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let index = index();
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    state.place(&nifty_ce(), limit, Some(quote(CE, 100.0, 100.5, 0)), at(0));
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
            state.needs_first_quote(CE, carried.as_ref()),
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
    let placed = state.place(&nifty_ce(), limit, Some(quote(CE, 100.0, 100.5, 0)), at(0));
    assert!(placed.commit.streaming.is_empty());
    assert!(state.end_wait(CE).is_empty());
}

#[test]
fn a_cancel_commits_and_releases_and_a_second_one_is_refused() {
    let mut state = ExecutorState::new(PaperSettings::default());
    let limit = request(Side::Buy, OrderKind::Limit { price: 95.0 }, "t#1");
    let placed = state.place(&nifty_ce(), limit, Some(quote(CE, 100.0, 100.5, 0)), at(0));
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
        );
    }
    let (order, fills) = state.order_by_tag("bot#1").expect("tagged");
    assert_eq!(order.status, OrderStatus::Filled, "the newer of the two");
    assert_eq!(fills.len(), 1);
    assert!(state.order_by_tag("bot#2").is_none());
    assert_eq!(state.orders(true).len(), 1, "the limit still rests");
    assert_eq!(state.orders(false).len(), 2);
}
