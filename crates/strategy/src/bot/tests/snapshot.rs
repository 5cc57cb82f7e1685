//! Snapshot and restore: a restarted bot keeps managing its position, keeps its
//! indicators, and refuses snapshots that are not its own.

use super::*;
use crate::test_support::hm;
use crate::EntryRule;

fn round_trip(snapshot: &BotSnapshot) -> BotSnapshot {
    let text = serde_json::to_string(snapshot).unwrap_or_else(|e| panic!("serialise: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse: {e}\n{text}"))
}

fn restore(settings: BotSettings, snapshot: BotSnapshot) -> (CePeBot, Vec<BotAction>) {
    CePeBot::restore(settings, snapshot).unwrap_or_else(|e| panic!("restore: {e}"))
}

#[test]
fn restart_mid_position_still_exits() {
    let mut s = settings();
    s.trailing_stop_pct = Some(10.0);
    let mut rig = Rig::new(s.clone());
    rig.open_ce(100.0);
    assert_eq!(rig.ce_at(130.0, ist(9, 40, 0)), vec![], "new peak");
    let snapshot = round_trip(&rig.bot.snapshot());
    assert_eq!(snapshot, rig.bot.snapshot(), "JSON round trip is lossless");

    let (bot, actions) = restore(s, snapshot);
    assert_eq!(
        actions,
        vec![BotAction::Subscribe {
            symbol: ce().symbol.clone()
        }]
    );
    assert_eq!(bot.phase(), rig.bot.phase());
    assert_eq!(bot.trades_today(), 1);
    let mut rig = Rig { bot };
    // No quote survives a restart: the bot says so once, and does nothing else.
    assert_eq!(
        refusal_codes(&rig.bot.on_timer(ist(9, 41, 0))),
        ["no_quote"]
    );
    assert_eq!(rig.bot.on_timer(ist(9, 41, 1)), vec![]);
    // The restored peak (130) still arms the trailing stop at 117.
    assert_eq!(rig.ce_at(120.0, ist(9, 41, 2)), vec![]);
    assert_eq!(
        rig.ce_at(117.0, ist(9, 41, 3)),
        vec![place_exit(ExitReason::TrailingStop, 1)]
    );
    assert_eq!(
        rig.exit_fill(117.0, ist(9, 41, 4)),
        vec![BotAction::Unsubscribe {
            symbol: ce().symbol.clone()
        }]
    );
    assert_eq!(rig.bot.realised_pnl_today(), 17.0 * 65.0);
}

#[test]
fn restart_mid_range_keeps_the_range() {
    let mut rig = Rig::new(settings());
    rig.range();
    let (bot, actions) = restore(settings(), round_trip(&rig.bot.snapshot()));
    assert_eq!(actions, vec![]);
    let mut rig = Rig { bot };
    rig.underlying(SPOT, ist(9, 34, 59));
    let out = rig.five(ist(9, 30, 0), SPOT, 25_700.0, SPOT);
    assert!(
        matches!(out.as_slice(), [BotAction::ResolveContract { .. }]),
        "{out:?}"
    );
}

#[test]
fn changed_entry_rule_starts_the_signals_afresh() {
    let mut rig = Rig::new(settings());
    rig.range();
    let mut s = settings();
    s.entry = EntryRule::OpeningRange { minutes: 30 };
    let (bot, _) = restore(s, rig.bot.snapshot());
    let mut rig = Rig { bot };
    rig.underlying(SPOT, ist(9, 34, 59));
    // The 30-minute range has no bars before 09:30 any more; 09:30–09:45 is inside it.
    assert_eq!(rig.five(ist(9, 30, 0), SPOT, 25_700.0, SPOT), vec![]);
}

#[test]
fn restart_while_awaiting_the_contract_asks_again() {
    let mut rig = Rig::new(settings());
    assert_eq!(rig.breakout(SPOT).len(), 1);
    let (bot, actions) = restore(settings(), rig.bot.snapshot());
    assert_eq!(actions, vec![]);
    let mut rig = Rig { bot };
    let again = rig.underlying(25_764.0, ist(9, 35, 10));
    assert!(
        matches!(again.as_slice(), [BotAction::ResolveContract { underlying_price, .. }] if *underlying_price == 25_764.0)
    );
}

#[test]
fn foreign_snapshots_are_refused() {
    let mut rig = Rig::new(settings());
    rig.open_ce(100.0);
    let good = rig.bot.snapshot();
    type Case = (
        &'static str,
        fn(&mut BotSettings, &mut BotSnapshot),
        &'static str,
    );
    let cases: [Case; 4] = [
        (
            "newer version",
            |_, snap| snap.version = SNAPSHOT_VERSION + 1,
            "Version",
        ),
        (
            "another bot's snapshot",
            |s, _| s.name = "sensex_orb".into(),
            "NameMismatch",
        ),
        (
            "position on another underlying",
            |s, _| s.underlying = "BANKNIFTY".into(),
            "ForeignContract",
        ),
        (
            "invalid settings",
            |s, _| s.square_off_ist = hm(9, 0),
            "Settings",
        ),
    ];
    for (name, edit, want) in cases {
        let (mut s, mut snap) = (settings(), good.clone());
        edit(&mut s, &mut snap);
        let got = match CePeBot::restore(s, snap) {
            Ok(_) => "Ok",
            Err(RestoreError::Version { .. }) => "Version",
            Err(RestoreError::NameMismatch { .. }) => "NameMismatch",
            Err(RestoreError::ForeignContract { .. }) => "ForeignContract",
            Err(RestoreError::Settings(_)) => "Settings",
        };
        assert_eq!(got, want, "{name}");
    }
}
