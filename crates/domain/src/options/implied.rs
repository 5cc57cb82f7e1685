//! Implied volatility: the σ at which Black-Scholes gives a quoted premium. A premium
//! at or under the option's floor (its discounted intrinsic value) or at its cap has
//! no such σ, and the solver says so instead of returning a number.

use thiserror::Error;

use crate::OptionType;

use super::black_scholes::{greeks, price, OptionMarket};

/// The σ range searched (0.01 % to 1,000 % a year): outside it no quote is sane.
const MIN_VOLATILITY: f64 = 1e-4;
const MAX_VOLATILITY: f64 = 10.0;
/// The solver stops once the premium it gives is this close to the quote, in rupees.
const PRICE_TOLERANCE: f64 = 1e-8;
const MAX_ITERATIONS: usize = 100;

/// Why a premium has no implied volatility.
#[derive(Clone, Copy, Debug, Error, PartialEq)]
pub enum NoImpliedVolatility {
    #[error("the option has expired or an input is not positive")]
    NotPriceable,
    /// At or under the discounted intrinsic value: any σ near zero (or none) fits.
    #[error("premium {premium} is at or under the option's floor {floor}")]
    AtOrUnderFloor { premium: f64, floor: f64 },
    /// The premium needs a σ beyond the searched range.
    #[error("premium {premium} needs a volatility over 1000 % a year (cap {cap})")]
    OverCap { premium: f64, cap: f64 },
}

/// The annual volatility (0.14 for 14 %) at which the option is worth `premium`.
/// Newton's method on vega inside a bracket that bisection keeps: Newton alone
/// overshoots far from the money, where vega is tiny.
pub fn implied_volatility(
    kind: OptionType,
    m: &OptionMarket,
    premium: f64,
) -> Result<f64, NoImpliedVolatility> {
    if !(premium.is_finite() && m.spot > 0.0 && m.strike > 0.0 && m.years > 0.0) {
        return Err(NoImpliedVolatility::NotPriceable);
    }
    let floor = m.lower_bound(kind);
    if premium <= floor + PRICE_TOLERANCE {
        return Err(NoImpliedVolatility::AtOrUnderFloor { premium, floor });
    }
    let cap = price(kind, m, MAX_VOLATILITY);
    if premium >= cap {
        return Err(NoImpliedVolatility::OverCap { premium, cap });
    }
    let (mut low, mut high) = (MIN_VOLATILITY, MAX_VOLATILITY);
    if premium <= price(kind, m, low) {
        return Ok(low);
    }
    // Brenner-Subrahmanyam's at-the-money estimate starts Newton near the answer.
    let mut vol = (premium / m.spot * (2.0 * std::f64::consts::PI / m.years).sqrt())
        .clamp(low * 2.0, high / 2.0);
    for _ in 0..MAX_ITERATIONS {
        let g = greeks(kind, m, vol);
        let error = g.price - premium;
        if error.abs() < PRICE_TOLERANCE {
            return Ok(vol);
        }
        if error > 0.0 {
            high = vol;
        } else {
            low = vol;
        }
        // Vega is per volatility point; Newton needs it per unit σ.
        let newton = vol - error / (g.vega * 100.0);
        vol = if newton > low && newton < high && g.vega > 0.0 {
            newton
        } else {
            (low + high) / 2.0
        };
        if high - low < 1e-12 {
            break;
        }
    }
    Ok(vol)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn nifty(strike: f64, days: f64) -> OptionMarket {
        OptionMarket {
            spot: 25_800.0,
            strike,
            years: days / 365.0,
            rate: 0.065,
            dividend_yield: 0.012,
        }
    }

    #[test]
    fn premiums_without_a_volatility_are_refused() {
        let cases = [
            (
                "under intrinsic",
                OptionType::Call,
                nifty(25_500.0, 4.0),
                250.0,
            ),
            (
                "a negative premium",
                OptionType::Put,
                nifty(25_500.0, 4.0),
                -1.0,
            ),
            (
                "worth more than the underlying",
                OptionType::Call,
                nifty(25_500.0, 4.0),
                26_000.0,
            ),
            ("expired", OptionType::Call, nifty(25_500.0, 0.0), 300.0),
            (
                "not a number",
                OptionType::Put,
                nifty(25_500.0, 4.0),
                f64::NAN,
            ),
        ];
        for (name, kind, m, premium) in cases {
            let got = implied_volatility(kind, &m, premium);
            assert!(got.is_err(), "{name}: expected no volatility, got {got:?}");
        }
    }

    #[test]
    fn finds_the_volatility_of_known_premiums() {
        for (name, kind, m, vol) in [
            ("ATM call", OptionType::Call, nifty(25_800.0, 4.0), 0.13),
            ("far OTM put", OptionType::Put, nifty(24_000.0, 4.0), 0.25),
            (
                "deep ITM call",
                OptionType::Call,
                nifty(24_500.0, 30.0),
                0.14,
            ),
            (
                "high volatility",
                OptionType::Put,
                nifty(26_000.0, 1.0),
                1.5,
            ),
        ] {
            let premium = price(kind, &m, vol);
            let got = implied_volatility(kind, &m, premium).expect(name);
            assert!((got - vol).abs() < 1e-6, "{name}: {got} vs {vol}");
        }
    }

    proptest! {
        /// The implied volatility prices the option back to its premium within a paisa.
        #[test]
        fn round_trips_the_premium_within_a_paisa(
            moneyness in 0.8f64..1.2,
            days in 0.05f64..400.0,
            vol in 0.03f64..1.5,
            call in any::<bool>(),
        ) {
            let kind = if call { OptionType::Call } else { OptionType::Put };
            let m = nifty(25_800.0 * moneyness, days);
            let premium = price(kind, &m, vol);
            match implied_volatility(kind, &m, premium) {
                Ok(iv) => prop_assert!((price(kind, &m, iv) - premium).abs() < 0.01),
                // Only a premium indistinguishable from its floor may have none.
                Err(e) => prop_assert!(premium - m.lower_bound(kind) < 1e-6, "{e}"),
            }
        }
    }
}
