//! The price store's snapshot file: last ticks and today's candles, written atomically
//! (temp file + rename) so a `kill -9` mid-write leaves the previous snapshot intact.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::time::IST;
use mandi_domain::{Tick, TickSource};
use serde::{Deserialize, Serialize};

use super::state::{Candle, PriceBook};

/// File name inside the data directory.
pub const SNAPSHOT_FILE: &str = "prices.json";

/// Candles per symbol, as persisted.
pub type CandleSets = Vec<(Arc<str>, Vec<Candle>)>;

/// What is on disk.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub saved_at: DateTime<Utc>,
    pub ticks: Vec<Tick>,
    pub candles: CandleSets,
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
        Snapshot {
            saved_at: now,
            ticks,
            candles,
        }
    }

    /// What to restore at `now`: every last tick (marked as a snapshot, so nobody takes it
    /// for a live price), and the candles only if they were saved on the same IST day.
    pub fn for_restore(self, now: DateTime<Utc>) -> (Vec<Tick>, CandleSets) {
        let same_day =
            self.saved_at.with_timezone(&IST).date_naive() == now.with_timezone(&IST).date_naive();
        let ticks = self
            .ticks
            .into_iter()
            .map(|mut t| {
                t.source = TickSource::Snapshot;
                t
            })
            .collect();
        (ticks, if same_day { self.candles } else { Vec::new() })
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
        let (ticks, candles) = load(&dir)
            .expect("load")
            .expect("present")
            .for_restore(at(20, 9));
        assert_eq!(ticks[0].ltp, 25_760.85);
        assert_eq!(ticks[0].source, TickSource::Snapshot);
        assert_eq!(candles.len(), 1, "same IST day keeps candles");
        let (_, next_day) = snap.for_restore(at(21, 4));
        assert!(next_day.is_empty(), "yesterday's candles are not today's");
        let _ = std::fs::remove_dir_all(&dir);
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
