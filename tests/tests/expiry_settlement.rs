//! Expiry: an option still held when its expiry's session closes is settled by the paper
//! account at its intrinsic value against the underlying's close, as a journaled
//! settlement fill with its charges, on a clock the test sets.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_simulator::QuotePin;
use mandi_testkit::{
    get_json, request_json, start_stack_at, wait_for, ManualClock, Stack, DEADLINE,
};
use serde_json::{json, Value};

/// A Tuesday: NIFTY's options expire today.
fn expiry() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("a date")
}

fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    expiry()
        .and_hms_opt(h, m, s)
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

/// The simulator knows a contract by its Dhan trading symbol: mandi's alias, if any.
async fn sim_name(stack: &Stack, symbol: &str) -> String {
    let found = get_json(&stack.url(&format!("/api/instruments/search?q={symbol}&limit=5"))).await;
    found["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["symbol"] == symbol)
        .and_then(|h| h["broker_symbol"].as_str())
        .unwrap_or(symbol)
        .to_string()
}

async fn trades(stack: &Stack) -> Vec<Value> {
    let v = get_json(&stack.url("/api/trades")).await;
    v["trades"].as_array().cloned().unwrap_or_default()
}

#[actix_rt::test]
async fn an_option_held_past_expiry_settles_at_intrinsic_value_at_the_close() {
    let clock = ManualClock::new(ist(15, 0, 0));
    let stack = start_stack_at(&[("MANDI__STRATEGIES__DIR", "")], &clock).await;
    let chain = get_json(
        &stack.url("/api/option-chain?underlying=NIFTY&strikes=2&price=25000&expiry=2026-11-24"),
    )
    .await;
    let call = chain["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["strike"].as_f64() == Some(25_000.0)))
        .map(|r| r["call"].clone())
        .unwrap_or_else(|| panic!("the 25000 call in {chain}"));
    let symbol = call["symbol"].as_str().unwrap_or_default().to_string();
    let lot = call["lot_size"].as_u64().unwrap_or_default();
    let sim = stack.app.simulator.as_ref().expect("embedded simulator");
    let option_pin = QuotePin {
        ltp: 80.0,
        bid: Some(79.95),
        ask: Some(80.05),
        bid_qty: Some(1_800),
        ask_qty: Some(1_800),
    };
    let pinned = sim_name(&stack, &symbol).await;
    sim.pin_quotes([
        (pinned.as_str(), option_pin),
        ("NIFTY", QuotePin::at(25_062.35)),
    ])
    .await
    .unwrap_or_else(|e| panic!("pin: {e}"));
    wait_for("NIFTY at its closing price", DEADLINE, || async {
        (get_json(&stack.url("/prices")).await["NIFTY"].as_f64() == Some(25_062.35)).then_some(())
    })
    .await;

    let body = json!({"symbol": symbol, "side": "BUY", "lots": 1, "tag": "held"});
    let (status, placed) = request_json("POST", &stack.url("/api/orders"), Some(&body)).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["fills"][0]["price"], 80.05, "{placed}");

    // Just after the close, the position is closed by the exchange.
    clock.set(ist(15, 30, 1));
    let fills = wait_for("the settlement fill", DEADLINE, || async {
        let t = trades(&stack).await;
        (t.len() >= 2).then_some(t)
    })
    .await;
    let settled = &fills[1];
    assert_eq!(
        (
            settled["symbol"].as_str(),
            settled["side"].as_str(),
            settled["price"].as_f64(),
            settled["quantity"].as_u64(),
            settled["liquidity"].as_str(),
            settled["reason"].as_str(),
        ),
        (
            Some(symbol.as_str()),
            Some("SELL"),
            Some(62.35),
            Some(lot),
            Some("settlement"),
            Some("expiry_settlement"),
        ),
        "settled at intrinsic value 25 062.35 − 25 000: {settled}"
    );
    assert!(
        settled["charges"]["total"]
            .as_f64()
            .is_some_and(|c| c > 0.0),
        "a settlement with a value pays its charges: {settled}"
    );
    let report = get_json(&stack.url("/api/positions")).await;
    assert_eq!(report["summary"]["open_positions"], 0, "{report}");
    let position = report["positions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["symbol"] == symbol.as_str())
        .cloned()
        .unwrap_or_default();
    let want = ((62.35 - 80.05) * lot as f64 * 100.0).round() / 100.0;
    assert_eq!(
        position["realized_pnl"]
            .as_f64()
            .map(|p| (p * 100.0).round() / 100.0),
        Some(want),
        "{position}"
    );
    stack.stop().await;
}
