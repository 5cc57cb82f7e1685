//! Field parsers shared by the Dhan and Kite layouts: ids, lots, ticks, strikes,
//! expiry dates (parsed once per distinct date) and interned underlyings.

use std::sync::Arc;

use mandi_domain::{Derivative, OptionType};

use super::fast_hash::{FastMap, FastSet};
use super::RejectReason;

/// Dhan writes this for "no expiry" on cash and index rows.
const NO_EXPIRY_PLACEHOLDER: &str = "0001-01-01";

/// A positive integer id (Dhan security id, Kite token); zero is not an id.
pub(crate) fn parse_id(text: &str) -> Result<u32, RejectReason> {
    match text.trim().parse::<u32>() {
        Ok(0) | Err(_) => Err(RejectReason::BadId),
        Ok(id) => Ok(id),
    }
}

/// A finite decimal; `None` for empty or malformed text.
pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A lot size. Dhan writes it as a decimal (`75.0`), Kite as an integer; both must be a
/// whole number above zero.
pub(crate) fn parse_lot(text: &str) -> Result<u32, RejectReason> {
    if text.trim().is_empty() {
        return Err(RejectReason::MissingLot);
    }
    let lot = parse_decimal(text).ok_or(RejectReason::BadLot)?;
    if lot == 0.0 {
        return Err(RejectReason::ZeroLot);
    }
    if lot < 0.0 || lot.fract() != 0.0 || lot > f64::from(u32::MAX) {
        return Err(RejectReason::BadLot);
    }
    Ok(lot as u32)
}

/// A strike for an option row: present and positive.
pub(crate) fn parse_strike(text: &str) -> Result<f64, RejectReason> {
    if text.trim().is_empty() {
        return Err(RejectReason::MissingStrike);
    }
    match parse_decimal(text) {
        Some(strike) if strike > 0.0 => Ok(strike),
        _ => Err(RejectReason::BadStrike),
    }
}

/// `CE`/`PE` for an option row.
pub(crate) fn parse_option_type(text: &str) -> Result<OptionType, RejectReason> {
    match text.trim() {
        "CE" | "ce" => Ok(OptionType::Call),
        "PE" | "pe" => Ok(OptionType::Put),
        _ => Err(RejectReason::BadOptionType),
    }
}

/// Reads `YYYY-MM-DD`, optionally followed by a time (`2024-10-24 14:30:00`), as a
/// `YYYYMMDD` number; `Ok(None)` when empty or Dhan's `0001-01-01` placeholder.
fn expiry_key(text: &str) -> Result<Option<u32>, RejectReason> {
    let text = text.trim();
    if text.is_empty() || text.starts_with(NO_EXPIRY_PLACEHOLDER) {
        return Ok(None);
    }
    let bytes = text.as_bytes();
    let well_formed = bytes.len() >= 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes.len() == 10 || bytes[10] == b' ' || bytes[10] == b'T')
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit());
    if !well_formed {
        return Err(RejectReason::BadExpiry);
    }
    let key = [0, 1, 2, 3, 5, 6, 8, 9]
        .iter()
        .fold(0u32, |acc, &i| acc * 10 + u32::from(bytes[i] - b'0'));
    Ok(Some(key))
}

/// Builds `Derivative`s, parsing each distinct expiry date once (a master has a few
/// hundred expiries over 10^5 rows) and sharing interned underlying names.
///
/// The cache holds a finished `Derivative` per date and copies its `expiry` out: that
/// keeps this crate free of a direct date-library dependency while the calendar check
/// (February 30th is rejected) stays the domain type's own.
#[derive(Default)]
pub(crate) struct DerivativeBuilder {
    by_date: FastMap<u32, Derivative>,
    underlyings: Interner,
}

impl DerivativeBuilder {
    /// A future (no strike) or an option. `expiry_text` must hold a real date.
    pub(crate) fn build(
        &mut self,
        underlying: &str,
        expiry_text: &str,
        option: Option<(f64, OptionType)>,
    ) -> Result<Derivative, RejectReason> {
        let key = expiry_key(expiry_text)?.ok_or(RejectReason::MissingExpiry)?;
        let expiry = match self.by_date.get(&key) {
            Some(template) => template.expiry,
            None => {
                let expiry = expiry_text.trim()[..10]
                    .parse()
                    .map_err(|_| RejectReason::BadExpiry)?;
                let template = Derivative {
                    underlying: self.underlyings.get(""),
                    expiry,
                    strike: None,
                    option_type: None,
                };
                self.by_date.insert(key, template);
                expiry
            }
        };
        Ok(Derivative {
            underlying: self.underlyings.get(underlying),
            expiry,
            strike: option.map(|(strike, _)| strike),
            option_type: option.map(|(_, kind)| kind),
        })
    }

    /// A shared copy of a string repeated across rows (e.g. the empty Kite key).
    pub(crate) fn intern(&mut self, text: &str) -> Arc<str> {
        self.underlyings.get(text)
    }
}

/// One `Arc<str>` per distinct string, so 10^5 option rows share a handful of names.
#[derive(Default)]
struct Interner {
    seen: FastSet<Arc<str>>,
    /// Masters list a contract family together: most rows repeat the previous name.
    last: Option<Arc<str>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(last) = self.last.as_ref().filter(|last| ***last == *text) {
            return last.clone();
        }
        let shared = match self.seen.get(text) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = Arc::from(text);
                self.seen.insert(shared.clone());
                shared
            }
        };
        self.last = Some(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lots() {
        struct TestCase {
            name: &'static str,
            text: &'static str,
            want: Result<u32, RejectReason>,
        }
        let cases = [
            TestCase {
                name: "dhan decimal",
                text: "75.0",
                want: Ok(75),
            },
            TestCase {
                name: "kite integer",
                text: "1800",
                want: Ok(1800),
            },
            TestCase {
                name: "empty",
                text: " ",
                want: Err(RejectReason::MissingLot),
            },
            TestCase {
                name: "zero",
                text: "0.0",
                want: Err(RejectReason::ZeroLot),
            },
            TestCase {
                name: "fraction",
                text: "2.5",
                want: Err(RejectReason::BadLot),
            },
            TestCase {
                name: "negative",
                text: "-1",
                want: Err(RejectReason::BadLot),
            },
            TestCase {
                name: "text",
                text: "abc",
                want: Err(RejectReason::BadLot),
            },
            TestCase {
                name: "nan",
                text: "NaN",
                want: Err(RejectReason::BadLot),
            },
        ];
        for case in cases {
            assert_eq!(parse_lot(case.text), case.want, "{}", case.name);
        }
    }

    #[test]
    fn expiries() {
        struct TestCase {
            name: &'static str,
            text: &'static str,
            want: Result<&'static str, RejectReason>,
        }
        let cases = [
            TestCase {
                name: "dhan with time",
                text: "2024-10-24 14:30:00",
                want: Ok("2024-10-24"),
            },
            TestCase {
                name: "mcx close",
                text: "2026-10-05 23:30:00",
                want: Ok("2026-10-05"),
            },
            TestCase {
                name: "date only",
                text: "2026-11-23",
                want: Ok("2026-11-23"),
            },
            TestCase {
                name: "empty",
                text: "",
                want: Err(RejectReason::MissingExpiry),
            },
            TestCase {
                name: "placeholder",
                text: "0001-01-01",
                want: Err(RejectReason::MissingExpiry),
            },
            TestCase {
                name: "day first",
                text: "24-10-2024",
                want: Err(RejectReason::BadExpiry),
            },
            TestCase {
                name: "no such day",
                text: "2024-02-30",
                want: Err(RejectReason::BadExpiry),
            },
            TestCase {
                name: "month 13",
                text: "2024-13-01",
                want: Err(RejectReason::BadExpiry),
            },
            TestCase {
                name: "cut short",
                text: "2024-10-2",
                want: Err(RejectReason::BadExpiry),
            },
            TestCase {
                name: "trailing junk",
                text: "2024-10-24x",
                want: Err(RejectReason::BadExpiry),
            },
        ];
        let mut builder = DerivativeBuilder::default();
        for case in cases {
            // Twice: the second call is served from the cache and must agree.
            for _ in 0..2 {
                let got = builder
                    .build("NIFTY", case.text, None)
                    .map(|d| d.expiry.to_string());
                assert_eq!(
                    got.as_deref(),
                    case.want.as_ref().map(|s| *s),
                    "{}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn underlyings_are_shared() {
        let mut builder = DerivativeBuilder::default();
        let a = builder.build("NIFTY", "2024-10-24", Some((25800.0, OptionType::Call)));
        let b = builder.build("NIFTY", "2024-10-31", None);
        match (a, b) {
            (Ok(a), Ok(b)) => assert!(Arc::ptr_eq(&a.underlying, &b.underlying)),
            other => panic!("both should build: {other:?}"),
        }
    }

    #[test]
    fn strikes_and_types() {
        assert_eq!(parse_strike("25800.00000"), Ok(25800.0));
        assert_eq!(parse_strike(""), Err(RejectReason::MissingStrike));
        assert_eq!(parse_strike("-0.01000"), Err(RejectReason::BadStrike));
        assert_eq!(parse_strike("x"), Err(RejectReason::BadStrike));
        assert_eq!(parse_option_type("PE"), Ok(OptionType::Put));
        assert_eq!(parse_option_type("XX"), Err(RejectReason::BadOptionType));
        assert_eq!(parse_id("0"), Err(RejectReason::BadId));
        assert_eq!(parse_id(" 2885 "), Ok(2885));
    }
}
