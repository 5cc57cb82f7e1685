//! Option pricing for chains and bots: Black-Scholes premiums and greeks, implied
//! volatility, and time to expiry measured to the exchange's close on expiry day in IST.

mod black_scholes;
mod implied;
mod normal;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use black_scholes::{greeks, price, Greeks, OptionMarket};
pub use implied::{implied_volatility, NoImpliedVolatility};
pub use normal::{norm_cdf, norm_pdf};

use crate::calendar::{mcx_close, EQUITY_CLOSE_IST};
use crate::time::ist_instant;
use crate::Exchange;

/// The market parameters implied volatilities and greeks assume (`[option_chain]` in
/// mandi's config).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptionPricing {
    /// Continuously compounded, annual (0.065 for 6.5 %).
    pub risk_free_rate_annual: f64,
    /// The underlying's dividend yield, annual; 0 treats the index as paying none.
    pub dividend_yield_annual: f64,
}

impl Default for OptionPricing {
    fn default() -> Self {
        OptionPricing {
            risk_free_rate_annual: 0.065,
            dividend_yield_annual: 0.0,
        }
    }
}

/// Seconds in the 365-day year time to expiry is counted in.
const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;

/// When a contract expiring on `expiry` stops trading: the exchange's close that day
/// (NSE and BSE 15:30 IST; MCX 23:30 IST while the US is on summer time, else 23:55).
pub fn expiry_instant(exchange: Exchange, expiry: NaiveDate) -> DateTime<Utc> {
    let close = match exchange {
        Exchange::Nse | Exchange::Bse => EQUITY_CLOSE_IST,
        Exchange::Mcx => mcx_close(expiry),
    };
    ist_instant(expiry, close)
}

/// Years of 365 days from `now` to the expiry close; 0 once it has passed.
pub fn years_to_expiry(exchange: Exchange, expiry: NaiveDate, now: DateTime<Utc>) -> f64 {
    let seconds = (expiry_instant(exchange, expiry) - now).num_milliseconds() as f64 / 1000.0;
    (seconds / SECONDS_PER_YEAR).max(0.0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn time_to_expiry_runs_to_the_close_in_ist() {
        let expiry = NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date");
        let cases = [
            // 09:15 IST on expiry day: 6 h 15 min to the 15:30 close.
            (
                "NSE open on expiry day",
                Exchange::Nse,
                Utc.with_ymd_and_hms(2026, 12, 8, 3, 45, 0).unwrap(),
                6.25 * 3600.0,
            ),
            (
                "NSE one day before, same time",
                Exchange::Nse,
                Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
                86_400.0,
            ),
            (
                "MCX closes at 23:55 IST in the US winter",
                Exchange::Mcx,
                Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap(),
                8.0 * 3600.0 + 25.0 * 60.0,
            ),
            (
                "after the close",
                Exchange::Nse,
                Utc.with_ymd_and_hms(2026, 12, 8, 10, 1, 0).unwrap(),
                0.0,
            ),
        ];
        for (name, exchange, now, seconds) in cases {
            let got = years_to_expiry(exchange, expiry, now) * SECONDS_PER_YEAR;
            assert!(
                (got - seconds).abs() < 1e-3,
                "{name}: {got} s, want {seconds}"
            );
        }
    }
}
