//! IST wall-clock readings of UTC instants. Every market time in this crate is IST,
//! whatever zone the server runs in; instants themselves always travel as UTC.

use chrono::{DateTime, NaiveTime, Utc};
use mandi_domain::time::IST;

/// The IST calendar date of an instant: the trading day it belongs to (one definition,
/// shared with the candles and levels).
pub use mandi_domain::candles::ist_date;

/// The IST wall-clock time of `now`, compared against the settings' `*_ist` times.
pub fn ist_time(now: DateTime<Utc>) -> NaiveTime {
    now.with_timezone(&IST).time()
}

/// `date` at IST wall-clock `time`, as a UTC instant.
pub use mandi_domain::time::ist_instant;

/// Milliseconds from `then` to `now`, never negative: a tick stamped a hair in the future
/// by another clock reads as age 0.
pub fn age_ms(then: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((now - then).num_milliseconds()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta};

    use super::*;

    fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap_or_default()
    }

    #[test]
    fn ist_is_five_thirty_ahead_of_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap_or_default();
        let open = ist_instant(date, hms(9, 15, 0));
        assert_eq!(open.to_rfc3339(), "2026-02-03T03:45:00+00:00");
        assert_eq!(ist_time(open), hms(9, 15, 0));
        assert_eq!(ist_date(open), date);
    }

    #[test]
    fn ist_date_rolls_at_ist_midnight_not_utc_midnight() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap_or_default();
        // 18:30 UTC on the 2nd is 00:00 IST on the 3rd.
        let midnight = ist_instant(date, hms(0, 0, 0));
        assert_eq!(midnight.to_rfc3339(), "2026-02-02T18:30:00+00:00");
        assert_eq!(ist_date(midnight), date);
        assert_eq!(
            ist_date(midnight - TimeDelta::seconds(1)),
            date.pred_opt().unwrap_or_default()
        );
    }

    #[test]
    fn age_is_never_negative() {
        let t = ist_instant(NaiveDate::default(), hms(10, 0, 0));
        assert_eq!(age_ms(t, t + TimeDelta::milliseconds(1500)), 1500);
        assert_eq!(age_ms(t + TimeDelta::seconds(1), t), 0);
    }
}
