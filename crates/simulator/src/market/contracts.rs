//! The derivatives universe: futures and options generated around the configured
//! underlyings for a given IST date. Pure: (configured instruments, today, settings) in,
//! contracts out; the same inputs always list the same contracts with the same ids.
//!
//! Ids: a contract's Dhan security id is also its Kite exchange token (as NSE's own
//! token is for cash stocks), counted up per exchange from [`FIRST_ID`], skipping any
//! id a configured instrument already holds; the Kite instrument token is
//! `exchange_token << 8 | segment` (NFO 2, BFO 5, MCX 7).

use std::collections::HashSet;

use chrono::NaiveDate;
use mandi_domain::{Derivative, Exchange, Instrument, OptionType, Segment};

use super::expiry::{is_monthly, monthly_expiry};
use super::symbols::{dhan_trading_symbol, kite_tradingsymbol, parse_kite_future};
use super::underlyings::{
    derivative_segment, kite_derivative_exchange, UnderlyingKind, UnderlyingSpec, OPTION_TICK,
    UNDERLYINGS,
};
use crate::settings::{DerivativeSettings, SimInstrument};

/// Where each exchange's synthetic ids start (NSE F&O ids are five-to-six digit
/// numbers on Dhan; these stay clear of the configured ones and below 2^24, the
/// largest exchange token a Kite instrument token can carry).
pub const FIRST_ID: [(Exchange, u32); 3] = [
    (Exchange::Nse, 40_000),
    (Exchange::Bse, 800_000),
    (Exchange::Mcx, 480_000),
];

/// A generated contract and the configured instrument it follows.
#[derive(Clone, Debug, PartialEq)]
pub struct Contract {
    pub instrument: Instrument,
    /// Index into the configured instruments.
    pub underlying: usize,
}

/// Every contract of every [`UNDERLYINGS`] entry whose underlying is configured (matched
/// by symbol), strikes centred on the underlying's start price. A generated contract
/// that a configured one already is (same Kite key) is left out: the configured one
/// keeps its ids and random walk.
pub fn generate(
    configured: &[SimInstrument],
    today: NaiveDate,
    settings: &DerivativeSettings,
) -> Vec<Contract> {
    if !settings.enabled {
        return Vec::new();
    }
    let mut ids = IdAllocator::new(configured);
    let mut out = Vec::new();
    for spec in &UNDERLYINGS {
        let Some(idx) = configured
            .iter()
            .position(|c| &*c.instrument.symbol == spec.name)
        else {
            continue;
        };
        for d in derivatives_of(spec, configured[idx].start_price, today, settings) {
            let Some(instrument) = contract(spec, d, &mut ids) else {
                continue;
            };
            out.push(Contract {
                instrument,
                underlying: idx,
            });
        }
    }
    out
}

/// Configured derivatives carry no expiry in the config; a Kite monthly future symbol
/// (`MCX:CRUDEOIL26DECFUT`) names its month, and the exchange's rule gives the day.
/// Anything else is returned unchanged.
pub fn with_derivative_details(configured: &[SimInstrument]) -> Vec<SimInstrument> {
    configured
        .iter()
        .cloned()
        .map(|mut c| {
            let i = &mut c.instrument;
            let derivative_segment = matches!(
                i.segment,
                Segment::NseFno | Segment::BseFno | Segment::McxComm
            );
            if i.derivative.is_none() && derivative_segment {
                let symbol = i.kite_key.split_once(':').map_or(&*i.kite_key, |(_, s)| s);
                i.derivative = parse_kite_future(symbol).and_then(|(name, year, month)| {
                    Some(Derivative {
                        underlying: name.into(),
                        expiry: monthly_expiry(i.exchange, year, month)?,
                        strike: None,
                        option_type: None,
                    })
                });
            }
            c
        })
        .collect()
}

/// Futures first, then options by expiry, strike, call before put.
fn derivatives_of(
    spec: &UnderlyingSpec,
    spot: f64,
    today: NaiveDate,
    settings: &DerivativeSettings,
) -> Vec<Derivative> {
    let base = |expiry, strike, option_type| Derivative {
        underlying: spec.name.into(),
        expiry,
        strike,
        option_type,
    };
    let mut out: Vec<Derivative> = spec
        .futures
        .expiries(today)
        .into_iter()
        .map(|e| base(e, None, None))
        .collect();
    let Some(options) = spec.options else {
        return out;
    };
    let each_side = match spec.kind {
        UnderlyingKind::Index => settings.index_strikes_each_side,
        UnderlyingKind::Stock | UnderlyingKind::Commodity => settings.stock_strikes_each_side,
    };
    let step = options.strike_step;
    let atm = (spot / step).round();
    let strikes: Vec<f64> = (-i64::from(each_side)..=i64::from(each_side))
        .map(|k| (atm + k as f64) * step)
        .filter(|k| *k > 0.0)
        .collect();
    for expiry in options.expiries.expiries(today) {
        for &strike in &strikes {
            for kind in [OptionType::Call, OptionType::Put] {
                out.push(base(expiry, Some(strike), Some(kind)));
            }
        }
    }
    out
}

fn contract(spec: &UnderlyingSpec, d: Derivative, ids: &mut IdAllocator) -> Option<Instrument> {
    let monthly = is_monthly(spec.exchange, d.expiry);
    let (kite_exchange, kite_segment) = kite_derivative_exchange(spec.exchange);
    let kite_key = format!("{kite_exchange}:{}", kite_tradingsymbol(&d, monthly));
    if ids.keys.contains(&kite_key) {
        return None;
    }
    let segment = derivative_segment(spec.exchange);
    let id = ids.next(spec.exchange, segment, kite_segment);
    ids.keys.insert(kite_key.clone());
    let tick_size = if d.strike.is_some() {
        OPTION_TICK
    } else {
        spec.future_tick
    };
    Some(Instrument {
        symbol: dhan_trading_symbol(&d, monthly).into(),
        exchange: spec.exchange,
        segment,
        security_id: id,
        kite_token: id << 8 | kite_segment,
        kite_key: kite_key.into(),
        tick_size,
        lot_size: spec.lot_size,
        derivative: Some(d),
    })
}

/// Hands out ids per exchange, never one a configured instrument (or an earlier
/// contract) holds on Dhan or on Kite.
struct IdAllocator {
    next: [(Exchange, u32); 3],
    dhan: HashSet<(Segment, u32)>,
    kite: HashSet<u32>,
    keys: HashSet<String>,
}

impl IdAllocator {
    fn new(configured: &[SimInstrument]) -> Self {
        let all = configured.iter().map(|c| &c.instrument);
        IdAllocator {
            next: FIRST_ID,
            dhan: all.clone().map(|i| (i.segment, i.security_id)).collect(),
            kite: all.clone().map(|i| i.kite_token).collect(),
            keys: all.map(|i| i.kite_key.to_string()).collect(),
        }
    }

    fn next(&mut self, exchange: Exchange, segment: Segment, kite_segment: u32) -> u32 {
        let Some(slot) = self.next.iter_mut().find(|(x, _)| *x == exchange) else {
            return 0;
        };
        loop {
            let id = slot.1;
            slot.1 += 1;
            let token = id << 8 | kite_segment;
            if !self.dhan.contains(&(segment, id)) && !self.kite.contains(&token) {
                self.dhan.insert((segment, id));
                self.kite.insert(token);
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{Datelike, Weekday};

    use super::*;
    use crate::SimSettings;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn listed(today: NaiveDate) -> (Vec<SimInstrument>, Vec<Contract>) {
        let configured = with_derivative_details(&SimSettings::default_universe());
        let contracts = generate(&configured, today, &DerivativeSettings::default());
        (configured, contracts)
    }

    /// Distinct expiries of one underlying's futures (`options == false`) or options.
    fn expiries(contracts: &[Contract], name: &str, options: bool) -> Vec<NaiveDate> {
        let set: BTreeSet<NaiveDate> = contracts
            .iter()
            .filter_map(|c| c.instrument.derivative.as_ref())
            .filter(|x| &*x.underlying == name && x.strike.is_some() == options)
            .map(|x| x.expiry)
            .collect();
        set.into_iter().collect()
    }

    struct TestCase {
        name: &'static str,
        today: NaiveDate,
        underlying: &'static str,
        options: bool,
        want: Vec<NaiveDate>,
    }

    #[test]
    fn expiries_listed_per_underlying() {
        let sunday = d(2026, 11, 22);
        let after_december_monthly = d(2026, 12, 30);
        let cases = [
            TestCase {
                name: "nifty options: four tuesdays and two monthlies",
                today: sunday,
                underlying: "NIFTY",
                options: true,
                want: vec![
                    d(2026, 11, 24),
                    d(2026, 12, 1),
                    d(2026, 12, 8),
                    d(2026, 12, 15),
                    d(2026, 12, 29),
                ],
            },
            TestCase {
                name: "nifty futures: two monthlies",
                today: sunday,
                underlying: "NIFTY",
                options: false,
                want: vec![d(2026, 11, 24), d(2026, 12, 29)],
            },
            TestCase {
                name: "banknifty options: three last tuesdays",
                today: sunday,
                underlying: "BANKNIFTY",
                options: true,
                want: vec![d(2026, 11, 24), d(2026, 12, 29), d(2027, 1, 26)],
            },
            TestCase {
                name: "sensex options: thursdays",
                today: sunday,
                underlying: "SENSEX",
                options: true,
                want: vec![
                    d(2026, 11, 26),
                    d(2026, 12, 3),
                    d(2026, 12, 10),
                    d(2026, 12, 17),
                    d(2026, 12, 31),
                ],
            },
            TestCase {
                name: "sensex futures: last thursdays",
                today: sunday,
                underlying: "SENSEX",
                options: false,
                want: vec![d(2026, 11, 26), d(2026, 12, 31)],
            },
            TestCase {
                name: "stock options roll past a month end",
                today: after_december_monthly,
                underlying: "TCS",
                options: true,
                want: vec![d(2027, 1, 26), d(2027, 2, 23)],
            },
            TestCase {
                name: "crude: december is the configured future, two more generated",
                today: sunday,
                underlying: "CRUDEOIL",
                options: false,
                want: vec![d(2027, 1, 19), d(2027, 2, 19)],
            },
            TestCase {
                name: "crude has no options",
                today: sunday,
                underlying: "CRUDEOIL",
                options: true,
                want: vec![],
            },
        ];
        for c in cases {
            let (_, contracts) = listed(c.today);
            assert_eq!(
                expiries(&contracts, c.underlying, c.options),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn exchanges_never_mix() {
        let (_, contracts) = listed(d(2026, 11, 22));
        for c in &contracts {
            let i = &c.instrument;
            let Some(x) = &i.derivative else {
                panic!("{} has no contract details", i.symbol)
            };
            let (segment, kite_segment, prefix, weekday) = match i.exchange {
                Exchange::Nse => (Segment::NseFno, 2, "NFO:", Some(Weekday::Tue)),
                Exchange::Bse => (Segment::BseFno, 5, "BFO:", Some(Weekday::Thu)),
                Exchange::Mcx => (Segment::McxComm, 7, "MCX:", None),
            };
            assert_eq!(i.segment, segment, "{}", i.symbol);
            assert_eq!(i.kite_segment(), kite_segment, "{}", i.symbol);
            assert!(i.kite_key.starts_with(prefix), "{}", i.kite_key);
            if let Some(w) = weekday {
                assert_eq!(x.expiry.weekday(), w, "{}", i.symbol);
            }
            let bse = matches!(&*x.underlying, "SENSEX");
            assert_eq!(bse, i.exchange == Exchange::Bse, "{}", i.symbol);
        }
    }

    #[test]
    fn ids_symbols_and_keys_are_unique() {
        let (configured, contracts) = listed(d(2026, 11, 22));
        let all: Vec<&Instrument> = configured
            .iter()
            .map(|c| &c.instrument)
            .chain(contracts.iter().map(|c| &c.instrument))
            .collect();
        let n = all.len();
        let unique = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>().len();
        assert_eq!(
            unique(
                all.iter()
                    .map(|i| format!("{}:{}", i.segment, i.security_id))
                    .collect()
            ),
            n
        );
        assert_eq!(
            unique(all.iter().map(|i| i.kite_token.to_string()).collect()),
            n
        );
        assert_eq!(
            unique(all.iter().map(|i| i.kite_key.to_string()).collect()),
            n
        );
        assert_eq!(
            unique(all.iter().map(|i| i.symbol.to_string()).collect()),
            n
        );
        for i in &all {
            assert!(i.kite_token >> 8 != 0, "{}", i.symbol);
        }
        // 5 NIFTY + 3 BANKNIFTY + 5 SENSEX expiries × 41 strikes, 3 stocks × 2 × 21
        // strikes, both sides; 12 index and stock futures and 2 crude futures.
        assert_eq!(
            contracts.len(),
            (5 + 3 + 5) * 41 * 2 + 3 * 2 * 21 * 2 + 12 + 2
        );
    }

    #[test]
    fn strikes_centre_on_the_start_price() {
        let (_, contracts) = listed(d(2026, 11, 22));
        let strikes = |name: &str| -> BTreeSet<i64> {
            contracts
                .iter()
                .filter_map(|c| c.instrument.derivative.as_ref())
                .filter(|x| &*x.underlying == name)
                .filter_map(|x| x.strike)
                .map(|k| k as i64)
                .collect()
        };
        let nifty = strikes("NIFTY"); // start 25760 → ATM 25750, step 50
        assert_eq!(
            (nifty.first(), nifty.last(), nifty.len()),
            (Some(&24_750), Some(&26_750), 41)
        );
        let reliance = strikes("RELIANCE"); // 1443.4 → 1440, step 10
        assert_eq!(
            (reliance.first(), reliance.last(), reliance.len()),
            (Some(&1_340), Some(&1_540), 21)
        );
    }

    #[test]
    fn generation_is_a_pure_function_of_its_inputs() {
        let today = d(2027, 3, 3);
        assert_eq!(listed(today), listed(today));
        let off = DerivativeSettings {
            enabled: false,
            ..DerivativeSettings::default()
        };
        assert!(generate(&SimSettings::default_universe(), today, &off).is_empty());
    }

    #[test]
    fn configured_futures_gain_their_expiry() {
        let (configured, _) = listed(d(2026, 11, 22));
        let crude = configured
            .iter()
            .find(|c| &*c.instrument.symbol == "CRUDEOIL");
        let expiry = crude
            .and_then(|c| c.instrument.derivative.as_ref())
            .map(|x| x.expiry);
        assert_eq!(expiry, Some(d(2026, 12, 18)));
        let nifty = configured.iter().find(|c| &*c.instrument.symbol == "NIFTY");
        assert!(nifty.is_some_and(|c| c.instrument.derivative.is_none()));
    }
}
