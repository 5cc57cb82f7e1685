//! The opening range: high and low of the bars inside `[start, end)`, final once a bar
//! reaching `end` has been seen.

use chrono::{DateTime, Utc};
use mandi_domain::Candle;
use serde::{Deserialize, Serialize};

/// Where a price sits against a completed opening range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeSide {
    Above,
    Inside,
    Below,
}

/// High and low of the opening window of one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpeningRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// `(low, high)` of the bars seen inside the window so far.
    bounds: Option<(f64, f64)>,
    /// Set by the first bar that reaches `end`; the bounds no longer move after it.
    complete: bool,
}

impl OpeningRange {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        OpeningRange {
            start,
            end,
            bounds: None,
            complete: false,
        }
    }

    /// Feeds the bar covering `[bar.start, bar_end)`. Bars before the window are ignored.
    pub fn update(&mut self, bar: &Candle, bar_end: DateTime<Utc>) {
        if self.complete || bar.start < self.start {
            return;
        }
        if bar.start < self.end {
            let (low, high) = self.bounds.unwrap_or((bar.low, bar.high));
            self.bounds = Some((low.min(bar.low), high.max(bar.high)));
        }
        self.complete = bar_end >= self.end;
    }

    /// The first instant after the window.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// `(low, high)` once the window is over; `None` before, or if no bar fell inside it
    /// (a bot started after the window has no range that day).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        self.bounds.filter(|_| self.complete)
    }

    /// Where `close` sits against the completed range; `None` while there is none.
    /// Touching a bound is still inside: a breakout must close beyond it.
    pub fn side(&self, close: f64) -> Option<RangeSide> {
        let (low, high) = self.bounds()?;
        Some(if close > high {
            RangeSide::Above
        } else if close < low {
            RangeSide::Below
        } else {
            RangeSide::Inside
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 3, 45, 0)
            .single()
            .unwrap_or_default()
            + TimeDelta::minutes(min)
    }

    fn bar(min: i64, low: f64, high: f64) -> Candle {
        Candle {
            start: at(min),
            open: low,
            high,
            low,
            close: high,
            volume: 0,
        }
    }

    #[test]
    fn range_forms_from_bars_inside_the_window_only() {
        let mut r = OpeningRange::new(at(0), at(15));
        r.update(&bar(-5, 1.0, 999.0), at(0));
        assert_eq!(
            r.bounds(),
            None,
            "pre-open bar ignored and range not complete"
        );
        for (min, low, high) in [(0, 100.0, 110.0), (5, 95.0, 105.0)] {
            r.update(&bar(min, low, high), at(min + 5));
            assert_eq!(r.bounds(), None, "bar at +{min} leaves the range open");
        }
        r.update(&bar(10, 98.0, 112.0), at(15));
        assert_eq!(r.bounds(), Some((95.0, 112.0)));
        r.update(&bar(15, 50.0, 200.0), at(20));
        assert_eq!(
            r.bounds(),
            Some((95.0, 112.0)),
            "bars after the window do not move it"
        );
    }

    #[test]
    fn side_needs_a_close_beyond_the_bound() {
        let mut r = OpeningRange::new(at(0), at(5));
        r.update(&bar(0, 100.0, 110.0), at(5));
        let cases = [
            ("above", 110.05, RangeSide::Above),
            ("at high", 110.0, RangeSide::Inside),
            ("at low", 100.0, RangeSide::Inside),
            ("below", 99.95, RangeSide::Below),
        ];
        for (name, close, want) in cases {
            assert_eq!(r.side(close), Some(want), "{name}");
        }
    }

    #[test]
    fn a_window_with_no_bars_has_no_range() {
        let mut r = OpeningRange::new(at(0), at(15));
        r.update(&bar(20, 100.0, 110.0), at(25));
        assert_eq!(r.bounds(), None);
        assert_eq!(r.side(120.0), None);
    }
}
