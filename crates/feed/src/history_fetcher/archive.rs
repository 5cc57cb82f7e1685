//! Older days' one-minute candles, kept once fetched: in memory, and with a data
//! directory as one small JSON file per symbol and IST day
//! (`<data_dir>/history/<SYMBOL>/<YYYY-MM-DD>.json`, written atomically), so a day is
//! asked of the broker once. A day the broker had no bars for (a holiday) is kept as an
//! empty list, so it is not asked for again either.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use mandi_domain::candles::ist_date;
use mandi_domain::Candle;

/// Days kept in memory; past this the memory copy is dropped (the files stay).
const MAX_DAYS_IN_MEMORY: usize = 2_000;

/// The store of older days.
#[derive(Debug, Default)]
pub struct DayArchive {
    dir: Option<PathBuf>,
    memory: HashMap<(Arc<str>, NaiveDate), Arc<[Candle]>>,
}

impl DayArchive {
    /// Files under `data_dir/history`; `None` keeps days in memory only.
    pub fn new(data_dir: Option<&Path>) -> DayArchive {
        DayArchive {
            dir: data_dir.map(|d| d.join("history")),
            memory: HashMap::new(),
        }
    }

    /// The day's candles if held; an unreadable file counts as not held (it is fetched
    /// and written again).
    pub fn get(&mut self, symbol: &Arc<str>, date: NaiveDate) -> Option<Arc<[Candle]>> {
        if let Some(day) = self.memory.get(&(symbol.clone(), date)) {
            return Some(day.clone());
        }
        let path = self.path(symbol, date)?;
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice::<Vec<Candle>>(&bytes) {
            Ok(day) => {
                let day: Arc<[Candle]> = day.into();
                self.remember(symbol, date, day.clone());
                Some(day)
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "stored history day unreadable; fetching it again");
                None
            }
        }
    }

    /// Keep `candles` (any order, any days) as the days `dates` of `symbol`: each date gets
    /// its own candles, or none. Returns a write error, once, for the caller to log.
    pub fn put(
        &mut self,
        symbol: &Arc<str>,
        dates: &[NaiveDate],
        candles: &[Candle],
    ) -> Result<(), std::io::Error> {
        let mut result = Ok(());
        for &date in dates {
            let mut day: Vec<Candle> = candles
                .iter()
                .filter(|c| ist_date(c.start) == date)
                .cloned()
                .collect();
            day.sort_by_key(|c| c.start);
            day.dedup_by_key(|c| c.start);
            if let Some(path) = self.path(symbol, date) {
                if let Err(e) = write_atomic(&path, &day) {
                    result = Err(e);
                }
            }
            self.remember(symbol, date, day.into());
        }
        result
    }

    fn remember(&mut self, symbol: &Arc<str>, date: NaiveDate, day: Arc<[Candle]>) {
        if self.memory.len() >= MAX_DAYS_IN_MEMORY {
            self.memory.clear();
        }
        self.memory.insert((symbol.clone(), date), day);
    }

    fn path(&self, symbol: &str, date: NaiveDate) -> Option<PathBuf> {
        let safe: String = symbol
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Some(
            self.dir
                .as_ref()?
                .join(safe)
                .join(format!("{}.json", date.format("%Y-%m-%d"))),
        )
    }
}

fn write_atomic(path: &Path, day: &[Candle]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(day).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mandi_domain::time::IST;

    use super::*;

    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn bar(start: DateTime<Utc>) -> Candle {
        Candle {
            start,
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 0,
        }
    }

    #[test]
    fn days_survive_a_new_archive_on_the_same_directory() {
        let dir = std::env::temp_dir().join(format!("mandi-archive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let symbol: Arc<str> = "NIFTY 50/X".into();
        let mut archive = DayArchive::new(Some(&dir));
        assert!(archive.get(&symbol, date(20)).is_none());
        let bars = [
            bar(ist(20, 9, 16)),
            bar(ist(20, 9, 15)),
            bar(ist(23, 9, 15)),
        ];
        archive
            .put(&symbol, &[date(20), date(21), date(23)], &bars)
            .expect("written");
        let mut again = DayArchive::new(Some(&dir));
        let got = |a: &mut DayArchive, d: u32| a.get(&symbol, date(d)).map(|day| day.len());
        assert_eq!(got(&mut again, 20), Some(2), "both minutes of the 20th");
        assert_eq!(
            got(&mut again, 21),
            Some(0),
            "a day without bars is held as empty"
        );
        assert_eq!(got(&mut again, 23), Some(1));
        assert_eq!(got(&mut again, 22), None, "never asked for");
        let day = again
            .get(&symbol, date(20))
            .unwrap_or_else(|| Arc::from([]));
        assert!(day[0].start < day[1].start, "oldest first");
        std::fs::write(dir.join("history/NIFTY_50_X/2026-11-23.json"), b"{").expect("write");
        assert_eq!(
            got(&mut DayArchive::new(Some(&dir)), 23),
            None,
            "a broken file is fetched again"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
