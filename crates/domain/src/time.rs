//! Time and price conventions of the Indian brokers: IST, Dhan's IST-wall-clock epochs,
//! and rounding float prices back onto the exchange tick.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// Every market time is computed in this zone, whatever the server's zone is.
pub const IST: Tz = chrono_tz::Asia::Kolkata;

/// IST is UTC+05:30 with no daylight saving.
pub const IST_OFFSET_S: i64 = 19_800;

/// Dhan's LTT counts seconds of IST wall-clock time since 1970 (UTC epoch + 19800),
/// so a naive `from_timestamp` would be 5h30m in the future.
pub fn dhan_ltt_to_utc(ltt: u32) -> Option<DateTime<Utc>> {
    if ltt == 0 {
        return None;
    }
    Utc.timestamp_opt(i64::from(ltt) - IST_OFFSET_S, 0).single()
}

/// The inverse of [`dhan_ltt_to_utc`], used by the simulator.
pub fn utc_to_dhan_ltt(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp() + IST_OFFSET_S).unwrap_or(0)
}

/// Kite timestamps are true Unix epochs; 0 means "not sent".
pub fn kite_epoch_to_utc(epoch: u32) -> Option<DateTime<Utc>> {
    if epoch == 0 {
        return None;
    }
    Utc.timestamp_opt(i64::from(epoch), 0).single()
}

/// Round a price to the nearest multiple of `tick` (₹). Dhan prices travel as f32
/// (1642.35 arrives as 1642.349976); this puts them back on the exchange grid.
/// Non-finite input is returned unchanged so the caller can reject it.
pub fn round_to_tick(price: f64, tick: f64) -> f64 {
    if !price.is_finite() || tick <= 0.0 {
        return price;
    }
    let steps = (price / tick).round();
    // A second rounding removes the binary residue of `steps * tick`; 1e-7 ₹ is the finest
    // unit any segment quotes in (NSE currency), so sub-paisa ticks survive it.
    ((steps * tick) * 1e7).round() / 1e7
}

/// Seconds from `at` to `now` with millisecond precision, never negative (a tick stamped a
/// hair in the future by another thread's clock reads as 0, not as a negative age).
pub fn seconds_since(at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    ((now - at).num_milliseconds().max(0) as f64) / 1000.0
}

/// Format a UTC instant as IST ISO-8601 without offset, the broking terminal's
/// `timestamp` shape (`2026-02-03T09:09:55.456386`).
pub fn ist_naive_iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// Format a UTC instant for an operator's log line: `2026-11-23 08:50 IST`.
pub fn ist_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M IST")
        .to_string()
}

/// `date` at IST wall-clock `time`, as a UTC instant.
pub fn ist_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match IST.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // IST has had no gaps since 1945, so this arm is unreachable for market dates; the
        // fixed offset keeps the function total without an unwrap.
        None => {
            let utc = local.checked_sub_signed(TimeDelta::seconds(IST_OFFSET_S));
            Utc.from_utc_datetime(&utc.unwrap_or(local))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        price: f64,
        tick: f64,
        want: f64,
    }

    #[test]
    fn round_to_tick_cases() {
        let cases = [
            TestCase {
                name: "f32 residue",
                price: 1_642.349_976,
                tick: 0.05,
                want: 1642.35,
            },
            TestCase {
                name: "half tick up",
                price: 100.025,
                tick: 0.05,
                want: 100.05,
            },
            TestCase {
                name: "rupee tick",
                price: 5544.6,
                tick: 1.0,
                want: 5545.0,
            },
            TestCase {
                name: "currency quarter-paisa tick",
                price: 83.2526,
                tick: 0.0025,
                want: 83.2525,
            },
            TestCase {
                name: "zero tick leaves price",
                price: 1.234,
                tick: 0.0,
                want: 1.234,
            },
        ];
        for c in cases {
            assert!(
                (round_to_tick(c.price, c.tick) - c.want).abs() < 1e-9,
                "{}",
                c.name
            );
        }
        assert!(round_to_tick(f64::NAN, 0.05).is_nan());
    }

    #[test]
    fn dhan_epoch_is_ist_wall_clock() {
        let t = Utc.with_ymd_and_hms(2026, 2, 3, 3, 39, 55).single();
        let t = t.unwrap_or_default();
        let ltt = utc_to_dhan_ltt(t);
        assert_eq!(i64::from(ltt), t.timestamp() + 19_800);
        assert_eq!(dhan_ltt_to_utc(ltt), Some(t));
        assert_eq!(dhan_ltt_to_utc(0), None);
    }

    #[test]
    fn terminal_timestamp_is_ist() {
        let t = Utc
            .with_ymd_and_hms(2026, 2, 3, 3, 39, 55)
            .single()
            .unwrap_or_default();
        assert_eq!(ist_naive_iso(t), "2026-02-03T09:09:55.000000");
    }
}
