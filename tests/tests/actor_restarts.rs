//! Every long-lived actor crashed on purpose — by stopping and by panicking inside a
//! handler — while ticks flow: supervision restarts it, `/health` counts the restart, the
//! browser client stays connected and keeps getting fresh ticks, and the simulator still
//! carries exactly the subscription set it carried before, with no duplicate subscribes.

use std::time::Duration;

use chrono::Utc;
use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack, wait_for, WsClient, DEADLINE,
};
use serde_json::{json, Value};

const ACTORS: [&str; 7] = [
    "market_clock",
    "subscription_registry",
    "price_store",
    "broadcaster",
    "auth_manager",
    "instrument_directory",
    "feed_connection",
];

fn restarts(health: &Value, actor: &str) -> u64 {
    health["actors"][actor]["restarts"]
        .as_u64()
        .unwrap_or_else(|| panic!("/health has no restart count for {actor}: {health}"))
}

#[actix_rt::test]
async fn crashed_actors_restart_without_losing_clients_or_subscriptions() {
    let stack = start_stack(&[("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100")]).await;
    let sim = stack
        .app
        .simulator
        .as_ref()
        .expect("embedded simulator")
        .rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let health_url = stack.url("/health");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["TCS", "RELIANCE"], "mode": "full"}))
        .await;
    let expected = wait_for("the client's symbols upstream", DEADLINE, || async {
        let c = get_json(&counters_url).await;
        let conns = sim_connections(&c, "dhan");
        let text = conns.first().map(Value::to_string).unwrap_or_default();
        (conns.len() == 1 && text.contains("11536") && text.contains("2885"))
            .then(|| conns[0].clone())
    })
    .await;
    let duplicates = get_json(&counters_url).await["dhan"]["duplicate_subscribes"].clone();

    for actor in ACTORS {
        for kind in ["stop", "panic"] {
            let before = restarts(&get_json(&health_url).await, actor);
            let (status, body) = request_json(
                "POST",
                &stack.url(&format!("/api/admin/crash/{actor}?kind={kind}")),
                None,
            )
            .await;
            assert_eq!(status, 202, "crash {actor} ({kind}): {body}");
            wait_for(
                &format!("{actor} restarted after {kind}"),
                DEADLINE,
                || async { (restarts(&get_json(&health_url).await, actor) > before).then_some(()) },
            )
            .await;
            // The set upstream is intact (the feed's own restart reconnects and replays).
            let restarted_at = wait_for(
                &format!("subscriptions intact after {actor} {kind}"),
                DEADLINE,
                || async {
                    let c = get_json(&counters_url).await;
                    let conns = sim_connections(&c, "dhan");
                    (conns.len() == 1 && conns[0] == expected).then(Utc::now)
                },
            )
            .await;
            // The same client, never reconnected, gets ticks stamped after the restart.
            ws.tick_after(restarted_at, Duration::from_secs(5)).await;
        }
    }
    let health = get_json(&health_url).await;
    assert_eq!(health["clients"], 1, "the browser client never dropped");
    for actor in ACTORS {
        assert!(restarts(&health, actor) >= 2, "{actor}: {health}");
        assert!(
            health["actors"][actor]["panics"].as_u64() >= Some(1),
            "{actor}"
        );
    }
    let last = get_json(&counters_url).await;
    assert_eq!(
        last["dhan"]["duplicate_subscribes"], duplicates,
        "no subscription sent twice"
    );
    assert_eq!(last["dhan"]["connections_open"], 1);
    ws.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn crash_drills_name_the_actors_and_refuse_unknown_ones() {
    let stack = start_stack(&[]).await;
    let (status, body) = request_json("POST", &stack.url("/api/admin/crash/nobody"), None).await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("price_store"),
        "{body}"
    );
    let (status, _) = request_json(
        "POST",
        &stack.url("/api/admin/crash/price_store?kind=melt"),
        None,
    )
    .await;
    assert_eq!(status, 400, "an unknown kind is refused");
    stack.stop().await;
}
