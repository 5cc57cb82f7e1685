//! Five clients on five different symbols each receive ticks for theirs only.

use mandi_testkit::{start_stack, WsClient, DEADLINE};
use serde_json::json;

#[actix_rt::test]
async fn five_clients_get_only_their_symbols() {
    let stack = start_stack(&[]).await;
    let symbols = ["NIFTY", "SENSEX", "RELIANCE", "CRUDEOIL", "HDFCBANK"];
    let mut clients = Vec::new();
    for s in symbols {
        let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
        ws.send_json(&json!({"action": "subscribe", "symbols": [s], "mode": "ltp"}))
            .await;
        clients.push((s, ws));
    }
    for (symbol, ws) in clients.iter_mut() {
        for _ in 0..3 {
            let tick = ws.next_of_type("tick", DEADLINE).await;
            assert_eq!(
                tick["data"]["symbol"], *symbol,
                "client for {symbol} got {tick}"
            );
        }
        ws.send_json(&json!({"action": "ping"})).await;
        // Everything queued before the pong must still be this client's symbol.
        loop {
            let msg = ws.next_json(DEADLINE).await.expect("pong");
            match msg["type"].as_str() {
                Some("pong") => break,
                Some("tick") => assert_eq!(msg["data"]["symbol"], *symbol),
                Some("snapshot") => {
                    for t in msg["data"].as_array().into_iter().flatten() {
                        assert_eq!(t["symbol"], *symbol);
                    }
                }
                _ => {}
            }
        }
    }
    for (_, ws) in clients {
        ws.close().await;
    }
    stack.stop().await;
}
