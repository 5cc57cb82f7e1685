//! An order outside the limits is refused with a 400 that names the field and the limit,
//! before the book sees it: a 250 KB reason, a 65-character tag, zero lots, `u32::MAX`
//! lots, a limit of 5e-324, a trigger of 1e300, a price off the tick or far from the last
//! price. Nothing is placed, nothing journaled, and `/health` counts the refusals.

use mandi_testkit::{get_json, request_json, start_stack, wait_for, DEADLINE};
use serde_json::{json, Value};

struct TestCase {
    name: &'static str,
    body: Value,
    code: &'static str,
    field: &'static str,
    /// What the message must say about the limit.
    says: &'static str,
}

#[actix_rt::test]
async fn orders_outside_the_limits_are_refused_naming_the_field_and_the_limit() {
    let stack = start_stack(&[
        ("MANDI__STRATEGIES__DIR", ""),
        ("MANDI__PAPER__MAX_LOTS_PER_ORDER", "20"),
    ])
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
    // A quote for the option, so the price band has a last price to measure from.
    let (status, placed) = request_json(
        "POST",
        &stack.url("/api/orders"),
        Some(&json!({"symbol": symbol, "side": "BUY", "lots": 1, "tag": "first"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let last = placed["fills"][0]["price"].as_f64().unwrap_or_default();
    let three_times = (last * 3.0 * 20.0).round() / 20.0;

    let order = |extra: Value| {
        let mut body = json!({"symbol": symbol, "side": "BUY", "lots": 1});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        TestCase {
            name: "a 250 KB reason",
            body: order(json!({"reason": "x".repeat(250_000)})),
            code: "reason_too_long",
            field: "reason",
            says: "256",
        },
        TestCase {
            name: "a 65-character tag",
            body: order(json!({"tag": "t".repeat(65)})),
            code: "tag_too_long",
            field: "tag",
            says: "64",
        },
        TestCase {
            name: "zero lots",
            body: order(json!({"lots": 0})),
            code: "lots_out_of_range",
            field: "lots",
            says: "paper.max_lots_per_order",
        },
        TestCase {
            name: "one lot more than the configured maximum",
            body: order(json!({"lots": 21})),
            code: "lots_out_of_range",
            field: "lots",
            says: "20",
        },
        TestCase {
            name: "u32::MAX lots",
            body: order(json!({"lots": u32::MAX})),
            code: "lots_out_of_range",
            field: "lots",
            says: "20",
        },
        TestCase {
            name: "a limit of 5e-324",
            body: order(json!({"type": "LIMIT", "price": 5e-324})),
            code: "price_below_tick",
            field: "price",
            says: "one tick",
        },
        TestCase {
            name: "a trigger of 1e300",
            body: order(json!({"type": "SL-M", "trigger_price": 1e300})),
            code: "price_too_large",
            field: "trigger_price",
            says: "highest price",
        },
        TestCase {
            name: "a limit off the tick",
            body: order(json!({"type": "LIMIT", "price": last + 0.01})),
            code: "price_off_tick",
            field: "price",
            says: "tick size",
        },
        TestCase {
            name: "a buy stop at three times the last price",
            body: order(json!({"type": "SL-M", "trigger_price": three_times})),
            code: "price_out_of_band",
            field: "trigger_price",
            says: "paper.max_price_deviation_pct",
        },
    ];
    for case in &cases {
        let (status, answer) =
            request_json("POST", &stack.url("/api/orders"), Some(&case.body)).await;
        // A refused body echoed back would be 250 KB of test output.
        let answer = if status == 400 {
            answer
        } else {
            json!({"status": status})
        };
        assert_eq!(status, 400, "case `{}`: {answer}", case.name);
        assert_eq!(answer["error"], case.code, "case `{}`: {answer}", case.name);
        assert_eq!(
            answer["field"], case.field,
            "case `{}`: {answer}",
            case.name
        );
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(case.field) && message.contains(case.says),
            "case `{}`: the message names the field and the limit: {message}",
            case.name
        );
    }

    let orders = get_json(&stack.url("/api/orders")).await;
    assert_eq!(
        orders["orders"].as_array().map(Vec::len),
        Some(1),
        "only the first order was placed: {orders}"
    );
    let health = get_json(&stack.url("/health")).await;
    assert_eq!(
        health["paper"]["refused_by_limits"].as_u64(),
        Some(cases.len() as u64),
        "{}",
        health["paper"]
    );
    stack.stop().await;
}
