//! Instrument states are announced on a change, so a client that subscribes to a symbol
//! another client already watches is told its current state straight away instead of
//! waiting for a change that may never come (here: every exchange on holiday, `closed`
//! all day).

use chrono::Utc;
use mandi_domain::time::IST;
use mandi_testkit::{start_stack, WsClient, DEADLINE};
use serde_json::json;

#[actix_rt::test]
async fn a_later_subscriber_hears_the_current_instrument_state() {
    let today = Utc::now().with_timezone(&IST).date_naive().to_string();
    let stack = start_stack(&[
        ("MANDI__MARKET__ALWAYS_OPEN", "false"),
        ("MANDI__MARKET__HOLIDAYS__NSE", &today),
        ("MANDI__MARKET__HOLIDAYS__BSE", &today),
        ("MANDI__MARKET__HOLIDAYS__MCX", &today),
    ])
    .await;
    let subscribe = json!({"action": "subscribe", "symbols": ["RELIANCE"]});
    let mut first = WsClient::connect(&stack.ws_url("/ws")).await;
    first.send_json(&subscribe).await;
    let status = first.next_of_type("instrument_status", DEADLINE).await;
    assert_eq!(status["data"]["state"], "closed", "first client: {status}");

    for n in 2..=3 {
        let mut later = WsClient::connect(&stack.ws_url("/ws")).await;
        later.send_json(&subscribe).await;
        let status = later.next_of_type("instrument_status", DEADLINE).await;
        assert_eq!(status["data"]["symbol"], "RELIANCE", "client {n}: {status}");
        assert_eq!(status["data"]["state"], "closed", "client {n}: {status}");
        later.close().await;
    }
    first.close().await;
    stack.stop().await;
}
