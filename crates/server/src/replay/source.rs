//! What a replay reads: the files named on the command line (a date under the recordings
//! directory, a directory, or a file), their records merged in receive order, the time
//! window applied, and what was wrong with them (faults with file and offset, gaps).

use std::path::{Path, PathBuf};

use chrono::{NaiveTime, Timelike};
use mandi_domain::Instrument;
use mandi_recording::{read_all, Header, Record};
use serde::Serialize;

/// A silence longer than this between two records is reported as a gap.
pub const GAP_THRESHOLD_S: i64 = 30;

/// The records to replay and what the files said about themselves.
pub struct Source {
    pub broker: String,
    /// Every file's rows, first file first; a symbol keeps its first row.
    pub instruments: Vec<Instrument>,
    pub records: Vec<Record>,
    pub inputs: InputSummary,
    /// Every file came from `mandi sim --record-day`.
    pub synthetic: bool,
}

/// The report's account of its input.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct InputSummary {
    /// File names (not paths: the report is the same wherever the files are).
    pub files: Vec<String>,
    pub records: usize,
    pub first_received: Option<String>,
    pub last_received: Option<String>,
    /// Faults that ended a file early: everything before was replayed.
    pub faults: Vec<String>,
    pub gaps: Vec<Gap>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub seconds: i64,
}

/// The files one command-line input names, sorted.
pub fn files_of(input: &str, recordings: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let as_path = PathBuf::from(input);
    let path = if as_path.exists() {
        as_path
    } else if input.parse::<chrono::NaiveDate>().is_ok() {
        let root = recordings.ok_or_else(|| format!("{input}: no recordings directory (store.data_dir is empty); name a file or directory instead"))?;
        root.join(input)
    } else {
        return Err(format!(
            "{input}: no such file or directory, and not a date (YYYY-MM-DD)"
        ));
    };
    if path.is_file() {
        return Ok(vec![path]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
        .map_err(|e| format!("{}: {e} — record a day first (mandi run with recorder.enabled, or mandi sim --record-day)", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mrec"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .mrec files", path.display()));
    }
    Ok(files)
}

/// Reads `files` whole (up to any fault), merges them by receive time, keeps the window.
pub fn load(
    files: &[PathBuf],
    from: Option<NaiveTime>,
    to: Option<NaiveTime>,
) -> Result<Source, String> {
    let mut headers: Vec<Header> = Vec::new();
    let mut records = Vec::new();
    let mut inputs = InputSummary::default();
    for f in files {
        let recording = read_all(f).map_err(|e| e.to_string())?;
        inputs.files.push(
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        if let Some(fault) = recording.fault {
            inputs.faults.push(fault.to_string());
        }
        headers.push(recording.header);
        records.extend(recording.records);
    }
    let synthetic = !headers.is_empty() && headers.iter().all(|h| h.source == "synthetic");
    let broker = headers
        .first()
        .map(|h| h.broker.clone())
        .unwrap_or_default();
    if let Some(other) = headers.iter().find(|h| h.broker != broker) {
        return Err(format!(
            "recordings of two brokers ({broker} and {}) cannot replay together",
            other.broker
        ));
    }
    let mut instruments: Vec<Instrument> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for h in headers {
        for i in h.instruments {
            if seen.insert(i.symbol.clone()) {
                instruments.push(i);
            }
        }
    }
    // Stable: frames of one connection keep their order at equal times.
    records.sort_by_key(|r| r.received_ns);
    records.retain(|r| in_window(r, from, to));
    inputs.records = records.len();
    inputs.first_received = records.first().map(|r| r.received_time().to_rfc3339());
    inputs.last_received = records.last().map(|r| r.received_time().to_rfc3339());
    inputs.gaps = gaps(&records);
    Ok(Source {
        broker,
        instruments,
        records,
        inputs,
        synthetic,
    })
}

fn in_window(r: &Record, from: Option<NaiveTime>, to: Option<NaiveTime>) -> bool {
    let t = r
        .received_time()
        .with_timezone(&mandi_domain::time::IST)
        .time();
    let t = NaiveTime::from_hms_opt(t.hour(), t.minute(), t.second()).unwrap_or(t);
    from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)
}

fn gaps(records: &[Record]) -> Vec<Gap> {
    records
        .windows(2)
        .filter_map(|w| {
            let seconds = (w[1].received_ns - w[0].received_ns) / 1_000_000_000;
            (seconds > GAP_THRESHOLD_S).then(|| Gap {
                from: w[0].received_time().to_rfc3339(),
                to: w[1].received_time().to_rfc3339(),
                seconds,
            })
        })
        .collect()
}
