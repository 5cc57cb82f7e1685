//! The `[paper]` order limits and streaming window: documented defaults load, and a bad
//! value stops start-up naming the key and the fix.

use mandi_server::config;

fn load(overrides: &[(&str, &str)]) -> Result<config::MandiConfig, config::ConfigError> {
    let env = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()));
    config::load(None, env)
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let cfg = load(&[]).expect("the embedded default is valid");
    assert_eq!(cfg.paper.max_lots_per_order, 100);
    assert_eq!(cfg.paper.max_price_deviation_pct, 100.0);
    assert_eq!(cfg.paper.keep_streaming_after_trade_s, 300);
}

#[test]
fn bad_paper_limits_are_refused_naming_the_key_and_the_fix() {
    struct TestCase {
        name: &'static str,
        var: &'static str,
        value: &'static str,
        key: &'static str,
    }
    let cases = [
        TestCase {
            name: "zero lots",
            var: "MANDI__PAPER__MAX_LOTS_PER_ORDER",
            value: "0",
            key: "paper.max_lots_per_order",
        },
        TestCase {
            name: "a million lots",
            var: "MANDI__PAPER__MAX_LOTS_PER_ORDER",
            value: "1000000",
            key: "paper.max_lots_per_order",
        },
        TestCase {
            name: "a band of zero",
            var: "MANDI__PAPER__MAX_PRICE_DEVIATION_PCT",
            value: "0",
            key: "paper.max_price_deviation_pct",
        },
        TestCase {
            name: "a band of 5000 %",
            var: "MANDI__PAPER__MAX_PRICE_DEVIATION_PCT",
            value: "5000",
            key: "paper.max_price_deviation_pct",
        },
        TestCase {
            name: "a window of two days",
            var: "MANDI__PAPER__KEEP_STREAMING_AFTER_TRADE_S",
            value: "172800",
            key: "paper.keep_streaming_after_trade_s",
        },
    ];
    for case in cases {
        let err = load(&[(case.var, case.value)])
            .err()
            .unwrap_or_else(|| panic!("case `{}` loaded", case.name));
        assert_eq!(err.key, case.key, "case `{}`", case.name);
        assert!(
            err.fix.starts_with("use "),
            "case `{}`: {}",
            case.name,
            err.fix
        );
    }
    let edge = load(&[("MANDI__PAPER__KEEP_STREAMING_AFTER_TRADE_S", "0")]);
    assert!(edge.is_ok(), "0 releases a flat instrument at once");
}
