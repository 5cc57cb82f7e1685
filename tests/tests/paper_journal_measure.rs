//! Measurements, not checks (ignored by default; run with `--ignored --nocapture`): the
//! latency of paper orders as the book grows, the journal bytes they write, and the
//! ticks a `/ws` client gets while orders are placed and while the journal is locked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mandi_testkit::{get_json, request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::json;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn journal_bytes(dir: &Path) -> u64 {
    ["paper-journal.sqlite", "paper-journal.sqlite-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Reads ticks until `stop`; returns how many arrived.
async fn count_ticks(ws: &mut WsClient, stop: &AtomicBool) -> usize {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        if let Some(v) = ws.next_json(Duration::from_millis(100)).await {
            if v["type"] == "tick" {
                n += 1;
            }
        }
    }
    n
}

#[actix_rt::test]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn measure_order_latency_ticks_and_a_locked_journal() {
    let dir = scratch("journal-measure");
    let data_dir = dir.to_string_lossy().to_string();
    let stack = start_stack(&[
        ("MANDI__STRATEGIES__DIR", ""),
        ("MANDI__STORE__DATA_DIR", data_dir.as_str()),
    ])
    .await;
    wait_for("a NIFTY price", DEADLINE, || async {
        get_json(&stack.url("/prices")).await["NIFTY"].as_f64()
    })
    .await;
    let chain = get_json(&stack.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    let symbol = chain["rows"][0]["call"]["symbol"]
        .as_str()
        .expect("a call")
        .to_string();
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(
        &json!({"action": "subscribe", "symbols": ["NIFTY", "RELIANCE"], "mode": "quote"}),
    )
    .await;
    ws.next_of_type("tick", DEADLINE).await;

    // Baseline: ticks in 3 s with nothing else going on.
    let stop = AtomicBool::new(false);
    let baseline = {
        let timer = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            stop.store(true, Ordering::SeqCst);
        };
        let (n, ()) = tokio::join!(count_ticks(&mut ws, &stop), timer);
        n as f64 / 3.0
    };
    println!("baseline: {baseline:.1} ticks/s to the /ws client");

    let reason_chars: usize = std::env::var("MEASURE_REASON_CHARS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000);
    let orders: usize = std::env::var("MEASURE_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(80);
    let reason = "x".repeat(reason_chars);
    let bytes_before = journal_bytes(&dir);
    stop.store(false, Ordering::SeqCst);
    let started = Instant::now();
    let placing = async {
        let mut latencies = Vec::new();
        let mut statuses = std::collections::BTreeMap::new();
        for i in 0..orders {
            let body = json!({"symbol": symbol, "side": "BUY", "lots": 1, "type": "LIMIT",
                "price": 0.05, "tag": format!("m{i}"), "reason": reason});
            let t = Instant::now();
            let (status, _) = request_json("POST", &stack.url("/api/orders"), Some(&body)).await;
            latencies.push(t.elapsed());
            *statuses.entry(status).or_insert(0) += 1;
        }
        stop.store(true, Ordering::SeqCst);
        (latencies, statuses)
    };
    let (during, (latencies, statuses)) = tokio::join!(count_ticks(&mut ws, &stop), placing);
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let mut sorted: Vec<f64> = latencies.iter().map(ms).collect();
    sorted.sort_by(f64::total_cmp);
    let pick = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    println!(
        "{orders} orders with {reason_chars}-char reasons: statuses {statuses:?}; latency first {:.1} ms, p50 {:.1} ms, p90 {:.1} ms, last 10 avg {:.1} ms, max {:.1} ms; journal grew {:.1} MB; {:.1} ticks/s to the /ws client meanwhile",
        ms(&latencies[0]),
        pick(0.5),
        pick(0.9),
        latencies.iter().rev().take(10).map(ms).sum::<f64>() / 10.0,
        pick(1.0),
        (journal_bytes(&dir) - bytes_before) as f64 / 1e6,
        during as f64 / elapsed,
    );

    let journal = &get_json(&stack.url("/health")).await["paper"]["journal"];
    println!(
        "journal thread: {} calls, last {} ms, slowest {} ms",
        journal["calls"], journal["last_call_ms"], journal["slowest_call_ms"]
    );

    // A 5 s exclusive lock on the journal, an order placed during it.
    let path = dir.join("paper-journal.sqlite");
    let locked = Arc::new(AtomicBool::new(false));
    let holder = {
        let locked = locked.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).expect("open the journal");
            conn.execute_batch("BEGIN EXCLUSIVE").expect("lock");
            locked.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(5));
            conn.execute_batch("COMMIT").expect("unlock");
            locked.store(false, Ordering::SeqCst);
        })
    };
    while !locked.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(false, Ordering::SeqCst);
    let lock_started = Instant::now();
    let order = async {
        let t = Instant::now();
        let body =
            json!({"symbol": symbol, "side": "BUY", "lots": 1, "type": "LIMIT", "price": 0.05});
        let (status, answer) = request_json("POST", &stack.url("/api/orders"), Some(&body)).await;
        (status, answer["error"].clone(), t.elapsed())
    };
    let health = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut slowest = Duration::ZERO;
        while locked.load(Ordering::SeqCst) {
            let t = Instant::now();
            let _ = get_json(&stack.url("/health")).await;
            slowest = slowest.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        stop.store(true, Ordering::SeqCst);
        slowest
    };
    let (during_lock, (status, error, took), slowest_health) =
        tokio::join!(count_ticks(&mut ws, &stop), order, health);
    let lock_s = lock_started.elapsed().as_secs_f64();
    let _ = holder.join();
    println!(
        "journal locked {lock_s:.1} s: order answered {status} {error} after {:.0} ms; slowest /health {:.0} ms; {:.1} ticks/s to the /ws client during the lock",
        took.as_secs_f64() * 1000.0,
        slowest_health.as_secs_f64() * 1000.0,
        during_lock as f64 / lock_s,
    );
    ws.close().await;
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
