//! Settings: the file shape (defaults, unknown keys, time strings) and validation.

use super::*;
use crate::test_support::hm;

fn parse(json: &str) -> Result<BotSettings, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn two_keys_are_enough_and_defaults_apply() {
    let got = parse(r#"{"name": "nifty_orb", "underlying": "NIFTY"}"#);
    let want = BotSettings::new("nifty_orb", "NIFTY");
    assert_eq!(got, Ok(want.clone()));
    assert_eq!(want.validate(), Ok(()));
    assert_eq!(want.square_off_ist, hm(15, 15));
    assert_eq!(want.no_entry_after_ist, hm(15, 0));
    assert_eq!(
        want.entry_start(),
        hm(9, 30),
        "09:15 plus the 15-minute range"
    );
}

#[test]
fn full_file_shape_parses() {
    let got = parse(
        r#"{
            "name": "banknifty_ema", "underlying": "BANKNIFTY", "exchange": "NSE",
            "candle_interval_min": 1,
            "entry": {"kind": "ema_crossover", "fast": 9, "slow": 21},
            "contract": {"strike_offset": 1, "lots": 2, "expiry": "nearest",
                         "skip_expiry_day_after_ist": "13:00"},
            "stop_loss_pct": 25, "target_pct": 50, "trailing_stop_pct": 15,
            "entry_start_ist": "09:45", "no_entry_after_ist": "14:30",
            "square_off_ist": "15:10:30", "max_trades_per_day": 3,
            "max_loss_per_day": 2500.5, "max_quote_age_ms": 3000, "entry_timeout_ms": 20000
        }"#,
    );
    let s = got.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.entry, EntryRule::EmaCrossover { fast: 9, slow: 21 });
    assert_eq!(s.contract.skip_expiry_day_after_ist, Some(hm(13, 0)));
    assert_eq!(
        s.square_off_ist,
        NaiveTime::from_hms_opt(15, 10, 30).unwrap_or_default()
    );
    assert_eq!(s.trailing_stop_pct, Some(15.0));
    assert_eq!(s.validate(), Ok(()));
    let round_trip = serde_json::to_string(&s)
        .map_err(|e| e.to_string())
        .and_then(|j| parse(&j));
    assert_eq!(round_trip, Ok(s));
}

#[test]
fn unknown_keys_and_bad_values_are_named() {
    let cases = [
        (
            "top-level typo",
            r#"{"name":"a","underlying":"N","stoploss_pct":10}"#,
            "stoploss_pct",
        ),
        (
            "entry typo",
            r#"{"name":"a","underlying":"N","entry":{"kind":"opening_range","minute":15}}"#,
            "minute",
        ),
        (
            "contract typo",
            r#"{"name":"a","underlying":"N","contract":{"lot":1}}"#,
            "lot",
        ),
        (
            "unknown entry kind",
            r#"{"name":"a","underlying":"N","entry":{"kind":"vwap"}}"#,
            "vwap",
        ),
        (
            "time without colon",
            r#"{"name":"a","underlying":"N","square_off_ist":"1515"}"#,
            "HH:MM",
        ),
        (
            "unknown exchange",
            r#"{"name":"a","underlying":"N","exchange":"NFO"}"#,
            "NFO",
        ),
    ];
    for (name, json, needle) in cases {
        match parse(json) {
            Ok(_) => panic!("{name}: parsed"),
            Err(e) => assert!(e.contains(needle), "{name}: {e}"),
        }
    }
}

#[test]
fn validation_names_the_key() {
    type Edit = fn(&mut BotSettings);
    let cases: [(&str, Edit, &str); 17] = [
        ("empty name", |s| s.name = " ".into(), "name"),
        ("empty underlying", |s| s.underlying.clear(), "underlying"),
        (
            "3-minute bars",
            |s| s.candle_interval_min = 3,
            "candle_interval_min",
        ),
        (
            "range not a multiple of the bar",
            |s| s.entry = EntryRule::OpeningRange { minutes: 12 },
            "entry.minutes",
        ),
        (
            "zero range",
            |s| s.entry = EntryRule::OpeningRange { minutes: 0 },
            "entry.minutes",
        ),
        (
            "range past the last entry",
            |s| s.entry = EntryRule::OpeningRange { minutes: 400 },
            "entry.minutes",
        ),
        (
            "fast not faster",
            |s| s.entry = EntryRule::EmaCrossover { fast: 21, slow: 9 },
            "entry.slow",
        ),
        (
            "offset off any chain",
            |s| s.contract.strike_offset = 60,
            "contract.strike_offset",
        ),
        ("zero lots", |s| s.contract.lots = 0, "contract.lots"),
        ("stop of 100%", |s| s.stop_loss_pct = 100.0, "stop_loss_pct"),
        ("negative target", |s| s.target_pct = -5.0, "target_pct"),
        (
            "NaN trailing",
            |s| s.trailing_stop_pct = Some(f64::NAN),
            "trailing_stop_pct",
        ),
        (
            "zero trades",
            |s| s.max_trades_per_day = 0,
            "max_trades_per_day",
        ),
        (
            "zero loss limit",
            |s| s.max_loss_per_day = 0.0,
            "max_loss_per_day",
        ),
        (
            "square-off before last entry",
            |s| s.square_off_ist = hm(14, 0),
            "square_off_ist",
        ),
        (
            "entry start before the open",
            |s| s.entry_start_ist = Some(hm(9, 0)),
            "entry_start_ist",
        ),
        (
            "tiny quote age",
            |s| s.max_quote_age_ms = 10,
            "max_quote_age_ms",
        ),
    ];
    for (name, edit, key) in cases {
        let mut s = BotSettings::new("t", "NIFTY");
        edit(&mut s);
        let err = s.validate().err();
        assert_eq!(err.as_ref().map(|e| e.key), Some(key), "{name}: {err:?}");
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("fix:"), "{name}: {text}");
    }
}

#[test]
fn entry_start_follows_the_rule() {
    let mut s = BotSettings::new("t", "NIFTY");
    s.entry = EntryRule::OpeningRange { minutes: 30 };
    assert_eq!(s.entry_start(), hm(9, 45), "open plus range");
    s.entry = EntryRule::EmaCrossover { fast: 9, slow: 21 };
    assert_eq!(s.entry_start(), hm(9, 15), "EMA may trade from the open");
    s.entry_start_ist = Some(hm(10, 0));
    assert_eq!(s.entry_start(), hm(10, 0), "explicit start wins");
}
