//! Replay throughput: a synthetic stretch of the default universe (`mandi sim
//! --record-day`'s engine) replayed at `--speed max` with the configured bots, in frames
//! per second. A whole NSE day (09:15–15:30) is 75 times the 5-minute stretch.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mandi_domain::time::IST;
use mandi_server::replay::{self, ReplayArgs, Speed};
use mandi_server::{app, config};
use mandi_simulator::record_day::{record_day, RecordDay};

const MINUTES: u32 = 5;

fn bench_replay(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("mandi-bench-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env = [(
        "MANDI__STORE__DATA_DIR".to_string(),
        dir.to_string_lossy().to_string(),
    )];
    let cfg = config::load(None, env).expect("config");
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    let at = |m: u32| {
        date.and_hms_opt(9, 15 + m, 0)
            .and_then(|t| IST.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
            .expect("a time")
    };
    let day = RecordDay {
        broker: cfg.broker().as_str().to_string(),
        date,
        root: dir.join("recordings"),
        window: Some((at(0), at(MINUTES))),
    };
    let written = record_day(&app::sim_settings(&cfg), &cfg.calendar(), &day).expect("records");
    let args = ReplayArgs {
        inputs: vec![date.to_string()],
        speed: Speed::Max,
        from: None,
        to: None,
        strategies: None,
        report: None,
        json: true,
        config: None,
        sets: Vec::new(),
    };
    let mut group = c.benchmark_group("replay");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(written.records));
    group.bench_function(format!("synthetic_{MINUTES}_min_frames"), |b| {
        b.iter(|| {
            actix_rt::System::new()
                .block_on(async { replay::replay(&cfg, &args).await })
                .expect("replays")
        })
    });
    group.finish();

    // A 3 × 3 sweep of a bot's stop and target: on every core, and on one thread (nine
    // replays one after another) for the ratio. The bot trades within the stretch: a
    // one-minute opening range on one-minute bars.
    let strategies = dir.join("strategies");
    std::fs::create_dir_all(&strategies).expect("strategies dir");
    std::fs::write(
        strategies.join("sweep_orb.toml"),
        "name = \"sweep_orb\"\nunderlying = \"NIFTY\"\ncandle_interval_min = 1\n\
         entry = { kind = \"opening_range\", minutes = 1 }\n[contract]\nlots = 1\n",
    )
    .expect("bot file");
    let swept = ReplayArgs {
        strategies: Some(strategies),
        json: true,
        ..replay::args::parse(
            [
                date.to_string().as_str(),
                "--set",
                "stop_loss_pct=10,20,30",
                "--set",
                "target_pct=20,40,60",
            ]
            .map(str::to_string),
        )
        .expect("sweep arguments")
    };
    let mut group = c.benchmark_group("sweep_3x3");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(written.records * 9));
    for (name, threads) in [("every_core", usize::MAX), ("one_thread", 1)] {
        group.bench_function(name, |b| {
            b.iter(|| replay::sweep::sweep_on(&cfg, &swept, threads).expect("sweeps"))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
