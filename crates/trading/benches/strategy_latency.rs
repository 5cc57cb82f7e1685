//! P6: tick → strategy actor, p99 ≤ 250 µs at 10k ticks/s with 10 strategies. A load
//! generator, not criterion: the real price store, strategy host and ten `StrategyRunner`s
//! (the shipped `nifty_orb` file under ten names) on one actix system, fed 10 NIFTY ticks
//! every millisecond as the feed would hand them over (one `TicksReceived` per Dhan
//! packet, stamped on arrival). Each runner measures the age of every tick it reads from
//! its inbox; the figures are those runners' own `tick_latency` from `GetBots`, i.e. what
//! `/api/bots` reports in production.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Actor;
use chrono::Utc;
use mandi_domain::{Mode, TickSource, TickUpdate};
use mandi_fanout::price_store::{GetPriceStoreStats, PriceStore};
use mandi_fanout::settings::StoreSettings;
use mandi_feed::backplane::TicksReceived;
use mandi_instruments::{load_master, MasterKind, SharedIndex};
use mandi_protocol::master::MasterThresholds;
use mandi_supervision::ActorRestarts;
use mandi_trading::clock::system_clock;
use mandi_trading::paper_executor::PaperExecutor;
use mandi_trading::strategy_host::{parse, GetBots, StrategyFile, StrategyHost};
use mandi_trading::strategy_runner::RunnerDeps;

const STRATEGIES: usize = 10;
const TICKS_PER_MS: usize = 10;
const RUN: Duration = Duration::from_secs(5);
const TARGET_P99_US: u64 = 250;
const BOT: &str = include_str!("../../../config/strategies/nifty_orb.toml");
const MASTER: &str = include_str!("../../protocol/src/master/fixtures/dhan_compact.csv");

/// NIFTY and a few contracts, from the Dhan scrip-master fixture the loader is tested on.
fn index() -> SharedIndex {
    let (index, _) = load_master(
        MASTER.as_bytes(),
        MasterKind::Dhan,
        Vec::new(),
        &MasterThresholds::default(),
    )
    .expect("fixture master loads");
    SharedIndex::new(Arc::new(index))
}

fn strategy_files() -> Vec<StrategyFile> {
    (0..STRATEGIES)
        .map(|i| {
            let text = BOT.replace("name = \"nifty_orb\"", &format!("name = \"bench_{i}\""));
            let path = PathBuf::from(format!("bench_{i}.toml"));
            let settings = parse(&path, &text).expect("the shipped strategy file parses");
            StrategyFile {
                path,
                text,
                settings,
            }
        })
        .collect()
}

fn update(ltp: f64) -> TickUpdate {
    TickUpdate {
        symbol: "NIFTY".into(),
        mode: Some(Mode::Quote),
        ltp: Some(ltp),
        volume: Some(1_000),
        received_time: Utc::now(),
        source: TickSource::Socket,
        ..TickUpdate::default()
    }
}

async fn run() {
    let index = index();
    let clock = system_clock();
    let executor =
        PaperExecutor::new(Default::default(), None, index.clone(), clock.clone()).start();
    let deps = RunnerDeps {
        executor,
        registry: None,
        index,
        clock,
        journal_path: None,
        updates: Vec::new(),
    };
    let host = StrategyHost::new(
        None,
        strategy_files(),
        deps,
        Arc::new(ActorRestarts::default()),
    )
    .start();
    let store = PriceStore::new(
        vec![host.clone().recipient()],
        StoreSettings {
            data_dir: None,
            persist_interval_ms: 5_000,
        },
    )
    .start();

    let mut every_ms = actix_rt::time::interval(Duration::from_millis(1));
    let started = Instant::now();
    let (mut sent, mut ltp) = (0u64, 24_000.0);
    while started.elapsed() < RUN {
        every_ms.tick().await;
        for _ in 0..TICKS_PER_MS {
            ltp += if sent % 3 == 0 { -0.05 } else { 0.05 };
            // Stamped as the feed stamps a frame: on arrival, just before the hand-over.
            store.do_send(TicksReceived {
                updates: vec![update(ltp)],
                received_time: Utc::now(),
            });
            sent += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // GetBots queues behind every tick already sent: the runners have read them all.
    let store_stats = store.send(GetPriceStoreStats).await.expect("store answers");
    let bots = host.send(GetBots).await.expect("host answers");
    assert_eq!(bots.len(), STRATEGIES, "every bot started");
    let mut p99s: Vec<u64> = bots.iter().map(|b| b.tick_latency.p99_us).collect();
    p99s.sort_unstable();
    let read: u64 = bots.iter().map(|b| b.tick_latency.count).sum();
    let conflated: u64 = bots.iter().map(|b| b.conflated_ticks).sum();
    let p50 = bots
        .iter()
        .map(|b| b.tick_latency.p50_us)
        .max()
        .unwrap_or(0);
    let max = bots
        .iter()
        .map(|b| b.tick_latency.max_us)
        .max()
        .unwrap_or(0);
    let worst = p99s.last().copied().unwrap_or(0);
    println!(
        "P6 tick → strategy: {STRATEGIES} strategies, {:.0} ticks/s offered for {elapsed:.1} s",
        sent as f64 / elapsed
    );
    println!(
        "  price store: {} updates, {} hand-offs to the host dropped (mailbox full)",
        store_stats.updates, store_stats.publish_dropped
    );
    println!(
        "  ticks read by bots {read} (of {} sent), superseded in an inbox {conflated}",
        sent * STRATEGIES as u64
    );
    println!(
        "  latency µs: p50 ≤ {p50}, p99 median bot {}, p99 worst bot {worst}, max {max}  (target p99 ≤ {TARGET_P99_US}: {})",
        p99s[p99s.len() / 2],
        if worst <= TARGET_P99_US { "met" } else { "MISSED" }
    );
}

fn main() {
    // `cargo bench` passes criterion-style flags; this harness takes none.
    actix::System::new().block_on(run());
}
