//! With the embedded simulator off, the runtime connects to whatever endpoint
//! `upstream.ws_url` / `upstream.rest_url` name — here a separately started simulator —
//! with credentials from the environment, exactly as it would to the real broker.

use std::net::TcpListener;

use mandi_server::{app, config};
use mandi_testkit::{get_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::json;

#[actix_rt::test]
async fn runtime_uses_configured_upstream_and_env_credentials() {
    let cfg = config::load(None, Vec::new()).expect("default config");
    let sim = mandi_simulator::start(
        app::sim_settings(&cfg),
        TcpListener::bind("127.0.0.1:0").expect("bind"),
    )
    .expect("simulator starts");
    // This test binary is the only user of these variables.
    std::env::set_var("DHAN_CLIENT_ID", app::SIM_DHAN_CLIENT_ID);
    std::env::set_var("DHAN_ACCESS_TOKEN", app::SIM_DHAN_TOKEN);
    let (ws_url, rest_url) = (sim.ws_url(), sim.rest_url());
    let stack = start_stack(&[
        ("MANDI__SIMULATOR__ENABLED", "false"),
        ("MANDI__UPSTREAM__WS_URL", &ws_url),
        ("MANDI__UPSTREAM__REST_URL", &rest_url),
        // With the simulator off the broker's master is the default; keep the internet
        // out of it (a closed loopback port: one warning, configured instruments only).
        (
            "MANDI__MASTER__BROKER_URL",
            "http://127.0.0.1:9/api-scrip-master.csv",
        ),
    ])
    .await;
    assert!(stack.app.simulator.is_none(), "no embedded simulator");

    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["TCS"], "mode": "full"}))
        .await;
    let tick = ws.next_of_type("tick", DEADLINE).await;
    assert_eq!(tick["data"]["symbol"], "TCS");

    // The external simulator saw our connection and carries TCS among its subscriptions.
    let counters_url = format!("{rest_url}/admin/counters");
    let counters = wait_for(
        "TCS subscribed at the external simulator",
        DEADLINE,
        || async {
            let c = get_json(&counters_url).await;
            c.to_string().contains("11536").then_some(c)
        },
    )
    .await;
    assert!(counters.to_string().contains("NSE_EQ"), "{counters}");
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(health["feed"]["state"], "live");
    ws.close().await;
    stack.stop().await;
    sim.stop().await;
}
