//! The fixed intraday session tables of NSE, BSE and MCX in IST wall-clock time, and the
//! US daylight-saving rule that moves the MCX close. Dates and times in, phases out.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::OffsetComponents;
use serde::{Deserialize, Serialize};

use crate::Exchange;

/// Where an exchange is in its trading day.
///
/// Serialised as snake_case (`"pre_open_matching"`), the shape status messages carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketPhase {
    /// Pre-open order entry (NSE/BSE 09:00–09:08 IST); orders are collected, none match.
    PreOpen,
    /// Pre-open matching and the buffer before the open (NSE/BSE 09:08–09:15 IST).
    PreOpenMatching,
    /// The normal market; ticks are live.
    Open,
    /// Closing-price calculation and post-close session (NSE/BSE 15:30–16:00 IST).
    PostClose,
    /// Outside every session, or not a trading day.
    Closed,
}

/// NSE/BSE pre-open order entry starts (IST).
pub const EQUITY_PRE_OPEN_IST: NaiveTime = hm(9, 0);
/// NSE/BSE pre-open order entry ends and matching starts (IST). The exchange closes order
/// entry at a random second in 09:07–09:08; 09:08 is the latest it can be.
pub const EQUITY_PRE_OPEN_MATCHING_IST: NaiveTime = hm(9, 8);
/// NSE/BSE normal market opens (IST).
pub const EQUITY_OPEN_IST: NaiveTime = hm(9, 15);
/// NSE/BSE normal market closes (IST).
pub const EQUITY_CLOSE_IST: NaiveTime = hm(15, 30);
/// NSE/BSE post-close session ends (IST).
pub const EQUITY_POST_CLOSE_END_IST: NaiveTime = hm(16, 0);
/// MCX non-agri opens (IST).
pub const MCX_OPEN_IST: NaiveTime = hm(9, 0);
/// MCX non-agri closes (IST) while US daylight saving is in force.
pub const MCX_CLOSE_US_SUMMER_IST: NaiveTime = hm(23, 30);
/// MCX non-agri closes (IST) while US daylight saving is not in force.
pub const MCX_CLOSE_US_WINTER_IST: NaiveTime = hm(23, 55);

/// Builds a wall-clock time at compile time; a bad literal fails the build, not a run.
const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("invalid session time literal"),
    }
}

/// The normal session `[open, close)` of `exchange` on `date`, in IST wall-clock time.
/// Ignores weekends and holidays; the calendar checks those first.
pub(crate) fn normal_session(exchange: Exchange, date: NaiveDate) -> (NaiveTime, NaiveTime) {
    match exchange {
        Exchange::Nse | Exchange::Bse => (EQUITY_OPEN_IST, EQUITY_CLOSE_IST),
        Exchange::Mcx => (MCX_OPEN_IST, mcx_close(date)),
    }
}

/// The phase of `exchange` at IST wall-clock `time` on a trading day. Every span is
/// half-open `[start, end)`, so 15:30:00 is already `PostClose`.
pub(crate) fn phase_on_trading_day(
    exchange: Exchange,
    date: NaiveDate,
    time: NaiveTime,
) -> MarketPhase {
    match exchange {
        Exchange::Nse | Exchange::Bse => {
            let spans = [
                (
                    EQUITY_PRE_OPEN_IST,
                    EQUITY_PRE_OPEN_MATCHING_IST,
                    MarketPhase::PreOpen,
                ),
                (
                    EQUITY_PRE_OPEN_MATCHING_IST,
                    EQUITY_OPEN_IST,
                    MarketPhase::PreOpenMatching,
                ),
                (EQUITY_OPEN_IST, EQUITY_CLOSE_IST, MarketPhase::Open),
                (
                    EQUITY_CLOSE_IST,
                    EQUITY_POST_CLOSE_END_IST,
                    MarketPhase::PostClose,
                ),
            ];
            spans
                .iter()
                .find(|(start, end, _)| (*start..*end).contains(&time))
                .map_or(MarketPhase::Closed, |(_, _, phase)| *phase)
        }
        // MCX has no pre-open or post-close worth modelling for a feed: open or closed.
        Exchange::Mcx => {
            if (MCX_OPEN_IST..mcx_close(date)).contains(&time) {
                MarketPhase::Open
            } else {
                MarketPhase::Closed
            }
        }
    }
}

/// MCX non-agri close on `date`: it follows COMEX/NYMEX, so it moves with US daylight saving.
pub fn mcx_close(date: NaiveDate) -> NaiveTime {
    if us_dst_in_force(date) {
        MCX_CLOSE_US_SUMMER_IST
    } else {
        MCX_CLOSE_US_WINTER_IST
    }
}

/// Whether New York is on daylight time on `date`, read from the tz database rather than a
/// hand-coded "second Sunday of March" rule so a future US change arrives with chrono-tz.
///
/// Probed at 12:00 UTC: the US switches at 02:00 local on a Sunday, so on any weekday the
/// whole day shares one answer, and MCX moves its hours from the following Monday.
pub(crate) fn us_dst_in_force(date: NaiveDate) -> bool {
    let noon_utc = date.and_time(hm(12, 0));
    let offset = chrono_tz::America::New_York.offset_from_utc_datetime(&noon_utc);
    !offset.dst_offset().is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        date: (i32, u32, u32),
        want_dst: bool,
    }

    #[test]
    fn us_dst_follows_new_york() {
        let cases = [
            TestCase {
                name: "january is standard time",
                date: (2026, 1, 15),
                want_dst: false,
            },
            TestCase {
                name: "friday before the march switch",
                date: (2026, 3, 6),
                want_dst: false,
            },
            TestCase {
                name: "monday after the march switch (2026-03-08)",
                date: (2026, 3, 9),
                want_dst: true,
            },
            TestCase {
                name: "july",
                date: (2026, 7, 15),
                want_dst: true,
            },
            TestCase {
                name: "friday before the november switch (2026-11-01)",
                date: (2026, 10, 30),
                want_dst: true,
            },
            TestCase {
                name: "monday after the november switch",
                date: (2026, 11, 2),
                want_dst: false,
            },
            TestCase {
                name: "december",
                date: (2026, 12, 16),
                want_dst: false,
            },
        ];
        for c in cases {
            let (y, m, d) = c.date;
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
            assert_eq!(us_dst_in_force(date), c.want_dst, "{}", c.name);
        }
    }

    #[test]
    fn phase_serialises_snake_case() {
        let cases = [
            (MarketPhase::PreOpen, "\"pre_open\""),
            (MarketPhase::PreOpenMatching, "\"pre_open_matching\""),
            (MarketPhase::Open, "\"open\""),
            (MarketPhase::PostClose, "\"post_close\""),
            (MarketPhase::Closed, "\"closed\""),
        ];
        for (phase, want) in cases {
            let got = serde_json::to_string(&phase).unwrap_or_default();
            assert_eq!(got, want, "{phase:?}");
            let back: Option<MarketPhase> = serde_json::from_str(want).ok();
            assert_eq!(back, Some(phase), "{want} round trip");
        }
    }
}
