//! `GET /api/option-chain?…&quotes=true` against the embedded simulator, which prices its
//! options by Black-Scholes at each underlying's own volatility (NIFTY 13 %): once the
//! chain's legs are streamed, every leg of 21 strikes carries a last price, a two-sided
//! book, OI and the day's OI change (from Dhan's previous-day OI) and an implied volatility, the ATM legs' volatility is the simulator's, their
//! deltas are those of at-the-money options, and the put-call ratio is given.

use mandi_testkit::{request_json, start_stack, wait_for, WsClient, DEADLINE};
use serde_json::{json, Value};

/// The simulator's NIFTY volatility (docs/simulator.md).
const NIFTY_VOLATILITY: f64 = 0.13;

fn legs(chain: &Value) -> Vec<&Value> {
    chain["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .flat_map(|r| [&r["call"], &r["put"]])
        .collect()
}

#[actix_rt::test]
async fn every_leg_of_the_chain_has_a_quote_and_an_implied_volatility() {
    let stack = start_stack(&[]).await;
    let url = stack.url("/api/option-chain?underlying=NIFTY&strikes=10&quotes=true");
    let chain = wait_for("NIFTY chain with a price", DEADLINE, || async {
        let (status, body) = request_json("GET", &url, None).await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(chain["rows"].as_array().map(Vec::len), Some(21), "ATM ± 10");
    let symbols: Vec<&str> = legs(&chain)
        .iter()
        .map(|l| l["symbol"].as_str().expect("every strike lists both legs"))
        .collect();
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": symbols, "mode": "full"}))
        .await;

    let chain = wait_for("every leg quoted", DEADLINE, || async {
        let (_, body) = request_json("GET", &url, None).await;
        legs(&body)
            .iter()
            .all(|l| {
                let q = &l["quote"];
                q["ltp"].is_number() && q["bid"].is_number() && q["oi_change"].is_number()
            })
            .then_some(body)
    })
    .await;
    for leg in legs(&chain) {
        let q = &leg["quote"];
        for field in [
            "ltp",
            "bid",
            "ask",
            "oi",
            "prev_oi",
            "oi_change",
            "volume",
            "iv",
            "delta",
            "gamma",
            "theta",
            "vega",
        ] {
            assert!(q[field].is_number(), "{} {field}: {q}", leg["symbol"]);
        }
        // The day's change is today's OI less yesterday's, as Dhan's previous-close
        // packet gave it.
        let (oi, prev) = (q["oi"].as_i64(), q["prev_oi"].as_i64());
        assert_eq!(
            q["oi_change"].as_i64(),
            oi.zip(prev).map(|(o, p)| o - p),
            "{q}"
        );
    }
    let atm = chain["atm_strike"].as_f64().expect("atm");
    let row = chain["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["strike"].as_f64() == Some(atm)))
        .expect("the ATM row");
    for (side, deltas) in [("call", 0.3..0.7), ("put", -0.7..-0.3)] {
        let q = &row[side]["quote"];
        let iv = q["iv"].as_f64().expect("iv");
        assert!(
            (iv - NIFTY_VOLATILITY).abs() < 0.02,
            "ATM {side} implied volatility {iv} is the simulator's {NIFTY_VOLATILITY}: {q}"
        );
        let delta = q["delta"].as_f64().expect("delta");
        assert!(deltas.contains(&delta), "ATM {side} delta {delta}: {q}");
        assert!(
            q["theta"].as_f64() < Some(0.0),
            "time decays a long {side}: {q}"
        );
    }
    assert!(
        chain["put_call_ratio"].as_f64() > Some(0.0),
        "PCR: {}",
        chain["put_call_ratio"]
    );
    ws.close().await;
    stack.stop().await;
}
