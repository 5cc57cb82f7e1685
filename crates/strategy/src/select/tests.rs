//! Contract selection: expiry, ATM, offsets, filtering and every error.

use proptest::prelude::*;

use super::*;
use crate::test_support::{date, ist, ist_on, nifty, option};

/// NIFTY CE and PE, 25600–26000 every 50, expiring 27 Jan (past), 3 Feb (today) and
/// 10 Feb; plus look-alikes that must be filtered out: a FINNIFTY chain, a NIFTY option
/// on BSE, and a NIFTY future, each with a strike that would otherwise be ATM.
fn chain() -> Vec<Arc<Instrument>> {
    let mut out = Vec::new();
    for expiry in [date(2026, 1, 27), date(2026, 2, 3), date(2026, 2, 10)] {
        for k in 0..9 {
            let strike = 25_600.0 + 50.0 * f64::from(k);
            for ot in [OptionType::Call, OptionType::Put] {
                out.push(option("NIFTY", Exchange::Nse, expiry, Some(strike), ot));
            }
        }
    }
    for ot in [OptionType::Call, OptionType::Put] {
        out.push(option(
            "FINNIFTY",
            Exchange::Nse,
            date(2026, 2, 3),
            Some(25_762.0),
            ot,
        ));
        out.push(option(
            "NIFTY",
            Exchange::Bse,
            date(2026, 2, 3),
            Some(25_762.0),
            ot,
        ));
    }
    let mut future = (*nifty(3, 25_762.0, OptionType::Call)).clone();
    future.symbol = "NIFTY FEB FUT".into();
    if let Some(d) = future.derivative.as_mut() {
        d.strike = None;
        d.option_type = None;
    }
    out.push(Arc::new(future));
    out
}

struct TestCase {
    name: &'static str,
    underlying: &'static str,
    option_type: OptionType,
    price: f64,
    offset: i32,
    skip_after: Option<(u32, u32)>,
    now: DateTime<Utc>,
    /// The chosen symbol, or the error variant's name.
    want: Result<&'static str, &'static str>,
}

fn error_kind(e: &SelectError) -> &'static str {
    match e {
        SelectError::BadUnderlyingPrice { .. } => "BadUnderlyingPrice",
        SelectError::NoOptions { .. } => "NoOptions",
        SelectError::NoExpiry { .. } => "NoExpiry",
        SelectError::NoStrikes { .. } => "NoStrikes",
        SelectError::OffsetOutsideChain { .. } => "OffsetOutsideChain",
    }
}

fn run(candidates: &[Arc<Instrument>], c: &TestCase) -> Result<String, &'static str> {
    let request = ContractRequest {
        underlying: c.underlying.into(),
        exchange: Exchange::Nse,
        option_type: c.option_type,
        underlying_price: c.price,
        now: c.now,
    };
    let rule = ContractRule {
        strike_offset: c.offset,
        skip_expiry_day_after_ist: c
            .skip_after
            .and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0)),
        ..ContractRule::default()
    };
    select_contract(candidates, &request, &rule)
        .map(|i| i.symbol.to_string())
        .map_err(|e| error_kind(&e))
}

use chrono::NaiveTime;

#[test]
fn selection_cases() {
    use OptionType::{Call as CE, Put as PE};
    let base = TestCase {
        name: "",
        underlying: "NIFTY",
        option_type: CE,
        price: 25_762.0,
        offset: 0,
        skip_after: None,
        now: ist(10, 0, 0),
        want: Ok(""),
    };
    let cases = [
        TestCase {
            name: "ATM call, today's expiry",
            want: Ok("NIFTY 03 FEB 25750 CALL"),
            ..base
        },
        TestCase {
            name: "ATM put",
            option_type: PE,
            want: Ok("NIFTY 03 FEB 25750 PUT"),
            ..base
        },
        TestCase {
            name: "tie goes to the lower strike",
            price: 25_775.0,
            want: Ok("NIFTY 03 FEB 25750 CALL"),
            ..base
        },
        TestCase {
            name: "a paisa past the tie goes up",
            price: 25_775.05,
            want: Ok("NIFTY 03 FEB 25800 CALL"),
            ..base
        },
        TestCase {
            name: "CE +2 is two strikes up",
            offset: 2,
            want: Ok("NIFTY 03 FEB 25850 CALL"),
            ..base
        },
        TestCase {
            name: "PE +2 is two strikes down",
            option_type: PE,
            offset: 2,
            want: Ok("NIFTY 03 FEB 25650 PUT"),
            ..base
        },
        TestCase {
            name: "CE -1 is in the money, down",
            offset: -1,
            want: Ok("NIFTY 03 FEB 25700 CALL"),
            ..base
        },
        TestCase {
            name: "PE -1 is in the money, up",
            option_type: PE,
            offset: -1,
            want: Ok("NIFTY 03 FEB 25800 PUT"),
            ..base
        },
        TestCase {
            name: "price below the chain picks its lowest",
            price: 20_000.0,
            want: Ok("NIFTY 03 FEB 25600 CALL"),
            ..base
        },
        TestCase {
            name: "expiry day before the cutoff keeps today",
            skip_after: Some((13, 0)),
            now: ist(12, 59, 59),
            want: Ok("NIFTY 03 FEB 25750 CALL"),
            ..base
        },
        TestCase {
            name: "expiry day after the cutoff rolls to next week",
            skip_after: Some((13, 0)),
            now: ist(13, 0, 0),
            want: Ok("NIFTY 10 FEB 25750 CALL"),
            ..base
        },
        TestCase {
            name: "past expiries are skipped",
            now: ist_on(date(2026, 2, 4), 9, 30, 0),
            want: Ok("NIFTY 10 FEB 25750 CALL"),
            ..base
        },
        TestCase {
            name: "today is the IST date even before UTC midnight",
            // 00:30 IST on 11 Feb is still 10 Feb in UTC: every expiry is past.
            now: ist_on(date(2026, 2, 11), 0, 30, 0),
            want: Err("NoExpiry"),
            ..base
        },
        TestCase {
            name: "unknown underlying",
            underlying: "MIDCPNIFTY",
            want: Err("NoOptions"),
            ..base
        },
        TestCase {
            name: "offset beyond the top",
            offset: 6,
            want: Err("OffsetOutsideChain"),
            ..base
        },
        TestCase {
            name: "PE offset beyond the bottom",
            option_type: PE,
            offset: 4,
            want: Err("OffsetOutsideChain"),
            ..base
        },
        TestCase {
            name: "NaN price",
            price: f64::NAN,
            want: Err("BadUnderlyingPrice"),
            ..base
        },
        TestCase {
            name: "zero price",
            price: 0.0,
            want: Err("BadUnderlyingPrice"),
            ..base
        },
    ];
    let candidates = chain();
    for c in cases {
        let want = c.want.map(str::to_string);
        assert_eq!(run(&candidates, &c), want, "{}", c.name);
    }
}

#[test]
fn uneven_ladders_step_by_listed_strike() {
    let candidates: Vec<_> = [25_600.0, 25_700.0, 25_750.0, 25_800.0, 26_000.0]
        .into_iter()
        .map(|k| nifty(10, k, OptionType::Call))
        .collect();
    let c = TestCase {
        name: "uneven",
        underlying: "NIFTY",
        option_type: OptionType::Call,
        price: 25_762.0,
        offset: 2,
        skip_after: None,
        now: ist(10, 0, 0),
        want: Ok(""),
    };
    assert_eq!(
        run(&candidates, &c),
        Ok("NIFTY 10 FEB 26000 CALL".to_string())
    );
}

#[test]
fn options_without_strikes_are_reported() {
    let candidates = vec![option(
        "NIFTY",
        Exchange::Nse,
        date(2026, 2, 10),
        None,
        OptionType::Call,
    )];
    let c = TestCase {
        name: "no strikes",
        underlying: "NIFTY",
        option_type: OptionType::Call,
        price: 25_762.0,
        offset: 0,
        skip_after: None,
        now: ist(10, 0, 0),
        want: Ok(""),
    };
    assert_eq!(run(&candidates, &c), Err("NoStrikes"));
}

proptest! {
    #[test]
    fn atm_is_the_nearest_listed_strike(price in 25_000.0f64..26_500.0) {
        let candidates = chain();
        let request = ContractRequest {
            underlying: "NIFTY".into(),
            exchange: Exchange::Nse,
            option_type: OptionType::Call,
            underlying_price: price,
            now: ist(10, 0, 0),
        };
        let chosen = select_contract(&candidates, &request, &ContractRule::default());
        let strike = chosen.ok().and_then(|i| i.derivative.as_ref().and_then(|d| d.strike));
        prop_assert!(strike.is_some());
        let strike = strike.unwrap_or_default();
        for k in 0..9 {
            let other = 25_600.0 + 50.0 * f64::from(k);
            prop_assert!((strike - price).abs() <= (other - price).abs() + 1e-6);
        }
    }
}
