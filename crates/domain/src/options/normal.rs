//! The standard normal distribution: its density and its cumulative distribution to
//! double precision, which std lacks (it has no `erf`).

/// Numerator and denominator of Hart's rational approximation, highest power first.
const HART_NUM: [f64; 7] = [
    3.526_249_659_989_11e-2,
    0.700_383_064_443_688,
    6.373_962_203_531_65,
    33.912_866_078_383,
    112.079_291_497_871,
    221.213_596_169_931,
    220.206_867_912_376,
];
const HART_DEN: [f64; 8] = [
    8.838_834_764_831_84e-2,
    1.755_667_163_182_64,
    16.064_177_579_207,
    86.780_732_202_946_1,
    296.564_248_779_674,
    637.333_633_378_831,
    793.826_512_519_948,
    440.413_735_824_752,
];
/// √(2π).
const SQRT_TAU: f64 = 2.506_628_274_631_000_5;

/// The standard normal CDF to double precision (Hart 1968, as given by G. West,
/// "Better approximations to cumulative normal functions", 2005).
pub fn norm_cdf(x: f64) -> f64 {
    let z = x.abs();
    let horner = |coefficients: &[f64]| coefficients.iter().fold(0.0, |acc, c| acc * z + c);
    let tail = if z > 37.0 {
        0.0
    } else if z < 5.0 * std::f64::consts::SQRT_2 {
        (-z * z / 2.0).exp() * horner(&HART_NUM) / horner(&HART_DEN)
    } else {
        let mut b = z + 0.65;
        for k in [4.0, 3.0, 2.0, 1.0] {
            b = z + k / b;
        }
        (-z * z / 2.0).exp() / b / SQRT_TAU
    };
    if x > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp() / SQRT_TAU
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_cdf_known_points() {
        for (x, want) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_543),
            (-1.96, 0.024_997_895_148_220),
            (3.0, 0.998_650_101_968_370),
            (-8.0, 6.220_960_574_271_78e-16),
        ] {
            let got = norm_cdf(x);
            assert!((got - want).abs() <= 1e-14 + want * 1e-12, "N({x}) = {got}");
        }
    }

    #[test]
    fn norm_pdf_known_points() {
        for (x, want) in [
            (0.0, 0.398_942_280_401_432_7),
            (1.0, 0.241_970_724_519_143_37),
        ] {
            assert!((norm_pdf(x) - want).abs() < 1e-15, "φ({x})");
            assert!((norm_pdf(-x) - want).abs() < 1e-15, "φ(-{x})");
        }
    }
}
