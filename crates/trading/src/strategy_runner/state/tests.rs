//! The runner's decisions: how an action list runs, what an order's answer does, what
//! the bot streams, when the timer asks the book, and when the record is written.

use mandi_paper::{OrderKind, PaperBook, PaperEvent, PaperSettings};
use mandi_strategy::{EntryReason, ExitReason, RefusalReason};

use super::*;
use crate::test_support::{at, index, nifty_ce, quote, request, CE};

const BOT: &str = "t";

fn runner() -> RunnerState {
    let bot = CePeBot::new(BotSettings::new(BOT, "NIFTY")).expect("default settings are valid");
    let mut state = RunnerState::new(bot);
    state.start();
    state
}

fn shared_index() -> SharedIndex {
    SharedIndex::new(Arc::new(index()))
}

fn act(state: &mut RunnerState, actions: Vec<BotAction>) -> RunnerEffects {
    state.run(actions, &shared_index(), at(0))
}

fn entry(symbol: &str) -> BotAction {
    BotAction::PlaceEntry {
        symbol: symbol.into(),
        lots: 1,
        reason: EntryReason::OrbBreakoutUp,
    }
}

fn subscribe(symbol: &str) -> BotAction {
    BotAction::Subscribe {
        symbol: symbol.into(),
    }
}

fn unsubscribe(symbol: &str) -> BotAction {
    BotAction::Unsubscribe {
        symbol: symbol.into(),
    }
}

fn kinds(fx: &RunnerEffects) -> Vec<&'static str> {
    fx.notes.iter().map(|n| n.kind).collect()
}

fn names(symbols: &[Arc<str>]) -> Vec<&str> {
    symbols.iter().map(|s| &**s).collect()
}

/// An order on the CE as a paper book leaves it, with its fills.
fn booked(kind: OrderKind, with_quote: bool, cancel: bool) -> (Order, Vec<Fill>) {
    let mut book = PaperBook::new(PaperSettings::default());
    let q = with_quote.then(|| quote(CE, 100.0, 100.5, 0));
    let events = book.submit(
        request(Side::Buy, kind, "t#1"),
        &nifty_ce(),
        q.as_ref(),
        at(0),
    );
    let (mut order, fills) = events
        .iter()
        .fold((None, Vec::new()), |(o, mut f), e| match e {
            PaperEvent::OrderAccepted { order, .. } | PaperEvent::OrderRejected { order, .. } => {
                (Some(order.order_id), f)
            }
            PaperEvent::OrderFilled { fill } => {
                f.push(fill.clone());
                (o, f)
            }
            _ => (o, f),
        });
    let id = order.take().expect("the book answers every order");
    if cancel {
        book.cancel(id, at(1)).expect("an open order cancels");
    }
    (book.order(id).cloned().expect("booked"), fills)
}

#[test]
fn an_order_pauses_its_list_until_its_answer() {
    let mut state = runner();
    let fx = act(
        &mut state,
        vec![
            subscribe(CE),
            BotAction::Refused {
                reason: RefusalReason::NoQuote,
                detail: "waiting".into(),
            },
            entry(CE),
            unsubscribe(CE),
        ],
    );
    assert_eq!(kinds(&fx), ["refused", "entry"]);
    assert_eq!(names(&fx.streaming.subscribe), [CE]);
    let ticket = fx.send.expect("the entry goes out");
    assert_eq!(ticket.pending.tag, "t#1");
    assert_eq!(
        (
            ticket.request.side,
            ticket.request.kind,
            ticket.request.lots
        ),
        (Side::Buy, OrderKind::Market, 1)
    );
    assert_eq!(state.pending().map(|p| p.tag.as_str()), Some("t#1"));

    let (order, fills) = booked(OrderKind::Market, true, false);
    let answer = OrderAnswer::Booked {
        order: &order,
        fills: &fills,
    };
    let fx = state.on_order_answer(&ticket.pending, answer, &shared_index(), at(1));
    assert_eq!(fx.notes.first().map(|n| n.kind), Some("filled"));
    assert!(state.pending().is_none());
    assert_eq!(
        names(&fx.streaming.release),
        [CE],
        "the unsubscribe after the order ran once it was answered"
    );
}

#[test]
fn an_answer_settles_the_pending_order_unless_it_still_rests() {
    struct TestCase {
        name: &'static str,
        /// The book's order, or `None` for an executor refusal.
        order: Option<(Order, Vec<Fill>)>,
        still_pending: bool,
        filled_note: bool,
    }
    let cases = [
        TestCase {
            name: "filled",
            order: Some(booked(OrderKind::Market, true, false)),
            still_pending: false,
            filled_note: true,
        },
        TestCase {
            name: "resting",
            order: Some(booked(OrderKind::Limit { price: 95.0 }, true, false)),
            still_pending: true,
            filled_note: false,
        },
        TestCase {
            name: "rejected by the book",
            order: Some(booked(OrderKind::Market, false, false)),
            still_pending: false,
            filled_note: false,
        },
        TestCase {
            name: "cancelled",
            order: Some(booked(OrderKind::Limit { price: 95.0 }, true, true)),
            still_pending: false,
            filled_note: false,
        },
        TestCase {
            name: "refused by the executor",
            order: None,
            still_pending: false,
            filled_note: false,
        },
    ];
    for case in cases {
        let mut state = runner();
        let ticket = act(&mut state, vec![entry(CE)]).send.expect("sent");
        let answer = match &case.order {
            Some((order, fills)) => OrderAnswer::Booked { order, fills },
            None => OrderAnswer::Refused("journal down"),
        };
        let fx = state.on_order_answer(&ticket.pending, answer, &shared_index(), at(1));
        assert_eq!(
            state.pending().is_some(),
            case.still_pending,
            "case `{}`",
            case.name
        );
        assert_eq!(
            kinds(&fx).contains(&"filled"),
            case.filled_note,
            "case `{}`",
            case.name
        );
        if case.still_pending {
            assert!(
                fx.notes.is_empty() && fx.send.is_none(),
                "case `{}`",
                case.name
            );
        }
    }
}

#[test]
fn streaming_follows_the_bots_subscriptions() {
    struct TestCase {
        name: &'static str,
        before: Vec<BotAction>,
        actions: Vec<BotAction>,
        subscribe: &'static [&'static str],
        release: &'static [&'static str],
    }
    let cases = [
        TestCase {
            name: "subscribing twice asks once",
            before: vec![],
            actions: vec![subscribe(CE), subscribe(CE)],
            subscribe: &[CE],
            release: &[],
        },
        TestCase {
            name: "an option the bot drops is released",
            before: vec![subscribe(CE)],
            actions: vec![unsubscribe(CE)],
            subscribe: &[],
            release: &[CE],
        },
        TestCase {
            name: "the underlying is never released",
            before: vec![],
            actions: vec![unsubscribe("NIFTY")],
            subscribe: &[],
            release: &[],
        },
        TestCase {
            name: "a subscribe and unsubscribe in one list net out",
            before: vec![],
            actions: vec![subscribe(CE), unsubscribe(CE)],
            subscribe: &[],
            release: &[],
        },
        TestCase {
            name: "an unsubscribe and subscribe in one list keep the symbol",
            before: vec![subscribe(CE)],
            actions: vec![unsubscribe(CE), subscribe(CE)],
            subscribe: &[],
            release: &[],
        },
    ];
    for case in cases {
        let mut state = runner();
        act(&mut state, case.before);
        let fx = act(&mut state, case.actions);
        assert_eq!(
            (names(&fx.streaming.subscribe), names(&fx.streaming.release)),
            (case.subscribe.to_vec(), case.release.to_vec()),
            "case `{}`",
            case.name
        );
    }
}

#[test]
fn the_underlying_streams_from_the_start() {
    let bot = CePeBot::new(BotSettings::new(BOT, "NIFTY")).expect("valid");
    let mut state = RunnerState::new(bot);
    assert_eq!(names(&state.start().subscribe), ["NIFTY"]);
    assert!(state.start().is_empty(), "once");
}

#[test]
fn the_timer_waits_asks_or_acts() {
    struct TestCase {
        name: &'static str,
        pending: bool,
        in_flight: bool,
        want: &'static str,
    }
    let cases = [
        TestCase {
            name: "an answer is awaited",
            pending: true,
            in_flight: true,
            want: "wait",
        },
        TestCase {
            name: "an order is out, unanswered",
            pending: true,
            in_flight: false,
            want: "reconcile",
        },
        TestCase {
            name: "nothing out",
            pending: false,
            in_flight: false,
            want: "act",
        },
    ];
    for case in cases {
        let mut state = runner();
        if case.pending {
            act(&mut state, vec![entry(CE)]);
        }
        state.set_in_flight(case.in_flight);
        let step = match state.on_timer(&shared_index(), at(5)) {
            TimerStep::Wait => "wait",
            TimerStep::Reconcile(p) => {
                assert_eq!(p.tag, "t#1", "case `{}`", case.name);
                "reconcile"
            }
            TimerStep::Act(_) => "act",
        };
        assert_eq!(step, case.want, "case `{}`", case.name);
    }
}

#[test]
fn an_order_carries_the_newest_tick_of_its_own_option() {
    let mut state = runner();
    act(&mut state, vec![subscribe(CE)]);
    state.on_inbox(&[quote(CE, 100.0, 100.5, 0)], &[], &shared_index(), at(0));
    let ticket = act(&mut state, vec![entry(CE)]).send.expect("sent");
    assert_eq!(ticket.quote.map(|q| q.bid), Some(100.0));

    let mut other = runner();
    other.on_inbox(&[quote(CE, 100.0, 100.5, 0)], &[], &shared_index(), at(0));
    let ticket = act(&mut other, vec![entry("OTHER")]).send.expect("sent");
    assert!(ticket.quote.is_none(), "another option's tick is not sent");

    let mut dropped = runner();
    dropped.on_inbox(&[quote(CE, 100.0, 100.5, 0)], &[], &shared_index(), at(0));
    act(&mut dropped, vec![subscribe(CE), unsubscribe(CE)]);
    let ticket = act(&mut dropped, vec![entry(CE)]).send.expect("sent");
    assert!(ticket.quote.is_none(), "an unsubscribe forgets the quote");
}

#[test]
fn the_record_is_written_when_it_changed_and_tags_are_never_reused() {
    let mut state = runner();
    let first = state.unsaved().expect("a new bot has no record yet");
    state.saved(first.clone());
    assert_eq!(state.unsaved(), None, "unchanged");

    let fx = act(&mut state, vec![entry(CE)]);
    let body = state
        .unsaved()
        .expect("the pending order changed the record");
    assert!(body.contains("t#1"), "written ahead of the send: {body}");
    state.saved(body);
    let pending = fx.send.expect("sent").pending;
    state.on_order_answer(&pending, OrderAnswer::Refused("no"), &shared_index(), at(1));
    let exit = BotAction::PlaceExit {
        symbol: CE.into(),
        lots: 1,
        reason: ExitReason::Manual,
    };
    let next = act(&mut state, vec![exit]).send.expect("sent");
    assert_eq!(next.pending.tag, "t#2");
    assert_eq!(next.request.side, Side::Sell);
}

#[test]
fn a_restored_bot_keeps_its_sequence_and_asks_for_its_order() {
    let mut before = runner();
    act(&mut before, vec![entry(CE)]);
    let record = RunnerRecord {
        snapshot: before.bot().snapshot(),
        pending: before.pending().cloned(),
        next_seq: 7,
    };
    let mut state = runner();
    let restored = state
        .restore(record, &shared_index(), at(2))
        .expect("its own snapshot fits");
    assert_eq!(kinds(&restored.effects), ["restored"]);
    assert_eq!(restored.reconcile.map(|p| p.tag), Some("t#1".to_string()));
    state.on_order_answer(
        &state.pending().cloned().expect("pending"),
        OrderAnswer::Refused("no"),
        &shared_index(),
        at(3),
    );
    let next = act(&mut state, vec![entry(CE)]).send.expect("sent");
    assert_eq!(next.pending.tag, "t#7");
}

#[test]
fn new_settings_are_noted_and_the_record_written_again() {
    let mut state = runner();
    let body = state.unsaved().expect("new");
    state.saved(body);
    let mut settings = BotSettings::new(BOT, "NIFTY");
    settings.stop_loss_pct = 25.0;
    let fx = state
        .update_settings(settings, &shared_index(), at(1))
        .expect("same bot, new stop");
    assert_eq!(
        fx.notes.first().map(|n| (n.kind, n.code.as_str())),
        Some(("settings", "reloaded"))
    );
    assert!(state.unsaved().is_some());
    let renamed = BotSettings::new("other", "NIFTY");
    assert!(
        state
            .update_settings(renamed, &shared_index(), at(2))
            .is_err(),
        "a snapshot of `t` does not fit a bot named `other`"
    );
}
