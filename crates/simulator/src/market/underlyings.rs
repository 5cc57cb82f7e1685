//! The derivatives listed on each underlying the simulator knows: expiry calendars,
//! strike steps, lot sizes and ticks, and where each exchange's contracts live on Dhan
//! (segment) and Kite (exchange, token segment id).

use chrono::Weekday;
use mandi_domain::{Exchange, Segment};

use super::expiry::ExpiryRule;

/// Every option trades on a ₹0.05 grid.
pub const OPTION_TICK: f64 = 0.05;

/// What an underlying is, which decides its strike count and master-file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnderlyingKind {
    Index,
    Stock,
    Commodity,
}

/// The options listed on an underlying.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionSeries {
    pub expiries: ExpiryRule,
    /// Rupees between neighbouring strikes.
    pub strike_step: f64,
}

/// One underlying's derivatives. `name` is the configured instrument's symbol the
/// contracts follow, and the underlying name in every derivative symbol.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnderlyingSpec {
    pub name: &'static str,
    /// Where the derivatives trade (SENSEX options are BSE, never NSE).
    pub exchange: Exchange,
    pub kind: UnderlyingKind,
    pub lot_size: u32,
    /// Annualised volatility of the underlying's walk and of its options' pricing,
    /// close to the market's recent realised figure.
    pub volatility_annual: f64,
    pub futures: ExpiryRule,
    pub future_tick: f64,
    pub options: Option<OptionSeries>,
}

const NSE_MONTHLY_2: ExpiryRule = ExpiryRule::Monthly {
    weekday: Weekday::Tue,
    months: 2,
};
const BSE_MONTHLY_2: ExpiryRule = ExpiryRule::Monthly {
    weekday: Weekday::Thu,
    months: 2,
};

/// NSE expiries fall on Tuesdays and BSE's on Thursdays (weeklies and the month's last);
/// lot sizes are the exchanges' current ones (NIFTY 75, BANKNIFTY 35, FINNIFTY 65,
/// SENSEX 20, CRUDEOIL 100 barrels, stocks per NSE's F&O list).
pub const UNDERLYINGS: [UnderlyingSpec; 8] = [
    index(
        "NIFTY",
        Exchange::Nse,
        (75, 0.13),
        0.10,
        OptionSeries {
            expiries: ExpiryRule::WeeklyAndMonthly {
                weekday: Weekday::Tue,
                weeks: 4,
                months: 2,
            },
            strike_step: 50.0,
        },
    ),
    index(
        "BANKNIFTY",
        Exchange::Nse,
        (35, 0.15),
        0.20,
        OptionSeries {
            expiries: ExpiryRule::Monthly {
                weekday: Weekday::Tue,
                months: 3,
            },
            strike_step: 100.0,
        },
    ),
    index(
        "SENSEX",
        Exchange::Bse,
        (20, 0.13),
        0.10,
        OptionSeries {
            expiries: ExpiryRule::WeeklyAndMonthly {
                weekday: Weekday::Thu,
                weeks: 4,
                months: 2,
            },
            strike_step: 100.0,
        },
    ),
    stock("RELIANCE", (500, 0.24), 10.0),
    stock("HDFCBANK", (550, 0.22), 20.0),
    stock("TCS", (175, 0.25), 50.0),
    UnderlyingSpec {
        name: "CRUDEOIL",
        exchange: Exchange::Mcx,
        kind: UnderlyingKind::Commodity,
        lot_size: 100,
        volatility_annual: 0.30,
        futures: ExpiryRule::McxMonthly { months: 3 },
        future_tick: 1.0,
        options: None,
    },
    index(
        "FINNIFTY",
        Exchange::Nse,
        (65, 0.15),
        0.10,
        OptionSeries {
            expiries: ExpiryRule::Monthly {
                weekday: Weekday::Tue,
                months: 3,
            },
            strike_step: 50.0,
        },
    ),
];

/// The spec whose derivatives follow the configured instrument named `symbol`.
pub fn spec_for(symbol: &str) -> Option<&'static UnderlyingSpec> {
    UNDERLYINGS.iter().find(|s| s.name == symbol)
}

/// Whether `name` is one of the indices (for Dhan's `FUTIDX`/`OPTIDX` vs `FUTSTK`/`OPTSTK`).
pub fn is_index_name(name: &str) -> bool {
    spec_for(name).is_some_and(|s| s.kind == UnderlyingKind::Index)
}

/// Dhan segment of an exchange's derivatives.
pub fn derivative_segment(exchange: Exchange) -> Segment {
    match exchange {
        Exchange::Nse => Segment::NseFno,
        Exchange::Bse => Segment::BseFno,
        Exchange::Mcx => Segment::McxComm,
    }
}

/// Kite exchange and token segment id of an exchange's derivatives (protocols.md B3):
/// NFO 2, BFO 5, MCX 7.
pub fn kite_derivative_exchange(exchange: Exchange) -> (&'static str, u32) {
    match exchange {
        Exchange::Nse => ("NFO", 2),
        Exchange::Bse => ("BFO", 5),
        Exchange::Mcx => ("MCX", 7),
    }
}

/// `lot_and_vol` is (lot size, annualised volatility).
const fn index(
    name: &'static str,
    exchange: Exchange,
    lot_and_vol: (u32, f64),
    future_tick: f64,
    options: OptionSeries,
) -> UnderlyingSpec {
    UnderlyingSpec {
        name,
        exchange,
        kind: UnderlyingKind::Index,
        lot_size: lot_and_vol.0,
        volatility_annual: lot_and_vol.1,
        futures: match exchange {
            Exchange::Bse => BSE_MONTHLY_2,
            _ => NSE_MONTHLY_2,
        },
        future_tick,
        options: Some(options),
    }
}

const fn stock(name: &'static str, lot_and_vol: (u32, f64), strike_step: f64) -> UnderlyingSpec {
    UnderlyingSpec {
        name,
        exchange: Exchange::Nse,
        kind: UnderlyingKind::Stock,
        lot_size: lot_and_vol.0,
        volatility_annual: lot_and_vol.1,
        futures: NSE_MONTHLY_2,
        future_tick: 0.10,
        options: Some(OptionSeries {
            expiries: NSE_MONTHLY_2,
            strike_step,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nse_expires_on_tuesdays_and_bse_on_thursdays() {
        let weekday_of = |rule: ExpiryRule| match rule {
            ExpiryRule::WeeklyAndMonthly { weekday, .. } | ExpiryRule::Monthly { weekday, .. } => {
                Some(weekday)
            }
            ExpiryRule::McxMonthly { .. } => None,
        };
        for s in UNDERLYINGS {
            let want = match s.exchange {
                Exchange::Nse => Some(Weekday::Tue),
                Exchange::Bse => Some(Weekday::Thu),
                Exchange::Mcx => None,
            };
            assert_eq!(weekday_of(s.futures), want, "{} futures", s.name);
            if let Some(o) = s.options {
                assert_eq!(weekday_of(o.expiries), want, "{} options", s.name);
            }
        }
    }
}
