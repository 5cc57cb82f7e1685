//! The journal on its own thread: while another connection holds an exclusive SQLite lock
//! on the journal, ticks keep flowing to a `/ws` client and `/health` answers at once; an
//! order that cannot be journaled is refused with 503 `journal_unavailable`, is not in the
//! book, and is not there after a restart on the same data directory; `/health` and
//! `/metrics` count the failed write.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mandi_testkit::{get_json, request_json, start_stack, wait_for, Stack, WsClient, DEADLINE};
use serde_json::{json, Value};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn stack_on(dir: &Path) -> Stack {
    let data_dir = dir.to_string_lossy().to_string();
    start_stack(&[
        ("MANDI__STRATEGIES__DIR", ""),
        ("MANDI__STORE__DATA_DIR", data_dir.as_str()),
    ])
    .await
}

async fn option(stack: &Stack) -> String {
    wait_for("a NIFTY price for the chain", DEADLINE, || async {
        get_json(&stack.url("/prices")).await["NIFTY"].as_f64()
    })
    .await;
    let chain = get_json(&stack.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    chain["rows"][0]["call"]["symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("a call in {chain}"))
        .to_string()
}

async fn buy(stack: &Stack, symbol: &str, tag: &str) -> (u16, Value) {
    let body = json!({"symbol": symbol, "side": "BUY", "lots": 1, "tag": tag});
    request_json("POST", &stack.url("/api/orders"), Some(&body)).await
}

async fn tags(stack: &Stack) -> Vec<String> {
    get_json(&stack.url("/api/orders")).await["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["tag"].as_str().map(str::to_string))
        .collect()
}

/// Another connection's exclusive lock on the journal, held until dropped (or `max`).
struct JournalLock {
    release: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JournalLock {
    fn take(path: PathBuf, max: Duration) -> JournalLock {
        let (release, released) = mpsc::channel();
        let (locked, is_locked) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).expect("open the journal");
            conn.execute_batch("BEGIN EXCLUSIVE")
                .expect("an exclusive lock");
            let _ = locked.send(());
            let _ = released.recv_timeout(max);
            let _ = conn.execute_batch("COMMIT");
        });
        is_locked.recv_timeout(DEADLINE).expect("the lock is taken");
        JournalLock {
            release,
            thread: Some(thread),
        }
    }
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        let _ = self.release.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[actix_rt::test]
async fn an_order_the_journal_cannot_keep_is_refused_and_absent_after_a_restart() {
    let dir = scratch("journal-refused");
    let stack = stack_on(&dir).await;
    let symbol = option(&stack).await;
    let (status, first) = buy(&stack, &symbol, "before-the-lock").await;
    assert_eq!(status, 201, "{first}");
    let positions = get_json(&stack.url("/api/positions")).await;

    let lock = JournalLock::take(dir.join("paper-journal.sqlite"), DEADLINE * 3);
    let asked = Instant::now();
    let (status, refused) = buy(&stack, &symbol, "during-the-lock").await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"], "journal_unavailable", "{refused}");
    assert!(
        asked.elapsed() < DEADLINE,
        "answered within the lock wait: {:?}",
        asked.elapsed()
    );
    assert_eq!(tags(&stack).await, ["before-the-lock"], "nothing applied");
    let unchanged = get_json(&stack.url("/api/positions")).await;
    assert_eq!(
        unchanged["positions"][0]["net_quantity"], positions["positions"][0]["net_quantity"],
        "{unchanged}"
    );

    let health = get_json(&stack.url("/health")).await;
    let journal = &health["paper"]["journal"];
    assert!(journal["errors"].as_u64() >= Some(1), "{journal}");
    assert!(
        journal["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{journal}"
    );
    assert!(journal["last_error_at"].is_string(), "{journal}");
    let (_, metrics) = {
        let mut resp = awc::Client::new()
            .get(stack.url("/metrics"))
            .timeout(DEADLINE)
            .send()
            .await
            .expect("metrics");
        (resp.status(), resp.body().await.expect("metrics body"))
    };
    let metrics = String::from_utf8_lossy(&metrics);
    let errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mandi_journal_errors_total "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(
        errors >= Some(1.0),
        "mandi_journal_errors_total in:\n{metrics}"
    );

    // The lock goes: orders are taken again.
    drop(lock);
    let (status, after) = buy(&stack, &symbol, "after-the-lock").await;
    assert_eq!(status, 201, "{after}");
    stack.stop().await;

    // A restart on the same journal: the refused order is nowhere.
    let restarted = stack_on(&dir).await;
    let restored = tags(&restarted).await;
    assert_eq!(
        restored,
        ["before-the-lock", "after-the-lock"],
        "{restored:?}"
    );
    restarted.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads `/ws` until `stop`; the ticks received.
async fn count_ticks(ws: &mut WsClient, stop: &AtomicBool) -> usize {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        if let Some(v) = ws.next_json(Duration::from_millis(100)).await {
            n += usize::from(v["type"] == "tick");
        }
    }
    n
}

/// Counts ticks for `window` while `meanwhile` runs; the rate per second.
async fn tick_rate<F: std::future::Future>(
    ws: &mut WsClient,
    window: Duration,
    meanwhile: F,
) -> (f64, F::Output) {
    let stop = AtomicBool::new(false);
    let timer = async {
        let out = meanwhile.await;
        tokio::time::sleep(window).await;
        stop.store(true, Ordering::SeqCst);
        out
    };
    let started = Instant::now();
    let (n, out) = tokio::join!(count_ticks(ws, &stop), timer);
    (n as f64 / started.elapsed().as_secs_f64(), out)
}

#[actix_rt::test]
async fn ticks_flow_and_health_answers_while_the_journal_is_locked() {
    let dir = scratch("journal-locked");
    let stack = stack_on(&dir).await;
    let symbol = option(&stack).await;
    let (status, first) = buy(&stack, &symbol, "before-the-lock").await;
    assert_eq!(status, 201, "{first}");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(
        &json!({"action": "subscribe", "symbols": ["NIFTY", "RELIANCE"], "mode": "quote"}),
    )
    .await;
    ws.next_of_type("tick", DEADLINE).await;
    let (before, ()) = tick_rate(&mut ws, Duration::from_secs(2), async {}).await;
    assert!(before > 0.0, "ticks flow before the lock");

    let lock_held = Duration::from_secs(5);
    let lock = JournalLock::take(dir.join("paper-journal.sqlite"), lock_held);
    let locked_at = Instant::now();
    // An order and /health polls while the lock is held.
    let work = async {
        let order = buy(&stack, &symbol, "during-the-lock");
        let health = async {
            let mut slowest = Duration::ZERO;
            while locked_at.elapsed() < lock_held - Duration::from_millis(500) {
                let asked = Instant::now();
                let h = get_json(&stack.url("/health")).await;
                slowest = slowest.max(asked.elapsed());
                assert!(h["paper"].is_object(), "{h}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            slowest
        };
        tokio::join!(order, health)
    };
    let (during, ((status, refused), slowest_health)) =
        tick_rate(&mut ws, Duration::ZERO, work).await;
    drop(lock);
    assert_eq!(status, 503, "{refused}");
    assert!(
        during >= before * 0.5,
        "ticks kept flowing during the lock: {during:.1}/s against {before:.1}/s before"
    );
    assert!(
        slowest_health < Duration::from_secs(1),
        "/health answered at once during the lock: slowest {slowest_health:?}"
    );
    ws.close().await;
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
