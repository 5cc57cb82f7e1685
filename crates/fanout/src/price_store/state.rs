//! The latest tick per instrument, today's 1-minute candles, and the previous session's
//! OHLC (folded from the candles when the IST date rolls). Plain data; the actor in
//! `mod.rs` feeds it frames and forwards what changed.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use mandi_domain::candles::ist_date;
pub use mandi_domain::Candle;
use mandi_domain::{DayOhlc, Tick, TickUpdate};

/// Candles kept per instrument: a whole IST day. A real session is shorter (MCX 09:00–23:55
/// is 895 minutes), but the simulator streams around the clock, and the day's OHLC is
/// folded from these minutes at the roll, so none may be dropped before it.
const MAX_CANDLES_PER_SYMBOL: usize = 1_440;

#[derive(Debug, Default)]
struct Series {
    /// The current IST day's minutes, oldest first.
    candles: Vec<Candle>,
    /// Cumulative day volume at the end of the previous bar.
    volume_base: Option<u64>,
    /// The last session before `candles`' day: what the day levels are computed from.
    previous_day: Option<DayOhlc>,
}

/// Latest ticks and candles.
#[derive(Debug, Default)]
pub struct PriceBook {
    ticks: HashMap<Arc<str>, Tick>,
    series: HashMap<Arc<str>, Series>,
    last_update_at: Option<DateTime<Utc>>,
    updates: u64,
    stale_rejected: u64,
}

impl PriceBook {
    /// Merge a batch of updates (one or more frames); returns the merged tick after each
    /// accepted update, in order, so a client that keeps up sees every one.
    pub fn apply(&mut self, updates: &[TickUpdate]) -> Vec<Tick> {
        let mut published = Vec::with_capacity(updates.len());
        for u in updates {
            let tick = self
                .ticks
                .entry(u.symbol.clone())
                .or_insert_with(|| Tick::empty(u.symbol.clone(), u.received_time));
            if !tick.apply(u) {
                self.stale_rejected += 1;
                continue;
            }
            self.updates += 1;
            self.last_update_at = Some(u.received_time);
            // Until a price is known (Dhan sends previous close before the first quote)
            // there is nothing a client could act on; the merged fields go out with the
            // first price.
            if tick.ltp > 0.0 {
                published.push(tick.clone());
            }
            if u.ltp.is_some() {
                let at = u.exchange_time.unwrap_or(u.received_time);
                let (ltp, volume) = (tick.ltp, tick.volume);
                self.series
                    .entry(u.symbol.clone())
                    .or_default()
                    .record(at, ltp, volume);
            }
        }
        published
    }

    /// Instruments with a tick.
    pub fn len(&self) -> usize {
        self.ticks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
    }

    pub fn get(&self, symbol: &str) -> Option<&Tick> {
        self.ticks.get(symbol)
    }

    pub fn all(&self) -> impl Iterator<Item = &Tick> {
        self.ticks.values()
    }

    pub fn candles(&self, symbol: &str) -> &[Candle] {
        self.series
            .get(symbol)
            .map(|s| s.candles.as_slice())
            .unwrap_or(&[])
    }

    /// The session before the current one, once a day roll (or a restore) has seen it.
    pub fn previous_day(&self, symbol: &str) -> Option<&DayOhlc> {
        self.series
            .get(symbol)
            .and_then(|s| s.previous_day.as_ref())
    }

    /// Every symbol's previous session, for persisting.
    pub fn all_previous_days(&self) -> impl Iterator<Item = (&Arc<str>, &DayOhlc)> {
        self.series
            .iter()
            .filter_map(|(s, series)| series.previous_day.as_ref().map(|d| (s, d)))
    }

    /// Every symbol's candles, for persisting.
    pub fn all_candles(&self) -> impl Iterator<Item = (&Arc<str>, &[Candle])> {
        self.series
            .iter()
            .map(|(s, series)| (s, series.candles.as_slice()))
    }

    /// Put back what a previous run persisted. Live data already here wins: a restore
    /// never overwrites a tick or candles that arrived first, nor a newer previous day.
    pub fn restore(
        &mut self,
        ticks: Vec<Tick>,
        candles: Vec<(Arc<str>, Vec<Candle>)>,
        previous_days: Vec<(Arc<str>, DayOhlc)>,
    ) -> Vec<Tick> {
        let mut restored = Vec::new();
        for tick in ticks {
            if self.ticks.contains_key(&tick.symbol) || tick.ltp.is_nan() || tick.ltp <= 0.0 {
                continue;
            }
            self.ticks.insert(tick.symbol.clone(), tick.clone());
            restored.push(tick);
        }
        for (symbol, list) in candles {
            let series = self.series.entry(symbol).or_default();
            if series.candles.is_empty() {
                series.candles = list;
            }
        }
        for (symbol, day) in previous_days {
            let series = self.series.entry(symbol).or_default();
            if day.supersedes(series.previous_day.as_ref()) {
                series.previous_day = Some(day);
            }
        }
        restored
    }

    /// Take what the broker's history says about `symbol`. Its previous session replaces
    /// a held one of the same date or older: the broker's bar covers the whole session,
    /// where a day rolled from live minutes covers only what this process saw. Its minutes
    /// (one IST day, oldest first) fill the minutes the live candles lack; a live minute
    /// always wins, and minutes of a day older than the live candles' are ignored.
    pub fn adopt_history(
        &mut self,
        symbol: &Arc<str>,
        previous_day: Option<DayOhlc>,
        minutes: Vec<Candle>,
    ) {
        let series = self.series.entry(symbol.clone()).or_default();
        if let Some(day) = previous_day {
            if series.previous_day.is_none_or(|held| held.date <= day.date) {
                series.previous_day = Some(day);
            }
        }
        series.fill(minutes);
    }

    pub fn last_update_at(&self) -> Option<DateTime<Utc>> {
        self.last_update_at
    }

    pub fn updates(&self) -> u64 {
        self.updates
    }

    pub fn stale_rejected(&self) -> u64 {
        self.stale_rejected
    }
}

impl Series {
    fn record(&mut self, at: DateTime<Utc>, price: f64, day_volume: u64) {
        let Ok(start) = at.duration_trunc(TimeDelta::minutes(1)) else {
            return;
        };
        if self
            .candles
            .last()
            .is_some_and(|c| ist_date(c.start) < ist_date(start))
        {
            self.roll();
        }
        let base = *self.volume_base.get_or_insert(day_volume);
        match self.candles.last_mut() {
            Some(c) if c.start == start => {
                c.high = c.high.max(price);
                c.low = c.low.min(price);
                c.close = price;
                c.volume = day_volume.saturating_sub(base);
            }
            // A late tick for an earlier minute must not reopen a closed bar.
            Some(c) if c.start > start => {}
            _ => {
                if let Some(prev) = self.candles.last() {
                    self.volume_base = Some(base + prev.volume);
                }
                let base = self.volume_base.unwrap_or(day_volume);
                self.candles.push(Candle {
                    start,
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: day_volume.saturating_sub(base),
                });
                if self.candles.len() > MAX_CANDLES_PER_SYMBOL {
                    self.candles.remove(0);
                }
            }
        }
    }

    /// Merge fetched minutes of one day into the candles (see `adopt_history`).
    fn fill(&mut self, minutes: Vec<Candle>) {
        let Some(day) = minutes.first().map(|c| ist_date(c.start)) else {
            return;
        };
        match self.candles.last().map(|c| ist_date(c.start)) {
            Some(held) if held > day => return,
            Some(held) if held < day => self.roll(),
            _ => {}
        }
        let live: std::collections::HashSet<DateTime<Utc>> =
            self.candles.iter().map(|c| c.start).collect();
        self.candles.extend(
            minutes
                .into_iter()
                .filter(|c| ist_date(c.start) == day && !live.contains(&c.start)),
        );
        self.candles.sort_by_key(|c| c.start);
        let excess = self.candles.len().saturating_sub(MAX_CANDLES_PER_SYMBOL);
        self.candles.drain(..excess);
    }

    /// The first minute of a new IST date: the old day's minutes become its OHLC and the
    /// new day starts empty. The broker restarts the cumulative day volume, so the volume
    /// base restarts too.
    fn roll(&mut self) {
        if let Some(day) = DayOhlc::from_candles(&self.candles) {
            self.previous_day = Some(day);
        }
        self.candles.clear();
        self.volume_base = None;
    }
}

/// A test's previous day: 2026-11-`day`, every price `close`.
#[cfg(test)]
pub(super) fn flat_day(day: u32, close: f64) -> DayOhlc {
    DayOhlc {
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default(),
        open: close,
        high: close,
        low: close,
        close,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, m, s)
            .single()
            .unwrap_or_default()
    }

    fn upd(symbol: &str, ltp: f64, volume: u64, t: DateTime<Utc>) -> TickUpdate {
        TickUpdate {
            symbol: symbol.into(),
            ltp: Some(ltp),
            volume: Some(volume),
            exchange_time: Some(t),
            received_time: t,
            ..Default::default()
        }
    }

    #[test]
    fn every_update_is_published_in_order_and_the_latest_wins() {
        let mut book = PriceBook::default();
        let out = book.apply(&[
            upd("A", 10.0, 1, at(4, 0, 1)),
            upd("B", 20.0, 1, at(4, 0, 1)),
            upd("A", 11.0, 2, at(4, 0, 2)),
        ]);
        let published: Vec<(&str, f64)> = out.iter().map(|t| (&*t.symbol, t.ltp)).collect();
        assert_eq!(published, [("A", 10.0), ("B", 20.0), ("A", 11.0)]);
        assert_eq!(book.get("A").map(|t| t.ltp), Some(11.0));
    }

    #[test]
    fn no_tick_is_published_before_a_price_is_known() {
        let mut book = PriceBook::default();
        let prev_close = TickUpdate {
            symbol: "A".into(),
            prev_close: Some(99.0),
            ..Default::default()
        };
        assert!(book.apply(&[prev_close]).is_empty());
        let out = book.apply(&[upd("A", 100.0, 1, at(4, 0, 1))]);
        assert_eq!((out[0].ltp, out[0].prev_close), (100.0, 99.0));
    }

    #[test]
    fn out_of_order_update_is_rejected_and_counted() {
        let mut book = PriceBook::default();
        book.apply(&[upd("A", 10.0, 5, at(4, 0, 5))]);
        let out = book.apply(&[upd("A", 9.0, 4, at(4, 0, 4))]);
        assert!(out.is_empty());
        assert_eq!(book.stale_rejected(), 1);
        assert_eq!(book.get("A").map(|t| t.ltp), Some(10.0));
    }

    #[test]
    fn one_minute_candles() {
        let mut book = PriceBook::default();
        for (p, v, t) in [
            (100.0, 10, at(4, 0, 1)),
            (105.0, 15, at(4, 0, 30)),
            (99.0, 20, at(4, 0, 59)),
            (101.0, 26, at(4, 1, 0)),
        ] {
            book.apply(&[upd("A", p, v, t)]);
        }
        let c = book.candles("A");
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].open, c[0].high, c[0].low, c[0].close),
            (100.0, 105.0, 99.0, 99.0)
        );
        assert_eq!(c[0].volume, 10);
        assert_eq!(c[1].open, 101.0);
        assert_eq!(c[1].volume, 6);
        assert_eq!(c[1].start, at(4, 1, 0));
    }

    /// IST wall-clock `h:m` on November `d`, 2026.
    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        mandi_domain::time::IST
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_first_minute_of_a_new_ist_date_folds_the_old_day() {
        let mut book = PriceBook::default();
        // 23:50 and 23:55 IST on the 20th, then 00:30 IST on the 21st: all three share the
        // UTC date (18:20, 18:25, 19:00 UTC on the 20th), so only an IST roll splits them.
        for (p, t) in [
            (100.0, ist(20, 9, 15)),
            (110.0, ist(20, 9, 16)),
            (95.0, ist(20, 23, 50)),
            (101.0, ist(20, 23, 55)),
        ] {
            book.apply(&[upd("A", p, 1, t)]);
        }
        assert_eq!(book.previous_day("A"), None, "no roll within a day");
        assert_eq!(book.candles("A").len(), 4);

        book.apply(&[upd("A", 102.0, 1, ist(21, 0, 30))]);
        let want = DayOhlc {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            open: 100.0,
            high: 110.0,
            low: 95.0,
            close: 101.0,
        };
        assert_eq!(book.previous_day("A"), Some(&want));
        let today: Vec<f64> = book.candles("A").iter().map(|c| c.open).collect();
        assert_eq!(
            today,
            [102.0],
            "the new day starts with its own minute only"
        );

        // 04:00 and 06:00 IST on the 21st straddle UTC midnight but not IST midnight.
        book.apply(&[upd("A", 103.0, 1, ist(21, 4, 0))]);
        book.apply(&[upd("A", 104.0, 1, ist(21, 6, 0))]);
        assert_eq!(
            book.previous_day("A"),
            Some(&want),
            "UTC midnight is no roll"
        );
        assert_eq!(book.candles("A").len(), 3);

        book.apply(&[upd("A", 200.0, 1, ist(23, 9, 15))]);
        assert_eq!(
            book.previous_day("A")
                .map(|d| (d.date.to_string(), d.open, d.high, d.low, d.close)),
            Some(("2026-11-21".to_string(), 102.0, 104.0, 102.0, 104.0)),
            "the next roll replaces the previous day"
        );
        assert_eq!(book.previous_day("B"), None);
    }

    #[test]
    fn history_fills_the_book_and_live_minutes_win() {
        struct TestCase {
            name: &'static str,
            /// Live ticks first: (price, IST day, hour, minute).
            live: &'static [(f64, u32, u32, u32)],
            held_previous: Option<(u32, f64)>,
            fetched_previous: Option<(u32, f64)>,
            fetched: &'static [(f64, u32, u32, u32)],
            want_previous: Option<(&'static str, f64)>,
            want_minutes: &'static [f64],
        }
        let cases = [
            TestCase {
                name: "an empty book takes both",
                live: &[],
                held_previous: None,
                fetched_previous: Some((20, 50.0)),
                fetched: &[(1.0, 23, 9, 15), (2.0, 23, 9, 16)],
                want_previous: Some(("2026-11-20", 50.0)),
                want_minutes: &[1.0, 2.0],
            },
            TestCase {
                name: "live minutes win, earlier ones are filled in",
                live: &[(20.0, 23, 9, 16), (30.0, 23, 9, 17)],
                held_previous: None,
                fetched_previous: None,
                fetched: &[(1.0, 23, 9, 15), (2.0, 23, 9, 16)],
                want_previous: None,
                want_minutes: &[1.0, 20.0, 30.0],
            },
            TestCase {
                name: "the broker's session replaces a partial one of the same date",
                live: &[],
                held_previous: Some((20, 10.0)),
                fetched_previous: Some((20, 50.0)),
                fetched: &[],
                want_previous: Some(("2026-11-20", 50.0)),
                want_minutes: &[],
            },
            TestCase {
                name: "but not a newer one",
                live: &[],
                held_previous: Some((21, 10.0)),
                fetched_previous: Some((20, 50.0)),
                fetched: &[],
                want_previous: Some(("2026-11-21", 10.0)),
                want_minutes: &[],
            },
            TestCase {
                name: "yesterday's live minutes roll before today's fetched ones",
                live: &[(7.0, 20, 9, 15)],
                held_previous: None,
                fetched_previous: None,
                fetched: &[(1.0, 23, 9, 15)],
                want_previous: Some(("2026-11-20", 7.0)),
                want_minutes: &[1.0],
            },
            TestCase {
                name: "fetched minutes of an older day are ignored",
                live: &[(7.0, 23, 9, 15)],
                held_previous: None,
                fetched_previous: None,
                fetched: &[(1.0, 20, 9, 15)],
                want_previous: None,
                want_minutes: &[7.0],
            },
        ];
        let symbol: Arc<str> = "A".into();
        for c in cases {
            let mut book = PriceBook::default();
            for &(p, d, h, m) in c.live {
                book.apply(&[upd("A", p, 1, ist(d, h, m))]);
            }
            if let Some((d, close)) = c.held_previous {
                book.restore(
                    Vec::new(),
                    Vec::new(),
                    vec![(symbol.clone(), flat_day(d, close))],
                );
            }
            let minutes = c
                .fetched
                .iter()
                .map(|&(p, d, h, m)| Candle {
                    start: ist(d, h, m),
                    open: p,
                    high: p,
                    low: p,
                    close: p,
                    volume: 0,
                })
                .collect();
            book.adopt_history(
                &symbol,
                c.fetched_previous.map(|(d, close)| flat_day(d, close)),
                minutes,
            );
            let previous = book
                .previous_day("A")
                .map(|d| (d.date.to_string(), d.close));
            assert_eq!(
                previous,
                c.want_previous.map(|(d, p)| (d.to_string(), p)),
                "{}",
                c.name
            );
            let closes: Vec<f64> = book.candles("A").iter().map(|c| c.close).collect();
            assert_eq!(closes, c.want_minutes, "{}", c.name);
        }
    }

    #[test]
    fn restore_keeps_the_newer_previous_day() {
        let day = flat_day;
        let mut book = PriceBook::default();
        book.apply(&[upd("A", 100.0, 1, ist(20, 9, 15))]);
        book.apply(&[upd("A", 101.0, 1, ist(21, 9, 15))]);
        book.restore(
            Vec::new(),
            Vec::new(),
            vec![("A".into(), day(19, 50.0)), ("B".into(), day(19, 60.0))],
        );
        assert_eq!(
            book.previous_day("A").map(|d| d.close),
            Some(100.0),
            "live roll wins"
        );
        assert_eq!(book.previous_day("B").map(|d| d.close), Some(60.0));
        book.restore(Vec::new(), Vec::new(), vec![("B".into(), day(20, 70.0))]);
        assert_eq!(
            book.previous_day("B").map(|d| d.close),
            Some(70.0),
            "newer date wins"
        );
    }
}
