//! Turns the underlying's 1-minute bars into entry signals: aggregation to the configured
//! bar length, then the opening-range breakout or the EMA crossover, restarted each IST day.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use mandi_domain::{Candle, OptionType};
use serde::{Deserialize, Serialize};

use crate::clock::{ist_date, ist_instant, ist_time};
use crate::indicator::{CandleAggregator, Ema, OpeningRange, RangeSide};
use crate::settings::EntryRule;
use crate::EntryReason;

/// Which way a signal points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Bullish,
    Bearish,
}

impl Direction {
    /// Bullish buys a call, bearish a put.
    pub fn option_type(self) -> OptionType {
        match self {
            Direction::Bullish => OptionType::Call,
            Direction::Bearish => OptionType::Put,
        }
    }
}

/// A bar that met the entry rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub direction: Direction,
    pub reason: EntryReason,
    /// When the signalling bar closed; a signal is only acted on while this is recent.
    pub bar_end: DateTime<Utc>,
    pub close: f64,
}

/// The rule's running state for the current day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Detector {
    OpeningRange {
        range: OpeningRange,
        /// Side of the previous close; a signal fires only when a close changes side, so a
        /// trend that stays above the range does not signal on every bar.
        side: RangeSide,
    },
    EmaCrossover {
        fast: Ema,
        slow: Ema,
        /// Sign of `fast - slow` at the last bar where they differed; `None` until both
        /// EMAs are defined, so warm-up never counts as a cross.
        above: Option<bool>,
    },
}

/// Bars in, signals out, for one bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalEngine {
    rule: EntryRule,
    interval_min: u32,
    market_open_ist: NaiveTime,
    /// IST date the running state belongs to; a bar of a later date starts afresh.
    day: Option<NaiveDate>,
    bars: CandleAggregator,
    detector: Detector,
}

impl SignalEngine {
    pub fn new(rule: EntryRule, interval_min: u32, market_open_ist: NaiveTime) -> Self {
        SignalEngine {
            // Placeholder until the first bar names the day; `on_minute_bar` rebuilds it.
            detector: detector_for(&rule, NaiveDate::default(), market_open_ist),
            rule,
            interval_min,
            market_open_ist,
            day: None,
            bars: CandleAggregator::new(interval_min),
        }
    }

    /// Whether this engine was built for these settings (a restored engine is only kept
    /// if the rule, bar length and open are unchanged).
    pub fn is_configured_as(&self, rule: &EntryRule, interval_min: u32, open: NaiveTime) -> bool {
        self.rule == *rule && self.interval_min == interval_min && self.market_open_ist == open
    }

    /// Feeds one completed 1-minute bar of the underlying, in time order. Returns the
    /// signal of the newest bar it completes, if that bar signals. Bars before the market
    /// open, and bars of an earlier day than the current one, are ignored.
    pub fn on_minute_bar(&mut self, minute: &Candle) -> Option<Signal> {
        let date = ist_date(minute.start);
        if ist_time(minute.start) < self.market_open_ist || self.day.is_some_and(|d| date < d) {
            return None;
        }
        if self.day != Some(date) {
            self.day = Some(date);
            self.bars = CandleAggregator::new(self.interval_min);
            self.detector = detector_for(&self.rule, date, self.market_open_ist);
        }
        let interval = self.bars.interval();
        let mut latest = None;
        for bar in self.bars.push(minute) {
            latest = self.on_bar(&bar, bar.start + interval);
        }
        latest
    }

    fn on_bar(&mut self, bar: &Candle, bar_end: DateTime<Utc>) -> Option<Signal> {
        let (direction, reason) = match &mut self.detector {
            Detector::OpeningRange { range, side } => {
                range.update(bar, bar_end);
                // A bar that starts inside the window is part of the range, so cannot break it.
                let now = if bar.start < range.end() {
                    RangeSide::Inside
                } else {
                    range.side(bar.close)?
                };
                if std::mem::replace(side, now) == now {
                    return None;
                }
                match now {
                    RangeSide::Above => (Direction::Bullish, EntryReason::OrbBreakoutUp),
                    RangeSide::Below => (Direction::Bearish, EntryReason::OrbBreakoutDown),
                    RangeSide::Inside => return None,
                }
            }
            Detector::EmaCrossover { fast, slow, above } => {
                let (f, s) = (fast.update(bar.close), slow.update(bar.close));
                let (Some(f), Some(s)) = (f, s) else {
                    return None;
                };
                if f == s {
                    return None;
                }
                let is_above = f > s;
                match (above.replace(is_above), is_above) {
                    (Some(false), true) => (Direction::Bullish, EntryReason::EmaCrossUp),
                    (Some(true), false) => (Direction::Bearish, EntryReason::EmaCrossDown),
                    _ => return None,
                }
            }
        };
        Some(Signal {
            direction,
            reason,
            bar_end,
            close: bar.close,
        })
    }
}

fn detector_for(rule: &EntryRule, date: NaiveDate, open: NaiveTime) -> Detector {
    match *rule {
        EntryRule::OpeningRange { minutes } => {
            let start = ist_instant(date, open);
            Detector::OpeningRange {
                range: OpeningRange::new(start, start + TimeDelta::minutes(i64::from(minutes))),
                side: RangeSide::Inside,
            }
        }
        EntryRule::EmaCrossover { fast, slow } => Detector::EmaCrossover {
            fast: Ema::new(fast),
            slow: Ema::new(slow),
            above: None,
        },
    }
}

#[cfg(test)]
mod tests;
