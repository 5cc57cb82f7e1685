//! Exits on the option's LTP (stop, target, trailing stop, day loss), at the square-off
//! time, on request, and what follows an exit fill.

use super::*;
use crate::test_support::{date, ist_on};

#[test]
fn price_exits() {
    struct TestCase {
        name: &'static str,
        edit: fn(&mut BotSettings),
        /// LTPs one second apart from 09:36:00.
        ltps: &'static [f64],
        /// Index of the tick that places the exit, and why.
        want: Option<(usize, ExitReason)>,
        /// Phase after the exit fills at the triggering price.
        then: Phase,
    }
    let idle = Phase::Idle;
    let cases = [
        TestCase {
            name: "stop-loss at 20% down",
            edit: |_| {},
            ltps: &[95.0, 85.0, 80.05, 80.0],
            want: Some((3, ExitReason::StopLoss)),
            then: idle.clone(),
        },
        TestCase {
            name: "target at 40% up",
            edit: |_| {},
            ltps: &[120.0, 139.95, 140.0],
            want: Some((2, ExitReason::Target)),
            then: idle.clone(),
        },
        TestCase {
            name: "trailing stop 10% under the peak",
            edit: |s| s.trailing_stop_pct = Some(10.0),
            ltps: &[110.0, 130.0, 120.0, 117.05, 117.0],
            want: Some((4, ExitReason::TrailingStop)),
            then: idle.clone(),
        },
        TestCase {
            name: "trailing stop unarmed below entry leaves the fixed stop",
            edit: |s| s.trailing_stop_pct = Some(10.0),
            ltps: &[95.0, 89.95, 80.0],
            want: Some((2, ExitReason::StopLoss)),
            then: idle.clone(),
        },
        TestCase {
            name: "day loss limit counts the open position",
            edit: |s| s.max_loss_per_day = 1_000.0,
            // 65 units: 85 loses 975, 84.6 loses 1001.
            ltps: &[90.0, 85.0, 84.6],
            want: Some((2, ExitReason::MaxLoss)),
            then: Phase::DoneForDay {
                reason: RefusalReason::MaxLoss,
            },
        },
        TestCase {
            name: "inside the bands nothing happens",
            edit: |_| {},
            ltps: &[101.0, 81.0, 139.0, 100.0],
            want: None,
            then: idle.clone(),
        },
    ];
    for c in cases {
        let mut s = settings();
        (c.edit)(&mut s);
        let mut rig = Rig::new(s);
        rig.open_ce(100.0);
        let mut exit = None;
        for (i, ltp) in c.ltps.iter().enumerate() {
            let actions = rig.ce_at(*ltp, plus_ms(ist(9, 36, 0), i as i64 * 1_000));
            if !actions.is_empty() {
                assert_eq!(exit, None, "{}: second action set {actions:?}", c.name);
                assert_eq!(actions.len(), 1, "{}: {actions:?}", c.name);
                if let BotAction::PlaceExit { reason, lots, .. } = &actions[0] {
                    assert_eq!(*lots, 1, "{}", c.name);
                    exit = Some((i, *reason));
                }
            }
        }
        assert_eq!(exit, c.want, "{}", c.name);
        if let Some((i, _)) = exit {
            let unsubscribe = BotAction::Unsubscribe {
                symbol: ce().symbol.clone(),
            };
            assert_eq!(
                rig.exit_fill(c.ltps[i], ist(9, 37, 0)),
                vec![unsubscribe],
                "{}",
                c.name
            );
            assert_eq!(rig.bot.phase(), &c.then, "{}", c.name);
        }
    }
}

#[test]
fn square_off_fires_at_15_15_ist_from_the_timer() {
    // The bot is given UTC instants; 15:15 IST is 09:45 UTC.
    assert_eq!(ist(15, 15, 0).to_rfc3339(), "2026-02-03T09:45:00+00:00");
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    assert_eq!(rig.ce_at(105.0, ist(15, 14, 58)), vec![]);
    assert_eq!(rig.bot.on_timer(plus_ms(ist(15, 14, 59), 999)), vec![]);
    assert_eq!(
        rig.bot.on_timer(ist(15, 15, 0)),
        vec![place_exit(ExitReason::SquareOff, 1)]
    );
    assert_eq!(
        rig.bot.on_timer(ist(15, 15, 1)),
        vec![],
        "one exit order, not one per timer"
    );
    rig.exit_fill(105.0, ist(15, 15, 1));
    let done = Phase::DoneForDay {
        reason: RefusalReason::OutsideWindow,
    };
    assert_eq!(rig.bot.phase(), &done);
    assert_eq!(rig.bot.realised_pnl_today(), 325.0);
}

#[test]
fn trade_limit_ends_the_day_after_the_last_exit() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    rig.ce_at(80.0, ist(9, 36, 0));
    rig.exit_fill(80.0, ist(9, 36, 1));
    assert_eq!(rig.bot.phase(), &Phase::Idle, "one of two trades used");
    // Back inside the range, then out again: the second trade.
    rig.five(ist(9, 40, 0), 25_740.0, 25_720.0, 25_730.0);
    rig.underlying(25_770.0, ist(9, 49, 59));
    let resolve = rig.five(ist(9, 45, 0), 25_775.0, 25_730.0, 25_770.0);
    assert!(
        matches!(resolve.as_slice(), [BotAction::ResolveContract { .. }]),
        "{resolve:?}"
    );
    rig.bot.on_contract_resolved(ce());
    rig.ce_at(90.0, ist(9, 50, 1));
    rig.bot.on_entry_filled(Fill {
        price: 90.0,
        quantity: 65,
        at: ist(9, 50, 1),
    });
    assert_eq!(
        rig.ce_at(126.0, ist(9, 51, 0)),
        vec![place_exit(ExitReason::Target, 1)]
    );
    rig.exit_fill(126.0, ist(9, 51, 1));
    assert_eq!(
        rig.bot.phase(),
        &Phase::DoneForDay {
            reason: RefusalReason::MaxTrades
        }
    );
    assert_eq!(
        (rig.bot.trades_today(), rig.bot.realised_pnl_today()),
        (2, 1_040.0)
    );
    // The next IST day starts afresh.
    assert_eq!(rig.bot.on_timer(ist_on(date(2026, 2, 4), 9, 0, 0)), vec![]);
    assert_eq!(rig.bot.phase(), &Phase::Idle);
    assert_eq!(
        (rig.bot.trades_today(), rig.bot.realised_pnl_today()),
        (0, 0.0)
    );
}

#[test]
fn manual_exit_goes_at_the_next_fresh_quote() {
    let mut rig = Rig::new(settings());
    assert_eq!(
        refusal_codes(&rig.bot.on_manual_exit(ist(9, 20, 0))),
        ["no_position"]
    );
    rig.open_ce(100.0);
    rig.ce_at(104.0, ist(9, 40, 0));
    assert_eq!(
        rig.bot.on_manual_exit(ist(9, 40, 1)),
        vec![place_exit(ExitReason::Manual, 1)]
    );
    assert_eq!(
        refusal_codes(&rig.bot.on_manual_exit(ist(9, 40, 2))),
        ["awaiting_fill"]
    );
}

#[test]
fn partial_exit_fills_keep_the_exit_working() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    rig.ce_at(140.0, ist(9, 40, 0));
    let part = |quantity, price| Fill {
        price,
        quantity,
        at: ist(9, 40, 1),
    };
    assert_eq!(rig.bot.on_exit_filled(part(30, 140.0)), vec![]);
    assert!(
        matches!(rig.bot.phase(), Phase::AwaitingExitFill { position, .. } if position.quantity == 35)
    );
    let unsubscribe = BotAction::Unsubscribe {
        symbol: ce().symbol.clone(),
    };
    assert_eq!(rig.bot.on_exit_filled(part(35, 139.0)), vec![unsubscribe]);
    assert_eq!(rig.bot.realised_pnl_today(), 30.0 * 40.0 + 35.0 * 39.0);
}

#[test]
fn rejected_exit_is_placed_again_whatever_the_price() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    assert_eq!(
        rig.ce_at(80.0, ist(9, 40, 0)),
        vec![place_exit(ExitReason::StopLoss, 1)]
    );
    assert_eq!(
        refusal_codes(&rig.bot.on_order_rejected("no bid")),
        ["order_rejected"]
    );
    // Price recovers above the stop, but the decided exit stands.
    assert_eq!(
        rig.ce_at(85.0, ist(9, 40, 1)),
        vec![place_exit(ExitReason::StopLoss, 1)]
    );
}

#[test]
fn position_carried_past_its_day_is_squared_off() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    let next_morning = ist_on(date(2026, 2, 4), 9, 20, 0);
    let actions = rig.ce_at(101.0, next_morning);
    assert_eq!(actions, vec![place_exit(ExitReason::SquareOff, 1)]);
    assert_eq!(rig.bot.trades_today(), 0, "counters belong to the new day");
}
