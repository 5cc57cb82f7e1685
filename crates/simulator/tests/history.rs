//! The brokers' historical REST over HTTP: Dhan's daily and intraday charts in its
//! column shape, Kite's candles in its row shape, both from the same path, so the two
//! brokers agree bar for bar and the previous day's bar closes at the feed's previous
//! close.

mod common;

use std::sync::Arc;

use awc::http::StatusCode;
use chrono::{DateTime, Utc};
use common::*;
use mandi_simulator::{SimClock, SimSettings, SimulatorHandle};
use serde_json::{json, Value};

/// 2026-11-24 (a Tuesday) 11:00 IST, held still.
fn at_eleven() -> SimSettings {
    let t: DateTime<Utc> = "2026-11-24T05:30:00Z".parse().unwrap_or_default();
    SimSettings {
        clock: SimClock(Arc::new(move || t)),
        ..settings()
    }
}

async fn dhan_chart(sim: &SimulatorHandle, path: &str, body: Value) -> (StatusCode, Value) {
    let c = settings().credentials;
    within("dhan chart", async {
        let mut resp = awc::Client::new()
            .post(format!("{}{path}", sim.rest_url()))
            .insert_header(("access-token", c.dhan_access_token.as_str()))
            .insert_header(("client-id", c.dhan_client_id.as_str()))
            .send_json(&body)
            .await
            .expect("request sent");
        (resp.status(), resp.json::<Value>().await.expect("json"))
    })
    .await
}

async fn kite_candles(sim: &SimulatorHandle, path: &str) -> (StatusCode, Value) {
    let c = settings().credentials;
    within("kite historical", async {
        let mut resp = awc::Client::new()
            .get(format!("{}{path}", sim.rest_url()))
            .insert_header((
                "Authorization",
                format!("token {}:{}", c.kite_api_key, c.kite_access_token),
            ))
            .send()
            .await
            .expect("request sent");
        (resp.status(), resp.json::<Value>().await.expect("json"))
    })
    .await
}

#[actix_rt::test]
async fn both_brokers_serve_the_same_days_and_minutes() {
    let sim = start_sim(at_eleven());
    let (status, dhan) = dhan_chart(
        &sim,
        "/v2/charts/historical",
        json!({"securityId": "13", "exchangeSegment": "IDX_I", "instrument": "INDEX",
               "expiryCode": 0, "oi": false, "fromDate": "2026-11-19", "toDate": "2026-11-24"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dhan}");
    // Thursday, Friday, Monday: no weekend, toDate not included.
    assert_eq!(
        dhan["timestamp"],
        json!([1_795_026_600_i64, 1_795_113_000_i64, 1_795_372_200_i64]),
        "IST midnights"
    );
    let (status, kite) = kite_candles(
        &sim,
        "/instruments/historical/256265/day?from=2026-11-19+00:00:00&to=2026-11-23+23:59:59",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{kite}");
    assert_eq!(kite["status"], "success");
    let rows = kite["data"]["candles"].as_array().expect("candles");
    assert_eq!(rows.len(), 3, "{kite}");
    assert_eq!(rows[2][0], "2026-11-23T00:00:00+0530");
    for (i, row) in rows.iter().enumerate() {
        for (col, field) in ["open", "high", "low", "close", "volume"]
            .iter()
            .enumerate()
        {
            assert_eq!(row[col + 1], dhan[field][i], "day {i} {field}");
        }
    }
    let monday_close = rows[2][4].as_f64().expect("close");
    assert_eq!(
        sim.prev_close("NIFTY"),
        Some(monday_close),
        "yesterday's bar closes at the feed's previous close"
    );

    let (status, dhan) = dhan_chart(
        &sim,
        "/v2/charts/intraday",
        json!({"securityId": "2885", "exchangeSegment": "NSE_EQ", "instrument": "EQUITY",
               "interval": "5", "oi": false,
               "fromDate": "2026-11-24 09:15:00", "toDate": "2026-11-24 15:30:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dhan}");
    // 09:15 to the 10:55 bar forming at 11:00 (21 bars, the 11:00 one has not begun).
    let opens = dhan["open"].as_array().expect("opens");
    assert_eq!(opens.len(), 21, "{dhan}");
    assert!(
        dhan["volume"][0].as_u64().unwrap_or_default() > 0,
        "RELIANCE trades"
    );
    let (_, kite) = kite_candles(
        &sim,
        "/instruments/historical/738561/5minute?from=2026-11-24+09:15:00&to=2026-11-24+15:30:00",
    )
    .await;
    let rows = kite["data"]["candles"].as_array().expect("candles");
    assert_eq!(rows.len(), 21);
    assert_eq!(rows[0][0], "2026-11-24T09:15:00+0530");
    assert_eq!(rows[0][1], dhan["open"][0]);
    sim.stop().await;
}

#[actix_rt::test]
async fn bad_requests_get_the_brokers_errors() {
    let sim = start_sim(at_eleven());
    let (status, body) = dhan_chart(
        &sim,
        "/v2/charts/intraday",
        json!({"securityId": "13", "exchangeSegment": "IDX_I", "instrument": "INDEX",
               "interval": "7", "fromDate": "2026-11-24 09:15:00", "toDate": "2026-11-24 10:00:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "DH-905", "{body}");
    let (status, body) = kite_candles(
        &sim,
        "/instruments/historical/256265/2minute?from=2026-11-24+09:15:00&to=2026-11-24+10:00:00",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_type"], "InputException", "{body}");
    let (status, _) = kite_candles(
        &sim,
        "/instruments/historical/999/day?from=2026-11-20&to=2026-11-21",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown token");
    sim.stop().await;
}
