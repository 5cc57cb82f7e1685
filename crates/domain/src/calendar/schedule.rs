//! The runtime's daily jobs (master refresh, token check, connect, end-of-day per exchange) placed on the
//! market calendar as UTC instants. Pure: the runtime asks for the next job and sleeps.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{after_horizon, ist_dates_from, ist_instant, ist_wall_clock, sessions, MarketCalendar};
use crate::Exchange;

/// The instrument master is downloaded again at 08:35 IST: Kite regenerates its dump
/// around 08:30 and Dhan its scrip master overnight, and the new day's contracts must be
/// in the index before the token check, the connect and the open.
pub const MASTER_REFRESH_IST: NaiveTime = hm(8, 35);
/// Token validity is checked at 08:50 IST, leaving time to re-login before the pre-open.
pub const TOKEN_CHECK_IST: NaiveTime = hm(8, 50);
/// Feeds connect at 08:55 IST, five minutes before the 09:00 pre-open and MCX open.
pub const CONNECT_IST: NaiveTime = hm(8, 55);

/// Exchanges in the order their end-of-day jobs are listed when they share a close time.
const EXCHANGES: [Exchange; 3] = [Exchange::Nse, Exchange::Bse, Exchange::Mcx];

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("invalid schedule time literal"),
    }
}

/// A job the runtime runs once per trading day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScheduledJob {
    /// Download the broker's instrument master again and swap it in.
    MasterRefresh,
    /// Check the broker access token is still valid (Kite tokens expire daily).
    TokenCheck,
    /// Open the market-data connections.
    Connect,
    /// The exchange's normal session has closed: flush candles, snapshot closing prices.
    EndOfDay(Exchange),
}

/// The daily job timetable over a [`MarketCalendar`].
///
/// Jobs only run on days some exchange trades; `EndOfDay(x)` only on `x`'s trading days,
/// at `x`'s close (NSE/BSE 15:30, MCX 23:30 or 23:55 IST). `always_open` does not add days.
#[derive(Clone, Debug, Default)]
pub struct DailySchedule {
    calendar: MarketCalendar,
}

impl DailySchedule {
    /// Schedules jobs over `calendar`.
    pub fn new(calendar: MarketCalendar) -> Self {
        Self { calendar }
    }

    /// The calendar the schedule follows.
    pub fn calendar(&self) -> &MarketCalendar {
        &self.calendar
    }

    /// Every job on the IST date `date`, sorted by instant; empty when no exchange trades.
    /// Jobs due at the same instant keep the order NSE, BSE, MCX.
    pub fn schedule_for(&self, date: NaiveDate) -> Vec<(ScheduledJob, DateTime<Utc>)> {
        let trading: Vec<Exchange> = EXCHANGES
            .into_iter()
            .filter(|x| self.calendar.is_trading_day(*x, date))
            .collect();
        if trading.is_empty() {
            return Vec::new();
        }
        let mut jobs = vec![
            (
                ScheduledJob::MasterRefresh,
                ist_instant(date, MASTER_REFRESH_IST),
            ),
            (ScheduledJob::TokenCheck, ist_instant(date, TOKEN_CHECK_IST)),
            (ScheduledJob::Connect, ist_instant(date, CONNECT_IST)),
        ];
        jobs.extend(trading.into_iter().map(|x| {
            let (_, close) = sessions::normal_session(x, date);
            (ScheduledJob::EndOfDay(x), ist_instant(date, close))
        }));
        // Stable sort: ties keep the NSE, BSE, MCX order above.
        jobs.sort_by_key(|(_, at)| *at);
        jobs
    }

    /// The first job due strictly after `now`. Strictly, so a runtime that wakes at a job's
    /// instant, runs it and asks again with the same `now` gets the following job, not a repeat.
    ///
    /// Looks [`super::SEARCH_HORIZON_DAYS`] ahead; if every day there is a holiday on every
    /// exchange (a broken holiday list), returns a `TokenCheck` at `now + horizon` so the
    /// caller wakes, finds nothing harmful to do, and asks again.
    pub fn next_job(&self, now: DateTime<Utc>) -> (ScheduledJob, DateTime<Utc>) {
        let Some(today) = ist_wall_clock(now).map(|t| t.date()) else {
            return (ScheduledJob::TokenCheck, after_horizon(now));
        };
        ist_dates_from(today)
            .flat_map(|date| self.schedule_for(date))
            .find(|(_, at)| *at > now)
            .unwrap_or_else(|| (ScheduledJob::TokenCheck, after_horizon(now)))
    }
}

impl From<MarketCalendar> for DailySchedule {
    fn from(calendar: MarketCalendar) -> Self {
        Self::new(calendar)
    }
}
