//! The broking terminal's payload, unchanged: `GET /prices` and `/ws/prices` pushing
//! `{"NIFTY":..,"SENSEX":..,"CRUDEOIL":..,"RELIANCE":..,"timestamp":..,"status":..}` every second.

use std::time::Duration;

use mandi_testkit::{get_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::Value;

const SYMBOLS: [&str; 4] = ["NIFTY", "SENSEX", "CRUDEOIL", "RELIANCE"];

fn all_priced(v: &Value) -> bool {
    SYMBOLS
        .iter()
        .all(|s| v[s].as_f64().is_some_and(|p| p > 0.0))
}

fn assert_shape(v: &Value) {
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.len(), 6, "four prices, timestamp, status: {v}");
    let ts = v["timestamp"].as_str().expect("timestamp string");
    // 2026-02-03T09:09:55.456386 — naive IST, microseconds.
    assert_eq!(ts.len(), 26, "{ts}");
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
        "{ts}"
    );
    assert_eq!(v["status"], "active");
}

async fn terminal_payloads(broker: &str) {
    let stack = start_stack(&[("MANDI__UPSTREAM__BROKER", broker)]).await;
    let url = stack.url("/prices");
    let prices = wait_for("all four prices on /prices", DEADLINE, || async {
        let v = get_json(&url).await;
        all_priced(&v).then_some(v)
    })
    .await;
    assert_shape(&prices);
    let nifty = prices["NIFTY"].as_f64().unwrap_or(0.0);
    assert!(
        (20_000.0..32_000.0).contains(&nifty),
        "NIFTY near its start: {nifty}"
    );

    let mut ws = WsClient::connect(&stack.ws_url("/ws/prices")).await;
    let mut pushes = Vec::new();
    while pushes.len() < 3 {
        let v = ws
            .next_json(Duration::from_secs(3))
            .await
            .expect("a push within 3 s");
        if all_priced(&v) {
            assert_shape(&v);
            pushes.push(v);
        }
    }
    let t = |v: &Value| {
        chrono::NaiveDateTime::parse_from_str(
            v["timestamp"].as_str().unwrap_or(""),
            "%Y-%m-%dT%H:%M:%S%.6f",
        )
        .expect("timestamp")
    };
    let gap = (t(&pushes[2]) - t(&pushes[1])).num_milliseconds();
    assert!(
        (700..=1600).contains(&gap),
        "pushed about every second, gap {gap} ms"
    );
    ws.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn dhan_terminal_payloads() {
    terminal_payloads("dhan").await;
}

#[actix_rt::test]
async fn kite_terminal_payloads() {
    terminal_payloads("kite").await;
}
