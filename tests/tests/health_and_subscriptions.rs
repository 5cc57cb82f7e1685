//! `/health` reports the feed live with a fresh tick; `/api/subscriptions/active` lists the
//! runtime's own set and a client's additions, reference-counted.

use mandi_testkit::{get_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::{json, Value};

fn active_symbols(v: &Value) -> Vec<(String, usize)> {
    v["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["symbol"].as_str().unwrap_or("").to_string(),
                s["subscribers"].as_u64().unwrap_or(0) as usize,
            )
        })
        .collect()
}

#[actix_rt::test]
async fn health_and_active_subscriptions() {
    let stack = start_stack(&[]).await;
    let health_url = stack.url("/health");
    let health = wait_for("health ok", DEADLINE, || async {
        let v = get_json(&health_url).await;
        (v["status"] == "ok").then_some(v)
    })
    .await;
    assert_eq!(health["feed"]["state"], "live");
    assert_eq!(health["feed"]["broker"], "dhan");
    assert!(
        health["last_tick_age_s"].as_f64().is_some_and(|a| a < 5.0),
        "{health}"
    );
    // One serialization per tick, however many sessions listen (P3).
    assert_eq!(
        health["broadcast"]["serializations"],
        health["broadcast"]["ticks_in"]
    );

    let subs_url = stack.url("/api/subscriptions/active");
    let before = active_symbols(&get_json(&subs_url).await);
    for s in ["NIFTY", "SENSEX", "CRUDEOIL", "RELIANCE"] {
        assert!(
            before.iter().any(|(n, c)| n == s && *c == 1),
            "{s} in {before:?}"
        );
    }
    assert!(!before.iter().any(|(n, _)| n == "TCS"));

    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["TCS", "NIFTY"]}))
        .await;
    ws.next_of_type("subscribed", DEADLINE).await;
    let during = wait_for("client subscriptions counted", DEADLINE, || async {
        let s = active_symbols(&get_json(&subs_url).await);
        s.iter().any(|(n, c)| n == "NIFTY" && *c == 2).then_some(s)
    })
    .await;
    assert!(
        during.iter().any(|(n, c)| n == "TCS" && *c == 1),
        "{during:?}"
    );
    assert_eq!(
        get_json(&stack.url("/api/v2/subscriptions/active")).await["count"],
        during.len(),
        "the terminal's path serves the same list"
    );

    // Closing the client releases its references; the runtime's own stay.
    ws.close().await;
    wait_for("client subscriptions released", DEADLINE, || async {
        let s = active_symbols(&get_json(&subs_url).await);
        (!s.iter().any(|(n, _)| n == "TCS") && s.iter().any(|(n, c)| n == "NIFTY" && *c == 1))
            .then_some(())
    })
    .await;
    stack.stop().await;
}
