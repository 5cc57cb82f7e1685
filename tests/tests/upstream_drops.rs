//! The upstream dropped 20 times in a row (abrupt close, no close frame): after each drop the
//! runtime reconnects, the simulator carries exactly the set it carried before — no
//! duplicates — and the browser client, which never disconnects, gets fresh ticks within 2 s
//! of the new connection.

use std::time::Duration;

use chrono::Utc;
use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack, wait_for, WsClient, DEADLINE,
};
use serde_json::{json, Value};

const DROPS: u64 = 20;

fn connections(counters: &Value) -> Vec<Value> {
    sim_connections(counters, "dhan")
}

async fn post(url: &str) {
    let (status, _) = request_json("POST", url, None).await;
    assert!((200..300).contains(&status), "POST {url}: {status}");
}

#[actix_rt::test]
async fn twenty_drops_keep_the_subscription_set() {
    let stack = start_stack(&[("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100")]).await;
    let sim = stack
        .app
        .simulator
        .as_ref()
        .expect("embedded simulator")
        .rest_url();
    let counters_url = format!("{sim}/admin/counters");
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["TCS", "HDFCBANK"], "mode": "full"}))
        .await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["BANKNIFTY"], "mode": "quote"}))
        .await;
    let baseline = wait_for("the client's symbols upstream", DEADLINE, || async {
        let c = get_json(&counters_url).await;
        let conns = connections(&c);
        let text = conns.first().map(Value::to_string).unwrap_or_default();
        (conns.len() == 1
            && ["11536", "1333", "\"IDX_I\",25"]
                .iter()
                .all(|k| text.contains(k)))
        .then_some(c)
    })
    .await;
    let expected = connections(&baseline)[0].clone();
    let duplicates = baseline["dhan"]["duplicate_subscribes"].clone();

    for drop in 1..=DROPS {
        let total = get_json(&counters_url).await["dhan"]["connections_total"]
            .as_u64()
            .expect("connections_total");
        post(&format!("{sim}/admin/drop")).await;
        let reconnected = wait_for(
            &format!("reconnect and replay after drop {drop}"),
            DEADLINE,
            || async {
                let c = get_json(&counters_url).await;
                let conns = connections(&c);
                let now_total = c["dhan"]["connections_total"].as_u64().unwrap_or(0);
                (now_total > total && conns.len() == 1 && conns[0] == expected)
                    .then_some(Utc::now())
            },
        )
        .await;
        // A tick stamped after the new connection was seen reaches the client within 2 s.
        ws.tick_after(reconnected, Duration::from_secs(2)).await;
    }
    let last = get_json(&counters_url).await;
    assert_eq!(
        last["dhan"]["duplicate_subscribes"], duplicates,
        "no subscription sent twice"
    );
    assert!(last["dhan"]["connections_total"].as_u64() >= Some(DROPS + 1));
    assert_eq!(
        last["dhan"]["connections_open"], 1,
        "never more than one upstream connection"
    );
    ws.close().await;
    stack.stop().await;
}
