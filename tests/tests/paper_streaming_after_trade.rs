//! The stale-quote trap is gone: after a BUY and a SELL leave a position flat, the paper
//! account keeps the option streaming for `paper.keep_streaming_after_trade_s`, so a
//! MARKET order a minute later fills; once the window has passed the option is released,
//! and the next order subscribes it again, waits for a live quote and fills.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_testkit::{
    get_json, request_json, start_stack_at, wait_for, ManualClock, Stack, DEADLINE,
};
use serde_json::{json, Value};

/// A Monday, inside market hours.
fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

async fn market(stack: &Stack, symbol: &str, side: &str, tag: &str) -> (u16, Value) {
    request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": side, "lots": 1, "tag": tag})),
    )
    .await
}

/// How many symbols the paper account keeps streaming, from `/health`.
async fn streaming(stack: &Stack) -> u64 {
    let health = get_json(&stack.url("/health")).await;
    health["paper"]["streaming"]
        .as_u64()
        .unwrap_or_else(|| panic!("paper.streaming in {}", health["paper"]))
}

/// Moves the test clock to `to` and waits until the price store has received a quote of
/// `symbol` well after that (a second of wall time: twenty simulator steps), so the quote
/// the paper account holds is stamped with the new time.
async fn move_clock_and_wait_for_a_quote(
    stack: &Stack,
    clock: &ManualClock,
    to: DateTime<Utc>,
    symbol: &str,
) {
    clock.set(to);
    let after = Utc::now() + chrono::Duration::seconds(1);
    let url = stack.url(&format!("/api/quotes?symbols={symbol}"));
    wait_for(
        &format!("a quote of {symbol} received after {after}"),
        DEADLINE,
        || async {
            let q = get_json(&url).await;
            let at: DateTime<Utc> = q["quotes"][symbol]["last_update"].as_str()?.parse().ok()?;
            (at >= after).then_some(())
        },
    )
    .await;
}

#[actix_rt::test]
async fn a_flat_symbol_streams_for_the_window_then_is_subscribed_again_on_demand() {
    let start = ist(10, 0, 0);
    let clock = ManualClock::new(start);
    let stack = start_stack_at(
        &[
            ("MANDI__STRATEGIES__DIR", ""),
            ("MANDI__PAPER__KEEP_STREAMING_AFTER_TRADE_S", "120"),
        ],
        &clock,
    )
    .await;
    wait_for("a NIFTY price for the chain", DEADLINE, || async {
        get_json(&stack.url("/prices")).await["NIFTY"].as_f64()
    })
    .await;
    let chain = get_json(&stack.url("/api/option-chain?underlying=NIFTY&strikes=1")).await;
    let symbol = chain["rows"][0]["call"]["symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("a call in {chain}"))
        .to_string();

    let (status, bought) = market(&stack, &symbol, "BUY", "in").await;
    assert_eq!(status, 201, "{bought}");
    let (status, sold) = market(&stack, &symbol, "SELL", "out").await;
    assert_eq!(status, 201, "{sold}");
    assert_eq!(sold["order"]["status"], "filled", "{sold}");
    assert_eq!(streaming(&stack).await, 1, "flat, but traded just now");

    // A minute later, inside the window: still streaming, so the quote is live.
    let minute_later = start + chrono::Duration::seconds(60);
    move_clock_and_wait_for_a_quote(&stack, &clock, minute_later, &symbol).await;
    let (status, again) = market(&stack, &symbol, "BUY", "a-minute-later").await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["order"]["status"], "filled", "{again}");
    let (status, flat) = market(&stack, &symbol, "SELL", "flat-again").await;
    assert_eq!(status, 201, "{flat}");

    // Past the window: released, and its last quote goes stale.
    let later = minute_later + chrono::Duration::seconds(600);
    clock.set(later);
    wait_for("the option released", DEADLINE, || async {
        (streaming(&stack).await == 0).then_some(())
    })
    .await;

    // The next order subscribes it again and fills on a live quote, not a stale one.
    let (status, revived) = market(&stack, &symbol, "BUY", "after-the-window").await;
    assert_eq!(status, 201, "{revived}");
    assert_eq!(revived["order"]["status"], "filled", "{revived}");
    let filled_on: DateTime<Utc> = revived["fills"][0]["exchange_time"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an exchange time on the fill: {revived}"));
    assert!(filled_on >= later, "filled on a quote of now: {revived}");
    assert_eq!(streaming(&stack).await, 1, "held again: a position");
    stack.stop().await;
}
