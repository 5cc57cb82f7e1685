//! The instrument master is loaded at start (from the embedded simulator, the same code
//! path as the broker's file): the option chain around the index's price is served, NSE and
//! BSE chains never mix, search finds contracts by their Dhan display name, and an option
//! picked from the chain streams ticks with a two-sided book once subscribed (full mode:
//! Dhan quote packets carry no depth).

use mandi_testkit::{get_json, request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::json;

#[actix_rt::test]
async fn option_chain_search_and_an_option_streaming() {
    let stack = start_stack(&[]).await;
    let chain_url = stack.url("/api/option-chain?underlying=NIFTY&strikes=2");
    // NIFTY is one of the runtime's own /prices symbols, so its price arrives by itself.
    let chain = wait_for("NIFTY chain with a price", DEADLINE, || async {
        let (status, body) = request_json("GET", &chain_url, None).await;
        (status == 200).then_some(body)
    })
    .await;
    let rows = chain["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 5, "ATM ± 2 strikes: {chain}");
    let atm = chain["atm_strike"].as_f64().expect("atm_strike");
    let price = chain["underlying_price"].as_f64().expect("price");
    assert!(
        (atm - price).abs() <= 25.0,
        "ATM {atm} is the strike nearest {price}"
    );
    let call = &rows[2]["call"];
    assert_eq!(rows[2]["strike"].as_f64(), Some(atm));
    assert_eq!(call["derivative"]["option_type"], "CE", "{call}");
    assert_eq!(call["exchange"], "NSE");
    let symbol = call["symbol"].as_str().expect("call symbol").to_string();

    let (status, body) = request_json(
        "GET",
        &stack.url("/api/option-chain?underlying=SENSEX"),
        None,
    )
    .await;
    assert_eq!(status, 400, "SENSEX options are not NSE's: {body}");
    let (status, bse) = request_json(
        "GET",
        &stack.url(&format!(
            "/api/option-chain?underlying=SENSEX&exchange=BSE&price={}",
            83858.5
        )),
        None,
    )
    .await;
    assert_eq!(status, 200, "{bse}");
    assert!(bse["rows"]
        .as_array()
        .is_some_and(|r| r.iter().all(|row| row["call"]["exchange"] == "BSE")));

    let found = get_json(&stack.url("/api/instruments/search?q=NIFTY&limit=5")).await;
    assert!(found["count"].as_u64() >= Some(1), "{found}");

    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": [symbol], "mode": "full"}))
        .await;
    let tick = ws.next_of_type("tick", DEADLINE).await;
    let data = &tick["data"];
    assert_eq!(data["symbol"], symbol.as_str());
    let (bid, ask) = (
        data["bid"].as_f64().unwrap_or(0.0),
        data["ask"].as_f64().unwrap_or(0.0),
    );
    assert!(data["ltp"].as_f64() > Some(0.0), "{tick}");
    assert!(bid > 0.0 && ask > bid, "a two-sided book: {tick}");
    ws.close().await;
    stack.stop().await;
}
