//! After `kill -9` and a restart, the last prices and today's candles are served within
//! 2 s of start — even with the broker unreachable. Runs the real `mandi` binary.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{get_json, start, wait_for};

const DEADLINE: Duration = Duration::from_secs(15);

fn snapshot(dir: &Path) -> Option<Value> {
    let bytes = std::fs::read(dir.join("prices.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn nifty_ltp(snap: &Value) -> Option<f64> {
    snap["ticks"]
        .as_array()?
        .iter()
        .find(|t| t["symbol"] == "NIFTY")?["ltp"]
        .as_f64()
}

#[test]
fn last_prices_and_candles_survive_kill_9() {
    let dir = std::env::temp_dir().join(format!("mandi-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data_dir = dir.to_string_lossy().to_string();

    let (mut first, _) = start(&[
        ("MANDI__STORE__DATA_DIR", &data_dir),
        ("MANDI__STORE__PERSIST_INTERVAL_MS", "100"),
        ("MANDI__SIMULATOR__TICK_INTERVAL_MS", "50"),
    ]);
    wait_for("a snapshot with four prices and candles", DEADLINE, || {
        let s = snapshot(&dir)?;
        let ticks = s["ticks"].as_array()?.len();
        let candles = s["candles"].as_array()?.len();
        (ticks >= 4 && candles >= 4).then_some(())
    });
    first.0.kill().expect("kill -9");
    first.0.wait().expect("reaped");
    let persisted = snapshot(&dir).expect("snapshot survives the kill");
    let want = nifty_ltp(&persisted).expect("NIFTY persisted");

    // Restart with the broker unreachable: only the snapshot can supply prices.
    let started = Instant::now();
    let (_second, addr) = start(&[
        ("MANDI__STORE__DATA_DIR", &data_dir),
        ("MANDI__SIMULATOR__ENABLED", "false"),
        ("MANDI__UPSTREAM__WS_URL", "ws://127.0.0.1:9"),
        ("MANDI__UPSTREAM__REST_URL", "http://127.0.0.1:9"),
        // The broker's master (the default with the simulator off) is unreachable too.
        (
            "MANDI__MASTER__BROKER_URL",
            "http://127.0.0.1:9/api-scrip-master.csv",
        ),
        ("DHAN_CLIENT_ID", "1000000001"),
        ("DHAN_ACCESS_TOKEN", "unused-broker-unreachable"),
    ]);
    let prices = wait_for("restored prices", Duration::from_secs(2), || {
        let p = get_json(&addr, "/prices")?;
        p["NIFTY"].as_f64().is_some().then_some(p)
    });
    let elapsed = started.elapsed();
    assert!(
        elapsed <= Duration::from_secs(2),
        "served after {elapsed:?}"
    );
    assert_eq!(
        prices["NIFTY"].as_f64(),
        Some(want),
        "the persisted price, exactly"
    );
    assert_ne!(prices["status"], "active", "not claimed live: {prices}");
    let candles = get_json(&addr, "/api/candles?symbol=NIFTY").expect("candles");
    assert!(
        candles["candles"].as_array().is_some_and(|c| !c.is_empty()),
        "today's candles restored: {candles}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
