//! From signal to position: the happy paths and every reason an entry is refused or dropped.

use super::*;

#[test]
fn upside_breakout_buys_a_ce() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    assert_eq!(rig.bot.trades_today(), 1);
    let Phase::InPosition { position } = rig.bot.phase() else {
        panic!("not in position: {:?}", rig.bot.phase());
    };
    assert_eq!(
        (position.entry_price, position.peak_price, position.quantity),
        (100.0, 100.0, 65)
    );
}

#[test]
fn downside_breakout_asks_for_a_put() {
    let mut rig = Rig::new(settings());
    let want = BotAction::ResolveContract {
        option_type: OptionType::Put,
        underlying_price: 25_690.0,
        reason: EntryReason::OrbBreakoutDown,
    };
    assert_eq!(rig.breakout(25_690.0), vec![want]);
    assert_eq!(
        rig.bot.on_contract_resolved(pe()),
        vec![BotAction::Subscribe {
            symbol: pe().symbol.clone()
        }]
    );
}

#[test]
fn signal_refusals() {
    struct TestCase {
        name: &'static str,
        edit: fn(&mut BotSettings),
        drive: fn(&mut Rig) -> Vec<BotAction>,
        want: &'static [&'static str],
    }
    /// Back inside the range at 09:40, out above it again at 09:45: a second up signal.
    fn second_signal(rig: &mut Rig) -> Vec<BotAction> {
        rig.underlying(25_770.0, ist(9, 44, 59));
        let mut out = rig.five(ist(9, 40, 0), 25_740.0, 25_720.0, 25_730.0);
        out.extend(rig.five(ist(9, 45, 0), 25_775.0, 25_730.0, 25_770.0));
        out
    }
    let cases = [
        TestCase {
            name: "after the last entry time",
            edit: |s| s.no_entry_after_ist = crate::test_support::hm(9, 33),
            drive: |rig| rig.breakout(SPOT),
            want: &["outside_window"],
        },
        TestCase {
            name: "before the entry start",
            edit: |s| s.entry_start_ist = Some(crate::test_support::hm(9, 40)),
            drive: |rig| rig.breakout(SPOT),
            want: &["outside_window"],
        },
        TestCase {
            name: "bar delivered two minutes late",
            edit: |_| {},
            drive: |rig| {
                rig.range();
                rig.underlying(SPOT, ist(9, 36, 59));
                (0..5)
                    .flat_map(|m| {
                        let start = plus_ms(ist(9, 30, 0), m * 60_000);
                        rig.bot
                            .on_candle(&bar_at(start, SPOT, SPOT, 25_740.0, SPOT), ist(9, 37, 0))
                    })
                    .collect()
            },
            want: &["stale_signal"],
        },
        TestCase {
            name: "second signal while the first awaits its contract",
            edit: |s| s.entry_timeout_ms = 1_800_000,
            drive: |rig| {
                rig.breakout(SPOT);
                second_signal(rig)
            },
            want: &["entry_pending"],
        },
        TestCase {
            name: "signal while holding a position",
            // Quotes stay usable for the hour so the only refusal is the signal's.
            edit: |s| s.max_quote_age_ms = 3_600_000,
            drive: |rig| {
                rig.open_ce(100.0);
                second_signal(rig)
            },
            want: &["in_position"],
        },
        TestCase {
            name: "trade limit reached",
            edit: |s| s.max_trades_per_day = 1,
            drive: |rig| {
                rig.open_ce(100.0);
                rig.ce_at(140.0, ist(9, 36, 0));
                rig.exit_fill(140.0, ist(9, 36, 1));
                second_signal(rig)
            },
            want: &["max_trades"],
        },
        TestCase {
            name: "day loss limit reached",
            edit: |s| s.max_loss_per_day = 1_000.0,
            drive: |rig| {
                rig.open_ce(100.0);
                rig.ce_at(80.0, ist(9, 36, 0));
                rig.exit_fill(80.0, ist(9, 36, 1));
                second_signal(rig)
            },
            want: &["max_loss"],
        },
    ];
    for c in cases {
        let mut s = settings();
        (c.edit)(&mut s);
        let mut rig = Rig::new(s);
        let actions = (c.drive)(&mut rig);
        assert_eq!(refusal_codes(&actions), c.want, "{}: {actions:?}", c.name);
        assert!(
            !actions.iter().any(|a| matches!(
                a,
                BotAction::ResolveContract { .. } | BotAction::PlaceEntry { .. }
            )),
            "{}: acted on a refused signal",
            c.name
        );
    }
}

#[test]
fn dropped_entries() {
    struct TestCase {
        name: &'static str,
        drive: fn(&mut Rig) -> Vec<BotAction>,
        want: Vec<BotAction>,
    }
    let unsubscribe = BotAction::Unsubscribe {
        symbol: ce().symbol.clone(),
    };
    let refusal = |reason: RefusalReason, detail: &str| BotAction::Refused {
        reason,
        detail: detail.into(),
    };
    let cases = [
        TestCase {
            name: "no contract could be selected",
            drive: |rig| {
                rig.bot
                    .on_contract_failed("no CE options of NIFTY on Nse among 0 instruments")
            },
            want: vec![refusal(
                RefusalReason::NoContract,
                "orb_breakout_up entry dropped: no CE options of NIFTY on Nse among 0 instruments",
            )],
        },
        TestCase {
            name: "resolved contract is a put for a call signal",
            drive: |rig| rig.bot.on_contract_resolved(pe()),
            want: vec![refusal(
                RefusalReason::NoContract,
                "resolved NIFTY 10 FEB 25750 PUT is not a CE of NIFTY on Nse; entry dropped",
            )],
        },
        TestCase {
            name: "contract never resolved in time",
            drive: |rig| rig.bot.on_timer(ist(9, 36, 1)),
            want: vec![refusal(
                RefusalReason::EntryTimeout,
                "orb_breakout_up entry dropped: not placed within 60000 ms of the signal",
            )],
        },
        TestCase {
            name: "option never quoted in time",
            drive: |rig| {
                rig.bot.on_contract_resolved(ce());
                rig.bot.on_timer(ist(9, 36, 1))
            },
            want: vec![
                refusal(
                    RefusalReason::EntryTimeout,
                    "orb_breakout_up entry dropped: not placed within 60000 ms of the signal",
                ),
                unsubscribe.clone(),
            ],
        },
        TestCase {
            name: "entry order rejected",
            drive: |rig| {
                rig.bot.on_contract_resolved(ce());
                rig.ce_at(100.0, ist(9, 35, 1));
                rig.bot.on_order_rejected("insufficient funds")
            },
            want: vec![
                refusal(
                    RefusalReason::OrderRejected,
                    "orb_breakout_up entry in NIFTY 10 FEB 25750 CALL rejected: insufficient funds",
                ),
                unsubscribe.clone(),
            ],
        },
    ];
    for c in cases {
        let mut rig = Rig::new(settings());
        assert_eq!(rig.breakout(SPOT).len(), 1, "{}: breakout", c.name);
        assert_eq!((c.drive)(&mut rig), c.want, "{}", c.name);
        assert_eq!(rig.bot.phase(), &Phase::Idle, "{}", c.name);
        assert_eq!(rig.bot.trades_today(), 0, "{}", c.name);
    }
}

#[test]
fn ticks_of_other_options_do_not_enter() {
    let mut rig = Rig::new(settings());
    rig.breakout(SPOT);
    rig.bot.on_contract_resolved(ce());
    let other = tick(&pe().symbol, 100.0, ist(9, 35, 1));
    assert_eq!(
        rig.option_tick(other, ist(9, 35, 1)),
        vec![],
        "quiet while the first tick is due"
    );
    assert!(matches!(rig.bot.phase(), Phase::AwaitingQuote { .. }));
    // Still nothing for the CE a quote's lifetime after the signal: now it is an incident.
    let other = tick(&pe().symbol, 100.0, ist(9, 35, 6));
    assert_eq!(
        refusal_codes(&rig.option_tick(other, ist(9, 35, 6))),
        ["no_quote"]
    );
}

#[test]
fn events_that_do_not_fit_the_phase_are_reported_and_ignored() {
    let fill = Fill {
        price: 100.0,
        quantity: 65,
        at: ist(10, 0, 0),
    };
    type Event = fn(&mut CePeBot, Fill) -> Vec<BotAction>;
    let cases: [(&str, Event); 4] = [
        ("entry fill while idle", |bot, f| bot.on_entry_filled(f)),
        ("exit fill while idle", |bot, f| bot.on_exit_filled(f)),
        ("contract while idle", |bot, _| {
            bot.on_contract_resolved(ce())
        }),
        ("rejection while idle", |bot, _| bot.on_order_rejected("x")),
    ];
    for (name, event) in cases {
        let mut rig = Rig::new(settings());
        let actions = event(&mut rig.bot, fill);
        assert_eq!(refusal_codes(&actions), ["unexpected_event"], "{name}");
        assert_eq!(rig.bot.phase(), &Phase::Idle, "{name}");
    }
}
