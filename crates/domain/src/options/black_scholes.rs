//! Black-Scholes-Merton for European options on an underlying with a continuous
//! dividend yield (index options: NIFTY, BANKNIFTY, SENSEX are European and cash-settled):
//! the premium and the greeks traders read off an option chain.

use crate::OptionType;

use super::normal::{norm_cdf, norm_pdf};

/// Calendar days in the year theta is spread over: a trader reads theta as rupees lost
/// per day that passes, weekends included, as time to expiry counts them.
const DAYS_PER_YEAR: f64 = 365.0;

/// Everything but the volatility: what the market states about one option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionMarket {
    /// Underlying price, rupees.
    pub spot: f64,
    /// Rupees.
    pub strike: f64,
    /// Time to expiry in years of 365 days; 0 or less once expired.
    pub years: f64,
    /// Risk-free rate, annual, continuously compounded (0.065 for 6.5 %).
    pub rate: f64,
    /// Dividend yield of the underlying, annual, continuously compounded.
    pub dividend_yield: f64,
}

/// The premium and its sensitivities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Greeks {
    /// Rupees per unit of the underlying.
    pub price: f64,
    /// Premium change per rupee of the underlying (0..1 for calls, −1..0 for puts).
    pub delta: f64,
    /// Delta change per rupee of the underlying.
    pub gamma: f64,
    /// Premium change per calendar day that passes (negative when time decays it).
    pub theta: f64,
    /// Premium change per volatility point (σ + 0.01).
    pub vega: f64,
}

impl OptionMarket {
    fn discounted_strike(&self) -> f64 {
        self.strike * (-self.rate * self.years.max(0.0)).exp()
    }

    fn discounted_spot(&self) -> f64 {
        self.spot * (-self.dividend_yield * self.years.max(0.0)).exp()
    }

    /// The premium with no uncertainty left: the discounted intrinsic value.
    pub fn lower_bound(&self, kind: OptionType) -> f64 {
        match kind {
            OptionType::Call => (self.discounted_spot() - self.discounted_strike()).max(0.0),
            OptionType::Put => (self.discounted_strike() - self.discounted_spot()).max(0.0),
        }
    }

    /// The premium at infinite volatility: no option is worth more.
    pub fn upper_bound(&self, kind: OptionType) -> f64 {
        match kind {
            OptionType::Call => self.discounted_spot(),
            OptionType::Put => self.discounted_strike(),
        }
    }

    /// True when the formula is defined: positive prices and time left.
    fn priceable(&self, volatility: f64) -> bool {
        self.spot > 0.0 && self.strike > 0.0 && self.years > 0.0 && volatility > 0.0
    }
}

/// The premium of a European option at `volatility` (annual, 0.14 for 14 %).
pub fn price(kind: OptionType, m: &OptionMarket, volatility: f64) -> f64 {
    greeks(kind, m, volatility).price
}

/// The premium and the greeks. Expired or with no volatility, the option is worth its
/// discounted intrinsic value and only delta remains (1, 0 or −1).
pub fn greeks(kind: OptionType, m: &OptionMarket, volatility: f64) -> Greeks {
    let (ds, dk) = (m.discounted_spot(), m.discounted_strike());
    if !m.priceable(volatility) {
        let in_the_money = match kind {
            OptionType::Call => ds > dk,
            OptionType::Put => dk > ds,
        };
        let unit = if in_the_money { 1.0 } else { 0.0 };
        return Greeks {
            price: m.lower_bound(kind),
            delta: match kind {
                OptionType::Call => unit,
                OptionType::Put => -unit,
            },
            gamma: 0.0,
            theta: 0.0,
            vega: 0.0,
        };
    }
    let spread = volatility * m.years.sqrt();
    let d1 = ((m.spot / m.strike).ln()
        + (m.rate - m.dividend_yield + volatility * volatility / 2.0) * m.years)
        / spread;
    let d2 = d1 - spread;
    let density = norm_pdf(d1);
    // Time decay common to both sides: the loss of optionality.
    let decay = -ds * density * volatility / (2.0 * m.years.sqrt());
    let (price, delta, theta_year) = match kind {
        OptionType::Call => (
            ds * norm_cdf(d1) - dk * norm_cdf(d2),
            ds / m.spot * norm_cdf(d1),
            decay - m.rate * dk * norm_cdf(d2) + m.dividend_yield * ds * norm_cdf(d1),
        ),
        OptionType::Put => (
            dk * norm_cdf(-d2) - ds * norm_cdf(-d1),
            -ds / m.spot * norm_cdf(-d1),
            decay + m.rate * dk * norm_cdf(-d2) - m.dividend_yield * ds * norm_cdf(-d1),
        ),
    };
    Greeks {
        // Rounding can take a far out-of-the-money premium a hair below zero.
        price: price.max(0.0),
        delta,
        gamma: ds / m.spot * density / (m.spot * spread),
        theta: theta_year / DAYS_PER_YEAR,
        vega: ds * density * m.years.sqrt() / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn market(spot: f64, strike: f64, years: f64, rate: f64, dividend_yield: f64) -> OptionMarket {
        OptionMarket {
            spot,
            strike,
            years,
            rate,
            dividend_yield,
        }
    }

    struct KnownValue {
        name: &'static str,
        market: OptionMarket,
        volatility: f64,
        call: f64,
        put: f64,
    }

    #[test]
    fn premiums_match_published_values() {
        let cases = [
            KnownValue {
                name: "Hull 15.6: S 42, K 40, 6 months, r 10 %, σ 20 %",
                market: market(42.0, 40.0, 0.5, 0.10, 0.0),
                volatility: 0.20,
                call: 4.759_422,
                put: 0.808_600,
            },
            KnownValue {
                name: "at the money, one year, r 5 %, σ 20 %",
                market: market(100.0, 100.0, 1.0, 0.05, 0.0),
                volatility: 0.20,
                call: 10.450_584,
                put: 5.573_526,
            },
            KnownValue {
                name: "no rate: call and put equal at the money",
                market: market(100.0, 100.0, 0.25, 0.0, 0.0),
                volatility: 0.30,
                call: 5.978_529,
                put: 5.978_529,
            },
            KnownValue {
                // Hull 17.6 (index option with a dividend yield): S 930, K 900, r 8 %, q 3 %.
                name: "Hull 17.6: S 930, K 900, 2 months, r 8 %, q 3 %, σ 20 %",
                market: market(930.0, 900.0, 2.0 / 12.0, 0.08, 0.03),
                volatility: 0.20,
                call: 51.832_957,
                put: 14.550_997,
            },
            KnownValue {
                name: "expired: intrinsic only",
                market: market(25_800.0, 25_700.0, 0.0, 0.065, 0.0),
                volatility: 0.14,
                call: 100.0,
                put: 0.0,
            },
        ];
        for c in cases {
            let call = price(OptionType::Call, &c.market, c.volatility);
            let put = price(OptionType::Put, &c.market, c.volatility);
            assert!((call - c.call).abs() < 1e-4, "{}: call {call}", c.name);
            assert!((put - c.put).abs() < 1e-4, "{}: put {put}", c.name);
        }
    }

    #[test]
    fn greeks_match_hull_example() {
        // Hull 19.1 ff.: S 49, K 50, r 5 %, σ 20 %, 20 weeks. Hull gives delta 0.522,
        // gamma 0.066, vega 12.1 per unit σ, theta −4.31 per year.
        let m = market(49.0, 50.0, 0.3846, 0.05, 0.0);
        let g = greeks(OptionType::Call, &m, 0.20);
        assert!((g.delta - 0.522).abs() < 5e-4, "delta {}", g.delta);
        assert!((g.gamma - 0.066).abs() < 5e-4, "gamma {}", g.gamma);
        assert!((g.vega * 100.0 - 12.1).abs() < 0.05, "vega {}", g.vega);
        assert!((g.theta * 365.0 + 4.31).abs() < 0.005, "theta {}", g.theta);
    }

    /// Central differences of the premium: an independent computation of each greek.
    fn numerical(kind: OptionType, m: &OptionMarket, vol: f64) -> Greeks {
        let p = |m: OptionMarket, vol: f64| price(kind, &m, vol);
        let h = m.spot * 1e-4;
        let up = OptionMarket {
            spot: m.spot + h,
            ..*m
        };
        let down = OptionMarket {
            spot: m.spot - h,
            ..*m
        };
        let day = 1.0 / 365.0;
        let later = OptionMarket {
            years: m.years - day / 100.0,
            ..*m
        };
        let earlier = OptionMarket {
            years: m.years + day / 100.0,
            ..*m
        };
        Greeks {
            price: p(*m, vol),
            delta: (p(up, vol) - p(down, vol)) / (2.0 * h),
            gamma: (p(up, vol) - 2.0 * p(*m, vol) + p(down, vol)) / (h * h),
            theta: (p(later, vol) - p(earlier, vol)) / 2.0 * 100.0,
            vega: (p(*m, vol + 1e-4) - p(*m, vol - 1e-4)) / 2e-4 / 100.0,
        }
    }

    #[test]
    fn greeks_agree_with_finite_differences_to_four_decimals() {
        let cases = [
            (
                "NIFTY ATM call, 4 days",
                OptionType::Call,
                market(25_800.0, 25_800.0, 4.0 / 365.0, 0.065, 0.012),
                0.13,
            ),
            (
                "NIFTY OTM put, 4 days",
                OptionType::Put,
                market(25_800.0, 25_500.0, 4.0 / 365.0, 0.065, 0.012),
                0.15,
            ),
            (
                "BANKNIFTY ITM call, 25 days",
                OptionType::Call,
                market(57_000.0, 56_000.0, 25.0 / 365.0, 0.065, 0.0),
                0.15,
            ),
            (
                "stock OTM call, 60 days",
                OptionType::Call,
                market(1_450.0, 1_600.0, 60.0 / 365.0, 0.065, 0.0),
                0.25,
            ),
        ];
        for (name, kind, m, vol) in cases {
            let (a, n) = (greeks(kind, &m, vol), numerical(kind, &m, vol));
            for (what, x, y) in [
                ("delta", a.delta, n.delta),
                ("gamma", a.gamma, n.gamma),
                ("theta", a.theta, n.theta),
                ("vega", a.vega, n.vega),
            ] {
                assert!(
                    (x - y).abs() < 1e-4,
                    "{name}: {what} {x} vs finite difference {y}"
                );
            }
        }
    }

    proptest! {
        /// Put-call parity with a dividend yield: C − P = S·e^(−q·t) − K·e^(−r·t), and
        /// both premiums inside their bounds.
        #[test]
        fn put_call_parity_holds(
            spot in 10.0f64..100_000.0,
            moneyness in 0.5f64..1.5,
            years in 1e-6f64..2.0,
            rate in 0.0f64..0.15,
            dividend_yield in 0.0f64..0.05,
            vol in 0.01f64..1.0,
        ) {
            let m = market(spot, spot * moneyness, years, rate, dividend_yield);
            let call = price(OptionType::Call, &m, vol);
            let put = price(OptionType::Put, &m, vol);
            let parity = m.discounted_spot() - m.discounted_strike();
            prop_assert!((call - put - parity).abs() < 1e-9 * spot);
            for kind in [OptionType::Call, OptionType::Put] {
                let p = price(kind, &m, vol);
                prop_assert!(p >= m.lower_bound(kind) - 1e-9 * spot, "{kind:?} below its floor");
                prop_assert!(p <= m.upper_bound(kind) + 1e-9 * spot, "{kind:?} above its cap");
            }
        }
    }
}
