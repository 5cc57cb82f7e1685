//! 1-minute bars of an underlying, built from every tick the price store publishes (the
//! host sees them all, before conflation), timed by exchange time.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use mandi_domain::{Candle, Tick};

/// A bar closes when a tick of a later minute arrives, or this long after its minute
/// ended with no tick (a quiet market still gets its bars).
const CLOSE_GRACE_MS: i64 = 1_500;

#[derive(Debug, Default, Clone)]
pub struct MinuteBars {
    current: Option<Candle>,
}

impl MinuteBars {
    /// Folds a tick in; returns the bar it completed, if any.
    pub fn on_tick(&mut self, tick: &Tick) -> Option<Candle> {
        let price = tick.ltp;
        if !(price.is_finite() && price > 0.0) {
            return None;
        }
        let at = tick.exchange_time.unwrap_or(tick.received_time);
        let start = at.duration_trunc(TimeDelta::minutes(1)).ok()?;
        match &mut self.current {
            Some(bar) if bar.start == start => {
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                None
            }
            // A late tick of an already closed minute: that bar has gone out.
            Some(bar) if start < bar.start => None,
            _ => self.current.replace(Candle {
                start,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: 0,
            }),
        }
    }

    /// The open bar, if its minute ended more than the grace ago.
    pub fn close_due(&mut self, now: DateTime<Utc>) -> Option<Candle> {
        let due = self.current.as_ref().is_some_and(|bar| {
            now >= bar.start + TimeDelta::minutes(1) + TimeDelta::milliseconds(CLOSE_GRACE_MS)
        });
        if due {
            self.current.take()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const MINUTE_START: i64 = 1_770_000_000;

    fn tick(sec: i64, ltp: f64) -> Tick {
        let at = Utc
            // A whole minute (1 770 000 000 is one), so `sec` counts from a minute start.
            .timestamp_opt(MINUTE_START + sec, 0)
            .single()
            .unwrap_or_default();
        let mut t = Tick::empty("NIFTY".into(), at);
        t.ltp = ltp;
        t.exchange_time = Some(at);
        t
    }

    #[test]
    fn a_bar_closes_on_the_next_minutes_tick_or_after_the_grace() {
        let mut bars = MinuteBars::default();
        assert_eq!(bars.on_tick(&tick(1, 100.0)), None);
        assert_eq!(bars.on_tick(&tick(20, 103.0)), None);
        assert_eq!(bars.on_tick(&tick(40, 99.0)), None);
        let done = bars
            .on_tick(&tick(61, 101.0))
            .map(|b| (b.open, b.high, b.low, b.close));
        assert_eq!(done, Some((100.0, 103.0, 99.0, 99.0)));
        assert_eq!(bars.on_tick(&tick(30, 500.0)), None, "late tick ignored");
        let open_start = tick(60, 0.0).received_time;
        assert_eq!(bars.close_due(open_start + TimeDelta::seconds(61)), None);
        let closed = bars
            .close_due(open_start + TimeDelta::seconds(62))
            .map(|b| b.close);
        assert_eq!(closed, Some(101.0));
    }
}
