//! Expiry calendars of the simulated derivatives: NSE on Tuesdays, BSE on Thursdays
//! (weekly, and the month's last one as the monthly), MCX crude oil around the 19th.
//! Pure: `today` is an argument. Exchange holidays are not modelled.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use mandi_domain::time::IST_OFFSET_S;
use mandi_domain::Exchange;

/// How far ahead a monthly rule looks before giving up; each rule yields one expiry per
/// month, so two years always covers the handful of contracts asked for.
const MONTHS_SEARCHED: u32 = 24;
/// MCX energy contracts expire on this day of the month (or the weekday before it).
const MCX_EXPIRY_DAY: u32 = 19;

/// How a series of contracts picks its expiry days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryRule {
    /// The next `weeks` occurrences of `weekday`, plus the next `months` monthly expiries
    /// (the month's last `weekday`). A monthly inside the weekly window is listed once.
    WeeklyAndMonthly {
        weekday: Weekday,
        weeks: usize,
        months: usize,
    },
    /// The last `weekday` of each month, the next `months` of them.
    Monthly { weekday: Weekday, months: usize },
    /// MCX energy: the 19th, or the Friday before when the 19th is a weekend.
    McxMonthly { months: usize },
}

impl ExpiryRule {
    /// Expiry days on or after `today` (a contract expiring today still trades until
    /// the close), ascending, without duplicates.
    pub fn expiries(self, today: NaiveDate) -> Vec<NaiveDate> {
        let mut out = match self {
            ExpiryRule::WeeklyAndMonthly {
                weekday,
                weeks,
                months,
            } => {
                let mut days = weekly(today, weekday, weeks);
                days.extend(monthly(today, months, |y, m| last_weekday(y, m, weekday)));
                days
            }
            ExpiryRule::Monthly { weekday, months } => {
                monthly(today, months, |y, m| last_weekday(y, m, weekday))
            }
            ExpiryRule::McxMonthly { months } => monthly(today, months, mcx_expiry),
        };
        out.sort();
        out.dedup();
        out
    }
}

/// Whether `expiry` is a monthly contract: always on MCX; on NSE/BSE when no later
/// expiry on the same weekday falls in the same month.
pub fn is_monthly(exchange: Exchange, expiry: NaiveDate) -> bool {
    exchange == Exchange::Mcx
        || expiry.checked_add_days(Days::new(7)).map(|d| d.month()) != Some(expiry.month())
}

/// The instant trading in a contract ends: 15:30 IST on NSE/BSE, 23:30 IST on MCX
/// (the summer close; the winter 23:55 is ignored).
pub fn expiry_instant(exchange: Exchange, expiry: NaiveDate) -> DateTime<Utc> {
    let close = match exchange {
        Exchange::Mcx => NaiveTime::from_hms_opt(23, 30, 0),
        Exchange::Nse | Exchange::Bse => NaiveTime::from_hms_opt(15, 30, 0),
    }
    .unwrap_or_default();
    // IST has no daylight saving: local minus 05:30 is UTC, with no ambiguous hours.
    let utc_wall = expiry.and_time(close) - chrono::Duration::seconds(IST_OFFSET_S);
    Utc.from_utc_datetime(&utc_wall)
}

/// The rule by which a configured future of `exchange` (one whose symbol names only a
/// month) expires: NSE last Tuesday, BSE last Thursday, MCX the 19th.
pub fn monthly_expiry(exchange: Exchange, year: i32, month: u32) -> Option<NaiveDate> {
    match exchange {
        Exchange::Nse => last_weekday(year, month, Weekday::Tue),
        Exchange::Bse => last_weekday(year, month, Weekday::Thu),
        Exchange::Mcx => mcx_expiry(year, month),
    }
}

/// The last `weekday` of a month.
pub fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(Days::new(u64::from(back)))
}

fn mcx_expiry(year: i32, month: u32) -> Option<NaiveDate> {
    let day = NaiveDate::from_ymd_opt(year, month, MCX_EXPIRY_DAY)?;
    let back = match day.weekday() {
        Weekday::Sat => 1,
        Weekday::Sun => 2,
        _ => 0,
    };
    day.checked_sub_days(Days::new(back))
}

fn weekly(today: NaiveDate, weekday: Weekday, weeks: usize) -> Vec<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    (0..weeks as u64)
        .filter_map(|w| today.checked_add_days(Days::new(u64::from(ahead) + 7 * w)))
        .collect()
}

/// The first `months` expiries on or after `today`, one per calendar month from today's.
fn monthly(
    today: NaiveDate,
    months: usize,
    expiry_of: impl Fn(i32, u32) -> Option<NaiveDate>,
) -> Vec<NaiveDate> {
    (0..MONTHS_SEARCHED)
        .filter_map(|k| {
            let index = today.month0() + k;
            expiry_of(today.year() + (index / 12) as i32, index % 12 + 1)
        })
        .filter(|d| *d >= today)
        .take(months)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    struct TestCase {
        name: &'static str,
        rule: ExpiryRule,
        today: NaiveDate,
        want: Vec<NaiveDate>,
    }

    const NIFTY: ExpiryRule = ExpiryRule::WeeklyAndMonthly {
        weekday: Weekday::Tue,
        weeks: 4,
        months: 2,
    };
    const SENSEX: ExpiryRule = ExpiryRule::WeeklyAndMonthly {
        weekday: Weekday::Thu,
        weeks: 4,
        months: 2,
    };
    const BANKNIFTY: ExpiryRule = ExpiryRule::Monthly {
        weekday: Weekday::Tue,
        months: 3,
    };
    const CRUDE: ExpiryRule = ExpiryRule::McxMonthly { months: 3 };

    #[test]
    fn expiry_calendars() {
        let cases = [
            TestCase {
                name:
                    "nifty on a sunday: four tuesdays, nov monthly inside them, dec monthly after",
                rule: NIFTY,
                today: d(2026, 11, 22),
                want: vec![
                    d(2026, 11, 24),
                    d(2026, 12, 1),
                    d(2026, 12, 8),
                    d(2026, 12, 15),
                    d(2026, 12, 29),
                ],
            },
            TestCase {
                name: "nifty on expiry tuesday keeps today's contract",
                rule: NIFTY,
                today: d(2026, 12, 29),
                want: vec![
                    d(2026, 12, 29),
                    d(2027, 1, 5),
                    d(2027, 1, 12),
                    d(2027, 1, 19),
                    d(2027, 1, 26),
                ],
            },
            TestCase {
                name: "nifty the day after a monthly: both monthlies beyond the weeklies",
                rule: NIFTY,
                today: d(2026, 9, 30),
                want: vec![
                    d(2026, 10, 6),
                    d(2026, 10, 13),
                    d(2026, 10, 20),
                    d(2026, 10, 27),
                    d(2026, 11, 24),
                ],
            },
            TestCase {
                name: "sensex thursdays across a year end",
                rule: SENSEX,
                today: d(2026, 12, 18),
                want: vec![
                    d(2026, 12, 24),
                    d(2026, 12, 31),
                    d(2027, 1, 7),
                    d(2027, 1, 14),
                    d(2027, 1, 28),
                ],
            },
            TestCase {
                name: "banknifty: last tuesdays only, february of a non-leap year",
                rule: BANKNIFTY,
                today: d(2027, 1, 27),
                want: vec![d(2027, 2, 23), d(2027, 3, 30), d(2027, 4, 27)],
            },
            TestCase {
                name: "banknifty in a leap february",
                rule: BANKNIFTY,
                today: d(2028, 2, 1),
                want: vec![d(2028, 2, 29), d(2028, 3, 28), d(2028, 4, 25)],
            },
            TestCase {
                name: "crude: the 19th, a saturday or sunday moves back to friday",
                rule: CRUDE,
                today: d(2026, 11, 22),
                want: vec![d(2026, 12, 18), d(2027, 1, 19), d(2027, 2, 19)],
            },
            TestCase {
                name: "crude on its expiry day",
                rule: CRUDE,
                today: d(2027, 9, 17),
                want: vec![d(2027, 9, 17), d(2027, 10, 19), d(2027, 11, 19)],
            },
        ];
        for c in cases {
            assert_eq!(c.rule.expiries(c.today), c.want, "{}", c.name);
        }
    }

    #[test]
    fn weekly_and_monthly_never_mix_weekdays() {
        let mut today = d(2026, 1, 1);
        for _ in 0..400 {
            for (rule, weekday) in [(NIFTY, Weekday::Tue), (SENSEX, Weekday::Thu)] {
                let days = rule.expiries(today);
                assert!((4..=6).contains(&days.len()), "{today}: {days:?}");
                assert!(days.iter().all(|x| x.weekday() == weekday && *x >= today));
                let monthlies = days.iter().filter(|x| is_monthly(Exchange::Nse, **x));
                assert!(monthlies.count() >= 2, "{today}: {days:?}");
            }
            today = today.succ_opt().unwrap_or(today);
        }
    }

    #[test]
    fn monthly_flags_and_close_instants() {
        assert!(is_monthly(Exchange::Nse, d(2026, 12, 29)));
        assert!(!is_monthly(Exchange::Nse, d(2026, 12, 22)));
        assert!(is_monthly(Exchange::Mcx, d(2027, 1, 19)));
        assert_eq!(
            expiry_instant(Exchange::Nse, d(2026, 12, 29)).to_rfc3339(),
            "2026-12-29T10:00:00+00:00"
        );
        assert_eq!(
            expiry_instant(Exchange::Mcx, d(2027, 1, 19)).to_rfc3339(),
            "2027-01-19T18:00:00+00:00"
        );
        assert_eq!(
            monthly_expiry(Exchange::Bse, 2026, 12),
            Some(d(2026, 12, 31))
        );
    }
}
