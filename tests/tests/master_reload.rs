//! A master reload reaches every running actor at once: a contract missing from the first
//! master is unknown to search, the socket and the paper account; after the file gains it
//! and `POST /api/admin/master/reload` swaps the index, the same running stack subscribes
//! it, streams its ticks (the feed maps its security id through the new index) and fills a
//! paper order on it. A refused file keeps the index in use, and `/health` says why. A
//! Kite reload downloads with the token adopted after start.

use std::fs;

use mandi_testkit::{get_json, request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::json;

/// The embedded simulator's Dhan master, as the broker would serve it.
async fn simulator_master(rest_url: &str) -> String {
    let url = format!("{rest_url}/api-data/api-scrip-master.csv");
    let mut resp = awc::Client::new()
        .get(&url)
        .timeout(DEADLINE)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let body = resp.body().limit(64 << 20).await.expect("master body");
    String::from_utf8(body.to_vec()).expect("UTF-8 master")
}

async fn reload(stack: &mandi_testkit::Stack) -> (u16, serde_json::Value) {
    request_json("POST", &stack.url("/api/admin/master/reload"), None).await
}

#[actix_rt::test]
async fn a_reloaded_master_reaches_search_socket_feed_and_paper_account() {
    let dir = std::env::temp_dir().join(format!("mandi-master-reload-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join("dhan-master.csv");
    let _ = fs::remove_file(&path);
    let stack = start_stack(&[
        ("MANDI__MASTER__SOURCE", path.to_str().expect("UTF-8 path")),
        ("MANDI__STRATEGIES__DIR", ""),
    ])
    .await;

    // The file is not there yet: configured instruments only, and /health says why.
    let health = get_json(&stack.url("/health")).await;
    let master = &health["master"];
    assert_eq!(master["kind"], "dhan", "{master}");
    assert!(master["loaded_at"].is_null(), "{master}");
    assert!(
        master["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot open")),
        "{master}"
    );

    let full = simulator_master(&stack.app.simulator.as_ref().expect("simulator").rest_url()).await;
    // One NIFTY call, left out of the first file.
    let row = full
        .lines()
        .find(|l| l.contains(",NIFTY-") && l.contains("-CE,"))
        .expect("a NIFTY call in the simulator's master")
        .to_string();
    let symbol = row
        .split(',')
        .find(|f| f.starts_with("NIFTY-") && f.ends_with("-CE"))
        .expect("trading symbol")
        .to_string();
    let without: String = full
        .lines()
        .filter(|l| *l != row)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&path, without).expect("write the first master");
    let (status, body) = reload(&stack).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["report"]["master"]["accepted"].as_u64() > Some(100),
        "{body}"
    );
    let search_url = stack.url(&format!("/api/instruments/search?q={symbol}&limit=5"));
    let found = get_json(&search_url).await;
    assert!(
        !found["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|i| i["symbol"] == symbol.as_str())),
        "{symbol} is not in the first master: {found}"
    );
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": [symbol], "mode": "quote"}))
        .await;
    let refused = ws.next_of_type("error", DEADLINE).await;
    assert_eq!(refused["code"], "unknown_symbol", "{refused}");
    let (status, order) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 1})),
    )
    .await;
    assert!(
        status >= 400,
        "no paper order on an unknown contract: {order}"
    );

    // The broker lists it: reload, and the same running actors know it.
    fs::write(&path, &full).expect("write the full master");
    let (status, body) = reload(&stack).await;
    assert_eq!(status, 200, "{body}");
    let found = get_json(&search_url).await;
    assert!(
        found["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|i| i["symbol"] == symbol.as_str())),
        "{symbol} found after the reload: {found}"
    );
    // Full mode: Dhan quote packets carry no book, and a paper fill needs both sides.
    ws.send_json(&json!({"action": "subscribe", "symbols": [symbol], "mode": "full"}))
        .await;
    ws.next_of_type("subscribed", DEADLINE).await;
    let tick = ws
        .next_matching("a two-sided tick of the new contract", DEADLINE, |m| {
            m["type"] == "tick"
                && m["data"]["symbol"] == symbol.as_str()
                && m["data"]["bid"].as_f64() > Some(0.0)
        })
        .await;
    assert!(tick["data"]["ltp"].as_f64() > Some(0.0), "{tick}");
    let (status, placed) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 1})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["order"]["status"], "filled", "{placed}");

    // A refused file (no header the loader knows) keeps the index that works.
    fs::write(&path, "not,a,master\n1,2,3\n").expect("write a bad master");
    let (status, body) = reload(&stack).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "reload_failed", "{body}");
    assert!(
        get_json(&search_url).await["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|i| i["symbol"] == symbol.as_str())),
        "the previous index is still in use"
    );
    let master = wait_for("the failure in /health", DEADLINE, || async {
        let h = get_json(&stack.url("/health")).await;
        let m = h["master"].clone();
        (m["last_error"].is_string() && m["loaded_at"].is_string()).then_some(m)
    })
    .await;
    assert_eq!(master["origin"]["kind"], "file", "{master}");

    ws.close().await;
    stack.stop().await;
    let _ = fs::remove_dir_all(dir);
}

/// Kite serves its instruments dump only to a logged-in client: a reload after the day's
/// token expired fails (the index in use stays), and once a new token is adopted the
/// next reload downloads with it, without a restart.
#[actix_rt::test]
async fn a_kite_reload_uses_the_token_adopted_after_start() {
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BROKER", "kite"),
        ("MANDI__STRATEGIES__DIR", ""),
    ])
    .await;
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(health["master"]["origin"]["kind"], "downloaded", "{health}");
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let (status, faults) = request_json(
        "POST",
        &format!("{sim}/admin/faults"),
        Some(&json!({"expire_token_at": "2020-01-01T00:00:00Z", "accept_token": "tok-2"})),
    )
    .await;
    assert_eq!(status, 200, "{faults}");

    let (status, body) = reload(&stack).await;
    assert_eq!(status, 502, "the expired token is refused: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("403")),
        "{body}"
    );
    let chain = stack.url("/api/option-chain?underlying=NIFTY&strikes=1&price=24000");
    let (status, _) = request_json("GET", &chain, None).await;
    assert_eq!(status, 200, "the index in use still serves chains");

    let (status, body) = request_json(
        "POST",
        &stack.url("/api/auth/token"),
        Some(&json!({"access_token": "tok-2"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = reload(&stack).await;
    assert_eq!(status, 200, "downloaded with the new token: {body}");
    assert_eq!(body["master"]["origin"]["kind"], "downloaded", "{body}");
    stack.stop().await;
}
