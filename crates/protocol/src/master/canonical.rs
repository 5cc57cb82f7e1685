//! mandi's own name for a derivative contract, derived from what the contract is
//! (underlying, expiry day, strike, call or put) rather than how a broker spells it, so
//! the same contract has the same symbol whether the master came from Dhan or Kite.
//!
//! | contract | canonical | Dhan trading symbol | Kite tradingsymbol |
//! |---|---|---|---|
//! | option | `NIFTY-08Dec2026-25750-PE` | `NIFTY-Dec2026-25750-PE` | `NIFTY26D0825750PE` |
//! | future | `NIFTY-29Dec2026-FUT` | `NIFTY-Dec2026-FUT` | `NIFTY26DECFUT` |

use std::fmt::Write;

use chrono::Datelike;
use mandi_domain::{Derivative, OptionType};

/// Title-case month names, as Dhan writes them in its trading symbols.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Strikes are written with at most this many decimals (currency options go to ₹0.0025).
const STRIKE_DECIMALS: usize = 4;

/// The canonical symbol of a future or option: the Dhan-like form with the expiry day
/// always written, because Dhan's own month form repeats one name for every weekly of a
/// month and a name must identify one contract.
pub fn canonical_symbol(d: &Derivative) -> String {
    let mut out = String::with_capacity(d.underlying.len() + 24);
    write_canonical_symbol(d, &mut out);
    out
}

/// [`canonical_symbol`] into a reused buffer (a master has 10^5 of them).
pub fn write_canonical_symbol(d: &Derivative, out: &mut String) {
    out.clear();
    let month = MONTHS[d.expiry.month0() as usize];
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{}-{:02}{month}{}-",
        d.underlying,
        d.expiry.day(),
        d.expiry.year()
    );
    match (d.strike, d.option_type) {
        (Some(strike), Some(kind)) => {
            write_strike(strike, out);
            out.push_str(match kind {
                OptionType::Call => "-CE",
                OptionType::Put => "-PE",
            });
        }
        _ => out.push_str("FUT"),
    }
}

/// `25750`, `83.25`, `0.0025`: whole strikes without a decimal point, others without
/// trailing zeros.
fn write_strike(strike: f64, out: &mut String) {
    let start = out.len();
    let _ = write!(out, "{strike:.STRIKE_DECIMALS$}");
    let trimmed = out[start..]
        .trim_end_matches('0')
        .trim_end_matches('.')
        .len();
    out.truncate(start + trimmed);
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn contract(
        underlying: &str,
        ymd: (i32, u32, u32),
        option: Option<(f64, OptionType)>,
    ) -> Derivative {
        Derivative {
            underlying: underlying.into(),
            expiry: NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).expect("a date"),
            strike: option.map(|o| o.0),
            option_type: option.map(|o| o.1),
        }
    }

    #[test]
    fn symbols() {
        struct TestCase {
            name: &'static str,
            contract: Derivative,
            want: &'static str,
        }
        let cases = [
            TestCase {
                name: "weekly put",
                contract: contract("NIFTY", (2026, 12, 8), Some((25750.0, OptionType::Put))),
                want: "NIFTY-08Dec2026-25750-PE",
            },
            TestCase {
                name: "monthly call keeps its day",
                contract: contract("NIFTY", (2026, 12, 29), Some((25800.0, OptionType::Call))),
                want: "NIFTY-29Dec2026-25800-CE",
            },
            TestCase {
                name: "future",
                contract: contract("CRUDEOIL", (2026, 12, 18), None),
                want: "CRUDEOIL-18Dec2026-FUT",
            },
            TestCase {
                name: "fractional strike",
                contract: contract("USDINR", (2026, 1, 27), Some((83.25, OptionType::Call))),
                want: "USDINR-27Jan2026-83.25-CE",
            },
            TestCase {
                name: "hyphenated underlying",
                contract: contract("BAJAJ-AUTO", (2026, 3, 31), None),
                want: "BAJAJ-AUTO-31Mar2026-FUT",
            },
            TestCase {
                name: "tenth of a rupee",
                contract: contract("GOLDM", (2026, 2, 5), Some((163500.5, OptionType::Put))),
                want: "GOLDM-05Feb2026-163500.5-PE",
            },
        ];
        for case in cases {
            assert_eq!(canonical_symbol(&case.contract), case.want, "{}", case.name);
        }
    }
}
