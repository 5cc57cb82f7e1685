//! `POST /admin/quotes` bodies: which field a bad one is blamed on, and how a good one
//! is completed (defaults one tick either side, indices without a book).

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::settings::DerivativeSettings;
use crate::SimSettings;

/// The default universe with its contracts listed from 22 November 2026.
fn universe() -> Universe {
    let settings = SimSettings {
        derivatives: DerivativeSettings {
            start_date: NaiveDate::from_ymd_opt(2026, 11, 22),
            ..DerivativeSettings::default()
        },
        ..SimSettings::default()
    };
    crate::market::build(&settings, DateTime::<Utc>::UNIX_EPOCH).0
}

fn pinned(body: &str) -> Result<BTreeMap<String, QuotePin>, PinError> {
    let u = universe();
    parse(body.as_bytes(), &u).map(|t| named(&t, &u))
}

struct TestCase {
    name: &'static str,
    body: &'static str,
    field: &'static str,
}

#[test]
fn a_bad_body_names_its_field() {
    let cases = [
        TestCase {
            name: "unknown symbol",
            body: r#"{"NOPE":{"ltp":1}}"#,
            field: "NOPE",
        },
        TestCase {
            name: "a Kite key is not a symbol",
            body: r#"{"NSE:RELIANCE":{"ltp":1500}}"#,
            field: "NSE:RELIANCE",
        },
        TestCase {
            name: "zero ltp",
            body: r#"{"RELIANCE":{"ltp":0}}"#,
            field: "RELIANCE.ltp",
        },
        TestCase {
            name: "negative ltp",
            body: r#"{"RELIANCE":{"ltp":-1500}}"#,
            field: "RELIANCE.ltp",
        },
        TestCase {
            name: "ltp off the ₹0.10 grid",
            body: r#"{"RELIANCE":{"ltp":1500.05}}"#,
            field: "RELIANCE.ltp",
        },
        TestCase {
            name: "ltp as text",
            body: r#"{"RELIANCE":{"ltp":"1500"}}"#,
            field: "RELIANCE.ltp",
        },
        TestCase {
            name: "ltp missing",
            body: r#"{"RELIANCE":{"bid":1500}}"#,
            field: "RELIANCE.ltp",
        },
        TestCase {
            name: "bid above ask",
            body: r#"{"RELIANCE":{"ltp":1500,"bid":1500.5,"ask":1500.2}}"#,
            field: "RELIANCE.bid",
        },
        TestCase {
            name: "bid above the default ask",
            body: r#"{"RELIANCE":{"ltp":1500,"bid":1500.2}}"#,
            field: "RELIANCE.bid",
        },
        TestCase {
            name: "ask off the grid",
            body: r#"{"RELIANCE":{"ltp":1500,"ask":1500.25}}"#,
            field: "RELIANCE.ask",
        },
        TestCase {
            name: "option bid off the ₹0.05 grid",
            body: r#"{"NIFTY-Dec2026-25800-CE":{"ltp":320,"bid":319.97}}"#,
            field: "NIFTY-Dec2026-25800-CE.bid",
        },
        TestCase {
            name: "negative quantity",
            body: r#"{"RELIANCE":{"ltp":1500,"bid_qty":-3}}"#,
            field: "RELIANCE.bid_qty",
        },
        TestCase {
            name: "zero quantity",
            body: r#"{"RELIANCE":{"ltp":1500,"ask_qty":0}}"#,
            field: "RELIANCE.ask_qty",
        },
        TestCase {
            name: "unknown field",
            body: r#"{"RELIANCE":{"ltp":1500,"last":1500}}"#,
            field: "RELIANCE.last",
        },
        TestCase {
            name: "an index has no book",
            body: r#"{"NIFTY":{"ltp":26000,"bid":25999.95}}"#,
            field: "NIFTY.bid",
        },
        TestCase {
            name: "a pin must be an object",
            body: r#"{"RELIANCE":1500}"#,
            field: "RELIANCE",
        },
        TestCase {
            name: "the body must be an object",
            body: r#"[{"RELIANCE":{"ltp":1500}}]"#,
            field: "",
        },
        TestCase {
            name: "not JSON",
            body: "ltp=1500",
            field: "",
        },
    ];
    for c in cases {
        let got = pinned(c.body).err().map(|e| e.field);
        assert_eq!(got.as_deref(), Some(c.field), "{}", c.name);
    }
}

#[test]
fn defaults_are_one_tick_either_side() {
    let Ok(got) = pinned(
        r#"{"RELIANCE":{"ltp":1500.1},"NIFTY-Dec2026-25800-CE":{"ltp":0.05,"ask_qty":150},
            "NIFTY":{"ltp":26000},"TCS":{"ltp":3500,"bid":3499.5}}"#,
    ) else {
        panic!("a good body parses")
    };
    let want = BTreeMap::from([
        (
            "RELIANCE".to_string(),
            QuotePin {
                ltp: 1500.1,
                bid: Some(1500.0),
                ask: Some(1500.2),
                ..QuotePin::default()
            },
        ),
        (
            // The bid never goes below one tick.
            "NIFTY-Dec2026-25800-CE".to_string(),
            QuotePin {
                ltp: 0.05,
                bid: Some(0.05),
                ask: Some(0.1),
                bid_qty: None,
                ask_qty: Some(150),
            },
        ),
        ("NIFTY".to_string(), QuotePin::at(26_000.0)),
        (
            "TCS".to_string(),
            QuotePin {
                ltp: 3500.0,
                bid: Some(3499.5),
                ask: Some(3500.1),
                ..QuotePin::default()
            },
        ),
    ]);
    assert_eq!(got, want);
    assert_eq!(
        pinned("{}"),
        Ok(BTreeMap::new()),
        "an empty body pins nothing"
    );
}

#[test]
fn values_from_code_are_checked_too() {
    let u = universe();
    let bad = [
        ("RELIANCE", QuotePin::at(f64::NAN), "RELIANCE.ltp"),
        ("RELIANCE", QuotePin::at(f64::INFINITY), "RELIANCE.ltp"),
        ("CRUDE", QuotePin::at(5500.0), "CRUDE"),
    ];
    for (symbol, pin, field) in bad {
        let got = resolve_all([(symbol, pin)], &u).err().map(|e| e.field);
        assert_eq!(got.as_deref(), Some(field), "{symbol} {pin:?}");
    }
    let ok = resolve_all([("CRUDEOIL", QuotePin::at(5500.0))], &u);
    assert_eq!(ok.map(|t| t.len()), Ok(1));
}
