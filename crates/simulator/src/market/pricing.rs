//! Fair values of derivatives from their underlying: futures by cost of carry
//! (`S·e^(r·t)`), European options by Black-Scholes. Pure arithmetic, no IO, no clock.

use chrono::{DateTime, Utc};
use mandi_domain::options::{self, OptionMarket};
use mandi_domain::OptionType;

/// Seconds in the 365-day year the time to expiry is measured in.
const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;
/// Time to expiry never goes below this (≈ 30 s): at zero the formula divides by zero,
/// and an expired contract is then priced at its intrinsic value.
pub const MIN_YEARS: f64 = 1e-6;

/// The model's two market parameters, both annualised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PricingParams {
    pub volatility: f64,
    /// Continuously compounded; also the futures' carry.
    pub rate: f64,
}

/// Years from `now` to `expiry`, floored at [`MIN_YEARS`].
pub fn years_to(expiry: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let seconds = (expiry - now).num_milliseconds() as f64 / 1000.0;
    (seconds / SECONDS_PER_YEAR).max(MIN_YEARS)
}

/// Cost-of-carry future: `spot · e^(r·years)`.
pub fn future(spot: f64, years: f64, p: PricingParams) -> f64 {
    spot * (p.rate * years).exp()
}

/// Black-Scholes call and put on a non-dividend underlying (the runtime's own pricing,
/// so the simulator's premiums and the chain's implied volatilities agree).
pub fn call_put(spot: f64, strike: f64, years: f64, p: PricingParams) -> (f64, f64) {
    let market = OptionMarket {
        spot,
        strike,
        years,
        rate: p.rate,
        dividend_yield: 0.0,
    };
    (
        options::price(OptionType::Call, &market, p.volatility),
        options::price(OptionType::Put, &market, p.volatility),
    )
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    struct TestCase {
        name: &'static str,
        spot: f64,
        strike: f64,
        years: f64,
        rate: f64,
        volatility: f64,
        call: f64,
        put: f64,
    }

    #[test]
    fn black_scholes_known_values() {
        let cases = [
            TestCase {
                name: "Hull 15.6: S 42, K 40, 6 months, r 10 %, σ 20 %",
                spot: 42.0,
                strike: 40.0,
                years: 0.5,
                rate: 0.10,
                volatility: 0.20,
                call: 4.759_422,
                put: 0.808_600,
            },
            TestCase {
                name: "at the money, one year, r 5 %, σ 20 %",
                spot: 100.0,
                strike: 100.0,
                years: 1.0,
                rate: 0.05,
                volatility: 0.20,
                call: 10.450_584,
                put: 5.573_526,
            },
            TestCase {
                name: "no rate: call and put equal at the money",
                spot: 100.0,
                strike: 100.0,
                years: 0.25,
                rate: 0.0,
                volatility: 0.30,
                call: 5.978_529,
                put: 5.978_529,
            },
            TestCase {
                name: "expired: intrinsic only",
                spot: 25_800.0,
                strike: 25_700.0,
                years: 0.0,
                rate: 0.065,
                volatility: 0.14,
                call: 100.0,
                put: 0.0,
            },
        ];
        for c in cases {
            let p = PricingParams {
                volatility: c.volatility,
                rate: c.rate,
            };
            let (call, put) = call_put(c.spot, c.strike, c.years, p);
            assert!((call - c.call).abs() < 1e-5, "{}: call {call}", c.name);
            assert!((put - c.put).abs() < 1e-5, "{}: put {put}", c.name);
        }
    }

    /// Put-call parity, C − P = S − K·e^(−r·t), over random markets.
    #[test]
    fn put_call_parity_holds() {
        let mut rng = SmallRng::seed_from_u64(11);
        for case in 0..5_000 {
            let spot = rng.gen_range(10.0..100_000.0);
            let strike = spot * rng.gen_range(0.5..1.5);
            let years = rng.gen_range(MIN_YEARS..2.0);
            let p = PricingParams {
                volatility: rng.gen_range(0.01..1.0),
                rate: rng.gen_range(0.0..0.15),
            };
            let (call, put) = call_put(spot, strike, years, p);
            let parity = spot - strike * (-p.rate * years).exp();
            assert!(
                (call - put - parity).abs() < 1e-9 * spot.max(1.0),
                "case {case}: S {spot} K {strike} t {years} {p:?}: C {call} P {put}"
            );
            assert!(
                call >= (spot - strike).max(0.0) - 1e-9 * spot,
                "case {case}: call below intrinsic"
            );
            assert!(call <= spot && put <= strike, "case {case}: bounds");
        }
    }

    #[test]
    fn futures_carry_and_time_floor() {
        let p = PricingParams {
            volatility: 0.14,
            rate: 0.065,
        };
        let f = future(25_800.0, 0.25, p);
        assert!((f - 25_800.0 * (0.065f64 * 0.25).exp()).abs() < 1e-9);
        let t = DateTime::UNIX_EPOCH;
        assert_eq!(years_to(t, t + chrono::Duration::days(1)), MIN_YEARS);
        let year = years_to(t + chrono::Duration::days(365), t);
        assert!((year - 1.0).abs() < 1e-12);
    }
}
