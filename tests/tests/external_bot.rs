//! An external bot trades the paper account over HTTP and hears about it on the client
//! socket: a market order is filled at the ask and its `order_update`, `fill` and
//! `position_update` arrive on `/ws`; a resting limit is listed and cancelled; a bad body
//! is a 400 that names the problem and the account is untouched; the held option's quote
//! is served in a Dhan bot's tick keys.

use mandi_testkit::{get_json, request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::{json, Value};

/// A NIFTY call of the nearest expiry, near the money.
async fn option(url: &str) -> String {
    let chain = get_json(url).await;
    chain["rows"][0]["call"]["symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("a call in {chain}"))
        .to_string()
}

#[actix_rt::test]
async fn an_external_order_is_filled_listed_and_pushed_on_the_socket() {
    let stack = start_stack(&[("MANDI__STRATEGIES__DIR", "")]).await;
    wait_for("a NIFTY price for the chain", DEADLINE, || async {
        get_json(&stack.url("/prices")).await["NIFTY"].as_f64()
    })
    .await;
    let symbol = option(&stack.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.next_of_type("connection_status", DEADLINE).await;

    let (status, placed) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 2, "tag": "my-bot-1"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["order"]["order_id"].clone();
    let fill = placed["fills"][0].clone();
    assert_eq!(placed["order"]["status"], "filled", "{placed}");

    // The socket carries the same order, fill and position.
    let update = ws.next_of_type("order_update", DEADLINE).await;
    assert_eq!(update["data"]["order_id"], order_id, "{update}");
    let pushed = ws.next_of_type("fill", DEADLINE).await;
    assert_eq!(
        pushed["data"], fill,
        "the socket's fill is the HTTP answer's"
    );
    let position = ws.next_of_type("position_update", DEADLINE).await;
    let lot = fill["quantity"].as_i64().unwrap_or_default() / 2;
    assert_eq!(position["data"]["net_quantity"], 2 * lot, "{position}");

    let orders = get_json(&stack.url("/api/orders")).await;
    assert_eq!(orders["orders"][0]["tag"], "my-bot-1", "{orders}");
    let trades = get_json(&stack.url("/api/trades")).await;
    assert_eq!(trades["trades"], json!([fill]));
    let positions = get_json(&stack.url("/api/positions")).await;
    assert_eq!(positions["summary"]["open_positions"], 1, "{positions}");

    // A limit far below the market rests; it is listed open, then cancelled.
    let (status, resting) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 1, "type": "LIMIT", "price": 0.05})),
    )
    .await;
    assert_eq!(status, 201, "{resting}");
    assert_eq!(resting["order"]["status"], "open", "{resting}");
    let id = resting["order"]["order_id"].as_u64().unwrap_or_default();
    let open = get_json(&stack.url("/api/orders?status=open")).await;
    assert_eq!(open["orders"].as_array().map(Vec::len), Some(1), "{open}");
    let (status, cancelled) =
        request_json("DELETE", &stack.url(&format!("/api/orders/{id}")), None).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["order"]["status"], "cancelled", "{cancelled}");
    let (status, again) =
        request_json("DELETE", &stack.url(&format!("/api/orders/{id}")), None).await;
    assert!(status >= 400, "a second cancel is refused: {again}");

    // Bad bodies: a clear 400 each, nothing placed.
    let bad: [Value; 3] = [
        json!({"symbol": symbol, "side": "HOLD", "lots": 1}),
        json!({"symbol": symbol, "side": "BUY", "lots": 1, "type": "LIMIT"}),
        json!({"symbol": symbol, "side": "BUY", "lots": 1, "colour": "red"}),
    ];
    for body in &bad {
        let (status, err) = request_json("POST", &stack.url("/api/orders"), Some(body)).await;
        assert_eq!(status, 400, "{body} → {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{err}"
        );
    }
    let (status, unknown) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": "NOPE", "side": "BUY", "lots": 1})),
    )
    .await;
    assert_eq!(status, 400, "{unknown}");
    let orders = get_json(&stack.url("/api/orders")).await;
    assert_eq!(
        orders["orders"].as_array().map(Vec::len),
        Some(2),
        "{orders}"
    );

    // The held option's last tick in a Dhan bot's keys, from the runtime, not the broker.
    let (status, q) = request_json(
        "GET",
        &stack.url(&format!("/api/quotes?symbols={symbol},NIFTY,NOPE")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{q}");
    let held = &q["quotes"][symbol.as_str()];
    for key in [
        "ltp",
        "bid_price",
        "ask_price",
        "bid_qty",
        "ask_qty",
        "volume",
        "oi",
        "last_update",
        "security_id",
    ] {
        assert!(!held[key].is_null(), "{key} in {held}");
    }
    assert!(
        held["ask_price"].as_f64() > held["bid_price"].as_f64(),
        "{held}"
    );
    assert!(q["quotes"]["NIFTY"]["ltp"].as_f64() > Some(0.0), "{q}");
    assert_eq!(q["unknown"], json!(["NOPE"]), "{q}");
    let (status, _) = request_json("GET", &stack.url("/api/quotes?symbols="), None).await;
    assert_eq!(status, 400);
    ws.close().await;
    stack.stop().await;
}
