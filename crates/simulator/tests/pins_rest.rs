//! Quote pins over REST: both brokers' quote answers carry the pins, a pinned index
//! prices its options, a bad body is a 400 naming its field and changes nothing, and
//! the `SimulatorHandle` methods share the one set of pins with `/admin/quotes`. Each
//! simulator answers one quote call per broker: the quote APIs allow one a second. The
//! quote tests run on a clock that never ticks, so what they see was applied by the pin
//! call before it answered.

mod common;

use awc::http::StatusCode;
use common::pins::*;
use common::*;
use mandi_domain::Segment;
use mandi_protocol::dhan::rest::{self as dhan_rest, DhanQuoteEndpoint, RestQuote};
use mandi_protocol::kite::rest::{self as kite_rest, KiteQuoteEndpoint};
use mandi_simulator::{QuotePin, SimulatorHandle};
use serde_json::{json, Value};

/// `POST /v2/marketfeed/{endpoint}` for `instruments`, as (security id, quote) rows.
async fn dhan_quotes(
    sim: &SimulatorHandle,
    endpoint: DhanQuoteEndpoint,
    instruments: &[(Segment, u32)],
) -> Vec<(u32, RestQuote)> {
    let c = settings().credentials;
    let body = dhan_rest::quote_body(instruments, &c.dhan_client_id).expect("body");
    let (status, bytes) = within("dhan quote", async {
        let mut resp = awc::Client::new()
            .post(format!("{}{}", sim.rest_url(), endpoint.path()))
            .insert_header(("access-token", c.dhan_access_token.as_str()))
            .insert_header(("client-id", c.dhan_client_id.as_str()))
            .insert_header(("content-type", "application/json"))
            .send_body(body)
            .await
            .expect("sent");
        (resp.status(), resp.body().await.expect("body"))
    })
    .await;
    let rows = dhan_rest::parse_quote_response(status.as_u16(), &bytes).expect("quote answer");
    rows.into_iter().map(|r| (r.security_id, r.quote)).collect()
}

/// `GET` a Kite quote endpoint for `keys`, as (key, quote) rows.
async fn kite_quotes(
    sim: &SimulatorHandle,
    endpoint: KiteQuoteEndpoint,
    keys: &[&str],
) -> Vec<(String, RestQuote)> {
    let c = settings().credentials;
    let target = kite_rest::quote_target(endpoint, keys).expect("target");
    let auth = kite_rest::authorization(&c.kite_api_key, &c.kite_access_token);
    let (status, bytes) = within("kite quote", async {
        let mut resp = awc::Client::new()
            .get(format!("{}{target}", sim.rest_url()))
            .insert_header(("Authorization", auth.as_str()))
            .insert_header(("X-Kite-Version", kite_rest::API_VERSION))
            .send()
            .await
            .expect("sent");
        (resp.status(), resp.body().await.expect("body"))
    })
    .await;
    let rows = kite_rest::parse_quote_response(status.as_u16(), &bytes).expect("quote answer");
    rows.into_iter().map(|r| (r.key, r.quote)).collect()
}

fn check(name: &str, want: &Want, q: &RestQuote) {
    assert_eq!(q.last_price, want.ltp, "{name}");
    let Some(depth) = q.depth else {
        panic!("{name}: a full quote has depth")
    };
    let best = depth[0];
    assert_eq!(
        (best.bid_price, best.ask_price),
        (want.bid, want.ask),
        "{name}"
    );
    if let Some(qty) = want.bid_qty {
        assert_eq!(best.bid_qty, qty, "{name}");
    }
    if let Some(qty) = want.ask_qty {
        assert_eq!(best.ask_qty, qty, "{name}");
    }
    let levels: Vec<_> = depth
        .iter()
        .map(|d| (d.bid_price, d.bid_qty, d.ask_price, d.ask_qty))
        .collect();
    assert_book_behind(name, want, &levels);
}

#[actix_rt::test]
async fn rest_quotes_of_both_brokers_carry_the_pins() {
    let sim = start_sim(frozen_day());
    let call = call_id(&sim).await;
    let answer = pin(&sim, pins_body()).await;
    assert_eq!(
        answer,
        json!({
            CALL: {"ltp": 5000.5, "bid": 5000.45, "ask": 5000.55},
            "RELIANCE": {"ltp": 1500.0, "bid": 1499.9, "ask": 1500.2, "bid_qty": 1234, "ask_qty": 567},
        }),
        "the pins in force, bid and ask filled in"
    );
    let (_, listed) = admin_quotes(&sim, "GET", "", None).await;
    assert_eq!(listed, answer);

    let rows = dhan_quotes(
        &sim,
        DhanQuoteEndpoint::Quote,
        &[RELIANCE, (Segment::NseFno, call)],
    )
    .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (id, q) in &rows {
        match *id {
            id if id == RELIANCE.1 => check("dhan RELIANCE", &RELIANCE_PIN, q),
            _ => check("dhan call", &CALL_PIN, q),
        }
    }
    let rows = kite_quotes(&sim, KiteQuoteEndpoint::Quote, &["NSE:RELIANCE", CALL_KEY]).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (key, q) in &rows {
        match key.as_str() {
            "NSE:RELIANCE" => check("kite RELIANCE", &RELIANCE_PIN, q),
            _ => check("kite call", &CALL_PIN, q),
        }
    }
    sim.stop().await;
}

/// The call is priced from the pinned index: NIFTY 1,000 points higher makes it worth
/// well over 200 more. Dhan answers at one pin, Kite at the other.
#[actix_rt::test]
async fn a_pinned_index_prices_its_options() {
    let sim = start_sim(frozen_day());
    let call = call_id(&sim).await;
    pin(&sim, json!({"NIFTY": {"ltp": 25000.0}})).await;
    let rows = dhan_quotes(
        &sim,
        DhanQuoteEndpoint::Ltp,
        &[NIFTY, (Segment::NseFno, call)],
    )
    .await;
    let price = |id: u32| {
        rows.iter()
            .find(|r| r.0 == id)
            .map(|r| r.1.last_price)
            .unwrap_or_else(|| panic!("{id} answered: {rows:?}"))
    };
    assert_eq!(price(NIFTY.1), 25_000.0);
    let low = price(call);

    let answer = pin(&sim, json!({"NIFTY": {"ltp": 26000.0}})).await;
    assert_eq!(
        answer,
        json!({"NIFTY": {"ltp": 26000.0}}),
        "an index has no book"
    );
    let rows = kite_quotes(&sim, KiteQuoteEndpoint::Ltp, &["NSE:NIFTY 50", CALL_KEY]).await;
    let price = |key: &str| {
        rows.iter()
            .find(|r| r.0 == key)
            .map(|r| r.1.last_price)
            .unwrap_or_else(|| panic!("{key} answered: {rows:?}"))
    };
    assert_eq!(price("NSE:NIFTY 50"), 26_000.0);
    let high = price(CALL_KEY);
    assert!(high - low > 200.0, "call {low} at 25000, {high} at 26000");
    sim.stop().await;
}

#[actix_rt::test]
async fn bad_bodies_are_400s_naming_the_field_and_change_nothing() {
    let sim = start_sim(fixed_day());
    let good = pin(&sim, json!({"RELIANCE": {"ltp": 1500.0}})).await;
    let cases = [
        (json!({"NOPE": {"ltp": 1.0}}), "NOPE"),
        (json!({"RELIANCE": {"ltp": 0.0}}), "RELIANCE.ltp"),
        (json!({"RELIANCE": {"ltp": -5.0}}), "RELIANCE.ltp"),
        (json!({"RELIANCE": {"ltp": 1500.05}}), "RELIANCE.ltp"),
        (
            json!({"RELIANCE": {"ltp": 1500.0, "bid": 1500.3, "ask": 1500.2}}),
            "RELIANCE.bid",
        ),
        (
            json!({"RELIANCE": {"ltp": 1500.0, "ask": 1500.25}}),
            "RELIANCE.ask",
        ),
        (json!({"RELIANCE": {"ltp": "1500"}}), "RELIANCE.ltp"),
        (json!({"RELIANCE": {"price": 1500.0}}), "RELIANCE.price"),
        (
            json!({"NIFTY": {"ltp": 26000.0, "ask": 26000.05}}),
            "NIFTY.ask",
        ),
        // A good pin beside a bad one is not applied either.
        (
            json!({"TCS": {"ltp": 3500.0}, CALL: {"ltp": 100.0, "bid": 100.02}}),
            "NIFTY-Dec2026-25750-CE.bid",
        ),
        (json!([1, 2]), ""),
    ];
    for (body, field) in cases {
        let (status, answer) = admin_quotes(&sim, "POST", "", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["status"], "error", "{body}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let (status, answer) = admin_quotes(&sim, "DELETE", "/NOPE", None).await;
    assert_eq!(
        (status, &answer["field"]),
        (StatusCode::BAD_REQUEST, &json!("NOPE"))
    );
    assert_eq!(
        answer["error"], "unknown symbol `NOPE`",
        "the message names the symbol"
    );
    let (_, listed) = admin_quotes(&sim, "GET", "", None).await;
    assert_eq!(listed, good, "no rejected body changed the pins");
    sim.stop().await;
}

#[actix_rt::test]
async fn the_handle_and_the_endpoint_share_the_pins() {
    let sim = start_sim(fixed_day());
    let tcs = QuotePin {
        bid_qty: Some(10),
        ..QuotePin::at(3500.0)
    };
    let got = sim.pin_quotes([("TCS", tcs)]).await.expect("pinned");
    let want = QuotePin {
        ltp: 3500.0,
        bid: Some(3499.9),
        ask: Some(3500.1),
        bid_qty: Some(10),
        ask_qty: None,
    };
    assert_eq!(got.get("TCS"), Some(&want));
    pin(&sim, json!({"HDFCBANK": {"ltp": 1700.0}})).await;
    let (_, listed) = admin_quotes(&sim, "GET", "", None).await;
    let listed: Value = listed;
    assert_eq!(listed["TCS"]["bid_qty"], 10, "{listed}");
    let both = sim.pins().await.expect("listed");
    assert_eq!(
        both.keys().map(String::as_str).collect::<Vec<_>>(),
        ["HDFCBANK", "TCS"]
    );

    let bad = sim.pin_quotes([("TCS", QuotePin::at(f64::NAN))]).await;
    assert_eq!(bad.err().map(|e| e.field), Some("TCS.ltp".to_string()));
    let after = sim.unpin_quote("TCS").await.expect("released");
    assert_eq!(
        after.keys().map(String::as_str).collect::<Vec<_>>(),
        ["HDFCBANK"]
    );
    assert!(sim.unpin_quote("NOPE").await.is_err());
    assert!(sim.clear_pins().await.expect("cleared").is_empty());
    let (_, listed) = admin_quotes(&sim, "GET", "", None).await;
    assert_eq!(listed, json!({}));
    sim.stop().await;
}
