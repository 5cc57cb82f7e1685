//! The host keeps up with a burst of one-packet frames: none is dropped on its way from
//! the price store, so the minute bars the bots trade on see every tick.

use actix::Actor;
use chrono::Utc;
use mandi_domain::{Mode, TickSource, TickUpdate};
use mandi_protocol::master::MasterThresholds;

use super::*;
use crate::paper_executor::PaperExecutor;
use mandi_fanout::price_store::{GetPriceStoreStats, PriceStore};
use mandi_fanout::settings::StoreSettings;
use mandi_feed::backplane::TicksReceived;
use mandi_instruments::{load_master, MasterKind, SharedIndex};

const BOT: &str = include_str!("../../../../config/strategies/nifty_orb.toml");
const MASTER: &str = include_str!("../../../protocol/src/master/fixtures/dhan_compact.csv");

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

#[actix_rt::test]
async fn a_burst_of_frames_reaches_the_host_whole() {
    let index = index();
    let clock = crate::clock::system_clock();
    let executor =
        PaperExecutor::new(Default::default(), None, index.clone(), clock.clone()).start();
    let path = PathBuf::from("nifty_orb.toml");
    let file = StrategyFile {
        settings: parse(&path, BOT).expect("shipped file parses"),
        path,
        text: BOT.into(),
    };
    let deps = RunnerDeps {
        executor,
        registry: None,
        index,
        clock,
        journal_path: None,
        updates: Vec::new(),
    };
    let host =
        StrategyHost::new(None, vec![file], deps, Arc::new(ActorRestarts::default())).start();
    let store = PriceStore::new(
        vec![host.clone().recipient()],
        StoreSettings {
            data_dir: None,
            persist_interval_ms: 5_000,
        },
    )
    .start();
    // 500 frames with no yield in between: the store hands all 500 to the host before
    // the host runs once, as in a burst at the open.
    const FRAMES: u64 = 500;
    for i in 0..FRAMES {
        store.do_send(TicksReceived {
            updates: vec![TickUpdate {
                symbol: "NIFTY".into(),
                mode: Some(Mode::Ltp),
                ltp: Some(24_000.0 + i as f64 * 0.05),
                received_time: Utc::now(),
                source: TickSource::Socket,
                ..TickUpdate::default()
            }],
            received_time: Utc::now(),
        });
    }
    let stats = store.send(GetPriceStoreStats).await.expect("store answers");
    assert_eq!(stats.updates, FRAMES);
    assert_eq!(stats.publish_dropped, 0, "{stats:?}");
    // Queued behind every frame: the bot has read the newest tick, the rest superseded.
    let bots = host.send(GetBots).await.expect("host answers");
    let bot = &bots[0];
    assert_eq!(
        bot.tick_latency.count + bot.conflated_ticks,
        FRAMES,
        "every tick read or superseded: {bot:?}"
    );
}
