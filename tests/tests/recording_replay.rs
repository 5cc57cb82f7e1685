//! Record a scripted stretch of a day from the embedded simulator while a bot trades,
//! then replay the recording at full speed: the final ticks, today's candles and every
//! fill equal the live run's; two replays give byte-identical JSON reports; a copy cut
//! inside its last block replays up to the cut and names the byte offset.
//!
//! The stretch is 09:14–09:21 IST on a scripted clock (a few seconds of wall time), not
//! a wall-clock minute: the bot needs a range, a breakout and an exit to trade.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_fanout::price_store::{GetCandles, GetSnapshot};
use mandi_server::config;
use mandi_server::replay::{self, ReplayArgs, Speed};
use mandi_simulator::QuotePin;
use mandi_testkit::{
    get_json, request_json, start_stack_at, wait_for, ManualClock, Stack, DEADLINE,
};
use mandi_trading::paper_executor::GetFills;
use serde_json::{json, Value};

fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

const BOT: &str = r#"
name = "rec_orb"
underlying = "NIFTY"
exchange = "NSE"
candle_interval_min = 1
entry = { kind = "opening_range", minutes = 2 }
stop_loss_pct = 20.0
target_pct = 40.0
max_trades_per_day = 1
max_loss_per_day = 50000.0
max_quote_age_ms = 5000
[contract]
strike_offset = 0
lots = 1
"#;

fn pin(ltp: f64, bid: f64, ask: f64) -> QuotePin {
    QuotePin {
        ltp,
        bid: Some(bid),
        ask: Some(ask),
        bid_qty: Some(1_800),
        ask_qty: Some(1_800),
    }
}

struct Live {
    stack: Stack,
    clock: ManualClock,
}

impl Live {
    /// Moves the clock to `at`, pins `quotes`, and waits until the price store holds
    /// each pinned price in `at`'s minute and the bots have answered.
    async fn at(&self, at: DateTime<Utc>, quotes: &[(&str, QuotePin)]) {
        self.pin_at(at, quotes).await;
        for (symbol, pin) in quotes {
            let url = self.stack.url(&format!("/api/candles?symbol={symbol}"));
            let minute = at.timestamp() / 60;
            wait_for(
                &format!("{symbol} at {} in the price store", pin.ltp),
                DEADLINE,
                || async {
                    let candles = get_json(&url).await;
                    let last = candles["candles"].as_array()?.last()?.clone();
                    let start: DateTime<Utc> = last["start"].as_str()?.parse().ok()?;
                    (start.timestamp() / 60 == minute && last["close"].as_f64() == Some(pin.ltp))
                        .then_some(())
                },
            )
            .await;
        }
        get_json(&self.stack.url("/api/bots")).await;
    }

    /// Moves the clock and pins, without waiting (options nobody streams yet).
    async fn pin_at(&self, at: DateTime<Utc>, quotes: &[(&str, QuotePin)]) {
        let mut named = Vec::new();
        for (symbol, pin) in quotes {
            named.push((self.broker_symbol(symbol).await, *pin));
        }
        self.clock.set(at);
        let sim = self
            .stack
            .app
            .simulator
            .as_ref()
            .expect("embedded simulator");
        sim.pin_quotes(named.iter().map(|(s, p)| (s.as_str(), *p)))
            .await
            .unwrap_or_else(|e| panic!("pin {quotes:?}: {e}"));
    }

    async fn broker_symbol(&self, symbol: &str) -> String {
        let url = self
            .stack
            .url(&format!("/api/instruments/search?q={symbol}&limit=5"));
        let found = get_json(&url).await;
        found["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h["symbol"] == symbol)
            .and_then(|h| h["broker_symbol"].as_str())
            .unwrap_or(symbol)
            .to_string()
    }

    async fn fills(&self, n: usize) {
        let url = self.stack.url("/api/trades");
        wait_for(&format!("{n} fills"), DEADLINE, || async {
            let t = get_json(&url).await;
            (t["trades"].as_array()?.len() >= n).then_some(())
        })
        .await;
    }
}

/// The ATM call and put on the nearest expiry.
async fn contracts(stack: &Stack) -> (String, String) {
    let chain = get_json(
        &stack.url("/api/option-chain?underlying=NIFTY&strikes=5&price=25000&expiry=2026-11-24"),
    )
    .await;
    let row = chain["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["strike"].as_f64() == Some(25_050.0)))
        .unwrap_or_else(|| panic!("strike 25050 in {chain}"))
        .clone();
    let sym = |side: &str| row[side]["symbol"].as_str().unwrap_or_default().to_string();
    (sym("call"), sym("put"))
}

/// A tick or candle as JSON without its receive time (the live one is the wall clock's,
/// the replayed one the recording's stamp).
fn comparable(v: impl serde::Serialize) -> Value {
    let mut v = serde_json::to_value(v).expect("serialises");
    if let Some(o) = v.as_object_mut() {
        o.remove("received_time");
    }
    v
}

fn replay_args(input: &Path) -> ReplayArgs {
    ReplayArgs {
        inputs: vec![input.to_string_lossy().to_string()],
        speed: Speed::Max,
        from: None,
        to: None,
        strategies: None,
        report: None,
        json: true,
        config: None,
        sets: Vec::new(),
    }
}

fn mrec_files(day: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(day)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[actix_rt::test]
async fn a_recorded_stretch_replays_to_the_same_ticks_candles_and_fills() {
    let dir = std::env::temp_dir().join(format!("mandi-recording-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let strategies = dir.join("strategies");
    std::fs::create_dir_all(&strategies).expect("strategies dir");
    std::fs::write(strategies.join("rec_orb.toml"), BOT).expect("bot file");
    let data = dir.join("data").to_string_lossy().to_string();
    let bots = strategies.to_string_lossy().to_string();
    let overrides = [
        ("MANDI__STORE__DATA_DIR", data.as_str()),
        ("MANDI__STRATEGIES__DIR", bots.as_str()),
    ];
    let clock = ManualClock::new(ist(9, 14, 0));
    let stack = start_stack_at(&overrides, &clock).await;
    let live = Live { stack, clock };

    let (ce, pe) = contracts(&live.stack).await;
    live.pin_at(
        ist(9, 14, 30),
        &[
            (ce.as_str(), pin(100.0, 99.95, 100.05)),
            (pe.as_str(), pin(90.0, 89.95, 90.05)),
        ],
    )
    .await;
    // 09:15–09:16: the range, 24 990 to 25 010; 09:17 closes above it.
    live.at(ist(9, 15, 0), &[("NIFTY", QuotePin::at(25_010.0))])
        .await;
    live.at(ist(9, 16, 0), &[("NIFTY", QuotePin::at(24_990.0))])
        .await;
    live.at(ist(9, 17, 0), &[("NIFTY", QuotePin::at(25_030.0))])
        .await;
    live.at(ist(9, 18, 0), &[("NIFTY", QuotePin::at(25_030.0))])
        .await;
    live.fills(1).await;
    // A block boundary here, whatever the machine's speed: the cut copy below loses only
    // the blocks after it.
    let recorder = live
        .stack
        .app
        .runtime
        .recorder
        .clone()
        .expect("recorder on by default with a data dir");
    assert!(recorder.flush(DEADLINE), "recorder flushed");
    // The call at 141: its target (40 % over the entry).
    live.at(ist(9, 20, 0), &[(ce.as_str(), pin(141.0, 140.95, 141.05))])
        .await;
    live.fills(2).await;
    live.at(ist(9, 21, 0), &[("NIFTY", QuotePin::at(25_030.0))])
        .await;

    // The simulator goes silent, so the live state and the recording end on the same
    // frame: quiet once the recorder has taken no frame for ten probes in a row (four
    // simulator steps).
    let runtime = &live.stack.app.runtime;
    let sim = live
        .stack
        .app
        .simulator
        .as_ref()
        .expect("embedded simulator");
    let (status, answer) = request_json(
        "POST",
        &format!("{}/admin/faults", sim.rest_url()),
        Some(&json!({"silent": true})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (last, same) = (Cell::new(u64::MAX), Cell::new(0));
    wait_for("the feed to go quiet", DEADLINE, || {
        let frames = recorder.stats().frames;
        same.set(if last.replace(frames) == frames {
            same.get() + 1
        } else {
            0
        });
        let quiet = same.get() >= 10;
        async move { quiet.then_some(()) }
    })
    .await;
    assert!(recorder.flush(DEADLINE), "recorder flushed");
    let live_fills = runtime.executor.send(GetFills).await.expect("fills");
    assert_eq!(
        live_fills.len(),
        2,
        "the bot traded in and out: {live_fills:?}"
    );
    let symbols: Vec<std::sync::Arc<str>> = ["NIFTY", ce.as_str(), pe.as_str()]
        .iter()
        .map(|s| std::sync::Arc::from(*s))
        .collect();
    let live_ticks = runtime
        .price_store
        .send(GetSnapshot {
            symbols: symbols.clone(),
        })
        .await
        .expect("ticks");
    let mut live_candles = Vec::new();
    for s in &symbols {
        live_candles.push(
            runtime
                .price_store
                .send(GetCandles { symbol: s.clone() })
                .await
                .expect("candles"),
        );
    }
    let recorder_stats = recorder.stats();
    assert_eq!(recorder_stats.dropped, 0, "{recorder_stats:?}");

    let cfg = config::load(
        None,
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .expect("config");
    let day = PathBuf::from(&data).join("recordings").join("2026-11-23");
    let first = replay::replay(&cfg, &replay_args(&day))
        .await
        .expect("replays");
    let second = replay::replay(&cfg, &replay_args(&day))
        .await
        .expect("replays again");
    live.stack.stop().await;

    // Every fill: same symbol, side, quantity and price.
    let key = |f: &mandi_paper::Fill| {
        (
            f.symbol.to_string(),
            f.side,
            f.quantity,
            f.price,
            f.tag.clone(),
        )
    };
    assert_eq!(
        first.outcome.fills.iter().map(key).collect::<Vec<_>>(),
        live_fills.iter().map(key).collect::<Vec<_>>(),
        "replayed fills equal the live ones"
    );
    // The final ticks and today's candles.
    for (i, s) in symbols.iter().enumerate() {
        let live_tick = live_ticks.iter().find(|t| &t.symbol == s).map(comparable);
        let replayed_tick = first
            .outcome
            .ticks
            .iter()
            .find(|t| &t.symbol == s)
            .map(comparable);
        assert_eq!(replayed_tick, live_tick, "{s}: final tick");
        let replayed: Vec<Value> = first
            .outcome
            .candles
            .get(&**s)
            .into_iter()
            .flatten()
            .map(comparable)
            .collect();
        let live_c: Vec<Value> = live_candles[i].iter().map(comparable).collect();
        assert_eq!(replayed, live_c, "{s}: today's candles");
    }
    let bot = first
        .report
        .bots
        .iter()
        .find(|b| b.name == "rec_orb")
        .expect("the bot in the report");
    assert_eq!(
        (bot.figures.trades, bot.figures.wins),
        (1, 1),
        "{:?}",
        bot.figures
    );
    assert!(
        bot.decisions.iter().any(|d| d.kind == "entry"),
        "decisions with reasons: {:?}",
        bot.decisions
    );

    // Byte-identical reports.
    let (a, b) = (
        serde_json::to_string_pretty(&first.report).expect("json"),
        serde_json::to_string_pretty(&second.report).expect("json"),
    );
    assert!(a == b, "two replays differ:\n{a}\n---\n{b}");

    // A copy cut 5 bytes before its end: its last block is incomplete.
    let files = mrec_files(&day);
    assert_eq!(files.len(), 1, "one file for the day: {files:?}");
    let bytes = std::fs::read(&files[0]).expect("read");
    let cut_dir = dir.join("cut");
    std::fs::create_dir_all(&cut_dir).expect("cut dir");
    let cut = cut_dir.join("cut.mrec");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).expect("write cut copy");
    let cut_replay = replay::replay(&cfg, &replay_args(&cut))
        .await
        .expect("a cut file still replays");
    assert_eq!(cut_replay.faults.len(), 1, "{:?}", cut_replay.faults);
    let fault = &cut_replay.faults[0];
    assert!(
        fault.contains("cut.mrec") && fault.contains("truncated") && fault.contains("at byte "),
        "names file, fault and offset: {fault}"
    );
    assert!(
        cut_replay.report.frames > 0 && cut_replay.report.frames < first.report.frames,
        "replayed up to the cut: {} of {}",
        cut_replay.report.frames,
        first.report.frames
    );
    let _ = std::fs::remove_dir_all(&dir);
}
