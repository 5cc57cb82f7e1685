//! Builds N-minute bars from 1-minute bars, aligned to the clock (09:15, 09:20, … IST).

use chrono::{DateTime, TimeDelta, Utc};
use mandi_domain::Candle;
use serde::{Deserialize, Serialize};

/// Merges consecutive 1-minute bars into `interval_min`-minute bars.
///
/// Buckets are aligned on the Unix epoch; IST's +05:30 is a whole number of 5-minute
/// steps, so they are also aligned on IST wall-clock (09:15–09:20, …). A bar is emitted
/// as soon as its last minute arrives, or, if that minute never comes (no trades), when
/// the first minute of a later bucket arrives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandleAggregator {
    interval_min: u32,
    /// The bar being built: its bucket start and the merged values so far.
    partial: Option<Candle>,
    /// Start of the newest 1-minute bar taken; older or repeated bars are ignored.
    last_minute: Option<DateTime<Utc>>,
}

impl CandleAggregator {
    /// An interval of 0 behaves as 1.
    pub fn new(interval_min: u32) -> Self {
        CandleAggregator {
            interval_min: interval_min.max(1),
            partial: None,
            last_minute: None,
        }
    }

    pub fn interval(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.interval_min))
    }

    /// Feeds one completed 1-minute bar; returns the bars it completes, oldest first.
    pub fn push(&mut self, minute: &Candle) -> Vec<Candle> {
        if self.last_minute.is_some_and(|last| minute.start <= last) {
            return Vec::new();
        }
        self.last_minute = Some(minute.start);
        let bucket = self.bucket_start(minute.start);
        let mut done = Vec::new();
        if let Some(bar) = self.partial.take_if(|bar| bar.start != bucket) {
            done.push(bar);
        }
        let bar = self.partial.get_or_insert(Candle {
            start: bucket,
            open: minute.open,
            high: minute.high,
            low: minute.low,
            close: minute.close,
            volume: 0,
        });
        bar.high = bar.high.max(minute.high);
        bar.low = bar.low.min(minute.low);
        bar.close = minute.close;
        bar.volume += minute.volume;
        if minute.start + TimeDelta::minutes(1) >= bucket + self.interval() {
            done.extend(self.partial.take());
        }
        done
    }

    fn bucket_start(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let step = i64::from(self.interval_min) * 60;
        let secs = t.timestamp().div_euclid(step) * step;
        DateTime::from_timestamp(secs, 0).unwrap_or(t)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    /// 09:15 IST on 3 Feb 2026 plus `min` minutes.
    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 3, 45, 0)
            .single()
            .unwrap_or_default()
            + TimeDelta::minutes(min)
    }

    fn minute(min: i64, close: f64) -> Candle {
        Candle {
            start: at(min),
            open: close - 1.0,
            high: close + 2.0,
            low: close - 2.0,
            close,
            volume: 10,
        }
    }

    struct TestCase {
        name: &'static str,
        interval: u32,
        minutes: &'static [(i64, f64)],
        /// (start minute, open, high, low, close, volume) of each emitted bar, in order.
        want: &'static [(i64, f64, f64, f64, f64, u64)],
    }

    #[test]
    fn aggregation_cases() {
        let cases = [
            TestCase {
                name: "one-minute interval passes bars through",
                interval: 1,
                minutes: &[(0, 100.0), (1, 101.0)],
                want: &[
                    (0, 99.0, 102.0, 98.0, 100.0, 10),
                    (1, 100.0, 103.0, 99.0, 101.0, 10),
                ],
            },
            TestCase {
                name: "five minutes merge when the fifth arrives",
                interval: 5,
                minutes: &[(0, 100.0), (1, 104.0), (2, 97.0), (3, 101.0), (4, 102.0)],
                want: &[(0, 99.0, 106.0, 95.0, 102.0, 50)],
            },
            TestCase {
                name: "a missing last minute closes the bar on the next bucket",
                interval: 5,
                minutes: &[(0, 100.0), (1, 101.0), (5, 110.0)],
                want: &[(0, 99.0, 103.0, 98.0, 101.0, 20)],
            },
            TestCase {
                name: "a late bar that is the last of its bucket closes two bars",
                interval: 5,
                minutes: &[(0, 100.0), (9, 110.0)],
                want: &[
                    (0, 99.0, 102.0, 98.0, 100.0, 10),
                    (5, 109.0, 112.0, 108.0, 110.0, 10),
                ],
            },
            TestCase {
                name: "repeated and older bars are ignored",
                interval: 5,
                minutes: &[(1, 100.0), (1, 500.0), (0, 500.0), (4, 101.0)],
                want: &[(0, 99.0, 103.0, 98.0, 101.0, 20)],
            },
        ];
        for c in cases {
            let mut agg = CandleAggregator::new(c.interval);
            let got: Vec<Candle> = c
                .minutes
                .iter()
                .flat_map(|(m, close)| agg.push(&minute(*m, *close)))
                .collect();
            let want: Vec<Candle> = c
                .want
                .iter()
                .map(|&(m, open, high, low, close, volume)| Candle {
                    start: at(m),
                    open,
                    high,
                    low,
                    close,
                    volume,
                })
                .collect();
            assert_eq!(got, want, "{}", c.name);
        }
    }

    proptest! {
        #[test]
        fn five_minute_bar_spans_its_minutes(closes in prop::collection::vec(1.0f64..1e4, 5)) {
            let mut agg = CandleAggregator::new(5);
            let mut out = Vec::new();
            for (i, close) in closes.iter().enumerate() {
                out.extend(agg.push(&minute(i as i64, *close)));
            }
            prop_assert_eq!(out.len(), 1);
            let bar = &out[0];
            let hi = closes.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + 2.0;
            let lo = closes.iter().cloned().fold(f64::INFINITY, f64::min) - 2.0;
            prop_assert_eq!(bar.high, hi);
            prop_assert_eq!(bar.low, lo);
            prop_assert_eq!(bar.close, closes[4]);
            prop_assert_eq!(bar.open, closes[0] - 1.0);
        }
    }
}
