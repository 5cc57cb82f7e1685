//! The names the brokers give one derivative contract: Dhan's trading symbol (mandi's
//! `Instrument.symbol` for generated contracts), Dhan's display ("custom") symbol and
//! Kite's tradingsymbol, plus reading a Kite future's symbol back.
//!
//! | | Dhan trading | Dhan custom | Kite |
//! |---|---|---|---|
//! | monthly option | `NIFTY-Dec2026-25800-CE` | `NIFTY 29 DEC 25800 CALL` | `NIFTY26DEC25800CE` |
//! | weekly option | `NIFTY-01Dec2026-25800-CE` | `NIFTY 01 DEC 25800 CALL` | `NIFTY26D0125800CE` |
//! | future | `NIFTY-Dec2026-FUT` | `NIFTY DEC FUT` | `NIFTY26DECFUT` |

use chrono::{Datelike, NaiveDate};
use mandi_domain::{Derivative, OptionType};

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
/// Kite's one-character month in weekly symbols: 1–9 for January–September, then O, N, D.
const KITE_WEEKLY_MONTHS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'O', 'N', 'D'];

/// Dhan's `SEM_TRADING_SYMBOL`. Dhan's own file repeats the month form for every weekly
/// of a month; weeklies here carry the day too (Dhan's currency-future style,
/// `USDINR-28Aug2024-FUT`), so every contract has one name.
pub fn dhan_trading_symbol(d: &Derivative, monthly: bool) -> String {
    let month = title_case(MONTHS[d.expiry.month0() as usize]);
    let year = d.expiry.year();
    let (Some(strike), Some(kind)) = (d.strike, d.option_type) else {
        return format!("{}-{month}{year}-FUT", d.underlying);
    };
    let day = if monthly {
        String::new()
    } else {
        format!("{:02}", d.expiry.day())
    };
    let strike = strike_text(strike);
    format!(
        "{}-{day}{month}{year}-{strike}-{}",
        d.underlying,
        kind.as_str()
    )
}

/// Dhan's `SEM_CUSTOM_SYMBOL`: `NIFTY 29 DEC 25800 CALL`, `NIFTY DEC FUT`.
pub fn dhan_custom_symbol(d: &Derivative) -> String {
    let month = MONTHS[d.expiry.month0() as usize];
    let (Some(strike), Some(kind)) = (d.strike, d.option_type) else {
        return format!("{} {month} FUT", d.underlying);
    };
    let side = match kind {
        OptionType::Call => "CALL",
        OptionType::Put => "PUT",
    };
    let strike = strike_text(strike);
    format!(
        "{} {:02} {month} {strike} {side}",
        d.underlying,
        d.expiry.day()
    )
}

/// Kite's `tradingsymbol`: `NIFTY26DEC25800CE` (monthly), `NIFTY26D0125800CE` (weekly:
/// year, month character, day), `NIFTY26DECFUT`.
pub fn kite_tradingsymbol(d: &Derivative, monthly: bool) -> String {
    let yy = d.expiry.year() % 100;
    let month = MONTHS[d.expiry.month0() as usize];
    let (Some(strike), Some(kind)) = (d.strike, d.option_type) else {
        return format!("{}{yy:02}{month}FUT", d.underlying);
    };
    let strike = strike_text(strike);
    if monthly {
        return format!("{}{yy:02}{month}{strike}{}", d.underlying, kind.as_str());
    }
    let m = KITE_WEEKLY_MONTHS[d.expiry.month0() as usize];
    let day = d.expiry.day();
    format!(
        "{}{yy:02}{m}{day:02}{strike}{}",
        d.underlying,
        kind.as_str()
    )
}

/// `CRUDEOIL26DECFUT` → (`CRUDEOIL`, 2026, 12): the underlying and expiry month of a
/// Kite monthly future symbol, `None` for anything else.
pub fn parse_kite_future(tradingsymbol: &str) -> Option<(String, i32, u32)> {
    if !tradingsymbol.is_ascii() {
        return None;
    }
    let body = tradingsymbol.strip_suffix("FUT")?;
    let (rest, month) = body.split_at(body.len().checked_sub(3)?);
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let (name, yy) = rest.split_at(rest.len().checked_sub(2)?);
    if name.is_empty() || !yy.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name.to_string(), 2000 + yy.parse::<i32>().ok()?, month))
}

/// `YYYY-MM-DD`, the Kite instruments CSV's expiry column.
pub fn iso_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `25800`, `1442.5`: whole strikes print without decimals, as all three names do.
pub fn strike_text(strike: f64) -> String {
    if strike.fract().abs() < 1e-9 {
        format!("{strike:.0}")
    } else {
        let text = format!("{strike:.2}");
        text.trim_end_matches('0').to_string()
    }
}

fn title_case(upper: &str) -> String {
    let mut out = upper[..1].to_string();
    out.push_str(&upper[1..].to_ascii_lowercase());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(
        y: i32,
        m: u32,
        day: u32,
        strike: Option<f64>,
        kind: Option<OptionType>,
    ) -> Derivative {
        Derivative {
            underlying: "NIFTY".into(),
            expiry: NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default(),
            strike,
            option_type: kind,
        }
    }

    struct TestCase {
        name: &'static str,
        contract: Derivative,
        monthly: bool,
        dhan: &'static str,
        custom: &'static str,
        kite: &'static str,
    }

    #[test]
    fn names_per_broker() {
        let cases = [
            TestCase {
                name: "monthly call",
                contract: contract(2026, 12, 29, Some(25_800.0), Some(OptionType::Call)),
                monthly: true,
                dhan: "NIFTY-Dec2026-25800-CE",
                custom: "NIFTY 29 DEC 25800 CALL",
                kite: "NIFTY26DEC25800CE",
            },
            TestCase {
                name: "weekly put",
                contract: contract(2026, 12, 1, Some(25_800.0), Some(OptionType::Put)),
                monthly: false,
                dhan: "NIFTY-01Dec2026-25800-PE",
                custom: "NIFTY 01 DEC 25800 PUT",
                kite: "NIFTY26D0125800PE",
            },
            TestCase {
                name: "weekly in january uses the digit month",
                contract: contract(2027, 1, 5, Some(26_000.0), Some(OptionType::Call)),
                monthly: false,
                dhan: "NIFTY-05Jan2027-26000-CE",
                custom: "NIFTY 05 JAN 26000 CALL",
                kite: "NIFTY2710526000CE",
            },
            TestCase {
                name: "fractional strike",
                contract: contract(2026, 10, 27, Some(1_442.5), Some(OptionType::Call)),
                monthly: true,
                dhan: "NIFTY-Oct2026-1442.5-CE",
                custom: "NIFTY 27 OCT 1442.5 CALL",
                kite: "NIFTY26OCT1442.5CE",
            },
            TestCase {
                name: "future",
                contract: contract(2026, 12, 29, None, None),
                monthly: true,
                dhan: "NIFTY-Dec2026-FUT",
                custom: "NIFTY DEC FUT",
                kite: "NIFTY26DECFUT",
            },
        ];
        for c in cases {
            assert_eq!(
                dhan_trading_symbol(&c.contract, c.monthly),
                c.dhan,
                "{}",
                c.name
            );
            assert_eq!(dhan_custom_symbol(&c.contract), c.custom, "{}", c.name);
            assert_eq!(
                kite_tradingsymbol(&c.contract, c.monthly),
                c.kite,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn kite_future_symbols_parse_back() {
        assert_eq!(
            parse_kite_future("CRUDEOIL26DECFUT"),
            Some(("CRUDEOIL".to_string(), 2026, 12))
        );
        assert_eq!(
            parse_kite_future("NIFTY27JANFUT"),
            Some(("NIFTY".to_string(), 2027, 1))
        );
        for bad in [
            "CRUDEOIL",
            "26DECFUT",
            "NIFTY26D0125800CE",
            "X2XDECFUT",
            "NIFTY26ABCFUT",
        ] {
            assert_eq!(parse_kite_future(bad), None, "{bad}");
        }
    }
}
