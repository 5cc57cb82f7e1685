//! Exponential moving average, seeded with the simple average of its first `period`
//! inputs (the TA-Lib convention), so it is undefined until then rather than biased.

use serde::{Deserialize, Serialize};

/// EMA with smoothing `2 / (period + 1)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ema {
    period: u32,
    /// Inputs seen while seeding; stops counting once the EMA is defined.
    seen: u32,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    /// A period of 0 behaves as 1 (the EMA is the last input).
    pub fn new(period: u32) -> Self {
        Ema {
            period: period.max(1),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    /// Feeds one input; returns the EMA once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.value = match self.value {
            Some(prev) => Some(prev + self.alpha() * (x - prev)),
            None => {
                self.seen += 1;
                self.seed_sum += x;
                (self.seen == self.period).then(|| self.seed_sum / f64::from(self.period))
            }
        };
        self.value
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn period(&self) -> u32 {
        self.period
    }

    fn alpha(&self) -> f64 {
        2.0 / (f64::from(self.period) + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    struct TestCase {
        name: &'static str,
        period: u32,
        inputs: &'static [f64],
        want: &'static [Option<f64>],
    }

    #[test]
    fn ema_cases() {
        let cases = [
            TestCase {
                name: "period 1 follows the input",
                period: 1,
                inputs: &[10.0, 12.0, 11.0],
                want: &[Some(10.0), Some(12.0), Some(11.0)],
            },
            TestCase {
                name: "period 3 seeds with the average, then smooths by 0.5",
                period: 3,
                inputs: &[1.0, 2.0, 3.0, 6.0, 2.0],
                want: &[None, None, Some(2.0), Some(4.0), Some(3.0)],
            },
            TestCase {
                name: "period 0 acts as 1",
                period: 0,
                inputs: &[5.0],
                want: &[Some(5.0)],
            },
        ];
        for c in cases {
            let mut ema = Ema::new(c.period);
            let got: Vec<Option<f64>> = c.inputs.iter().map(|x| ema.update(*x)).collect();
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    proptest! {
        #[test]
        fn ema_stays_within_the_inputs(period in 1u32..30, xs in prop::collection::vec(1.0f64..1e5, 1..200)) {
            let mut ema = Ema::new(period);
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            for x in &xs {
                if let Some(v) = ema.update(*x) {
                    prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9);
                }
            }
            prop_assert_eq!(ema.value().is_some(), xs.len() >= period as usize);
        }
    }
}
