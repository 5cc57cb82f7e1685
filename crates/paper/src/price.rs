//! Prices on the exchange grid: rupees in and out, whole ticks inside the matcher,
//! and money rounded to the paisa.

use mandi_domain::time::round_to_tick;

/// How far (₹) a submitted price may sit from the tick grid and still count as on it;
/// absorbs the binary residue of decimal prices such as 0.1 + 0.2.
pub const PRICE_TOLERANCE_INR: f64 = 1e-6;

/// A nudge (in paise) applied before rounding money, so a product whose decimal value is
/// exactly half a paisa (9750 × 0.0015 = 14.625) but lands at 14.624999… in binary rounds
/// the way the decimal figure would. Genuine values this close to a half are vanishingly rare.
const HALF_PAISA_NUDGE: f64 = 1e-7;

/// True when `price` is within [`PRICE_TOLERANCE_INR`] of a multiple of `tick`.
pub fn is_on_tick(price: f64, tick: f64) -> bool {
    if !price.is_finite() || tick <= 0.0 {
        return false;
    }
    (price - (price / tick).round() * tick).abs() <= PRICE_TOLERANCE_INR
}

/// A rupee price as a whole number of ticks, rounded to the nearest tick. Quotes that
/// travelled as f32 (1642.349976) land back on the step they stand for.
pub(crate) fn to_ticks(price: f64, tick: f64) -> i64 {
    (price / tick).round() as i64
}

/// Whole ticks back to rupees, with the binary residue of `n × tick` removed.
pub(crate) fn from_ticks(ticks: i64, tick: f64) -> f64 {
    round_to_tick(ticks as f64 * tick, tick)
}

/// Round a rupee amount to the paisa, half away from zero.
pub fn round_paise(amount: f64) -> f64 {
    if !amount.is_finite() {
        return amount;
    }
    let paise = amount * 100.0;
    (paise + paise.signum() * HALF_PAISA_NUDGE).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        amount: f64,
        want: f64,
    }

    #[test]
    fn round_paise_cases() {
        let cases = [
            TestCase {
                name: "binary residue of an exact half rounds up",
                amount: 9750.0 * 0.0015,
                want: 14.63,
            },
            TestCase {
                name: "below half rounds down",
                amount: 3.211_023_75,
                want: 3.21,
            },
            TestCase {
                name: "negative half rounds away from zero",
                amount: -0.125,
                want: -0.13,
            },
            TestCase {
                name: "already paise",
                amount: 20.0,
                want: 20.0,
            },
        ];
        for c in cases {
            assert!((round_paise(c.amount) - c.want).abs() < 1e-12, "{}", c.name);
        }
    }

    #[test]
    fn grid_checks() {
        assert!(is_on_tick(0.1 + 0.2, 0.05), "binary residue is on the grid");
        assert!(is_on_tick(5544.0, 1.0));
        assert!(!is_on_tick(100.03, 0.05));
        assert!(!is_on_tick(f64::NAN, 0.05));
        assert!(!is_on_tick(100.0, 0.0));
        assert_eq!(to_ticks(1_642.349_976, 0.05), 32_847);
        assert_eq!(from_ticks(32_847, 0.05), 1642.35);
    }
}
