//! A trader's day levels from the previous session's OHLC — classic floor pivots and the
//! central pivot range (CPR) — next to today's range so far. Pure: `now` is an argument.
//! Prices come out rounded to the paisa.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::candles::ist_date;
use crate::Candle;

/// One session's open, high, low and close; `date` is its IST trading day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayOhlc {
    pub date: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

impl DayOhlc {
    /// Whether this day should replace `held` as a symbol's previous day: only a later
    /// session does, so a stale snapshot never overwrites what live candles rolled into.
    pub fn supersedes(&self, held: Option<&DayOhlc>) -> bool {
        held.is_none_or(|h| h.date < self.date)
    }

    /// Folds one session's 1-minute candles (oldest first): open of the first, highest
    /// high, lowest low, close of the last, dated by the first candle. `None` when empty.
    pub fn from_candles(candles: &[Candle]) -> Option<DayOhlc> {
        let (first, last) = (candles.first()?, candles.last()?);
        Some(DayOhlc {
            date: ist_date(first.start),
            open: first.open,
            high: candles.iter().map(|c| c.high).fold(f64::MIN, f64::max),
            low: candles.iter().map(|c| c.low).fold(f64::MAX, f64::min),
            close: last.close,
        })
    }

    /// Finite, positive and ordered: the formulas give nonsense (or divide by zero in the
    /// CPR width) for anything else, so such a day is treated as unknown.
    fn usable(&self) -> bool {
        let all = [self.open, self.high, self.low, self.close];
        all.iter().all(|v| v.is_finite() && *v > 0.0) && self.low <= self.high
    }
}

/// The session levels are computed from. Only `close` is certain: when the broker's
/// previous close is all that is known, the rest is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PreviousDay {
    pub date: Option<NaiveDate>,
    pub open: Option<f64>,
    pub high: Option<f64>,
    pub low: Option<f64>,
    pub close: f64,
}

/// Classic floor pivots.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pivots {
    pub p: f64,
    pub r1: f64,
    pub r2: f64,
    pub r3: f64,
    pub s1: f64,
    pub s2: f64,
    pub s3: f64,
}

/// Central pivot range: `top >= bottom` whichever of TC and BC is higher; `width_pct` is
/// `top - bottom` in percent of the pivot (a narrow CPR hints at a trending day).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cpr {
    pub top: f64,
    pub bottom: f64,
    pub pivot: f64,
    pub width_pct: f64,
}

/// Today's range so far, from today's 1-minute candles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TodayRange {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub last: f64,
}

/// Everything `/api/levels` answers for one symbol. A part that cannot be computed is
/// `None`, and `note` says why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayLevels {
    /// Today's IST date: the day the levels are for.
    pub date: NaiveDate,
    pub previous_day: Option<PreviousDay>,
    pub pivots: Option<Pivots>,
    pub cpr: Option<Cpr>,
    pub today: Option<TodayRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Levels for the IST day of `now`.
///
/// The previous session is the newest of: `stored` (the store's folded previous day) and
/// the candles of an earlier IST date still in `candles` (a store that has not seen today's
/// first tick still holds yesterday's minutes). Failing both, `prev_close` (the broker's
/// previous close on the tick; 0 or less means unknown) gives the close alone, and the
/// pivots stay `None`. `today` folds the candles of `now`'s IST date.
pub fn day_levels(
    now: DateTime<Utc>,
    stored: Option<&DayOhlc>,
    candles: &[Candle],
    prev_close: Option<f64>,
) -> DayLevels {
    let date = ist_date(now);
    let today: Vec<Candle> = candles
        .iter()
        .filter(|c| ist_date(c.start) == date)
        .cloned()
        .collect();
    let previous = [stored.copied(), latest_earlier_session(candles, date)]
        .into_iter()
        .flatten()
        .filter(|d| d.date < date && d.usable())
        .max_by_key(|d| d.date);
    let mut notes = Vec::new();
    let (previous_day, pivots, cpr) = match previous {
        Some(d) => (
            Some(PreviousDay {
                date: Some(d.date),
                open: Some(paisa(d.open)),
                high: Some(paisa(d.high)),
                low: Some(paisa(d.low)),
                close: paisa(d.close),
            }),
            Some(pivots(&d)),
            Some(cpr(&d)),
        ),
        None => match prev_close.filter(|c| c.is_finite() && *c > 0.0) {
            Some(close) => {
                notes.push(
                    "only the broker's previous close is known: pivots and CPR need the previous \
                     session's high and low, which mandi has once it has seen a whole session",
                );
                (
                    Some(PreviousDay {
                        date: None,
                        open: None,
                        high: None,
                        low: None,
                        close: paisa(close),
                    }),
                    None,
                    None,
                )
            }
            None => {
                notes.push(
                    "no previous session is known yet: pivots and CPR appear once mandi has \
                     seen a whole session of this symbol",
                );
                (None, None, None)
            }
        },
    };
    let today = DayOhlc::from_candles(&today).map(|t| TodayRange {
        open: paisa(t.open),
        high: paisa(t.high),
        low: paisa(t.low),
        last: paisa(t.close),
    });
    if today.is_none() {
        notes.push("no candles today yet");
    }
    DayLevels {
        date,
        previous_day,
        pivots,
        cpr,
        today,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// The newest IST date before `today` among `candles`, folded; `None` when there is none.
pub fn latest_earlier_session(candles: &[Candle], today: NaiveDate) -> Option<DayOhlc> {
    let date = candles
        .iter()
        .map(|c| ist_date(c.start))
        .filter(|d| *d < today)
        .max()?;
    let day: Vec<Candle> = candles
        .iter()
        .filter(|c| ist_date(c.start) == date)
        .cloned()
        .collect();
    DayOhlc::from_candles(&day)
}

/// Classic floor pivots of `d`, from unrounded intermediates so rounding happens once.
pub fn pivots(d: &DayOhlc) -> Pivots {
    let (h, l, c) = (d.high, d.low, d.close);
    let p = (h + l + c) / 3.0;
    Pivots {
        p: paisa(p),
        r1: paisa(2.0 * p - l),
        r2: paisa(p + (h - l)),
        r3: paisa(h + 2.0 * (p - l)),
        s1: paisa(2.0 * p - h),
        s2: paisa(p - (h - l)),
        s3: paisa(l - 2.0 * (h - p)),
    }
}

/// The central pivot range of `d`. Callers pass a usable day, so the pivot is positive.
pub fn cpr(d: &DayOhlc) -> Cpr {
    let p = (d.high + d.low + d.close) / 3.0;
    let bc = (d.high + d.low) / 2.0;
    let tc = 2.0 * p - bc;
    Cpr {
        top: paisa(tc.max(bc)),
        bottom: paisa(tc.min(bc)),
        pivot: paisa(p),
        width_pct: paisa((tc - bc).abs() * 100.0 / p),
    }
}

/// Rounds to 2 decimals (the paisa for prices).
fn paisa(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// IST wall-clock `h:m` on November `d`, 2026 (the 23rd is a Monday).
    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        crate::time::IST
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn day(d: u32, high: f64, low: f64, close: f64) -> DayOhlc {
        DayOhlc {
            date: date(d),
            open: low,
            high,
            low,
            close,
        }
    }

    fn candle(t: DateTime<Utc>, open: f64, high: f64, low: f64, close: f64) -> Candle {
        Candle {
            start: t,
            open,
            high,
            low,
            close,
            volume: 1,
        }
    }

    struct PivotCase {
        name: &'static str,
        day: DayOhlc,
        pivots: Pivots,
        cpr: Cpr,
    }

    #[test]
    fn pivots_and_cpr_by_hand() {
        let cases = [
            PivotCase {
                // P = 315/3 = 105 exactly; BC = 105 = TC: a zero-width CPR.
                name: "round numbers",
                day: day(20, 120.0, 90.0, 105.0),
                pivots: Pivots {
                    p: 105.0,
                    r1: 120.0,
                    r2: 135.0,
                    r3: 150.0,
                    s1: 90.0,
                    s2: 75.0,
                    s3: 60.0,
                },
                cpr: Cpr {
                    top: 105.0,
                    bottom: 105.0,
                    pivot: 105.0,
                    width_pct: 0.0,
                },
            },
            PivotCase {
                // P = 77260.85/3 = 25753.61667; BC = 25750; TC = 2P - BC = 25757.23333;
                // width = 7.23333/25753.61667 = 0.0281 %.
                name: "NIFTY closing above the midpoint: TC on top",
                day: day(20, 25_900.0, 25_600.0, 25_760.85),
                pivots: Pivots {
                    p: 25_753.62,
                    r1: 25_907.23,
                    r2: 26_053.62,
                    r3: 26_207.23,
                    s1: 25_607.23,
                    s2: 25_453.62,
                    s3: 25_307.23,
                },
                cpr: Cpr {
                    top: 25_757.23,
                    bottom: 25_750.0,
                    pivot: 25_753.62,
                    width_pct: 0.03,
                },
            },
            PivotCase {
                // P = 311/3 = 103.66667; BC = 105 is above TC = 102.33333, so BC is the top;
                // width = 2.66667/103.66667 = 2.5723 %.
                name: "closing below the midpoint: BC on top",
                day: day(20, 110.0, 100.0, 101.0),
                pivots: Pivots {
                    p: 103.67,
                    r1: 107.33,
                    r2: 113.67,
                    r3: 117.33,
                    s1: 97.33,
                    s2: 93.67,
                    s3: 87.33,
                },
                cpr: Cpr {
                    top: 105.0,
                    bottom: 102.33,
                    pivot: 103.67,
                    width_pct: 2.57,
                },
            },
        ];
        for c in cases {
            assert_eq!(pivots(&c.day), c.pivots, "{}", c.name);
            assert_eq!(cpr(&c.day), c.cpr, "{}", c.name);
        }
    }

    #[test]
    fn a_session_folds_to_first_open_extremes_last_close() {
        let candles = [
            candle(ist(20, 9, 15), 100.0, 101.0, 99.0, 100.5),
            candle(ist(20, 9, 16), 100.5, 108.0, 100.0, 107.0),
            candle(ist(20, 9, 17), 107.0, 107.5, 95.0, 96.0),
        ];
        assert_eq!(
            DayOhlc::from_candles(&candles),
            Some(DayOhlc {
                date: date(20),
                open: 100.0,
                high: 108.0,
                low: 95.0,
                close: 96.0,
            })
        );
        assert_eq!(DayOhlc::from_candles(&[]), None);
    }

    #[test]
    fn stored_previous_day_and_today_so_far() {
        let today = [
            candle(ist(23, 9, 15), 104.0, 106.0, 103.456, 105.0),
            candle(ist(23, 9, 16), 105.0, 109.004, 104.0, 108.126),
        ];
        let got = day_levels(
            ist(23, 9, 17),
            Some(&day(20, 120.0, 90.0, 105.0)),
            &today,
            Some(99.0),
        );
        assert_eq!(got.date, date(23));
        assert_eq!(
            got.previous_day,
            Some(PreviousDay {
                date: Some(date(20)),
                open: Some(90.0),
                high: Some(120.0),
                low: Some(90.0),
                close: 105.0,
            }),
            "the stored day wins over the broker's close"
        );
        assert_eq!(
            got.pivots.map(|p| (p.p, p.r3, p.s3)),
            Some((105.0, 150.0, 60.0))
        );
        assert_eq!(
            got.today,
            Some(TodayRange {
                open: 104.0,
                high: 109.0,
                low: 103.46,
                last: 108.13,
            })
        );
        assert_eq!(got.note, None);
    }

    #[test]
    fn yesterdays_candles_not_yet_rolled_are_the_previous_day() {
        // Before today's first tick the store still holds Friday's minutes; they are newer
        // than the stored Thursday and are what Monday's levels come from.
        let candles = [
            candle(ist(20, 9, 15), 100.0, 110.0, 100.0, 105.0),
            candle(ist(20, 15, 29), 105.0, 106.0, 101.0, 101.0),
        ];
        let got = day_levels(
            ist(23, 8, 50),
            Some(&day(19, 500.0, 400.0, 450.0)),
            &candles,
            None,
        );
        assert_eq!(got.previous_day.and_then(|d| d.date), Some(date(20)));
        assert_eq!(got.pivots.map(|p| p.p), Some(103.67));
        assert_eq!(got.cpr.map(|c| (c.top, c.bottom)), Some((105.0, 102.33)));
        assert_eq!(got.today, None, "Friday's minutes are not Monday's range");
        assert_eq!(got.note.as_deref(), Some("no candles today yet"));
    }

    #[test]
    fn only_the_brokers_close_leaves_pivots_null_with_a_reason() {
        let today = [candle(ist(23, 9, 15), 100.0, 101.0, 99.0, 100.0)];
        let got = day_levels(ist(23, 9, 16), None, &today, Some(98.765));
        assert_eq!(
            got.previous_day,
            Some(PreviousDay {
                date: None,
                open: None,
                high: None,
                low: None,
                close: 98.77,
            })
        );
        assert_eq!((got.pivots, got.cpr), (None, None));
        assert!(got.today.is_some());
        let note = got.note.unwrap_or_default();
        assert!(note.contains("high and low"), "{note}");
        let json = serde_json::to_value(day_levels(ist(23, 9, 16), None, &today, Some(98.765)))
            .unwrap_or_default();
        assert_eq!(json["pivots"], serde_json::Value::Null);
        assert_eq!(json["previous_day"]["high"], serde_json::Value::Null);
        assert_eq!(json["previous_day"]["close"], 98.77);
        assert_eq!(json["date"], "2026-11-23");
    }

    #[test]
    fn nothing_known_says_so() {
        for prev_close in [None, Some(0.0), Some(f64::NAN)] {
            let got = day_levels(ist(23, 9, 16), None, &[], prev_close);
            assert_eq!(
                (got.previous_day, got.pivots, got.cpr, got.today),
                (None, None, None, None)
            );
            let note = got.note.unwrap_or_default();
            assert!(
                note.starts_with("no previous session is known yet"),
                "{note}"
            );
            assert!(note.ends_with("; no candles today yet"), "{note}");
        }
    }

    #[test]
    fn a_stored_day_that_is_not_before_today_or_is_broken_is_ignored() {
        let cases = [
            ("dated today", day(23, 120.0, 90.0, 105.0)),
            ("high below low", day(20, 90.0, 120.0, 105.0)),
            ("zero low", day(20, 120.0, 0.0, 105.0)),
            ("not finite", day(20, f64::INFINITY, 90.0, 105.0)),
        ];
        for (name, stored) in cases {
            let got = day_levels(ist(23, 9, 16), Some(&stored), &[], None);
            assert_eq!(got.previous_day, None, "{name}");
            assert_eq!(got.pivots, None, "{name}");
        }
    }
}
