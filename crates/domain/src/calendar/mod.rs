//! The market calendar: which days each exchange trades, what phase it is in at an instant,
//! and when the next session opens. Pure: every query takes `now`; the wall clock is never read.

mod schedule;
mod sessions;

use std::collections::HashSet;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

pub(crate) use crate::time::ist_instant;
use crate::time::IST;
use crate::Exchange;

pub use schedule::{DailySchedule, ScheduledJob, CONNECT_IST, MASTER_REFRESH_IST, TOKEN_CHECK_IST};
pub use sessions::{
    mcx_close, MarketPhase, EQUITY_CLOSE_IST, EQUITY_OPEN_IST, EQUITY_POST_CLOSE_END_IST,
    EQUITY_PRE_OPEN_IST, EQUITY_PRE_OPEN_MATCHING_IST, MCX_CLOSE_US_SUMMER_IST,
    MCX_CLOSE_US_WINTER_IST, MCX_OPEN_IST,
};

/// How many days ahead `next_open` and `next_job` look before giving up. Indian exchanges
/// never close for more than a long weekend plus a holiday or two; 30 days only runs out
/// when the holiday list is wrong.
pub const SEARCH_HORIZON_DAYS: u64 = 30;

/// Exchange holidays, one list per exchange, as the server config spells them:
///
/// ```toml
/// [calendar]
/// always_open = false
/// [calendar.holidays]
/// nse = ["2026-01-26", "2026-03-03"]
/// mcx = ["2026-01-26"]
/// ```
///
/// Lists are separate because the exchanges do not close together (MCX often trades an
/// evening session on an NSE holiday). A missing list means "no holidays".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HolidayLists {
    pub nse: Vec<NaiveDate>,
    pub bse: Vec<NaiveDate>,
    pub mcx: Vec<NaiveDate>,
}

/// Settings for [`MarketCalendar`], deserialisable straight from the server config.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarSettings {
    /// Full-day closures per exchange; weekends are implied and need not be listed.
    pub holidays: HolidayLists,
    /// Treat every exchange as open at every instant (development and the simulator, which
    /// stream outside market hours). Only [`MarketCalendar::is_open`] and
    /// [`MarketCalendar::next_open`] honour it; phases, bounds and the schedule keep
    /// describing the real exchange day so status messages stay truthful.
    pub always_open: bool,
}

/// Trading days and sessions of NSE, BSE and MCX, evaluated in IST whatever the process
/// time zone is.
#[derive(Clone, Debug, Default)]
pub struct MarketCalendar {
    nse_holidays: HashSet<NaiveDate>,
    bse_holidays: HashSet<NaiveDate>,
    mcx_holidays: HashSet<NaiveDate>,
    always_open: bool,
}

impl MarketCalendar {
    /// Builds the calendar; duplicate holidays are harmless.
    pub fn new(settings: CalendarSettings) -> Self {
        let CalendarSettings {
            holidays,
            always_open,
        } = settings;
        Self {
            nse_holidays: holidays.nse.into_iter().collect(),
            bse_holidays: holidays.bse.into_iter().collect(),
            mcx_holidays: holidays.mcx.into_iter().collect(),
            always_open,
        }
    }

    /// Whether the calendar was configured to report every market as open.
    pub fn always_open(&self) -> bool {
        self.always_open
    }

    /// Monday to Friday and not one of `exchange`'s holidays. `date` is an IST date.
    pub fn is_trading_day(&self, exchange: Exchange, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.holidays(exchange).contains(&date)
    }

    /// The real phase of `exchange` at `now` (not affected by `always_open`).
    pub fn phase(&self, exchange: Exchange, now: DateTime<Utc>) -> MarketPhase {
        let Some(ist) = ist_wall_clock(now) else {
            return MarketPhase::Closed;
        };
        let date = ist.date();
        if !self.is_trading_day(exchange, date) {
            return MarketPhase::Closed;
        }
        sessions::phase_on_trading_day(exchange, date, ist.time())
    }

    /// Whether ticks should be live: the normal session is on, or `always_open` is set.
    pub fn is_open(&self, exchange: Exchange, now: DateTime<Utc>) -> bool {
        self.always_open || self.phase(exchange, now) == MarketPhase::Open
    }

    /// "Open" for clients: any exchange is in its normal session (MCX trades into the
    /// evening after NSE and BSE have closed).
    pub fn any_open(&self, now: DateTime<Utc>) -> bool {
        [Exchange::Nse, Exchange::Bse, Exchange::Mcx]
            .into_iter()
            .any(|e| self.is_open(e, now))
    }

    /// The normal session of `exchange` on the IST date `date` as UTC instants
    /// `(open, close)`, close exclusive; `None` on weekends and holidays.
    pub fn session_bounds(
        &self,
        exchange: Exchange,
        date: NaiveDate,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_trading_day(exchange, date) {
            return None;
        }
        let (open, close) = sessions::normal_session(exchange, date);
        Some((ist_instant(date, open), ist_instant(date, close)))
    }

    /// The first instant at or after `now` at which `exchange`'s normal session is open:
    /// `now` itself while open (or when `always_open`), else the next session's open.
    ///
    /// Looks at most [`SEARCH_HORIZON_DAYS`] ahead. If the holiday list closes every day in
    /// that window (a configuration mistake), it returns `now + SEARCH_HORIZON_DAYS` rather
    /// than panicking or looping, so a caller that sleeps until the answer simply asks again.
    pub fn next_open(&self, exchange: Exchange, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.is_open(exchange, now) {
            return now;
        }
        let Some(today) = ist_wall_clock(now).map(|t| t.date()) else {
            return after_horizon(now);
        };
        ist_dates_from(today)
            .filter_map(|date| self.session_bounds(exchange, date))
            .map(|(open, _)| open)
            .find(|open| *open > now)
            .unwrap_or_else(|| after_horizon(now))
    }

    fn holidays(&self, exchange: Exchange) -> &HashSet<NaiveDate> {
        match exchange {
            Exchange::Nse => &self.nse_holidays,
            Exchange::Bse => &self.bse_holidays,
            Exchange::Mcx => &self.mcx_holidays,
        }
    }
}

impl From<CalendarSettings> for MarketCalendar {
    fn from(settings: CalendarSettings) -> Self {
        Self::new(settings)
    }
}

/// The IST wall-clock reading of `now`; `None` only within hours of the end of
/// representable time, where `with_timezone` would panic instead.
pub(crate) fn ist_wall_clock(now: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = IST.offset_from_utc_datetime(&now.naive_utc()).fix();
    now.naive_utc().checked_add_offset(offset)
}

/// `start` and the following [`SEARCH_HORIZON_DAYS`] dates; stops early at the end of time.
pub(crate) fn ist_dates_from(start: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..=SEARCH_HORIZON_DAYS).map_while(move |n| start.checked_add_days(Days::new(n)))
}

/// `now + SEARCH_HORIZON_DAYS`, saturating at the end of representable time.
pub(crate) fn after_horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    // 30 days always fits a TimeDelta; the cast cannot truncate.
    now.checked_add_signed(TimeDelta::days(SEARCH_HORIZON_DAYS as i64))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests;
