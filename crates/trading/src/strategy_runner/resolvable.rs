//! Whether a bot can trade with the instruments the runtime knows: its underlying must be
//! an instrument, and options of it must be listed (from the broker's master) with an
//! expiry still ahead. Checked at start (one warning) and on every `/api/bots`, so a
//! master loaded later clears it.

use chrono::NaiveDate;
use mandi_instruments::InstrumentIndex;
use mandi_strategy::BotSettings;

/// Why the bot can never pick a contract with `index` as it stands on `today` (IST), or
/// `None` when it can.
pub fn unresolved(
    settings: &BotSettings,
    index: &InstrumentIndex,
    today: NaiveDate,
) -> Option<String> {
    let underlying = settings.underlying.as_str();
    let exchange = settings.exchange;
    if index.by_symbol(underlying).is_none() {
        return Some(format!(
            "underlying {underlying} is not a known instrument: add it to [[instruments]] or check the bot's `underlying`"
        ));
    }
    if index.options_of(underlying, exchange).is_empty() {
        return Some(format!(
            "no {underlying} options on {exchange:?} in the instrument master: check master.source and the master in /health (none loaded means configured instruments only)"
        ));
    }
    if index.next_expiry(underlying, exchange, today).is_none() {
        return Some(format!(
            "every listed {underlying} option on {exchange:?} has expired: the master is out of date (POST /api/admin/master/reload)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::nifty_ce;
    use mandi_domain::{Exchange, Instrument, Segment};

    fn nifty_index() -> Instrument {
        Instrument {
            symbol: "NIFTY".into(),
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            security_id: 13,
            kite_token: 256_265,
            kite_key: "NSE:NIFTY 50".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    struct TestCase {
        name: &'static str,
        instruments: Vec<Instrument>,
        underlying: &'static str,
        exchange: Exchange,
        /// 2026-02-10 is the fixture option's expiry.
        today: (i32, u32, u32),
        /// A word the reason must hold; `None` = resolvable.
        want: Option<&'static str>,
    }

    #[test]
    fn unresolved_cases() {
        let cases = [
            TestCase {
                name: "underlying and a live option",
                instruments: vec![nifty_index(), nifty_ce()],
                underlying: "NIFTY",
                exchange: Exchange::Nse,
                today: (2026, 2, 3),
                want: None,
            },
            TestCase {
                name: "expiry day still trades",
                instruments: vec![nifty_index(), nifty_ce()],
                underlying: "NIFTY",
                exchange: Exchange::Nse,
                today: (2026, 2, 10),
                want: None,
            },
            TestCase {
                name: "unknown underlying",
                instruments: vec![nifty_index(), nifty_ce()],
                underlying: "FINNIFTY",
                exchange: Exchange::Nse,
                today: (2026, 2, 3),
                want: Some("underlying FINNIFTY is not a known instrument"),
            },
            TestCase {
                name: "no master: no options",
                instruments: vec![nifty_index()],
                underlying: "NIFTY",
                exchange: Exchange::Nse,
                today: (2026, 2, 3),
                want: Some("no NIFTY options"),
            },
            TestCase {
                name: "options on another exchange only",
                instruments: vec![nifty_index(), nifty_ce()],
                underlying: "NIFTY",
                exchange: Exchange::Bse,
                today: (2026, 2, 3),
                want: Some("no NIFTY options on Bse"),
            },
            TestCase {
                name: "every option expired",
                instruments: vec![nifty_index(), nifty_ce()],
                underlying: "NIFTY",
                exchange: Exchange::Nse,
                today: (2026, 2, 11),
                want: Some("has expired"),
            },
        ];
        for c in cases {
            let index = InstrumentIndex::build(c.instruments).expect(c.name);
            let settings = BotSettings {
                name: "orb".into(),
                underlying: c.underlying.into(),
                exchange: c.exchange,
                ..BotSettings::default()
            };
            let (y, m, d) = c.today;
            let today = NaiveDate::from_ymd_opt(y, m, d).expect(c.name);
            let got = unresolved(&settings, &index, today);
            match c.want {
                None => assert_eq!(got, None, "{}", c.name),
                Some(word) => assert!(
                    got.as_deref().is_some_and(|r| r.contains(word)),
                    "{}: {got:?}",
                    c.name
                ),
            }
        }
    }
}
