//! `mandi sim --record-day`'s engine writes a synthetic stretch of a session that
//! `mandi replay` reads whole: every configured instrument's minutes are there, no fault,
//! and the replay rate is printed (the full-day figure is in docs/backtesting.md).

use std::time::Instant;

use mandi_server::replay::{self, ReplayArgs, Speed};
use mandi_server::{app, config};
use mandi_simulator::record_day::record_day;
use mandi_tests::test_stretch;

#[actix_rt::test]
async fn a_synthetic_stretch_records_and_replays_whole() {
    let dir =
        std::env::temp_dir().join(format!("mandi-recording-synthetic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_string_lossy().to_string();
    let env = [
        ("MANDI__STORE__DATA_DIR".to_string(), data),
        ("MANDI__STRATEGIES__DIR".to_string(), String::new()),
    ];
    let cfg = config::load(None, env).expect("config");
    let day = test_stretch(
        cfg.broker().as_str(),
        dir.join("recordings"),
        (9, 15),
        (9, 20),
    );
    let written = record_day(&app::sim_settings(&cfg), &cfg.calendar(), &day).expect("records");
    assert!(
        written.records > 0 && written.instruments >= cfg.instruments.len(),
        "{written:?}"
    );

    let args = ReplayArgs {
        inputs: vec!["2026-11-23".into()],
        speed: Speed::Max,
        from: None,
        to: None,
        strategies: None,
        report: None,
        json: true,
        config: None,
        sets: Vec::new(),
    };
    let started = Instant::now();
    let replayed = replay::replay(&cfg, &args).await.expect("replays");
    let took = started.elapsed();
    assert!(replayed.faults.is_empty(), "{:?}", replayed.faults);
    assert_eq!(
        replayed.report.frames, written.records,
        "every frame replayed"
    );
    assert_eq!(replayed.report.undecodable_frames, 0);
    for symbol in ["NIFTY", "RELIANCE", "BANKNIFTY"] {
        let candles = replayed.outcome.candles.get(symbol).map_or(0, Vec::len);
        assert_eq!(candles, 5, "{symbol}: one candle per minute of 09:15–09:20");
    }
    eprintln!(
        "replayed {} frames ({} updates) in {:.2} s: {:.0} frames/s",
        replayed.report.frames,
        replayed.report.updates,
        took.as_secs_f64(),
        replayed.report.frames as f64 / took.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
