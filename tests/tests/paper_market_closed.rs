//! A paper order outside its instrument's exchange session is rejected `market_closed`
//! (HTTP 422, booked as a rejected order), per exchange: at 16:00 IST NSE has closed but
//! MCX still trades, so RELIANCE is refused while CRUDEOIL fills. `market.always_open`
//! is off here (the simulator turns it on by default).

use chrono::{DateTime, Utc};
use mandi_testkit::{
    get_json, request_json, start_stack_at, wait_for, ManualClock, Stack, WsClient, DEADLINE,
};
use mandi_tests::ist;
use serde_json::{json, Value};

/// A Monday (a trading day on every exchange).
async fn buy(stack: &Stack, symbol: &str) -> (u16, Value) {
    request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 1})),
    )
    .await
}

/// Moves the clock and waits until `symbol` has a two-sided quote received a second after
/// that (twenty simulator steps), so the paper account prices off the new time.
async fn move_clock(stack: &Stack, clock: &ManualClock, to: DateTime<Utc>, symbol: &str) {
    clock.set(to);
    let after = Utc::now() + chrono::Duration::seconds(1);
    let url = stack.url(&format!("/api/quotes?symbols={symbol}"));
    wait_for(&format!("a fresh {symbol} quote"), DEADLINE, || async {
        let q = get_json(&url).await;
        let quote = &q["quotes"][symbol];
        let at: DateTime<Utc> = quote["last_update"].as_str()?.parse().ok()?;
        (at >= after && quote["bid_price"].as_f64() > Some(0.0)).then_some(())
    })
    .await;
}

#[actix_rt::test]
async fn orders_outside_the_exchange_session_are_rejected_market_closed() {
    let clock = ManualClock::new(ist(10, 0));
    let stack = start_stack_at(
        &[
            ("MANDI__STRATEGIES__DIR", ""),
            ("MANDI__MARKET__ALWAYS_OPEN", "false"),
        ],
        &clock,
    )
    .await;
    // Full mode, so both carry a book to fill against.
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(
        &json!({"action": "subscribe", "symbols": ["RELIANCE", "CRUDEOIL"], "mode": "full"}),
    )
    .await;
    move_clock(&stack, &clock, ist(10, 0), "RELIANCE").await;
    let (status, open) = buy(&stack, "RELIANCE").await;
    assert_eq!(status, 201, "NSE is open at 10:00: {open}");

    move_clock(&stack, &clock, ist(16, 0), "CRUDEOIL").await;
    let (status, closed) = buy(&stack, "RELIANCE").await;
    assert_eq!(status, 422, "NSE closed at 15:30: {closed}");
    assert_eq!(closed["order"]["status"], "rejected", "{closed}");
    let reason = &closed["order"]["reject_reason"];
    assert_eq!(reason["code"], "market_closed", "{closed}");
    assert_eq!(reason["exchange"], "NSE", "{closed}");
    assert!(
        closed["fills"].as_array().is_none_or(Vec::is_empty),
        "{closed}"
    );

    let (status, mcx) = buy(&stack, "CRUDEOIL").await;
    assert_eq!(status, 201, "MCX trades until late evening: {mcx}");
    assert_eq!(mcx["order"]["status"], "filled", "{mcx}");

    let positions = get_json(&stack.url("/api/positions")).await;
    let text = positions.to_string();
    assert!(text.contains("CRUDEOIL"), "{positions}");
    ws.close().await;
    stack.stop().await;
}
