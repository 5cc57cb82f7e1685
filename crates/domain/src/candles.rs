//! N-minute bars built from 1-minute candles, aligned to the exchange's session open in IST
//! (a 5-minute NSE bar is 09:15–09:20, an hourly one 09:15–10:15; MCX counts from 09:00).
//! Pure: what `/api/candles?interval=` serves, computed from the price store's minutes.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::calendar::{ist_instant, ist_wall_clock, EQUITY_OPEN_IST, MCX_OPEN_IST};
use crate::{Candle, Exchange};

/// The bar lengths served, in minutes. Each divides a day, so the grid laid from one
/// session open lands on the same wall-clock minutes every day.
pub const INTERVALS_MIN: [u32; 7] = [1, 3, 5, 10, 15, 30, 60];

/// An `interval` that is not one of [`INTERVALS_MIN`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("interval must be one of {valid} (minutes), not {given:?}", valid = valid_intervals())]
pub struct UnknownInterval {
    pub given: String,
}

/// `"1, 3, 5, 10, 15, 30, 60"`, for error messages.
pub fn valid_intervals() -> String {
    INTERVALS_MIN
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses an interval in minutes: `"5"`, or `"5m"` as the candles answer spells it back.
pub fn parse_interval(given: &str) -> Result<u32, UnknownInterval> {
    let digits = given.strip_suffix('m').unwrap_or(given);
    digits
        .parse::<u32>()
        .ok()
        .filter(|m| INTERVALS_MIN.contains(m))
        .ok_or_else(|| UnknownInterval {
            given: given.to_string(),
        })
}

/// When the exchange's normal session opens (IST): bars are counted from here.
pub fn session_open_ist(exchange: Exchange) -> NaiveTime {
    match exchange {
        Exchange::Nse | Exchange::Bse => EQUITY_OPEN_IST,
        Exchange::Mcx => MCX_OPEN_IST,
    }
}

/// The IST calendar date of an instant: the trading day a candle belongs to.
pub fn ist_date(t: DateTime<Utc>) -> NaiveDate {
    // `ist_wall_clock` is None only at the end of representable time; the UTC date is
    // then as good an answer as any.
    ist_wall_clock(t).map_or(t.date_naive(), |wall| wall.date())
}

/// Merges 1-minute `candles` (oldest first) into `interval_min`-minute bars on a grid laid
/// from `session_open` (IST wall-clock) on the first candle's IST date.
///
/// A bar opens with its first minute and closes with its last one present: a missing
/// minute (no trades) leaves no gap filler, and the newest bar may be partial (it covers
/// the minutes so far). Volume is summed. A minute not newer than the one before it is
/// skipped, so a bar never moves backwards. An interval of 0 behaves as 1.
pub fn aggregate(candles: &[Candle], interval_min: u32, session_open: NaiveTime) -> Vec<Candle> {
    let Some(first) = candles.first() else {
        return Vec::new();
    };
    // One anchor for the whole series: a per-date anchor would break the grid at midnight
    // for an interval that does not divide a day.
    let anchor = ist_instant(ist_date(first.start), session_open);
    let step_s = i64::from(interval_min.max(1)) * 60;
    let mut bars: Vec<Candle> = Vec::new();
    let mut last_minute: Option<DateTime<Utc>> = None;
    for minute in candles {
        if last_minute.is_some_and(|last| minute.start <= last) {
            continue;
        }
        last_minute = Some(minute.start);
        let Some(start) = bucket_start(minute.start, anchor, step_s) else {
            continue;
        };
        match bars.last_mut() {
            Some(bar) if bar.start == start => {
                bar.high = bar.high.max(minute.high);
                bar.low = bar.low.min(minute.low);
                bar.close = minute.close;
                bar.volume = bar.volume.saturating_add(minute.volume);
            }
            _ => bars.push(Candle {
                start,
                ..minute.clone()
            }),
        }
    }
    bars
}

/// Start of the `step_s`-second bucket holding `t`, on the grid through `anchor`. `None`
/// only when the answer is outside representable time.
fn bucket_start(t: DateTime<Utc>, anchor: DateTime<Utc>, step_s: i64) -> Option<DateTime<Utc>> {
    // Euclidean division: a pre-open minute falls in the bucket before the anchor, not
    // in the first bucket of the session.
    let offset_s = (t - anchor).num_seconds().div_euclid(step_s) * step_s;
    anchor.checked_add_signed(TimeDelta::try_seconds(offset_s)?)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    /// 2026-11-23 (a Monday) at IST wall-clock `h:m`.
    fn ist(h: u32, m: u32) -> DateTime<Utc> {
        crate::time::IST
            .with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn minute(h: u32, m: u32, close: f64) -> Candle {
        Candle {
            start: ist(h, m),
            open: close - 1.0,
            high: close + 2.0,
            low: close - 2.0,
            close,
            volume: 10,
        }
    }

    fn bar(h: u32, m: u32, ohlc: (f64, f64, f64, f64), volume: u64) -> Candle {
        let (open, high, low, close) = ohlc;
        Candle {
            start: ist(h, m),
            open,
            high,
            low,
            close,
            volume,
        }
    }

    struct TestCase {
        name: &'static str,
        interval: u32,
        open: NaiveTime,
        minutes: Vec<Candle>,
        want: Vec<Candle>,
    }

    #[test]
    fn aggregation_cases() {
        let cases = [
            TestCase {
                name: "one minute passes bars through",
                interval: 1,
                open: EQUITY_OPEN_IST,
                minutes: vec![minute(9, 15, 100.0), minute(9, 16, 101.0)],
                want: vec![minute(9, 15, 100.0), minute(9, 16, 101.0)],
            },
            TestCase {
                name: "five minutes from 09:15, a missing minute, a partial last bar",
                interval: 5,
                open: EQUITY_OPEN_IST,
                minutes: vec![
                    minute(9, 15, 100.0),
                    minute(9, 16, 104.0),
                    // 09:17 missing: nobody traded.
                    minute(9, 18, 97.0),
                    minute(9, 19, 101.0),
                    minute(9, 20, 110.0),
                    minute(9, 21, 108.0),
                ],
                want: vec![
                    bar(9, 15, (99.0, 106.0, 95.0, 101.0), 40),
                    bar(9, 20, (109.0, 112.0, 106.0, 108.0), 20),
                ],
            },
            TestCase {
                name: "ten minutes count from 09:15, not from the clock's 09:10",
                interval: 10,
                open: EQUITY_OPEN_IST,
                minutes: vec![
                    minute(9, 15, 100.0),
                    minute(9, 24, 102.0),
                    minute(9, 25, 103.0),
                ],
                want: vec![
                    bar(9, 15, (99.0, 104.0, 98.0, 102.0), 20),
                    bar(9, 25, (102.0, 105.0, 101.0, 103.0), 10),
                ],
            },
            TestCase {
                name: "an hour on NSE is 09:15-10:15",
                interval: 60,
                open: session_open_ist(Exchange::Nse),
                minutes: vec![
                    minute(9, 15, 100.0),
                    minute(10, 14, 90.0),
                    minute(10, 15, 95.0),
                ],
                want: vec![
                    bar(9, 15, (99.0, 102.0, 88.0, 90.0), 20),
                    bar(10, 15, (94.0, 97.0, 93.0, 95.0), 10),
                ],
            },
            TestCase {
                name: "an hour on MCX is 09:00-10:00",
                interval: 60,
                open: session_open_ist(Exchange::Mcx),
                minutes: vec![minute(9, 15, 100.0), minute(10, 0, 95.0)],
                want: vec![
                    bar(9, 0, (99.0, 102.0, 98.0, 100.0), 10),
                    bar(10, 0, (94.0, 97.0, 93.0, 95.0), 10),
                ],
            },
            TestCase {
                name: "a pre-open minute belongs to the bar before the open",
                interval: 5,
                open: EQUITY_OPEN_IST,
                minutes: vec![minute(9, 14, 100.0), minute(9, 15, 101.0)],
                want: vec![
                    bar(9, 10, (99.0, 102.0, 98.0, 100.0), 10),
                    bar(9, 15, (100.0, 103.0, 99.0, 101.0), 10),
                ],
            },
            TestCase {
                name: "repeated and older minutes are skipped",
                interval: 5,
                open: EQUITY_OPEN_IST,
                minutes: vec![
                    minute(9, 16, 100.0),
                    minute(9, 16, 500.0),
                    minute(9, 15, 500.0),
                    minute(9, 17, 101.0),
                ],
                want: vec![bar(9, 15, (99.0, 103.0, 98.0, 101.0), 20)],
            },
            TestCase {
                name: "no minutes, no bars",
                interval: 5,
                open: EQUITY_OPEN_IST,
                minutes: vec![],
                want: vec![],
            },
        ];
        for c in cases {
            assert_eq!(
                aggregate(&c.minutes, c.interval, c.open),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn interval_zero_behaves_as_one() {
        let minutes = [minute(9, 15, 100.0), minute(9, 16, 101.0)];
        assert_eq!(aggregate(&minutes, 0, EQUITY_OPEN_IST), minutes.to_vec());
    }

    #[test]
    fn intervals_parse_or_name_the_valid_ones() {
        for (given, want) in [
            ("1", Some(1)),
            ("5", Some(5)),
            ("60", Some(60)),
            ("15m", Some(15)),
        ] {
            assert_eq!(parse_interval(given).ok(), want, "{given}");
        }
        for bad in ["7", "0", "", "-5", "5x", "m", "120", " 5"] {
            let err = parse_interval(bad).err();
            assert_eq!(
                err.map(|e| e.to_string()),
                Some(format!(
                    "interval must be one of 1, 3, 5, 10, 15, 30, 60 (minutes), not {bad:?}"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn ist_date_rolls_at_ist_midnight() {
        let before = ist(23, 59);
        let after = before + TimeDelta::minutes(1);
        assert_eq!(
            ist_date(before),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
        );
        assert_eq!(
            ist_date(after),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
        );
        // 18:30 UTC is already the next IST day.
        assert_eq!(after.format("%H:%M").to_string(), "18:30");
    }

    proptest! {
        /// Whatever minutes are present, every bar sits on the grid, holds exactly the
        /// minutes of its bucket, and loses no volume.
        #[test]
        fn bars_sit_on_the_grid_and_cover_their_minutes(
            present in prop::collection::btree_set(0u32..400, 1..120),
            interval_ix in 0usize..INTERVALS_MIN.len(),
        ) {
            let interval = INTERVALS_MIN[interval_ix];
            let minutes: Vec<Candle> = present
                .iter()
                .map(|&m| Candle {
                    start: ist(9, 15) + TimeDelta::minutes(i64::from(m)),
                    open: f64::from(m),
                    high: f64::from(m) + 1.0,
                    low: f64::from(m) - 1.0,
                    close: f64::from(m) + 0.5,
                    volume: u64::from(m),
                })
                .collect();
            let bars = aggregate(&minutes, interval, EQUITY_OPEN_IST);
            let step = TimeDelta::minutes(i64::from(interval));
            prop_assert!(bars.windows(2).all(|w| w[0].start < w[1].start));
            for b in &bars {
                let offset = (b.start - ist(9, 15)).num_minutes();
                prop_assert_eq!(offset % i64::from(interval), 0);
                let inside: Vec<&Candle> = minutes
                    .iter()
                    .filter(|m| m.start >= b.start && m.start < b.start + step)
                    .collect();
                prop_assert!(!inside.is_empty());
                prop_assert_eq!(b.open, inside[0].open);
                prop_assert_eq!(b.close, inside[inside.len() - 1].close);
                let hi = inside.iter().map(|m| m.high).fold(f64::MIN, f64::max);
                let lo = inside.iter().map(|m| m.low).fold(f64::MAX, f64::min);
                prop_assert_eq!((b.high, b.low), (hi, lo));
            }
            let total: u64 = minutes.iter().map(|m| m.volume).sum();
            prop_assert_eq!(bars.iter().map(|b| b.volume).sum::<u64>(), total);
        }
    }
}
