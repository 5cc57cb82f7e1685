//! A connected-but-mute feed — socket open, WebSocket pings still arriving, no market
//! data — is stale only while its instruments trade: inside market hours it is replaced
//! within `upstream.stale_after_ms`, and clients are told `quiet`, then `stale`, within
//! `broadcast.feed_stale_after_s` on `connection_status`, the heartbeat and `/ws/prices`
//! (not `live`/`good`/`active` on frozen prices); outside them (today a holiday on every
//! exchange) it is left alone and the instrument reads `closed`, not `stale`.

use std::time::{Duration, Instant};

use chrono::Utc;
use mandi_domain::time::IST;
use mandi_testkit::{get_json, request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::{json, Value};

const STALE_AFTER_MS: &str = "1500";

async fn mute_with_pings(sim: &str) {
    let (status, _) = request_json(
        "POST",
        &format!("{sim}/admin/faults"),
        Some(&json!({"silent": true, "silent_pings": true})),
    )
    .await;
    assert_eq!(status, 200);
}

fn connections_total(counters: &Value) -> u64 {
    counters["kite"]["connections_total"].as_u64().unwrap_or(0)
}

#[actix_rt::test]
async fn mute_feed_in_market_hours_is_replaced_within_the_threshold() {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", "kite"),
        ("MANDI__UPSTREAM__STALE_AFTER_MS", STALE_AFTER_MS),
        ("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100"),
        ("MANDI__SIMULATOR__KITE_HEARTBEAT_INTERVAL_MS", "200"),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"]}))
        .await;
    ws.next_of_type("tick", DEADLINE).await;
    let before = connections_total(&get_json(&counters_url).await);
    let muted_at = std::time::Instant::now();
    mute_with_pings(&sim).await;
    wait_for("a replacement connection", DEADLINE, || async {
        (connections_total(&get_json(&counters_url).await) > before).then_some(())
    })
    .await;
    let took = muted_at.elapsed();
    // Threshold plus one check interval plus the backoff, with room for a loaded machine.
    assert!(
        took < Duration::from_millis(1500 + 300 + 100 + 1500),
        "stale feed replaced after {took:?}"
    );
    stack.stop().await;
}

#[actix_rt::test]
async fn mute_feed_outside_market_hours_is_not_flagged() {
    let today = Utc::now().with_timezone(&IST).date_naive().to_string();
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", "kite"),
        ("MANDI__UPSTREAM__STALE_AFTER_MS", STALE_AFTER_MS),
        ("MANDI__SIMULATOR__KITE_HEARTBEAT_INTERVAL_MS", "200"),
        ("MANDI__MARKET__ALWAYS_OPEN", "false"),
        ("MANDI__MARKET__HOLIDAYS__NSE", &today),
        ("MANDI__MARKET__HOLIDAYS__BSE", &today),
        ("MANDI__MARKET__HOLIDAYS__MCX", &today),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let health_url = stack.url("/health");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    let status = ws.next_of_type("connection_status", DEADLINE).await;
    assert_eq!(status["market_status"], "closed", "{status}");
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"]}))
        .await;
    let closed = ws.next_of_type("instrument_status", DEADLINE).await;
    assert_eq!(closed["data"]["state"], "closed", "{closed}");
    wait_for("the feed live", DEADLINE, || async {
        (get_json(&health_url).await["feed"]["state"] == "live").then_some(())
    })
    .await;
    let before = connections_total(&get_json(&counters_url).await);
    mute_with_pings(&sim).await;
    // Wait until the runtime itself has seen no data for twice the threshold (its own
    // per-instrument age says so), then check nothing was torn down.
    wait_for(
        "RELIANCE quiet for twice the threshold",
        DEADLINE,
        || async {
            let h = get_json(&health_url).await;
            let age = h["instruments"]
                .as_array()
                .and_then(|rows| rows.iter().find(|r| r["symbol"] == "RELIANCE"))
                .and_then(|r| r["last_tick_seconds_ago"].as_f64());
            age.is_some_and(|a| a >= 3.0).then_some(())
        },
    )
    .await;
    let after = get_json(&counters_url).await;
    assert_eq!(
        connections_total(&after),
        before,
        "no reconnect outside hours"
    );
    let health = get_json(&health_url).await;
    assert_eq!(health["feed"]["state"], "live");
    ws.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn mute_feed_is_reported_stale_on_status_heartbeat_and_prices() {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", "kite"),
        // The socket stays up: what clients hear must come from the data, not a reconnect.
        ("MANDI__UPSTREAM__STALE_AFTER_MS", "0"),
        ("MANDI__SIMULATOR__KITE_HEARTBEAT_INTERVAL_MS", "200"),
        ("MANDI__BROADCAST__FEED_QUIET_AFTER_S", "1"),
        ("MANDI__BROADCAST__FEED_STALE_AFTER_S", "2"),
        ("MANDI__BROADCAST__HEARTBEAT_INTERVAL_MS", "300"),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    let mut prices = WsClient::connect(&stack.ws_url("/ws/prices")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"]}))
        .await;
    ws.next_matching("connection_status good", DEADLINE, |v| {
        v["type"] == "connection_status" && v["quality"] == "good"
    })
    .await;
    prices
        .next_matching("prices active", DEADLINE, |v| v["status"] == "active")
        .await;

    let muted_at = Instant::now();
    mute_with_pings(&sim).await;
    let is_status = |quality: &'static str| {
        move |v: &Value| v["type"] == "connection_status" && v["quality"] == quality
    };
    let quiet = ws
        .next_matching("connection_status quiet", DEADLINE, is_status("quiet"))
        .await;
    assert_eq!(quiet["mode"], "live", "the socket is still open: {quiet}");
    let stale = ws
        .next_matching("connection_status stale", DEADLINE, is_status("stale"))
        .await;
    let took = muted_at.elapsed();
    // The threshold, plus one check interval, with room for a loaded machine; and not
    // before the threshold (the last tick came just before the mute).
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_millis(2000 + 1000 + 1500),
        "stale reported after {took:?}"
    );
    assert_eq!(stale["mode"], "live", "{stale}");
    let message = stale["message"].as_str().unwrap_or_default();
    assert!(message.contains("no market data"), "{stale}");
    let beat = ws
        .next_matching("a stale heartbeat", DEADLINE, |v| {
            v["type"] == "heartbeat" && v["connection_health"]["connection_quality"] == "stale"
        })
        .await;
    assert_eq!(beat["connection_health"]["is_healthy"], false, "{beat}");
    assert!(
        beat["connection_health"]["last_tick_seconds_ago"].as_f64() >= Some(2.0),
        "{beat}"
    );
    prices
        .next_matching("prices stale", DEADLINE, |v| v["status"] == "stale")
        .await;
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(health["feed"]["state"], "live", "the socket itself is fine");

    // Data again: every channel says so.
    let (status, _) = request_json("DELETE", &format!("{sim}/admin/faults"), None).await;
    assert!((200..300).contains(&status));
    ws.next_matching("connection_status good again", DEADLINE, is_status("good"))
        .await;
    prices
        .next_matching("prices active again", DEADLINE, |v| v["status"] == "active")
        .await;
    ws.close().await;
    prices.close().await;
    stack.stop().await;
}
