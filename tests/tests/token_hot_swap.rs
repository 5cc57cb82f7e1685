//! A new token posted to `/api/auth/token` is checked with the broker, swapped into the
//! live feed without a process restart, and every subscription comes back exactly once;
//! a refused token changes nothing. Also: `/metrics` speaks Prometheus text.

use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack, wait_for, WsClient, DEADLINE,
};
use serde_json::{json, Value};

fn dhan_connections(counters: &Value) -> Vec<Value> {
    sim_connections(counters, "dhan")
}

async fn post_token(url: &str, body: Value) -> (u16, Value) {
    request_json("POST", url, Some(&body)).await
}

#[actix_rt::test]
async fn token_hot_swap_keeps_every_subscription() {
    let stack = start_stack(&[]).await;
    let sim = stack
        .app
        .simulator
        .as_ref()
        .expect("embedded simulator")
        .rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["TCS"], "mode": "full"}))
        .await;
    ws.next_of_type("tick", DEADLINE).await;
    let before = wait_for("TCS subscribed upstream", DEADLINE, || async {
        let c = get_json(&counters_url).await;
        let conns = dhan_connections(&c);
        (conns.len() == 1 && conns[0].to_string().contains("11536")).then_some(c)
    })
    .await;
    let set_before = dhan_connections(&before)[0].clone();
    let total_before = before["dhan"]["connections_total"]
        .as_u64()
        .expect("connections_total");

    // A refused token: 422, the old one stays, the feed never drops.
    let token_url = stack.url("/api/auth/token");
    let (status, body) = post_token(&token_url, json!({"access_token": "not-a-valid-token"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], "rejected");
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(health["feed"]["state"], "live");
    assert_eq!(health["feed"]["connects"], 1);

    // Bad JSON is a clear 400.
    let (status, _) = post_token(&token_url, json!({"token": "x"})).await;
    assert_eq!(status, 400);

    // An accepted token: one reconnect, the same subscription set, no duplicates.
    let (status, body) = post_token(
        &token_url,
        json!({"access_token": mandi_server::app::SIM_DHAN_TOKEN}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_status"], "valid");
    let after = wait_for("reconnected with every subscription", DEADLINE, || async {
        let c = get_json(&counters_url).await;
        let conns = dhan_connections(&c);
        let total = c["dhan"]["connections_total"].as_u64().unwrap_or(0);
        (total == total_before + 1 && conns.len() == 1 && conns[0] == set_before).then_some(c)
    })
    .await;
    assert_eq!(
        after["dhan"]["duplicate_subscribes"],
        before["dhan"]["duplicate_subscribes"]
    );

    // The browser session never noticed: ticks keep coming on the same socket.
    let tick = ws.next_of_type("tick", DEADLINE).await;
    assert_eq!(tick["data"]["symbol"], "TCS");
    let health = wait_for("feed live again", DEADLINE, || async {
        let h = get_json(&stack.url("/health")).await;
        (h["feed"]["state"] == "live").then_some(h)
    })
    .await;
    assert_eq!(health["feed"]["connects"], 2);

    let mut resp = awc::Client::new()
        .get(stack.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    let text = String::from_utf8_lossy(&resp.body().await.expect("body")).to_string();
    assert!(
        text.contains("# TYPE mandi_feed_live gauge\nmandi_feed_live 1\n"),
        "{text}"
    );
    assert!(text.contains("mandi_feed_connects_total 2\n"), "{text}");
    ws.close().await;
    stack.stop().await;
}
