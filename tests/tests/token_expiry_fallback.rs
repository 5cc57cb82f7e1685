//! The broker token expires mid-session (Dhan: disconnect 807; Kite: 403 on the upgrade)
//! while its REST quotes still answer: clients are told `rest_fallback` within 10 s and
//! keep getting prices marked `source: "rest"` at no more than 1 quote request per second;
//! once a new token is posted the runtime is back on the socket within 5 s, in the same
//! process, with every subscription intact. When REST refuses the token too (dead
//! everywhere), clients are told `login_required` — on `connection_status`, the heartbeat
//! and `/ws/prices` — never "prices from REST polling" while nothing flows.

use std::time::{Duration, Instant};

use chrono::Utc;
use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack, wait_for, WsClient, DEADLINE,
};
use serde_json::{json, Value};

const NEW_TOKEN: &str = "next-day-token";

async fn expiry_falls_back_to_rest_and_back(broker: &str, symbols: [&str; 2], ids: [&str; 2]) {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", broker),
        ("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100"),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": symbols, "mode": "quote"}))
        .await;
    let has_ids = |c: &Value| {
        let conns = sim_connections(c, broker);
        let text = conns.first().map(Value::to_string).unwrap_or_default();
        conns.len() == 1 && ids.iter().all(|id| text.contains(id))
    };
    wait_for("both symbols upstream", DEADLINE, || async {
        has_ids(&get_json(&counters_url).await).then_some(())
    })
    .await;
    ws.next_of_type("tick", DEADLINE).await;

    let (status, body) = request_json(
        "POST",
        &format!("{sim}/admin/faults"),
        Some(&json!({
            "expire_token_at": Utc::now().to_rfc3339(),
            "expire_feed_only": true,
            "accept_token": NEW_TOKEN,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expired_at = Instant::now();
    let fallback = ws
        .next_matching(
            "connection_status rest_fallback",
            Duration::from_secs(10),
            |v| v["type"] == "connection_status" && v["mode"] == "rest_fallback",
        )
        .await;
    assert!(expired_at.elapsed() <= Duration::from_secs(10));
    assert_eq!(fallback["quality"], "degraded", "{fallback}");
    for symbol in symbols {
        ws.next_matching(&format!("a REST tick for {symbol}"), DEADLINE, |v| {
            v["type"] == "tick" && v["data"]["symbol"] == symbol && v["data"]["source"] == "rest"
        })
        .await;
    }
    let heartbeat_health = get_json(&stack.url("/health")).await;
    assert_eq!(
        heartbeat_health["using_rest_fallback"], true,
        "{heartbeat_health}"
    );
    // Let the poller run a few rounds, then check its pace at the broker's end.
    let counters = wait_for("three REST quote requests", DEADLINE, || async {
        let c = get_json(&counters_url).await;
        (c[broker]["rest_quote_requests_total"].as_u64() >= Some(3)).then_some(c)
    })
    .await;
    assert!(
        counters[broker]["rest_quote_max_per_second"].as_u64() <= Some(1),
        "never above 1 quote request per second: {counters}"
    );

    let (status, body) = request_json(
        "POST",
        &stack.url("/api/auth/token"),
        Some(&json!({"access_token": NEW_TOKEN})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posted_at = Instant::now();
    ws.next_matching("connection_status live", Duration::from_secs(5), |v| {
        v["type"] == "connection_status" && v["mode"] == "live"
    })
    .await;
    assert!(posted_at.elapsed() <= Duration::from_secs(5));
    let back = Utc::now();
    ws.next_matching("a socket tick after the swap", DEADLINE, |v| {
        v["type"] == "tick"
            && v["data"]["source"] == "socket"
            && v["data"]["received_time"]
                .as_str()
                .and_then(|s| s.parse::<chrono::DateTime<Utc>>().ok())
                .is_some_and(|t| t >= back)
    })
    .await;
    let after = wait_for(
        "subscriptions intact on the new socket",
        DEADLINE,
        || async {
            let c = get_json(&counters_url).await;
            has_ids(&c).then_some(c)
        },
    )
    .await;
    assert!(after[broker]["rest_quote_max_per_second"].as_u64() <= Some(1));
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(health["feed"]["state"], "live");
    assert_eq!(health["using_rest_fallback"], false);
    assert_eq!(
        health["clients"], 1,
        "the client stayed connected throughout"
    );
    ws.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn dhan_807_falls_back_to_rest_and_returns_with_a_new_token() {
    expiry_falls_back_to_rest_and_back("dhan", ["RELIANCE", "TCS"], ["2885", "11536"]).await;
}

#[actix_rt::test]
async fn kite_403_falls_back_to_rest_and_returns_with_a_new_token() {
    expiry_falls_back_to_rest_and_back("kite", ["RELIANCE", "TCS"], ["738561", "2953217"]).await;
}

async fn token_dead_everywhere_is_login_required(broker: &str) {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", broker),
        ("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100"),
        ("MANDI__BROADCAST__HEARTBEAT_INTERVAL_MS", "300"),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    let mut prices = WsClient::connect(&stack.ws_url("/ws/prices")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["RELIANCE"], "mode": "quote"}))
        .await;
    ws.next_of_type("tick", DEADLINE).await;

    // Socket and REST both refuse the token from now on.
    let (status, body) = request_json(
        "POST",
        &format!("{sim}/admin/faults"),
        Some(&json!({
            "expire_token_at": Utc::now().to_rfc3339(),
            "accept_token": NEW_TOKEN,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expired_at = Instant::now();
    let dead = ws
        .next_matching(
            "connection_status login_required",
            Duration::from_secs(10),
            |v| v["type"] == "connection_status" && v["mode"] == "login_required",
        )
        .await;
    assert!(expired_at.elapsed() <= Duration::from_secs(10));
    assert_eq!(dead["auth_required"], true, "{dead}");
    assert_eq!(dead["quality"], "down", "{dead}");
    // Settled: the fallback either never took over or its polls are refused.
    wait_for("the REST fallback refused or idle", DEADLINE, || async {
        let h = get_json(&stack.url("/health")).await;
        let fb = &h["rest_fallback"];
        (h["using_rest_fallback"] == false && (fb["active"] == false || !fb["refused"].is_null()))
            .then_some(())
    })
    .await;
    ws.next_matching("a login_required heartbeat", DEADLINE, |v| {
        v["type"] == "heartbeat" && v["connection_health"]["state"] == "login_required"
    })
    .await;
    // From then on heartbeats agree, and none pretends REST serves prices.
    for n in 0..3 {
        let beat = ws.next_of_type("heartbeat", DEADLINE).await;
        let health = &beat["connection_health"];
        assert_eq!(health["state"], "login_required", "heartbeat {n}: {beat}");
        assert_eq!(
            health["using_rest_fallback"], false,
            "heartbeat {n}: {beat}"
        );
        assert_eq!(health["is_healthy"], false, "heartbeat {n}: {beat}");
    }
    prices
        .next_matching("prices login_required", DEADLINE, |v| {
            v["status"] == "login_required"
        })
        .await;

    // A new token brings the socket back.
    let (status, body) = request_json(
        "POST",
        &stack.url("/api/auth/token"),
        Some(&json!({"access_token": NEW_TOKEN})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let live = ws
        .next_matching("connection_status live", DEADLINE, |v| {
            v["type"] == "connection_status" && v["mode"] == "live"
        })
        .await;
    assert_eq!(live["auth_required"], false, "{live}");
    ws.close().await;
    prices.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn dhan_token_dead_for_socket_and_rest_is_login_required() {
    token_dead_everywhere_is_login_required("dhan").await;
}

#[actix_rt::test]
async fn kite_token_dead_for_socket_and_rest_is_login_required() {
    token_dead_everywhere_is_login_required("kite").await;
}
