//! Expiry settlement prices: what a contract still held at its expiry is worth at the
//! close of its underlying. Pure: the close is an argument.

use mandi_domain::{Derivative, OptionType};

use crate::price::round_paise;

/// The reason code every settlement fill carries (and its order, in the journal).
pub const SETTLEMENT_REASON: &str = "expiry_settlement";

/// The tag of a settlement order: no bot placed it, the exchange did.
pub const SETTLEMENT_TAG: &str = "settlement";

/// The price an expired contract settles at, to the paisa: an option's intrinsic value
/// (`max(0, close − strike)` for a call, `max(0, strike − close)` for a put), a
/// future's underlying close. `None` for a close that is not a positive finite price.
pub fn settlement_price(contract: &Derivative, underlying_close: f64) -> Option<f64> {
    if !(underlying_close.is_finite() && underlying_close > 0.0) {
        return None;
    }
    let price = match (contract.strike, contract.option_type) {
        (Some(strike), Some(OptionType::Call)) => (underlying_close - strike).max(0.0),
        (Some(strike), Some(OptionType::Put)) => (strike - underlying_close).max(0.0),
        _ => underlying_close,
    };
    Some(round_paise(price))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn contract(option: Option<(f64, OptionType)>) -> Derivative {
        Derivative {
            underlying: "NIFTY".into(),
            expiry: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap_or_default(),
            strike: option.map(|o| o.0),
            option_type: option.map(|o| o.1),
        }
    }

    #[test]
    fn prices() {
        struct TestCase {
            name: &'static str,
            contract: Derivative,
            close: f64,
            want: Option<f64>,
        }
        let call = Some((25_750.0, OptionType::Call));
        let put = Some((25_750.0, OptionType::Put));
        let cases = [
            TestCase {
                name: "call in the money",
                contract: contract(call),
                close: 25_812.37,
                want: Some(62.37),
            },
            TestCase {
                name: "call out of the money",
                contract: contract(call),
                close: 25_700.0,
                want: Some(0.0),
            },
            TestCase {
                name: "call at the money",
                contract: contract(call),
                close: 25_750.0,
                want: Some(0.0),
            },
            TestCase {
                name: "put in the money",
                contract: contract(put),
                close: 25_700.5,
                want: Some(49.5),
            },
            TestCase {
                name: "put out of the money",
                contract: contract(put),
                close: 25_800.0,
                want: Some(0.0),
            },
            TestCase {
                name: "future at the close",
                contract: contract(None),
                close: 25_812.37,
                want: Some(25_812.37),
            },
            TestCase {
                name: "no close",
                contract: contract(call),
                close: 0.0,
                want: None,
            },
            TestCase {
                name: "not a number",
                contract: contract(put),
                close: f64::NAN,
                want: None,
            },
        ];
        for case in cases {
            assert_eq!(
                settlement_price(&case.contract, case.close),
                case.want,
                "{}",
                case.name
            );
        }
    }
}
