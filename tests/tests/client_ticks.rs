//! A `/ws` client subscribes and gets `subscribed`, a snapshot, then live ticks — only
//! for what it asked — on both broker protocols.

use std::time::Duration;

use mandi_testkit::{start_stack, WsClient, DEADLINE};
use serde_json::json;

async fn subscribe_snapshot_then_ticks(broker: &str) {
    let stack = start_stack(&[("MANDI__UPSTREAM__BROKER", broker)]).await;
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    let status = ws.next_of_type("connection_status", DEADLINE).await;
    assert_eq!(status["broker"], broker);
    for key in [
        "mode",
        "quality",
        "message",
        "market_status",
        "auth_required",
        "timestamp",
    ] {
        assert!(
            status.get(key).is_some(),
            "connection_status lacks {key}: {status}"
        );
    }

    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"], "mode": "quote"}))
        .await;
    let ack = ws.next_of_type("subscribed", DEADLINE).await;
    assert_eq!(ack["symbols"], json!(["RELIANCE"]));
    assert_eq!(ack["mode"], "quote");
    let snapshot = ws.next_of_type("snapshot", DEADLINE).await;
    assert!(snapshot["data"].is_array());

    // Several live ticks, all for RELIANCE, with quote fields filled and prices moving.
    let mut prices = Vec::new();
    while prices.len() < 5 {
        let tick = ws.next_of_type("tick", DEADLINE).await;
        let data = &tick["data"];
        assert_eq!(
            data["symbol"], "RELIANCE",
            "only the subscribed symbol: {tick}"
        );
        let ltp = data["ltp"].as_f64().expect("ltp is a number");
        assert!(
            ltp > 1000.0 && ltp < 2000.0,
            "plausible RELIANCE price {ltp}"
        );
        // Quote packets (both brokers) carry OHLC and day totals but no book.
        assert!(
            data["total_buy_qty"].as_u64().unwrap_or(0) > 0,
            "quote fields: {data}"
        );
        assert!(
            data["high"].as_f64() >= data["low"].as_f64(),
            "high ≥ low: {data}"
        );
        assert!(
            data["prev_close"].as_f64().unwrap_or(0.0) > 0.0,
            "prev close: {data}"
        );
        assert!(data["received_time"].is_string());
        assert_eq!(data["source"], "socket");
        prices.push(ltp);
    }
    // Re-subscribing later gets a non-empty snapshot from the last known tick.
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"], "mode": "quote"}))
        .await;
    let snapshot = ws.next_of_type("snapshot", DEADLINE).await;
    assert_eq!(snapshot["data"][0]["symbol"], "RELIANCE", "{snapshot}");

    // Full mode carries the 5-level book; the best level is the touch.
    ws.send_json(&json!({"action": "subscribe", "symbols": ["HDFCBANK"], "mode": "full"}))
        .await;
    let full = loop {
        let t = ws.next_of_type("tick", DEADLINE).await;
        if t["data"]["symbol"] == "HDFCBANK" && t["data"]["depth"].is_array() {
            break t["data"].clone();
        }
    };
    assert_eq!(full["depth"].as_array().map(Vec::len), Some(5), "{full}");
    let (bid, ask) = (
        full["bid"].as_f64().unwrap_or(0.0),
        full["ask"].as_f64().unwrap_or(0.0),
    );
    assert!(bid > 0.0 && ask > bid, "touch bid {bid} < ask {ask}");
    assert_eq!(full["depth"][0]["bid_price"].as_f64(), Some(bid));
    ws.send_json(&json!({"action": "unsubscribe", "symbols": ["HDFCBANK"]}))
        .await;

    // After unsubscribing, no RELIANCE tick arrives once *its* ack is through (the
    // HDFCBANK ack comes first, and RELIANCE ticks may still precede the second ack).
    ws.send_json(&json!({"action": "unsubscribe", "symbols": ["RELIANCE"]}))
        .await;
    ws.next_matching("RELIANCE unsubscribed", DEADLINE, |m| {
        m["type"] == "unsubscribed" && m["symbols"] == json!(["RELIANCE"])
    })
    .await;
    while let Some(msg) = ws.next_json(Duration::from_millis(600)).await {
        assert_ne!(msg["type"], "tick", "tick after unsubscribe: {msg}");
    }
    ws.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn dhan_client_gets_snapshot_then_ticks() {
    subscribe_snapshot_then_ticks("dhan").await;
}

#[actix_rt::test]
async fn kite_client_gets_snapshot_then_ticks() {
    subscribe_snapshot_then_ticks("kite").await;
}
