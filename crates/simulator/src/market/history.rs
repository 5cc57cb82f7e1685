//! Candles of a configured instrument's price path, for the brokers' historical
//! endpoints: the very path the feeds quote, so history and live prices join up. Only
//! the exchange's session is served, and no weekend days (brokers list none). Pure:
//! the range and "now" are arguments.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use mandi_domain::time::{round_to_tick, IST_OFFSET_S};
use mandi_domain::{Candle, Instrument};

use super::model::{minute_lots, tick_of};
use super::path::PricePath;
use super::profile::{session_minutes, VarianceProfile, MINUTES_PER_DAY};
use crate::{SimInstrument, SimSettings};

/// Most bars one request may ask for (a year of one-minute bars is about 94,000).
pub const MAX_BARS: usize = 100_000;

/// Why a history request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("the range asks for more than {MAX_BARS} bars")]
    TooManyBars,
    #[error("the interval must be 1 to 375 minutes")]
    BadInterval,
}

/// One configured instrument's path, priced.
#[derive(Debug)]
pub struct History {
    instrument: Instrument,
    path: PricePath,
    start_price: f64,
}

impl History {
    pub fn new(settings: &SimSettings, s: &SimInstrument) -> Self {
        let spec = settings.walk_spec(s);
        History {
            instrument: s.instrument.clone(),
            path: PricePath::new(
                spec.seed,
                u64::from(s.instrument.security_id),
                spec.volatility_annual,
                spec.step_ms,
                VarianceProfile::new(s.instrument.exchange, spec.activity),
            ),
            start_price: spec.start_price,
        }
    }

    /// Bars of `interval_min` minutes whose start lies in `[from, to)`, aligned to the
    /// session open as the brokers align them (NSE 09:15, 09:20, …), session minutes
    /// only; a bar still forming at `now` ends at `now`, later ones are not served.
    pub fn intraday(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        interval_min: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, HistoryError> {
        let (open, close) = session_minutes(self.instrument.exchange);
        let interval = i64::from(interval_min);
        if interval < 1 || interval > (close - open) as i64 {
            return Err(HistoryError::BadInterval);
        }
        let to = to.min(now);
        let (first_day, last_day) = (ist_day(from), ist_day(to));
        let per_day = ((close - open) as i64 + interval - 1) / interval;
        if (last_day - first_day + 1).max(0) * per_day > MAX_BARS as i64 {
            return Err(HistoryError::TooManyBars);
        }
        let now_step = self.path.step_at(now);
        let mut bars = Vec::new();
        for day in first_day..=last_day {
            if is_weekend(day) {
                continue;
            }
            let base = day * MINUTES_PER_DAY as i64;
            let mut m = open as i64;
            while m < close as i64 {
                let start_minute = base + m;
                let end_minute = (base + m + interval).min(base + close as i64);
                let start = minute_time(start_minute);
                if start >= from && start < to {
                    bars.push(self.bar(start_minute, end_minute, now_step));
                }
                m += interval;
            }
        }
        Ok(bars)
    }

    /// One bar per weekday from `from` to `to` (IST dates, both included) before the
    /// day of `now`, stamped at IST midnight like the brokers' daily bars: open at the
    /// session open, close at the session close, high and low over the session's minute
    /// points, volume the session's.
    pub fn daily(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, HistoryError> {
        let (first_day, last_day) = (day_number(from), day_number(to).min(ist_day(now) - 1));
        if last_day - first_day > MAX_BARS as i64 {
            return Err(HistoryError::TooManyBars);
        }
        let (open, close) = session_minutes(self.instrument.exchange);
        let mut bars = Vec::new();
        for day in first_day..=last_day {
            if is_weekend(day) {
                continue;
            }
            let base = day * MINUTES_PER_DAY as i64;
            let first = self.price_at_minute(base + open as i64);
            let mut bar = Candle {
                start: minute_time(base),
                open: first,
                high: first,
                low: first,
                close: first,
                volume: 0,
            };
            for m in open as i64..=close as i64 {
                let p = self.price_at_minute(base + m);
                (bar.high, bar.low, bar.close) = (bar.high.max(p), bar.low.min(p), p);
                if m < close as i64 {
                    bar.volume += self.volume_of(base + m);
                }
            }
            bars.push(bar);
        }
        Ok(bars)
    }

    /// The bar over minutes `[first, end)` at step resolution, cut at step `now_step`.
    fn bar(&mut self, first: i64, end: i64, now_step: i64) -> Candle {
        let open = self.price_at_step(self.path.first_step_of_minute(first));
        let mut bar = Candle {
            start: minute_time(first),
            open,
            high: open,
            low: open,
            close: open,
            volume: 0,
        };
        let last_step = (self.path.first_step_of_minute(end) - 1).min(now_step);
        for k in self.path.first_step_of_minute(first)..=last_step {
            let p = self.price_at_step(k);
            (bar.high, bar.low, bar.close) = (bar.high.max(p), bar.low.min(p), p);
        }
        let now_minute = self.path.minute_of_step(now_step);
        for minute in first..end.min(now_minute + 1) {
            bar.volume += self.volume_of(minute);
        }
        bar
    }

    fn volume_of(&self, minute: i64) -> u64 {
        minute_lots(&self.path, &self.instrument, minute)
            * u64::from(self.instrument.lot_size.max(1))
    }

    fn price_at_step(&mut self, k: i64) -> f64 {
        let log = self.path.at_step(k);
        self.price(log)
    }

    fn price_at_minute(&mut self, minute: i64) -> f64 {
        let log = self.path.at_minute(minute);
        self.price(log)
    }

    fn price(&self, log: f64) -> f64 {
        let tick = tick_of(&self.instrument);
        round_to_tick(self.start_price * log.exp(), tick).max(tick)
    }
}

/// Days since 1970-01-01 of an IST date.
fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - i64::from(NaiveDate::default().num_days_from_ce())
}

/// The IST day `t` falls in.
fn ist_day(t: DateTime<Utc>) -> i64 {
    (t.timestamp() + IST_OFFSET_S).div_euclid(86_400)
}

fn is_weekend(day: i64) -> bool {
    let date = NaiveDate::default() + Duration::days(day);
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The instant absolute minute `minute` (since the IST epoch) starts.
fn minute_time(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(minute * 60 - IST_OFFSET_S, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::time::IST;

    use super::*;
    use crate::market::PriceModel;

    fn ist(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        IST.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn nifty() -> (SimSettings, SimInstrument) {
        let s = SimSettings::default();
        let nifty = SimSettings::default_universe().remove(0);
        (s, nifty)
    }

    /// What the feed quoted at `t`: a fresh model there (the path needs no history).
    fn live(s: &SimSettings, i: &SimInstrument, t: DateTime<Utc>) -> f64 {
        PriceModel::new(i.instrument.clone(), s.walk_spec(i), t)
            .quote()
            .ltp
    }

    #[test]
    fn daily_bars_are_the_live_session() {
        let (s, i) = nifty();
        let mut h = History::new(&s, &i);
        let now = ist(2026, 11, 24, 10, 0);
        let from = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap_or_default();
        let bars = h
            .daily(from, from + Duration::days(10), now)
            .unwrap_or_default();
        let days: Vec<String> = bars
            .iter()
            .map(|b| b.start.with_timezone(&IST).format("%a %d").to_string())
            .collect();
        // Thursday to Monday: no weekend, nothing from today (the 24th) on.
        assert_eq!(days, ["Thu 19", "Fri 20", "Mon 23"]);
        let monday = &bars[2];
        assert_eq!(monday.open, live(&s, &i, ist(2026, 11, 23, 9, 15)), "open");
        assert_eq!(
            monday.close,
            live(&s, &i, ist(2026, 11, 23, 15, 30)),
            "close"
        );
        assert!(
            monday.low <= monday.open.min(monday.close)
                && monday.high >= monday.open.max(monday.close)
        );
        assert_eq!(monday.volume, 0, "an index trades no volume");
    }

    #[test]
    fn intraday_bars_sit_on_the_session_grid_and_match_the_feed() {
        let (s, i) = nifty();
        let mut h = History::new(&s, &i);
        let now = ist(2026, 11, 24, 9, 31);
        let bars = h
            .intraday(ist(2026, 11, 23, 0, 0), now, 5, now)
            .unwrap_or_default();
        // Monday's 75 five-minute bars, then Tuesday's 09:15, 09:20, 09:25 and the
        // forming 09:30 one.
        assert_eq!(bars.len(), 75 + 4);
        assert_eq!(bars[0].start, ist(2026, 11, 23, 9, 15));
        assert_eq!(bars[74].start, ist(2026, 11, 23, 15, 25));
        assert_eq!(bars[75].start, ist(2026, 11, 24, 9, 15));
        for b in &bars {
            assert_eq!(b.open, live(&s, &i, b.start), "open of the {} bar", b.start);
            assert!(
                b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close),
                "{b:?}"
            );
        }
        let forming = &bars[78];
        assert_eq!(
            forming.close,
            live(&s, &i, now),
            "the forming bar closes at now"
        );
        let minutes = h.intraday(ist(2026, 11, 23, 9, 15), ist(2026, 11, 23, 9, 20), 1, now);
        let minutes = minutes.unwrap_or_default();
        assert_eq!(minutes.len(), 5);
        let high = minutes.iter().map(|b| b.high).fold(f64::MIN, f64::max);
        assert_eq!(
            high, bars[0].high,
            "five one-minute bars make the five-minute one"
        );
        assert_eq!(minutes[4].close, bars[0].close);
    }

    #[test]
    fn bad_requests_are_refused() {
        let (s, i) = nifty();
        let mut h = History::new(&s, &i);
        let now = ist(2026, 11, 24, 10, 0);
        assert_eq!(h.intraday(now, now, 0, now), Err(HistoryError::BadInterval));
        let long_ago = ist(2016, 1, 1, 0, 0);
        assert_eq!(
            h.intraday(long_ago, now, 1, now),
            Err(HistoryError::TooManyBars)
        );
    }
}
