//! With the embedded simulator off and `master.source` empty, the broker's official master
//! is the source: `/health` names it (provider `broker`), an unreachable one costs one
//! warning while the configured instruments stream on, and a bot that trades options says
//! in `/api/bots` why it cannot pick a contract. When the file can be had, it is
//! downloaded, cached in the data directory, and the same bot resolves.
//!
//! Nothing here touches the internet: `master.broker_url` (a mirror of the broker's file)
//! points at a closed loopback port, or at a separately started simulator's master.

use std::net::TcpListener;

use mandi_server::{app, config};
use mandi_testkit::{get_json, start_stack, wait_for, Stack, WsClient, DEADLINE};
use serde_json::{json, Value};

const BOT: &str = "name = \"orb\"\nunderlying = \"NIFTY\"\n";

/// A loopback URL nothing listens on: the download is refused at once.
fn closed_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    format!("http://127.0.0.1:{port}/api-data/api-scrip-master.csv")
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mandi-master-default-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("strategies")).expect("scratch dir");
    std::fs::write(dir.join("strategies").join("orb.toml"), BOT).expect("bot file");
    dir
}

async fn orb(stack: &Stack) -> Option<Value> {
    let bots = get_json(&stack.url("/api/bots")).await;
    bots["bots"]
        .as_array()?
        .iter()
        .find(|b| b["name"] == "orb")
        .cloned()
}

/// A separately started simulator standing in for the broker, with its credentials.
fn external_simulator() -> mandi_simulator::SimulatorHandle {
    let cfg = config::load(None, Vec::new()).expect("default config");
    // This test binary is the only user of these variables.
    std::env::set_var("DHAN_CLIENT_ID", app::SIM_DHAN_CLIENT_ID);
    std::env::set_var("DHAN_ACCESS_TOKEN", app::SIM_DHAN_TOKEN);
    mandi_simulator::start(
        app::sim_settings(&cfg),
        TcpListener::bind("127.0.0.1:0").expect("bind"),
    )
    .expect("simulator starts")
}

#[actix_rt::test]
async fn an_unreachable_broker_master_warns_and_the_configured_instruments_stream() {
    let sim = external_simulator();
    let dir = scratch("offline");
    let (ws_url, rest_url) = (sim.ws_url(), sim.rest_url());
    let broker_url = closed_url();
    let bots = dir.join("strategies").display().to_string();
    let stack = start_stack(&[
        ("MANDI__SIMULATOR__ENABLED", "false"),
        ("MANDI__UPSTREAM__WS_URL", &ws_url),
        ("MANDI__UPSTREAM__REST_URL", &rest_url),
        ("MANDI__MASTER__BROKER_URL", &broker_url),
        ("MANDI__STRATEGIES__DIR", &bots),
    ])
    .await;

    let health = get_json(&stack.url("/health")).await;
    let master = &health["master"];
    assert_eq!(master["provider"], "broker", "{master}");
    assert_eq!(master["kind"], "dhan", "{master}");
    assert_eq!(master["source"], broker_url.as_str(), "{master}");
    assert!(master["loaded_at"].is_null(), "nothing loaded: {master}");
    assert!(master["last_error"].is_string(), "and why: {master}");

    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["NIFTY"], "mode": "quote"}))
        .await;
    let tick = ws.next_of_type("tick", DEADLINE).await;
    assert_eq!(tick["data"]["symbol"], "NIFTY", "{tick}");

    let bot = wait_for("the bot listed", DEADLINE, || orb(&stack)).await;
    let why = bot["unresolved"].as_str().unwrap_or_default();
    assert!(why.contains("no NIFTY options"), "{bot}");
    ws.close().await;
    stack.stop().await;
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_rt::test]
async fn a_reachable_broker_master_is_downloaded_cached_and_resolves_the_bot() {
    let sim = external_simulator();
    let dir = scratch("online");
    let (ws_url, rest_url) = (sim.ws_url(), sim.rest_url());
    // The simulator serves the broker's file at the broker's path: a mirror of it.
    let broker_url = format!("{rest_url}/api-data/api-scrip-master.csv");
    let bots = dir.join("strategies").display().to_string();
    let data = dir.join("data").display().to_string();
    let stack = start_stack(&[
        ("MANDI__SIMULATOR__ENABLED", "false"),
        ("MANDI__UPSTREAM__WS_URL", &ws_url),
        ("MANDI__UPSTREAM__REST_URL", &rest_url),
        ("MANDI__MASTER__BROKER_URL", &broker_url),
        ("MANDI__STRATEGIES__DIR", &bots),
        ("MANDI__STORE__DATA_DIR", &data),
    ])
    .await;

    let health = get_json(&stack.url("/health")).await;
    let master = &health["master"];
    assert_eq!(master["provider"], "broker", "{master}");
    assert!(master["loaded_at"].is_string(), "loaded at start: {master}");
    assert!(master["accepted"].as_u64() > Some(100), "{master}");
    assert!(
        dir.join("data").join("dhan-master.csv").is_file(),
        "cached in store.data_dir"
    );
    let bot = wait_for("the bot listed", DEADLINE, || orb(&stack)).await;
    assert!(bot["unresolved"].is_null(), "{bot}");
    stack.stop().await;
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
