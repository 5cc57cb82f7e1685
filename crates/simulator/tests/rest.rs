//! Dhan v2 and Kite v3 REST: response shapes, auth errors, size and rate limits.
//! Each call that must succeed runs on its own simulator: the quote APIs allow one
//! request per second.

mod common;

use awc::http::StatusCode;
use common::*;
use mandi_simulator::{SimCredentials, SimulatorHandle};
use serde_json::{json, Value};

fn creds() -> SimCredentials {
    settings().credentials
}

async fn dhan_post(
    sim: &SimulatorHandle,
    path: &str,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let c = creds();
    within("dhan rest", async {
        let mut resp = awc::Client::new()
            .post(format!("{}{path}", sim.rest_url()))
            .insert_header(("access-token", token))
            .insert_header(("client-id", c.dhan_client_id.as_str()))
            .send_json(body)
            .await
            .expect("request sent");
        (
            resp.status(),
            resp.json::<Value>().await.expect("json body"),
        )
    })
    .await
}

async fn get(sim: &SimulatorHandle, path: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    within("rest get", async {
        let mut req = awc::Client::new().get(format!("{}{path}", sim.rest_url()));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut resp = req.send().await.expect("request sent");
        (
            resp.status(),
            resp.json::<Value>().await.expect("json body"),
        )
    })
    .await
}

async fn kite_get(sim: &SimulatorHandle, path: &str, token: &str) -> (StatusCode, Value) {
    let auth = format!("token {}:{token}", creds().kite_api_key);
    get(
        sim,
        path,
        &[("Authorization", auth.as_str()), ("X-Kite-Version", "3")],
    )
    .await
}

fn dhan_body() -> Value {
    json!({ "NSE_EQ": [2885], "IDX_I": [13, 999], "dhanClientId": creds().dhan_client_id })
}

fn assert_number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

#[actix_rt::test]
async fn dhan_marketfeed_shapes() {
    let token = creds().dhan_access_token;
    for kind in ["ltp", "ohlc", "quote"] {
        let sim = start_sim(settings());
        let (status, body) = dhan_post(
            &sim,
            &format!("/v2/marketfeed/{kind}"),
            &token,
            &dhan_body(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["status"], "success", "{kind}");
        let reliance = &body["data"]["NSE_EQ"]["2885"];
        let ltp = assert_number(&reliance["last_price"], "last_price");
        let close = sim.prev_close("RELIANCE").expect("RELIANCE is configured");
        assert!(
            (ltp / close - 1.0).abs() < 0.1,
            "{kind}: {ltp} against a close of {close}"
        );
        assert!(
            body["data"]["IDX_I"]["13"].is_object(),
            "{kind}: string keys"
        );
        assert!(
            body["data"]["IDX_I"].get("999").is_none(),
            "{kind}: unknown ids are left out"
        );
        if kind != "ltp" {
            for k in ["open", "close", "high", "low"] {
                assert_number(&reliance["ohlc"][k], k);
            }
            assert_eq!(
                reliance["ohlc"]["close"], close,
                "close is the previous close"
            );
        }
        if kind == "quote" {
            for k in [
                "average_price",
                "buy_quantity",
                "sell_quantity",
                "last_quantity",
                "volume",
                "oi",
                "net_change",
                "lower_circuit_limit",
                "upper_circuit_limit",
            ] {
                assert_number(&reliance[k], k);
            }
            assert_eq!(reliance["depth"]["buy"].as_array().map(Vec::len), Some(5));
            assert_eq!(
                reliance["depth"]["sell"][0].as_object().map(|o| o.len()),
                Some(3)
            );
            let ltt = reliance["last_trade_time"].as_str().expect("ltt string");
            assert_eq!(
                (ltt.len(), &ltt[2..3], &ltt[5..6]),
                (19, "/", "/"),
                "DD/MM/YYYY HH:MM:SS"
            );
        }
        sim.stop().await;
    }
}

#[actix_rt::test]
async fn dhan_auth_rate_and_size_errors() {
    let sim = start_sim(settings());
    let (status, body) = dhan_post(&sim, "/v2/marketfeed/ltp", "bad", &dhan_body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (body["errorType"].as_str(), body["errorCode"].as_str()),
        (Some("Invalid_Authentication"), Some("DH-901"))
    );
    assert!(body["errorMessage"].is_string());

    let token = creds().dhan_access_token;
    let many: Vec<u32> = (1..=1001).collect();
    let (status, body) = dhan_post(
        &sim,
        "/v2/marketfeed/ltp",
        &token,
        &json!({ "NSE_EQ": many }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = dhan_post(&sim, "/v2/marketfeed/quote", &token, &dhan_body()).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "second call within a second"
    );
    assert_eq!(
        (body["errorType"].as_str(), body["errorCode"].as_str()),
        (Some("Rate_Limit"), Some("DH-904"))
    );
    let c = sim.counters();
    assert_eq!((c.dhan.limit_violations, c.dhan.auth_failures), (2, 1));
    assert_eq!((c.rest_requests_total, c.rest_requests_last_second), (3, 3));
    sim.stop().await;
}

#[actix_rt::test]
async fn dhan_profile_validates_the_token() {
    let sim = start_sim(settings());
    let c = creds();
    let ok = [
        ("access-token", c.dhan_access_token.as_str()),
        ("client-id", c.dhan_client_id.as_str()),
    ];
    let (status, body) = get(&sim, "/v2/profile", &ok).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dhanClientId"], c.dhan_client_id.as_str());
    assert_eq!(body["dataPlan"], "Active");
    assert_eq!(
        body["tokenValidity"].as_str().map(str::len),
        Some(16),
        "DD/MM/YYYY HH:MM"
    );
    // DhanLogin.user_profile sends the client id as `dhanClientId`.
    let login = [
        ("access-token", c.dhan_access_token.as_str()),
        ("dhanClientId", c.dhan_client_id.as_str()),
    ];
    assert_eq!(get(&sim, "/v2/profile", &login).await.0, StatusCode::OK);
    let (status, body) = get(
        &sim,
        "/v2/profile",
        &[
            ("access-token", "bad"),
            ("client-id", c.dhan_client_id.as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("DH-901"))
    );
    sim.stop().await;
}

#[actix_rt::test]
async fn kite_quote_shapes() {
    let token = creds().kite_access_token;
    let query = "?i=NSE%3ARELIANCE&i=NSE:NIFTY+50&i=NSE:NOSUCH";
    for path in ["/quote/ltp", "/quote/ohlc", "/quote"] {
        let sim = start_sim(settings());
        let (status, body) = kite_get(&sim, &format!("{path}{query}"), &token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["status"], "success");
        let data = body["data"].as_object().expect("data object");
        assert_eq!(
            data.len(),
            2,
            "{path}: unknown keys are simply missing: {body}"
        );
        assert_eq!(data["NSE:NIFTY 50"]["instrument_token"], 256_265);
        let r = &data["NSE:RELIANCE"];
        assert_eq!(r["instrument_token"], 738_561);
        assert_number(&r["last_price"], "last_price");
        if path != "/quote/ltp" {
            let close = sim.prev_close("RELIANCE").expect("RELIANCE is configured");
            assert_eq!(r["ohlc"]["close"], close, "{path}");
        }
        if path == "/quote" {
            for k in [
                "last_quantity",
                "buy_quantity",
                "sell_quantity",
                "volume",
                "average_price",
                "oi",
                "oi_day_high",
                "oi_day_low",
                "net_change",
                "lower_circuit_limit",
                "upper_circuit_limit",
            ] {
                assert_number(&r[k], k);
            }
            assert_eq!(
                r["timestamp"].as_str().map(str::len),
                Some(19),
                "YYYY-MM-DD HH:MM:SS"
            );
            assert_eq!(r["depth"]["buy"].as_array().map(Vec::len), Some(5));
            assert!(r["depth"]["sell"][0]["orders"].is_u64());
        }
        sim.stop().await;
    }
}

#[actix_rt::test]
async fn kite_auth_and_rate_errors_and_profile() {
    let sim = start_sim(settings());
    let (status, body) = kite_get(&sim, "/quote/ltp?i=NSE:RELIANCE", "bad").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"status":"error","message":"Incorrect `api_key` or `access_token`.","data":null,"error_type":"TokenException"})
    );
    let token = creds().kite_access_token;
    let (status, body) = kite_get(&sim, "/user/profile", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["broker"], "ZERODHA");
    assert!(body["data"]["user_id"].is_string());
    assert_eq!(
        kite_get(&sim, "/quote/ltp?i=NSE:RELIANCE", &token).await.0,
        StatusCode::OK
    );
    let (status, body) = kite_get(&sim, "/quote?i=NSE:RELIANCE", &token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["status"], "error");
    let c = sim.counters();
    assert_eq!(
        (
            c.kite.limit_violations,
            c.kite.auth_failures,
            c.kite.rest_requests_total
        ),
        (1, 1, 4)
    );
    sim.stop().await;
}
