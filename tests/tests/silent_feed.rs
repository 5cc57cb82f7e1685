//! A connected-but-mute upstream (TCP open, nothing sent — not even Kite's heartbeat) is
//! detected by the read-idle timeout and replaced by a fresh connection with every
//! subscription; ticks resume once the simulator speaks again.

use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack, wait_for, WsClient, DEADLINE,
};
use serde_json::{json, Value};

/// Set switches with a body, clear them all without one.
async fn set_faults(url: &str, body: Option<Value>) {
    let method = if body.is_some() { "POST" } else { "DELETE" };
    let (status, _) = request_json(method, url, body.as_ref()).await;
    assert!((200..300).contains(&status), "{method} {url}: {status}");
}

#[actix_rt::test]
async fn silent_kite_feed_is_detected_and_reconnected() {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", "kite"),
        ("MANDI__UPSTREAM__READ_IDLE_TIMEOUT_MS", "1500"),
        ("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100"),
    ])
    .await;
    let sim = stack
        .app
        .simulator
        .as_ref()
        .expect("embedded simulator")
        .rest_url();
    let (counters_url, faults_url) = (
        format!("{sim}/admin/counters"),
        format!("{sim}/admin/faults"),
    );
    let health_url = stack.url("/health");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"], "mode": "full"}))
        .await;
    ws.next_of_type("tick", DEADLINE).await;
    let before = get_json(&counters_url).await;
    let total = before["kite"]["connections_total"]
        .as_u64()
        .expect("connections_total");

    set_faults(&faults_url, Some(json!({"silent": true}))).await;
    // Within the 1.5 s idle timeout plus one check interval, the runtime gives up on the
    // mute socket and dials again (and the new socket is mute too, until we lift it).
    wait_for(
        "a new upstream connection after silence",
        DEADLINE,
        || async {
            let c = get_json(&counters_url).await;
            (c["kite"]["connections_total"].as_u64().unwrap_or(0) > total).then_some(())
        },
    )
    .await;
    let health = get_json(&health_url).await;
    assert!(health["feed"]["connects"].as_u64() >= Some(2), "{health}");

    set_faults(&faults_url, None).await;
    let after = wait_for("live with RELIANCE replayed", DEADLINE, || async {
        let h = get_json(&health_url).await;
        let c = get_json(&counters_url).await;
        let subs = sim_connections(&c, "kite")
            .first()
            .map(Value::to_string)
            .unwrap_or_default();
        (h["feed"]["state"] == "live" && subs.contains("738561")).then_some(c)
    })
    .await;
    assert_eq!(
        after["kite"]["connections_open"], 1,
        "one upstream connection, not a pile"
    );
    let tick = ws.next_of_type("tick", DEADLINE).await;
    assert_eq!(tick["data"]["symbol"], "RELIANCE");
    ws.close().await;
    stack.stop().await;
}
