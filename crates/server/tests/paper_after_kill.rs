//! `kill -9` with a paper position and a resting stop-loss order open: after a restart on
//! the same journal the position, the open order and the fills are exactly as before, and
//! the stop still fires when the option falls through its trigger. Runs the real binary.

use std::time::Duration;

use serde_json::{json, Value};

mod common;
use common::{free_port, get_json, request_json, start, wait_for};

const DEADLINE: Duration = Duration::from_secs(15);

/// The nearest-expiry NIFTY call two strikes out of the money (it always has a two-sided
/// quote in the simulator).
fn option_symbol(addr: &str) -> String {
    wait_for("a NIFTY option chain", DEADLINE, || {
        let chain = get_json(addr, "/api/option-chain?underlying=NIFTY&strikes=2")?;
        let rows = chain["rows"].as_array()?;
        rows.last()?["call"]["symbol"].as_str().map(str::to_string)
    })
}

fn post(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    request_json(addr, "POST", path, Some(body)).expect("an HTTP answer")
}

fn open_orders(addr: &str) -> Vec<Value> {
    get_json(addr, "/api/orders?status=open")
        .and_then(|v| v["orders"].as_array().cloned())
        .unwrap_or_default()
}

fn trades(addr: &str) -> Vec<Value> {
    get_json(addr, "/api/trades")
        .and_then(|v| v["trades"].as_array().cloned())
        .unwrap_or_default()
}

fn position(addr: &str, symbol: &str) -> Option<Value> {
    get_json(addr, "/api/positions")?["positions"]
        .as_array()?
        .iter()
        .find(|p| p["symbol"] == symbol)
        .cloned()
}

#[test]
fn a_position_and_its_stop_survive_kill_9_and_the_stop_still_fires() {
    let dir = std::env::temp_dir().join(format!("mandi-paper-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data_dir = dir.to_string_lossy().to_string();
    let sim_port = free_port().to_string();
    let env = [
        ("MANDI__STORE__DATA_DIR", data_dir.as_str()),
        ("MANDI__SIMULATOR__PORT", sim_port.as_str()),
        ("MANDI__SIMULATOR__TICK_INTERVAL_MS", "50"),
        // Only this test's orders in the account: no bot files.
        ("MANDI__STRATEGIES__DIR", ""),
    ];

    let (mut first, addr) = start(&env);
    let symbol = option_symbol(&addr);
    let (status, bought) = post(
        &addr,
        "/api/orders",
        &json!({"symbol": symbol, "side": "BUY", "lots": 1, "tag": "kill9-entry"}),
    );
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["order"]["status"], "filled", "{bought}");
    let entry = bought["fills"][0]["price"].as_f64().expect("a fill price");
    let trigger = ((entry * 0.5) * 20.0).round() / 20.0;
    let (status, stop) = post(
        &addr,
        "/api/orders",
        &json!({"symbol": symbol, "side": "SELL", "lots": 1, "type": "SL-M",
                "trigger_price": trigger, "tag": "kill9-stop"}),
    );
    assert_eq!(status, 201, "{stop}");
    let stop_id = stop["order"]["order_id"].clone();
    assert_eq!(open_orders(&addr).len(), 1);
    let before = position(&addr, &symbol).expect("an open position");
    let fills_before = trades(&addr);

    first.0.kill().expect("kill -9");
    first.0.wait().expect("reaped");

    let (_second, addr) = start(&env);
    let after = wait_for("the restored position", DEADLINE, || {
        position(&addr, &symbol)
    });
    for key in ["net_quantity", "avg_price", "realized_pnl", "charges"] {
        assert_eq!(after[key], before[key], "{key}: {after} vs {before}");
    }
    let open = open_orders(&addr);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["order_id"], stop_id);
    assert_eq!(open[0]["tag"], "kill9-stop");
    assert_eq!(trades(&addr), fills_before, "the journal's fills, exactly");

    // The option falls through the trigger: the restored stop sells at the bid.
    let bid = trigger - 1.0;
    let sim = format!("127.0.0.1:{sim_port}");
    let (status, pinned) = request_json(
        &sim,
        "POST",
        "/admin/quotes",
        Some(&json!({ symbol.as_str(): {"ltp": bid + 0.05, "bid": bid, "ask": bid + 0.1} })),
    )
    .expect("the simulator answers");
    assert_eq!(status, 200, "{pinned}");
    let exit = wait_for("the stop's fill", DEADLINE, || {
        let t = trades(&addr);
        (t.len() == fills_before.len() + 1).then(|| t[t.len() - 1].clone())
    });
    assert_eq!(exit["order_id"], stop_id);
    assert_eq!(exit["side"], "SELL");
    assert_eq!(exit["price"].as_f64(), Some(bid), "{exit}");
    let flat = wait_for("a flat position", DEADLINE, || {
        position(&addr, &symbol).filter(|p| p["net_quantity"] == 0)
    });
    assert!(open_orders(&addr).is_empty(), "{flat}");
    let _ = std::fs::remove_dir_all(&dir);
}
