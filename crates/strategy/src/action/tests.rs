//! The reason codes' wire names are a contract with the journal and clients.

use super::*;

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| e.to_string())
}

#[test]
fn entry_and_exit_reasons_keep_their_names() {
    let entries = [
        (EntryReason::OrbBreakoutUp, "orb_breakout_up"),
        (EntryReason::OrbBreakoutDown, "orb_breakout_down"),
        (EntryReason::EmaCrossUp, "ema_cross_up"),
        (EntryReason::EmaCrossDown, "ema_cross_down"),
    ];
    for (reason, name) in entries {
        assert_eq!(json(&reason), format!("\"{name}\""), "{name}");
        assert_eq!(reason.as_str(), name, "{name}");
    }
    let exits = [
        (ExitReason::StopLoss, "stop_loss"),
        (ExitReason::Target, "target"),
        (ExitReason::TrailingStop, "trailing_stop"),
        (ExitReason::SquareOff, "square_off"),
        (ExitReason::MaxLoss, "max_loss"),
        (ExitReason::Manual, "manual"),
    ];
    for (reason, name) in exits {
        assert_eq!(json(&reason), format!("\"{name}\""), "{name}");
        assert_eq!(reason.as_str(), name, "{name}");
    }
}

#[test]
fn refusal_codes_match_their_serde_tag() {
    let all = [
        RefusalReason::StaleQuote { age_ms: 6200 },
        RefusalReason::NoQuote,
        RefusalReason::StaleUnderlying { age_ms: 1 },
        RefusalReason::NoUnderlying,
        RefusalReason::OutsideWindow,
        RefusalReason::MaxTrades,
        RefusalReason::MaxLoss,
        RefusalReason::EntryPending,
        RefusalReason::AwaitingFill,
        RefusalReason::InPosition,
        RefusalReason::StaleSignal,
        RefusalReason::EntryTimeout,
        RefusalReason::NoContract,
        RefusalReason::OrderRejected,
        RefusalReason::NoPosition,
        RefusalReason::UnexpectedEvent,
    ];
    for reason in all {
        let text = json(&reason);
        let want = format!("{{\"code\":\"{}\"", reason.code());
        assert!(text.starts_with(&want), "{}: {text}", reason.code());
        let back: Result<RefusalReason, _> = serde_json::from_str(&text);
        assert_eq!(back.ok(), Some(reason.clone()), "{}", reason.code());
    }
}

#[test]
fn actions_serialise_with_an_action_tag() {
    let cases = [
        (
            BotAction::PlaceExit {
                symbol: "NIFTY 26 FEB 25800 CALL".into(),
                lots: 1,
                reason: ExitReason::TrailingStop,
            },
            r#"{"action":"place_exit","symbol":"NIFTY 26 FEB 25800 CALL","lots":1,"reason":"trailing_stop"}"#,
        ),
        (
            BotAction::Refused {
                reason: RefusalReason::StaleQuote { age_ms: 6200 },
                detail: "x".into(),
            },
            r#"{"action":"refused","reason":{"code":"stale_quote","age_ms":6200},"detail":"x"}"#,
        ),
        (
            BotAction::ResolveContract {
                option_type: OptionType::Put,
                underlying_price: 25_760.85,
                reason: EntryReason::OrbBreakoutDown,
            },
            r#"{"action":"resolve_contract","option_type":"PE","underlying_price":25760.85,"reason":"orb_breakout_down"}"#,
        ),
    ];
    for (action, want) in cases {
        assert_eq!(json(&action), want);
    }
}
