//! Stale and missing data: refused once per incident with the reason, never an order on
//! it, and the pending step carried out as soon as fresh data returns.

use mandi_domain::TickSource;

use super::*;

fn snapshot_tick(symbol: &str, ltp: f64, stamped: DateTime<Utc>) -> Tick {
    let mut t = tick(symbol, ltp, stamped);
    t.source = TickSource::Snapshot;
    t
}

#[test]
fn stale_option_quote_holds_the_entry_until_a_fresh_one() {
    let mut rig = Rig::new(settings());
    rig.breakout(SPOT);
    rig.bot.on_contract_resolved(ce());
    // The price store's last-known value from before a restart.
    let first = rig.option_tick(
        snapshot_tick(&ce().symbol, 98.0, ist(9, 30, 0)),
        ist(9, 35, 1),
    );
    let want = BotAction::Refused {
        reason: RefusalReason::StaleQuote { age_ms: 301_000 },
        detail: "orb_breakout_up entry in NIFTY 10 FEB 25750 CALL waits: NIFTY 10 FEB 25750 CALL quote is last-known snapshot data from 09:30:00 IST, not live".into(),
    };
    assert_eq!(first, vec![want]);
    let again = rig.option_tick(
        snapshot_tick(&ce().symbol, 98.0, ist(9, 35, 1)),
        ist(9, 35, 2),
    );
    assert_eq!(again, vec![], "same incident, said once");
    assert_eq!(rig.bot.on_timer(ist(9, 35, 3)), vec![]);
    let fresh = rig.ce_at(99.0, ist(9, 35, 4));
    assert!(
        matches!(fresh.as_slice(), [BotAction::PlaceEntry { .. }]),
        "{fresh:?}"
    );
}

#[test]
fn missing_underlying_waits_then_resolves() {
    let mut rig = Rig::new(settings());
    rig.range();
    let bars = rig.five(ist(9, 30, 0), SPOT, 25_700.0, SPOT);
    assert_eq!(refusal_codes(&bars), ["no_underlying"]);
    assert_eq!(bars.len(), 1, "{bars:?}");
    let resolve = rig.underlying(25_765.0, ist(9, 35, 5));
    let want = BotAction::ResolveContract {
        option_type: OptionType::Call,
        underlying_price: 25_765.0,
        reason: EntryReason::OrbBreakoutUp,
    };
    assert_eq!(resolve, vec![want]);
}

#[test]
fn stale_underlying_reports_its_age() {
    let mut rig = Rig::new(settings());
    rig.range();
    rig.underlying(SPOT, ist(9, 34, 50));
    let bars = rig.five(ist(9, 30, 0), SPOT, 25_700.0, SPOT);
    let reasons: Vec<&RefusalReason> = bars
        .iter()
        .filter_map(|a| match a {
            BotAction::Refused { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [&RefusalReason::StaleUnderlying { age_ms: 10_100 }]
    );
    assert!(!bars
        .iter()
        .any(|a| matches!(a, BotAction::ResolveContract { .. })));
}

#[test]
fn stale_quote_in_position_pauses_exits_and_is_said_once_per_incident() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    // The last quote was at 09:35:01; six seconds later it is stale.
    let first = rig.bot.on_timer(ist(9, 35, 7));
    assert_eq!(refusal_codes(&first), ["stale_quote"]);
    assert!(
        matches!(&first[0], BotAction::Refused { detail, .. } if detail.starts_with("exit rules paused"))
    );
    let mut later = rig.bot.on_timer(ist(9, 35, 8));
    later.extend(rig.bot.on_timer(ist(9, 36, 0)));
    // A snapshot price through the stop is not evidence: no exit.
    later.extend(rig.option_tick(
        snapshot_tick(&ce().symbol, 70.0, ist(9, 36, 1)),
        ist(9, 36, 1),
    ));
    assert_eq!(later, vec![], "said once, and no order on stale data");
    assert!(!places_order(&later));
    assert!(matches!(rig.bot.phase(), Phase::InPosition { .. }));
    // Fresh again: quiet. Stale again later: a new incident, said again.
    assert_eq!(rig.ce_at(95.0, ist(9, 37, 0)), vec![]);
    assert_eq!(
        refusal_codes(&rig.bot.on_timer(ist(9, 37, 6))),
        ["stale_quote"]
    );
    // A fresh quote through the stop exits at once.
    assert_eq!(
        rig.ce_at(79.0, ist(9, 37, 7)),
        vec![place_exit(ExitReason::StopLoss, 1)]
    );
}

#[test]
fn square_off_due_on_stale_data_waits_for_a_fresh_quote() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    assert_eq!(rig.ce_at(105.0, ist(15, 10, 0)), vec![]);
    let due = rig.bot.on_timer(ist(15, 15, 0));
    let want = BotAction::Refused {
        reason: RefusalReason::StaleQuote { age_ms: 300_000 },
        detail:
            "square_off exit waits: NIFTY 10 FEB 25750 CALL quote is 300000 ms old (limit 5000 ms)"
                .into(),
    };
    assert_eq!(due, vec![want]);
    for t in [ist(15, 16, 0), ist(15, 20, 0)] {
        let actions = rig.bot.on_timer(t);
        assert!(!places_order(&actions), "no order while stale");
        assert_eq!(actions, vec![], "no repeat");
    }
    assert_eq!(
        rig.ce_at(90.0, ist(15, 21, 0)),
        vec![place_exit(ExitReason::SquareOff, 1)]
    );
}

#[test]
fn quote_without_bid_and_ask_cannot_be_traded() {
    let mut rig = Rig::new(settings());
    rig.breakout(SPOT);
    rig.bot.on_contract_resolved(ce());
    let mut ltp_only = tick(&ce().symbol, 100.0, ist(9, 35, 1));
    (ltp_only.bid, ltp_only.ask) = (0.0, 0.0);
    let first = rig.option_tick(ltp_only.clone(), ist(9, 35, 1));
    assert_eq!(refusal_codes(&first), ["no_quote"]);
    assert!(matches!(&first[0], BotAction::Refused { detail, .. } if detail.contains("full-mode")));
    ltp_only.received_time = ist(9, 35, 2);
    ltp_only.exchange_time = Some(ist(9, 35, 2));
    assert_eq!(
        rig.option_tick(ltp_only, ist(9, 35, 2)),
        vec![],
        "said once"
    );
    let two_sided = rig.ce_at(100.0, ist(9, 35, 3));
    assert!(
        matches!(two_sided.as_slice(), [BotAction::PlaceEntry { .. }]),
        "{two_sided:?}"
    );
}
