//! Bad client input gets a typed error and the connection stays usable.

use mandi_testkit::{start_stack, WsClient, DEADLINE};
use serde_json::json;

struct TestCase {
    name: &'static str,
    send: String,
    code: &'static str,
}

#[actix_rt::test]
async fn errors_keep_the_connection_open() {
    let stack = start_stack(&[("MANDI__BROADCAST__MAX_SYMBOLS_PER_CLIENT", "3")]).await;
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    let cases = [
        TestCase {
            name: "not json",
            send: "{nope".into(),
            code: "bad_json",
        },
        TestCase {
            name: "unknown action",
            send: json!({"action": "buy"}).to_string(),
            code: "bad_json",
        },
        TestCase {
            name: "bad mode",
            send: json!({"action": "subscribe", "symbols": ["NIFTY"], "mode": "depth"}).to_string(),
            code: "bad_json",
        },
        TestCase {
            name: "unknown symbol",
            send: json!({"action": "subscribe", "symbols": ["NOPE"]}).to_string(),
            code: "unknown_symbol",
        },
        TestCase {
            name: "too many",
            send: json!({"action": "subscribe", "symbols": ["A", "B", "C", "D"]}).to_string(),
            code: "too_many_symbols",
        },
        TestCase {
            name: "huge array",
            send: json!({"action": "subscribe", "symbols": vec!["X"; 10_000]}).to_string(),
            code: "too_many_symbols",
        },
    ];
    for c in cases {
        ws.send_text(&c.send).await;
        let err = ws.next_of_type("error", DEADLINE).await;
        assert_eq!(err["code"], c.code, "{}: {err}", c.name);
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            c.name
        );
    }
    // Still usable: a valid subscription streams.
    ws.send_json(&json!({"action": "subscribe", "symbols": ["NIFTY"]}))
        .await;
    let tick = ws.next_of_type("tick", DEADLINE).await;
    assert_eq!(tick["data"]["symbol"], "NIFTY");
    ws.close().await;
    stack.stop().await;
}
