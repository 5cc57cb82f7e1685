//! The replay itself: recorded frames through the live path — the broker's decoder, the
//! `PriceStore`, the `StrategyHost` and its runners, the `PaperExecutor` with a journal of
//! its own — on a clock set to each frame's receive time before it is fed. Each frame is
//! fed whole, and the next waits until every bot has answered a status query (a bot
//! answers only once it has dealt with what it was woken for, its order included), so a
//! replay decides exactly what it did last time, whatever the machine's speed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Actor;
use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, MarketCalendar, Tick};
use mandi_fanout::price_store::{Candle, GetCandles, GetSnapshot, PriceStore};
use mandi_fanout::settings::StoreSettings;
use mandi_feed::backplane::TicksReceived;
use mandi_feed::instrument_directory::{InstrumentIndex, SharedIndex};
use mandi_feed::rest_fallback::recorded;
use mandi_feed::settings::Broker;
use mandi_feed::upstream;
use mandi_paper::{Fill, PaperSettings};
use mandi_recording::{Record, RecordKind};
use mandi_supervision::ActorRestarts;
use mandi_trading::clock::Clock;
use mandi_trading::journal::BotEventRow;
use mandi_trading::paper_executor::{GetFills, GetJournal, PaperExecutor};
use mandi_trading::strategy_host::{GetBots, StrategyFile, StrategyHost};
use mandi_trading::strategy_runner::RunnerDeps;

use super::args::Speed;

/// Everything a replay runs with besides the records.
pub struct ReplaySetup {
    pub broker: Broker,
    pub instruments: Vec<Instrument>,
    pub strategies: Vec<StrategyFile>,
    pub paper: PaperSettings,
    pub calendar: MarketCalendar,
    pub speed: Speed,
    /// Frames with the same stamp go to the price store together (synthetic days).
    pub bursts: bool,
    /// Where the replay's own journal goes; a fresh directory, never the live one.
    pub scratch: PathBuf,
    /// Called with (records done, records in all) now and then, for a progress bar.
    pub progress: Option<Box<dyn FnMut(usize, usize)>>,
}

/// What the live path made of the records.
#[derive(Debug, Default)]
pub struct ReplayOutcome {
    pub fills: Vec<Fill>,
    pub events: Vec<BotEventRow>,
    /// The last tick of every symbol that had one, by symbol.
    pub ticks: Vec<Tick>,
    /// Today's 1-minute candles by symbol.
    pub candles: BTreeMap<String, Vec<Candle>>,
    pub frames: u64,
    pub updates: u64,
    pub undecodable: u64,
    pub end: Option<DateTime<Utc>>,
}

/// Replays `records` (sorted by receive time). Must run inside an actix System.
pub async fn replay(mut setup: ReplaySetup, records: &[Record]) -> Result<ReplayOutcome, String> {
    let index = InstrumentIndex::build(setup.instruments.clone())
        .map_err(|e| format!("the recording's instrument rows: {e}"))?;
    let index = SharedIndex::new(Arc::new(index));
    let now_ns = Arc::new(AtomicI64::new(records.first().map_or(0, |r| r.received_ns)));
    let clock: Clock = {
        let now_ns = now_ns.clone();
        Arc::new(move || DateTime::from_timestamp_nanos(now_ns.load(Ordering::SeqCst)))
    };
    std::fs::create_dir_all(&setup.scratch)
        .map_err(|e| format!("{}: {e}", setup.scratch.display()))?;
    let journal = setup.scratch.join(mandi_trading::journal::JOURNAL_FILE);
    let executor = PaperExecutor::new(
        setup.paper.clone(),
        Some(journal.clone()),
        index.clone(),
        clock.clone(),
    )
    .with_calendar(Arc::new(setup.calendar.clone()))
    .start();
    let deps = RunnerDeps {
        executor: executor.clone(),
        registry: None,
        index: index.clone(),
        clock: clock.clone(),
        journal_path: Some(journal),
        updates: Vec::new(),
    };
    let host = StrategyHost::new(
        None,
        std::mem::take(&mut setup.strategies),
        deps,
        Arc::new(ActorRestarts::default()),
    )
    .start();
    let store = PriceStore::new(
        vec![executor.clone().recipient(), host.clone().recipient()],
        StoreSettings {
            data_dir: None,
            persist_interval_ms: 5000,
        },
    )
    .start();
    let mut out = ReplayOutcome::default();
    let mut symbols = std::collections::BTreeSet::new();
    let started = Instant::now();
    let first_ns = records.first().map_or(0, |r| r.received_ns);
    let mut n = 0;
    while n < records.len() {
        // A synthetic day's step is one burst (one stamp): one `TicksReceived`, as the
        // feed connection sends a turn's frames together. Recorded frames go one by one,
        // as they were decided on live.
        let at = records[n].received_ns;
        let end = if setup.bursts {
            records[n..]
                .iter()
                .position(|r| r.received_ns != at)
                .map_or(records.len(), |k| n + k)
        } else {
            n + 1
        };
        now_ns.store(at, Ordering::SeqCst);
        if let Speed::Times(times) = setup.speed {
            let due = Duration::from_nanos(((at - first_ns).max(0) as u64) / u64::from(times));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                actix_rt::time::sleep(wait).await;
            }
        }
        if let Some(p) = setup.progress.as_mut() {
            if n / 4096 != end / 4096 {
                p(end, records.len());
            }
        }
        let received_time = records[n].received_time();
        let mut updates = Vec::new();
        for record in &records[n..end] {
            out.frames += 1;
            updates.extend(decode(
                setup.broker,
                record,
                &index.load(),
                received_time,
                &mut out.undecodable,
            ));
        }
        n = end;
        if updates.is_empty() {
            continue;
        }
        out.updates += updates.len() as u64;
        symbols.extend(updates.iter().map(|u| u.symbol.clone()));
        store
            .send(TicksReceived {
                updates,
                received_time,
            })
            .await
            .map_err(|e| format!("price store: {e}"))?;
        // The barrier: the host has routed the frames, and every bot has acted on them.
        host.send(GetBots)
            .await
            .map_err(|e| format!("strategy host: {e}"))?;
    }
    if let Some(p) = setup.progress.as_mut() {
        p(records.len(), records.len());
    }
    host.send(GetBots)
        .await
        .map_err(|e| format!("strategy host: {e}"))?;
    out.end = records.last().map(Record::received_time);
    out.fills = executor
        .send(GetFills)
        .await
        .map_err(|e| format!("paper executor: {e}"))?;
    // Through the journal's own thread, so every event queued before is in.
    if let Some(j) = executor
        .send(GetJournal)
        .await
        .map_err(|e| format!("paper executor: {e}"))?
    {
        out.events = j
            .run("read the replay's bot events", |j| {
                j.bot_events(None, usize::MAX >> 1)
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    let symbols: Vec<Arc<str>> = symbols.into_iter().collect();
    out.ticks = store
        .send(GetSnapshot {
            symbols: symbols.clone(),
        })
        .await
        .map_err(|e| format!("price store: {e}"))?;
    for s in symbols {
        let candles = store
            .send(GetCandles { symbol: s.clone() })
            .await
            .map_err(|e| format!("price store: {e}"))?;
        out.candles.insert(s.to_string(), candles);
    }
    Ok(out)
}

/// One record's updates, as the feed connection or the poller converted them live.
fn decode(
    broker: Broker,
    record: &Record,
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
    undecodable: &mut u64,
) -> Vec<mandi_domain::TickUpdate> {
    let mut updates = Vec::new();
    match record.kind {
        RecordKind::Binary => {
            let end = upstream::decode_frame(broker, &record.payload, index, received_time, |c| {
                if let Ok(Some(u)) = c {
                    updates.push(u);
                }
            });
            if end.undecodable.is_some() {
                *undecodable += 1;
            }
        }
        // Text frames (order updates, errors) change no price.
        RecordKind::Text => {}
        RecordKind::RestPoll => {
            match recorded::decode(broker, &record.payload, index, received_time) {
                Ok(u) => updates = u,
                Err(_) => *undecodable += 1,
            }
        }
    }
    updates
}

/// A fresh directory for one replay's journal under the system's temp directory.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("mandi-replay-{}-{tag}-{n}", std::process::id()))
}

/// Removes a scratch directory; a leftover is harmless.
pub fn remove_scratch(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
