//! `/api/quotes` shows a side of the book the feed did not send (an index has none) as
//! `null`, never as a bid or ask of `0.0`; an instrument streamed with depth keeps its
//! numbers.

use mandi_testkit::{get_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::json;

#[actix_rt::test]
async fn absent_depth_is_null_not_zero() {
    let stack = start_stack(&[("MANDI__STRATEGIES__DIR", "")]).await;
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["NIFTY", "RELIANCE"], "mode": "full"}))
        .await;
    let url = stack.url("/api/quotes?symbols=NIFTY,RELIANCE");
    let q = wait_for("both quoted, RELIANCE with a book", DEADLINE, || async {
        let q = get_json(&url).await;
        let nifty = q["quotes"]["NIFTY"]["ltp"].as_f64();
        let bid = q["quotes"]["RELIANCE"]["bid_price"].as_f64();
        (nifty > Some(0.0) && bid > Some(0.0)).then_some(q)
    })
    .await;
    let nifty = &q["quotes"]["NIFTY"];
    for key in ["bid_price", "ask_price", "bid_qty", "ask_qty"] {
        assert!(nifty[key].is_null(), "NIFTY {key} should be null: {nifty}");
    }
    let reliance = &q["quotes"]["RELIANCE"];
    assert!(
        reliance["ask_price"].as_f64() > reliance["bid_price"].as_f64(),
        "{reliance}"
    );
    assert!(reliance["bid_qty"].as_u64().is_some(), "{reliance}");
    ws.close().await;
    stack.stop().await;
}
