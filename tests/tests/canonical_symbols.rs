//! One symbol per contract: an option bought while the broker is Dhan is still held under
//! the same symbol after mandi restarts on Kite with the same data directory, and closes
//! there; the broker's own trading symbol is an alias that search and orders accept.

use mandi_testkit::{get_json, request_json, start_stack, wait_for, Stack, DEADLINE};
use serde_json::{json, Value};

async fn start(broker: &str, data: &str) -> Stack {
    let stack = start_stack(&[
        ("MANDI__STRATEGIES__DIR", ""),
        ("MANDI__UPSTREAM__BROKER", broker),
        ("MANDI__STORE__DATA_DIR", data),
    ])
    .await;
    wait_for(
        &format!("a NIFTY price under {broker}"),
        DEADLINE,
        || async { get_json(&stack.url("/prices")).await["NIFTY"].as_f64() },
    )
    .await;
    stack
}

/// The open quantity of `symbol` in the paper account, 0 when flat or absent.
async fn held(stack: &Stack, symbol: &str) -> i64 {
    let report = get_json(&stack.url("/api/positions")).await;
    report["positions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["symbol"] == symbol)
        .and_then(|p| p["net_quantity"].as_i64())
        .unwrap_or(0)
}

/// The search hit for `query` whose canonical symbol is `symbol`.
async fn hit(stack: &Stack, query: &str, symbol: &str) -> Value {
    let found = get_json(&stack.url(&format!("/api/instruments/search?q={query}&limit=50"))).await;
    found["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["symbol"] == symbol)
        .cloned()
        .unwrap_or_else(|| panic!("{symbol} among the hits for {query}: {found}"))
}

async fn order(stack: &Stack, symbol: &str, side: &str) -> Value {
    let body = json!({"symbol": symbol, "side": side, "lots": 1, "tag": "canonical"});
    let (status, placed) = request_json("POST", &stack.url("/api/orders"), Some(&body)).await;
    assert_eq!(status, 201, "{side} {symbol}: {placed}");
    placed
}

#[actix_rt::test]
async fn a_position_opened_under_dhan_is_held_and_closed_under_kite() {
    let dir = std::env::temp_dir().join(format!("mandi-canonical-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data").to_string_lossy().to_string();

    let dhan = start("dhan", &data).await;
    let chain = get_json(&dhan.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    let symbol = chain["rows"][0]["call"]["symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("a call in {chain}"))
        .to_string();
    let dhan_name = hit(&dhan, &symbol, &symbol).await["broker_symbol"].clone();
    let bought = order(&dhan, &symbol, "BUY").await;
    assert_eq!(bought["fills"][0]["symbol"], symbol.as_str(), "{bought}");
    let quantity = held(&dhan, &symbol).await;
    assert!(quantity > 0, "{symbol} held under Dhan");
    dhan.stop().await;

    let kite = start("kite", &data).await;
    assert_eq!(
        held(&kite, &symbol).await,
        quantity,
        "the same position under Kite"
    );
    let chain = get_json(&kite.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    assert!(
        chain["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["call"]["symbol"] == symbol.as_str()),
        "Kite's chain names {symbol} alike: {chain}"
    );
    // Kite spells it its own way; that name finds the contract and can close it.
    let underlying = symbol.split('-').next().unwrap_or_default();
    let kite_name = hit(&kite, &symbol, &symbol).await["broker_symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("a Kite tradingsymbol for {symbol}"))
        .to_string();
    assert!(
        kite_name.starts_with(underlying) && !kite_name.contains('-'),
        "a Kite tradingsymbol: {kite_name} (Dhan's was {dhan_name})"
    );
    hit(&kite, &kite_name, &symbol).await;
    let sold = order(&kite, &kite_name, "SELL").await;
    assert_eq!(sold["fills"][0]["symbol"], symbol.as_str(), "{sold}");
    assert_eq!(held(&kite, &symbol).await, 0, "closed under Kite");
    let fills = get_json(&kite.url("/api/trades")).await;
    let symbols: Vec<&str> = fills["trades"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["symbol"].as_str())
        .collect();
    assert_eq!(
        symbols,
        [symbol.as_str(), symbol.as_str()],
        "one name in the journal"
    );
    kite.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
