//! End-to-end tests live in `tests/`; this library holds what several of them share.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use mandi_simulator::record_day::RecordDay;

/// The trading day the recording, replay and paper tests run on: Monday 2026-11-23.
pub fn test_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

/// `h:m` IST on [`test_day`].
pub fn ist(h: u32, m: u32) -> DateTime<Utc> {
    mandi_domain::time::ist_instant(
        test_day(),
        NaiveTime::from_hms_opt(h, m, 0).expect("a time of day"),
    )
}

/// The stretch `from`–`to` (IST hours and minutes) of [`test_day`] on `broker`, to be
/// recorded under `root`.
pub fn test_stretch(broker: &str, root: PathBuf, from: (u32, u32), to: (u32, u32)) -> RecordDay {
    RecordDay {
        broker: broker.to_string(),
        date: test_day(),
        root,
        window: Some((ist(from.0, from.1), ist(to.0, to.1))),
    }
}
