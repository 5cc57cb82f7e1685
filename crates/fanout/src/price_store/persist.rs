//! The price store's snapshot file: last ticks, today's candles and each symbol's previous
//! session, written atomically (temp file + rename) so a `kill -9` mid-write leaves the
//! previous snapshot intact.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::candles::ist_date;
use mandi_domain::levels::latest_earlier_session;
use mandi_domain::{DayOhlc, Tick, TickSource};
use serde::{Deserialize, Serialize};

use super::state::{Candle, PriceBook};

/// File name inside the data directory.
pub const SNAPSHOT_FILE: &str = "prices.json";

/// Candles per symbol, as persisted.
pub type CandleSets = Vec<(Arc<str>, Vec<Candle>)>;

/// The previous session per symbol, as persisted.
pub type PreviousDays = Vec<(Arc<str>, DayOhlc)>;

/// What is on disk.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub saved_at: DateTime<Utc>,
    pub ticks: Vec<Tick>,
    pub candles: CandleSets,
    /// Absent from files written before the day levels existed; those still load.
    #[serde(default)]
    pub previous_days: PreviousDays,
}

/// What a snapshot puts back into the book at start.
#[derive(Debug, Default)]
pub struct Restore {
    pub ticks: Vec<Tick>,
    /// Only minutes of the current IST day.
    pub candles: CandleSets,
    pub previous_days: PreviousDays,
}

impl Snapshot {
    pub fn of(book: &PriceBook, now: DateTime<Utc>) -> Snapshot {
        let mut ticks: Vec<Tick> = book.all().cloned().collect();
        ticks.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        let mut candles: CandleSets = book
            .all_candles()
            .map(|(s, c)| (s.clone(), c.to_vec()))
            .collect();
        candles.sort_by(|a, b| a.0.cmp(&b.0));
        let mut previous_days: PreviousDays = book
            .all_previous_days()
            .map(|(s, d)| (s.clone(), *d))
            .collect();
        previous_days.sort_by(|a, b| a.0.cmp(&b.0));
        Snapshot {
            saved_at: now,
            ticks,
            candles,
            previous_days,
        }
    }

    /// What to restore at `now`: every last tick (marked as a snapshot, so nobody takes it
    /// for a live price), the candles of `now`'s IST day, and each symbol's previous
    /// session. Candles of an earlier day (a snapshot written at yesterday's close) are
    /// folded into that session, so a restart next morning still has yesterday's levels.
    pub fn for_restore(self, now: DateTime<Utc>) -> Restore {
        let today = ist_date(now);
        let ticks = self
            .ticks
            .into_iter()
            .map(|mut t| {
                t.source = TickSource::Snapshot;
                t
            })
            .collect();
        let mut previous: HashMap<Arc<str>, DayOhlc> = self.previous_days.into_iter().collect();
        let mut candles = CandleSets::new();
        for (symbol, list) in self.candles {
            if let Some(day) = latest_earlier_session(&list, today) {
                if day.supersedes(previous.get(&symbol)) {
                    previous.insert(symbol.clone(), day);
                }
            }
            let todays: Vec<Candle> = list
                .into_iter()
                .filter(|c| ist_date(c.start) == today)
                .collect();
            if !todays.is_empty() {
                candles.push((symbol, todays));
            }
        }
        let mut previous_days: PreviousDays = previous.into_iter().collect();
        previous_days.sort_by(|a, b| a.0.cmp(&b.0));
        Restore {
            ticks,
            candles,
            previous_days,
        }
    }
}

/// Write `snapshot` to `dir/prices.json` atomically.
pub fn save(dir: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{SNAPSHOT_FILE}.tmp"));
    let bytes = serde_json::to_vec(snapshot).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path(dir))
}

/// Read the snapshot; `Ok(None)` when there is none yet.
pub fn load(dir: &Path) -> std::io::Result<Option<Snapshot>> {
    match std::fs::read(path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::TickUpdate;

    use super::*;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn round_trip_through_disk_and_day_rule() {
        let mut book = PriceBook::default();
        book.apply(&[TickUpdate {
            symbol: "NIFTY".into(),
            ltp: Some(25_760.85),
            received_time: at(20, 5),
            exchange_time: Some(at(20, 5)),
            ..Default::default()
        }]);
        let dir = std::env::temp_dir().join(format!("mandi-persist-{}", std::process::id()));
        save(&dir, &Snapshot::of(&book, at(20, 6))).expect("save");
        let snap = load(&dir).expect("load").expect("present");
        let same_day = load(&dir)
            .expect("load")
            .expect("present")
            .for_restore(at(20, 9));
        assert_eq!(same_day.ticks[0].ltp, 25_760.85);
        assert_eq!(same_day.ticks[0].source, TickSource::Snapshot);
        assert_eq!(same_day.candles.len(), 1, "same IST day keeps candles");
        assert!(same_day.previous_days.is_empty());
        let next_day = snap.for_restore(at(21, 4));
        assert!(
            next_day.candles.is_empty(),
            "yesterday's candles are not today's"
        );
        let (symbol, day) = &next_day.previous_days[0];
        assert_eq!(&**symbol, "NIFTY");
        assert_eq!(
            day.date.to_string(),
            "2026-11-20",
            "they are the previous day"
        );
        assert_eq!((day.open, day.close), (25_760.85, 25_760.85));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_stored_previous_day_survives_and_yields_to_newer_candles() {
        let day = super::super::state::flat_day;
        let candle = |t: DateTime<Utc>, p: f64| Candle {
            start: t,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 0,
        };
        let snap = Snapshot {
            saved_at: at(20, 10),
            ticks: Vec::new(),
            // 04:00 UTC is 09:30 IST.
            candles: vec![("A".into(), vec![candle(at(20, 4), 10.0)])],
            previous_days: vec![("A".into(), day(19, 1.0)), ("B".into(), day(19, 2.0))],
        };
        let restore = snap.for_restore(at(23, 4));
        let got: Vec<(String, String, f64)> = restore
            .previous_days
            .iter()
            .map(|(s, d)| (s.to_string(), d.date.to_string(), d.close))
            .collect();
        assert_eq!(
            got,
            [
                ("A".to_string(), "2026-11-20".to_string(), 10.0),
                ("B".to_string(), "2026-11-19".to_string(), 2.0),
            ]
        );
    }

    #[test]
    fn a_snapshot_without_previous_days_still_loads() {
        let old = br#"{"saved_at":"2026-11-20T10:00:00Z","ticks":[],"candles":[]}"#;
        let snap: Snapshot = serde_json::from_slice(old).expect("an old snapshot parses");
        assert!(snap.previous_days.is_empty());
    }

    #[test]
    fn missing_file_is_none_and_garbage_is_an_error() {
        let dir = std::env::temp_dir().join(format!("mandi-persist-bad-{}", std::process::id()));
        assert!(load(&dir).expect("no file is fine").is_none());
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(path(&dir), b"{not json").expect("write");
        assert!(load(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
