//! A scripted trading day through the whole stack: the simulator's quotes pinned minute by
//! minute on a clock the test sets, an opening-range bot from a strategy file, the paper
//! account in its SQLite journal. Exactly two trades come out — a CE to its target, a PE to
//! its stop after a stale spell in which the bot refuses to act — with the fills, reasons
//! and PnL to the paisa.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_simulator::QuotePin;
use mandi_testkit::{
    get_json, request_json, start_stack_at, wait_for, ManualClock, Stack, DEADLINE,
};
use serde_json::{json, Value};

/// A Monday: NIFTY's weekly series expires the next day, so no expiry-day rule applies.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    day()
        .and_hms_opt(h, m, s)
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

const BOT: &str = r#"
name = "scripted_orb"
underlying = "NIFTY"
exchange = "NSE"
candle_interval_min = 1
entry = { kind = "opening_range", minutes = 15 }
stop_loss_pct = 20.0
target_pct = 40.0
max_trades_per_day = 2
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

struct Day {
    stack: Stack,
    clock: ManualClock,
}

impl Day {
    fn sim(&self) -> &mandi_simulator::SimulatorHandle {
        self.stack
            .app
            .simulator
            .as_ref()
            .expect("embedded simulator")
    }

    /// Moves the clock to `at`, pins `quotes`, and returns once the bot has seen them:
    /// the price store holds each pinned price in `at`'s minute, and the bot host (which
    /// gets every published frame before it answers a query) has answered `/api/bots`.
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

    /// Moves the clock and pins, without waiting for the feed (it may be silent).
    async fn pin_at(&self, at: DateTime<Utc>, quotes: &[(&str, QuotePin)]) {
        // The simulator knows a contract by its Dhan trading symbol, which for a monthly
        // is mandi's alias of the canonical symbol. Looked up before the clock moves, so
        // no quote of the old pin is stamped with the new time meanwhile.
        let mut named = Vec::new();
        for (symbol, pin) in quotes {
            named.push((self.broker_symbol(symbol).await, *pin));
        }
        self.clock.set(at);
        let sim = self.sim();
        sim.pin_quotes(named.iter().map(|(s, p)| (s.as_str(), *p)))
            .await
            .unwrap_or_else(|e| panic!("pin {quotes:?}: {e}"));
    }

    /// The broker's trading symbol of `symbol`: its alias, or the symbol itself.
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

    async fn events(&self) -> Vec<Value> {
        let v = get_json(
            &self
                .stack
                .url("/api/bots/events?bot=scripted_orb&limit=100"),
        )
        .await;
        v["events"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the bot's journal holds an event of `kind` with `code`, stamped at or
    /// after the clock's time now.
    async fn event(&self, kind: &str, code: &str) -> Value {
        let since = self.clock.now();
        wait_for(&format!("bot event {kind}/{code}"), DEADLINE, || async {
            self.events().await.into_iter().find(|e| {
                let at: Option<DateTime<Utc>> = e["at"].as_str().and_then(|t| t.parse().ok());
                e["kind"] == kind && e["code"] == code && at.is_some_and(|at| at >= since)
            })
        })
        .await
    }

    async fn trades(&self) -> Vec<Value> {
        let v = get_json(&self.stack.url("/api/trades")).await;
        v["trades"].as_array().cloned().unwrap_or_default()
    }

    async fn wait_trades(&self, n: usize) -> Vec<Value> {
        wait_for(&format!("{n} fills"), DEADLINE, || async {
            let t = self.trades().await;
            (t.len() >= n).then_some(t)
        })
        .await
    }

    /// Waits for fill number `n` (from 1) and checks its side and price.
    async fn fill(&self, n: usize, side: &str, price: f64) -> Value {
        let fills = self.wait_trades(n).await;
        let fill = fills[n - 1].clone();
        assert_eq!(
            (fill["side"].as_str(), num(&fill["price"])),
            (Some(side), price),
            "fill {n}: {fill}"
        );
        fill
    }

    async fn faults(&self, body: Value) {
        let sim = self.sim();
        let url = format!("{}/admin/faults", sim.rest_url());
        let (status, answer) = request_json("POST", &url, Some(&body)).await;
        assert_eq!(status, 200, "{answer}");
    }
}

/// The chain's call and put symbols at `strike` on the nearest expiry.
async fn contract(stack: &Stack, strike: f64) -> (String, String, u64) {
    let chain = get_json(
        &stack.url("/api/option-chain?underlying=NIFTY&strikes=5&price=25000&expiry=2026-11-24"),
    )
    .await;
    let row = chain["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["strike"].as_f64() == Some(strike)))
        .unwrap_or_else(|| panic!("strike {strike} in {chain}"))
        .clone();
    let sym = |side: &str| row[side]["symbol"].as_str().unwrap_or_default().to_string();
    let lot = row["call"]["lot_size"].as_u64().unwrap_or_default();
    (sym("call"), sym("put"), lot)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[actix_rt::test]
async fn scripted_day_gives_exactly_these_trades_reasons_and_pnl() {
    let dir = std::env::temp_dir().join(format!("mandi-scenario-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let strategies = dir.join("strategies");
    std::fs::create_dir_all(&strategies).expect("strategies dir");
    std::fs::write(strategies.join("scripted_orb.toml"), BOT).expect("bot file");
    let (data, bots) = (
        dir.join("data").to_string_lossy().to_string(),
        strategies.to_string_lossy().to_string(),
    );
    let clock = ManualClock::new(ist(9, 14, 0));
    let stack = start_stack_at(
        &[
            ("MANDI__STORE__DATA_DIR", data.as_str()),
            ("MANDI__STRATEGIES__DIR", bots.as_str()),
        ],
        &clock,
    )
    .await;
    let d = Day { stack, clock };

    // Pin the options the two signals will pick before anything moves.
    let (ce, _, lot) = contract(&d.stack, 25_050.0).await;
    let (_, pe, _) = contract(&d.stack, 25_000.0).await;
    assert_eq!(lot, 75, "the simulator's NIFTY lot");
    let (ce, pe) = (ce.as_str(), pe.as_str());
    d.pin_at(
        ist(9, 14, 30),
        &[
            (ce, pin(100.0, 99.95, 100.05)),
            (pe, pin(90.0, 89.95, 90.05)),
        ],
    )
    .await;

    // 09:15–09:29: the opening range, high 25 010 and low 24 990.
    for minute in 15..30 {
        let nifty = match minute {
            20 => 25_010.0,
            25 => 24_990.0,
            _ => 25_000.0,
        };
        d.at(ist(9, minute, 0), &[("NIFTY", QuotePin::at(nifty))])
            .await;
    }
    // 09:30 closes above the range at 25 030: the ATM (25 050) CE, bought at the ask as
    // soon as a fresh CE quote is in (a pinned quote trades on every simulator step).
    d.at(ist(9, 30, 0), &[("NIFTY", QuotePin::at(25_030.0))])
        .await;
    d.at(ist(9, 31, 0), &[("NIFTY", QuotePin::at(25_030.0))])
        .await;
    let contract_event = d.event("contract", "resolved").await;
    assert_eq!(contract_event["detail"], ce);
    let entry = d.event("entry", "orb_breakout_up").await;
    assert!(
        entry["detail"].as_str().is_some_and(|s| s.contains(ce)),
        "{entry}"
    );
    let fill = d.fill(1, "BUY", 100.05).await;
    assert_eq!(fill["symbol"], ce, "a buy fills at the ask");

    // 09:40: the CE trades at 141 (≥ 100.05 × 1.4 = 140.07): target, sold at the bid.
    d.at(ist(9, 40, 0), &[(ce, pin(141.0, 140.95, 141.05))])
        .await;
    d.event("exit", "target").await;
    d.fill(2, "SELL", 140.95).await;

    // 09:45 closes below the range at 24 980: the ATM (25 000) PE, bought at the ask.
    d.at(ist(9, 45, 0), &[("NIFTY", QuotePin::at(24_980.0))])
        .await;
    d.at(
        ist(9, 46, 0),
        &[
            ("NIFTY", QuotePin::at(24_980.0)),
            (pe, pin(90.1, 89.95, 90.05)),
        ],
    )
    .await;
    d.event("entry", "orb_breakout_down").await;
    let fill = d.fill(3, "BUY", 90.05).await;
    assert_eq!(fill["symbol"], pe);

    // The feed goes quiet while the PE collapses; 6 s later the last quote is stale, and
    // the bot refuses to act on it rather than sell blind.
    d.faults(json!({"silent": true, "silent_pings": true}))
        .await;
    d.pin_at(ist(9, 47, 0), &[(pe, pin(70.5, 70.0, 70.1))])
        .await;
    d.clock.set(ist(9, 47, 6));
    let refusal = d.event("refused", "stale_quote").await;
    assert!(
        refusal["detail"].as_str().is_some_and(|s| !s.is_empty()),
        "{refusal}"
    );
    assert_eq!(d.trades().await.len(), 3, "no fill on a stale quote");

    // The feed speaks again: 70.5 ≤ 90.05 × 0.8 = 72.04 — the stop, sold at the bid.
    d.faults(json!({"silent": false})).await;
    d.event("exit", "stop_loss").await;
    d.fill(4, "SELL", 70.0).await;

    // Two trades were the day's limit: a later breakout opens nothing.
    d.at(ist(10, 0, 0), &[("NIFTY", QuotePin::at(25_100.0))])
        .await;
    d.at(ist(10, 1, 0), &[("NIFTY", QuotePin::at(25_100.0))])
        .await;
    assert_eq!(d.trades().await.len(), 4, "no third entry");
    let bot = get_json(&d.stack.url("/api/bots")).await["bots"][0].clone();
    assert_eq!(bot["trades_today"], 2, "{bot}");

    // To the paisa, 75 a lot:
    //   CE: 75 × (140.95 − 100.05) = 3 067.50;  PE: 75 × (70.00 − 90.05) = −1 503.75.
    //   Charges per fill (each part rounded to the paisa; GST on brokerage + exchange + SEBI):
    //     buy  7 503.75: brokerage 20, exchange 2.67, SEBI 0.01, stamp 0.23, GST 4.08
    //     sell 10 571.25: brokerage 20, STT 15.86, exchange 3.76, SEBI 0.01, GST 4.28
    //     buy  6 753.75: brokerage 20, exchange 2.40, SEBI 0.01, stamp 0.20, GST 4.03
    //     sell 5 250.00: brokerage 20, STT 7.88, exchange 1.87, SEBI 0.01, GST 3.94
    //   = 131.24; net 1 563.75 − 131.24 = 1 432.51.
    let report = get_json(&d.stack.url("/api/positions")).await;
    let summary = &report["summary"];
    assert_eq!(
        summary["charges"],
        json!({"brokerage": 80.0, "stt": 23.74, "exchange": 10.7, "sebi": 0.04,
               "stamp": 0.43, "gst": 16.33, "total": 131.24}),
        "{report}"
    );
    assert_eq!(num(&summary["realized_pnl"]), 1_563.75, "{report}");
    assert_eq!(num(&summary["net_pnl"]), 1_432.51, "{report}");
    assert_eq!(num(&summary["cash"]), 1_001_432.51, "{report}");
    assert_eq!(summary["open_positions"], 0);

    // The journal tells the day in order, with a reason on every entry and exit.
    let story: Vec<(String, String)> = d
        .events()
        .await
        .iter()
        .filter(|e| e["kind"] == "entry" || e["kind"] == "exit")
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().into(),
                e["code"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let want = [
        ("entry", "orb_breakout_up"),
        ("exit", "target"),
        ("entry", "orb_breakout_down"),
        ("exit", "stop_loss"),
    ]
    .map(|(k, c)| (k.to_string(), c.to_string()));
    assert_eq!(story, want);
    d.stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
