//! The writer thread: frames land in the IST day's directory and read back; a stalled
//! writer makes `record` drop and count, never wait; retention removes old days.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mandi_recording::{read_all, Record, RecordKind, Recorder, RecorderSettings};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandi-rec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn settings(root: PathBuf, queue_frames: usize) -> RecorderSettings {
    RecorderSettings {
        root,
        broker: "kite".into(),
        source: "live".into(),
        queue_frames,
        flush_interval_ms: 200,
        retention_days: 3,
        retention_bytes: 0,
    }
}

/// 2026-11-23 10:00 IST plus `i` ms.
fn frame(i: i64) -> Record {
    Record {
        received_ns: 1_795_408_200_000_000_000 + i * 1_000_000,
        connection: 0,
        kind: RecordKind::Binary,
        payload: Bytes::from(vec![i as u8; 64]),
    }
}

fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn frames_land_in_their_ist_day_and_read_back() {
    let root = scratch("day");
    // An old day, past the three kept.
    std::fs::create_dir_all(root.join("2026-11-01")).expect("old day");
    let rec = Recorder::start(settings(root.clone(), 1000), Arc::new(Vec::new)).expect("starts");
    for i in 0..100 {
        rec.record(frame(i));
    }
    assert!(rec.flush(Duration::from_secs(5)), "flush answered");
    let day = root.join("2026-11-23");
    let written = files(&day);
    assert_eq!(written.len(), 1, "one file in {}", day.display());
    let recording = read_all(&written[0]).expect("reads");
    assert!(recording.fault.is_none(), "{:?}", recording.fault);
    assert_eq!(recording.records, (0..100).map(frame).collect::<Vec<_>>());
    assert_eq!(
        (
            recording.header.broker.as_str(),
            recording.header.ist_date.as_str()
        ),
        ("kite", "2026-11-23")
    );
    assert!(
        !root.join("2026-11-01").exists(),
        "retention removed the old day"
    );
    let stats = rec.stats();
    assert_eq!(
        (stats.frames, stats.dropped, stats.files_opened),
        (100, 0, 1)
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_stalled_writer_drops_and_counts_without_waiting() {
    let root = scratch("stall");
    let rec = Recorder::start(settings(root.clone(), 8), Arc::new(Vec::new)).expect("starts");
    let started = Instant::now();
    {
        let _stalled = rec.stall_writer();
        for i in 0..1000 {
            rec.record(frame(i));
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "record never waits: {:?}",
            started.elapsed()
        );
    }
    let stats = rec.stats();
    assert_eq!(stats.frames + stats.dropped, 1000, "{stats:?}");
    assert!(
        stats.dropped >= 1000 - 9 - 1,
        "at most the queue and the one in hand got through: {stats:?}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
