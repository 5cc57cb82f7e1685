//! Fault switches on `/admin/faults`: each one observable from an ordinary client.
//! Every wait ends at a deadline; the only fixed windows are the deliberate
//! "nothing arrives" checks of the silent switch.

mod common;

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use chrono::Utc;
use common::*;
use futures_util::StreamExt;
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{decode_packet, subscribe_messages, DhanPacket};
use mandi_protocol::kite::{decode_frame, KiteRequest};
use mandi_simulator::SimulatorHandle;
use serde_json::{json, Value};

/// How long "silent" must stay silent while ticks normally flow every 20 ms.
const QUIET_WINDOW: Duration = Duration::from_millis(600);

async fn admin(sim: &SimulatorHandle, method: &str, body: Option<Value>) -> (StatusCode, Value) {
    admin_request(sim, "/admin/faults", method, body).await
}

async fn set(sim: &SimulatorHandle, body: Value) -> Value {
    let (status, current) = admin(sim, "POST", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    current
}

async fn rest_get(
    sim: &SimulatorHandle,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    within("rest get", async {
        let mut req = awc::Client::new().get(format!("{}{path}", sim.rest_url()));
        for h in headers {
            req = req.insert_header(*h);
        }
        let mut resp = req.send().await.expect("request sent");
        (
            resp.status(),
            resp.json::<Value>().await.expect("json body"),
        )
    })
    .await
}

async fn dhan_profile(sim: &SimulatorHandle, token: &str) -> (StatusCode, Value) {
    let c = settings().credentials;
    rest_get(
        sim,
        "/v2/profile",
        &[
            ("access-token", token),
            ("client-id", c.dhan_client_id.as_str()),
        ],
    )
    .await
}

async fn kite_profile(sim: &SimulatorHandle, token: &str) -> (StatusCode, Value) {
    let auth = format!("token {}:{token}", settings().credentials.kite_api_key);
    rest_get(sim, "/user/profile", &[("Authorization", auth.as_str())]).await
}

fn upgrade_status(err: awc::error::WsClientError) -> StatusCode {
    match err {
        awc::error::WsClientError::InvalidResponseStatus(s) => s,
        other => panic!("expected a refused upgrade, got {other:?}"),
    }
}

/// The next Dhan message must be a code-50 disconnect with `reason`, then the close.
async fn expect_dhan_disconnect(ws: &mut impl Ws, reason: u16) {
    let b = next_binary(ws).await;
    match decode_packet(&b) {
        Ok((DhanPacket::Disconnect(d), 10)) => assert_eq!(d.reason, reason),
        other => panic!("expected a disconnect packet, got {other:?}"),
    }
    assert!(matches!(
        next(ws, false).await,
        Some(Received::Close) | None
    ));
}

async fn dhan_subscribe(ws: &mut impl Ws) {
    let list = [(Segment::IdxI, 13), (Segment::NseEq, 2885)];
    for m in subscribe_messages(Mode::Ltp, &list) {
        send_text(ws, m).await;
    }
}

async fn kite_subscribe(ws: &mut impl Ws) {
    let req = KiteRequest::Subscribe {
        tokens: vec![256_265, 738_561],
    };
    send_text(ws, req.to_json()).await;
}

/// Kite frames after skipping 1-byte heartbeats; `None` when the stream ends.
async fn next_kite_data(ws: &mut impl Ws) -> Option<Received> {
    loop {
        match next(ws, false).await {
            Some(Received::Binary(b)) if b.len() == 1 => continue,
            other => return other,
        }
    }
}

/// `Some(frame)` if anything at all (pings included) arrives within `window`.
async fn anything_within(ws: &mut impl Ws, window: Duration) -> Option<String> {
    actix_rt::time::timeout(window, ws.next())
        .await
        .ok()
        .map(|f| format!("{f:?}"))
}

#[actix_rt::test]
async fn refused_upgrades_then_delete_clears() {
    let sim = start_sim(settings());
    let current = set(&sim, json!({ "refuse_upgrade_status": 429 })).await;
    assert_eq!(current, json!({ "refuse_upgrade_status": 429 }));
    let err = within("kite", connect(&kite_ok_url(&sim))).await.err();
    assert_eq!(err.map(upgrade_status), Some(StatusCode::TOO_MANY_REQUESTS));
    set(&sim, json!({ "refuse_upgrade_status": 403 })).await;
    let err = within("dhan", connect(&dhan_ok_url(&sim))).await.err();
    assert_eq!(err.map(upgrade_status), Some(StatusCode::FORBIDDEN));
    let c = sim.counters();
    assert_eq!(c.faults_applied["refuse_upgrade"], 2);
    assert_eq!(c.faults.refuse_upgrade_status, Some(403));

    let (status, cleared) = admin(&sim, "DELETE", None).await;
    assert_eq!((status, cleared), (StatusCode::OK, json!({})));
    assert_eq!(admin(&sim, "GET", None).await.1, json!({}));
    assert_eq!(sim.counters().faults, mandi_simulator::Faults::default());
    let mut ws = connect_ok(&kite_ok_url(&sim)).await;
    kite_subscribe(&mut ws).await;
    assert!(matches!(
        next_kite_data(&mut ws).await,
        Some(Received::Binary(_))
    ));
}

#[actix_rt::test]
async fn bad_bodies_are_400_naming_the_field() {
    let sim = start_sim(settings());
    let cases = [
        (json!({ "silnet": true }), "silnet"),
        (json!({ "silent": "yes" }), "silent"),
        (json!({ "rest_fail_status": 200 }), "rest_fail_status"),
        (
            json!({ "dhan_disconnect_reason": 42 }),
            "dhan_disconnect_reason",
        ),
        (json!({ "expire_token_at": "noon" }), "expire_token_at"),
    ];
    for (body, field) in cases {
        let (status, err) = admin(&sim, "POST", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(err["field"], field, "{err}");
        assert!(
            err["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{err}"
        );
    }
    assert_eq!(
        admin(&sim, "GET", None).await.1,
        json!({}),
        "nothing applied"
    );
}

#[actix_rt::test]
async fn dhan_disconnect_reason_on_open() {
    let sim = start_sim(settings());
    set(&sim, json!({ "dhan_disconnect_reason": 807 })).await;
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    expect_dhan_disconnect(&mut ws, 807).await;
    set(&sim, json!({ "dhan_disconnect_reason": 805 })).await;
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    expect_dhan_disconnect(&mut ws, 805).await;
    assert_eq!(sim.counters().faults_applied["dhan_disconnect"], 2);
}

#[actix_rt::test]
async fn silent_sends_nothing_until_cleared() {
    let sim = start_sim(settings());
    set(&sim, json!({ "silent": true })).await;
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    let mut d = connect_ok(&dhan_ok_url(&sim)).await;
    kite_subscribe(&mut k).await;
    dhan_subscribe(&mut d).await;
    // Subscribe snapshots, ticks every 20 ms and Kite heartbeats every 100 ms are all held back.
    // Sequential windows: whatever Dhan sent during Kite's window would still be buffered.
    let kf = anything_within(&mut k, QUIET_WINDOW).await;
    let df = anything_within(&mut d, QUIET_WINDOW).await;
    assert_eq!((kf, df), (None, None));
    let c = sim.counters();
    assert_eq!(
        c.kite.connections_open + c.dhan.connections_open,
        2,
        "still open"
    );

    set(&sim, json!({ "silent_pings": true })).await;
    assert!(matches!(next(&mut k, true).await, Some(Received::Ping)));

    set(&sim, json!({ "silent": false })).await;
    assert!(matches!(
        next_kite_data(&mut k).await,
        Some(Received::Binary(_))
    ));
    let b = next_binary(&mut d).await;
    assert!(decode_packet(&b).is_ok());
    assert!(sim.counters().faults_applied["silent"] > 0);
}

#[actix_rt::test]
async fn malformed_every_nth_message_fails_decoding() {
    let sim = start_sim(settings());
    set(&sim, json!({ "malformed_every": 2 })).await;
    let mut d = connect_ok(&dhan_ok_url(&sim)).await;
    dhan_subscribe(&mut d).await;
    let mut decoded = Vec::new();
    for _ in 0..6 {
        decoded.push(decode_packet(&next_binary(&mut d).await).is_ok());
    }
    assert_eq!(decoded, [true, false, true, false, true, false]);

    set(&sim, json!({ "malformed_every": 1 })).await;
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    kite_subscribe(&mut k).await;
    match next_kite_data(&mut k).await {
        Some(Received::Binary(b)) => assert!(decode_frame(&b).is_err(), "{b:?}"),
        other => panic!("expected a frame, got {other:?}"),
    }
    assert!(sim.counters().faults_applied["malformed"] >= 4);
}

#[actix_rt::test]
async fn token_expiry_then_the_new_token_is_accepted() {
    let sim = start_sim(settings());
    let creds = settings().credentials;
    let mut d = connect_ok(&dhan_ok_url(&sim)).await;
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    wait_counters(&sim, "both open", |c| {
        c.dhan.connections_open == 1 && c.kite.connections_open == 1
    })
    .await;
    let at = Utc::now() + chrono::Duration::milliseconds(300);
    set(
        &sim,
        json!({ "expire_token_at": at.to_rfc3339(), "accept_token": "fresh" }),
    )
    .await;
    assert_eq!(
        dhan_profile(&sim, "fresh").await.0,
        StatusCode::OK,
        "accepted before expiry"
    );

    // Open connections on the old token are cut at the instant.
    expect_dhan_disconnect(&mut d, 807).await;
    assert!(matches!(
        next_kite_data(&mut k).await,
        Some(Received::Close) | None
    ));
    assert!(Utc::now() >= at);

    // New connections on the old token are refused; the new token works.
    let mut d = connect_ok(&dhan_ok_url(&sim)).await;
    expect_dhan_disconnect(&mut d, 807).await;
    let err = within("kite", connect(&kite_ok_url(&sim))).await.err();
    assert_eq!(err.map(upgrade_status), Some(StatusCode::FORBIDDEN));
    let mut d = connect_ok(&dhan_url(&sim, &creds.dhan_client_id, "fresh")).await;
    dhan_subscribe(&mut d).await;
    assert!(decode_packet(&next_binary(&mut d).await).is_ok());
    let mut k = connect_ok(&kite_url(&sim, &creds.kite_api_key, "fresh")).await;
    kite_subscribe(&mut k).await;
    assert!(matches!(
        next_kite_data(&mut k).await,
        Some(Received::Binary(_))
    ));

    // REST follows the same rules.
    let (status, body) = dhan_profile(&sim, &creds.dhan_access_token).await;
    assert_eq!(
        (status, body["errorCode"].clone()),
        (StatusCode::UNAUTHORIZED, json!("DH-901"))
    );
    let (status, body) = kite_profile(&sim, &creds.kite_access_token).await;
    assert_eq!(
        (status, body["error_type"].clone()),
        (StatusCode::FORBIDDEN, json!("TokenException"))
    );
    assert_eq!(kite_profile(&sim, "fresh").await.0, StatusCode::OK);
    assert!(sim.counters().faults_applied["token_expired"] >= 4);
}

#[actix_rt::test]
async fn rest_failure_and_delay() {
    let sim = start_sim(settings());
    let token = settings().credentials.dhan_access_token;
    set(&sim, json!({ "rest_fail_status": 500 })).await;
    let (status, body) = dhan_profile(&sim, &token).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["errorCode"], "DH-908");
    assert_eq!(body["errorType"], "Internal_Server_Error");
    set(&sim, json!({ "rest_fail_status": 429 })).await;
    let (status, body) = kite_profile(&sim, &settings().credentials.kite_access_token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["status"], "error");
    assert_eq!(body["error_type"], "NetworkException");
    assert_eq!(
        sim.counters().rest_requests_total,
        2,
        "failed calls still count"
    );

    admin(&sim, "DELETE", None).await;
    set(&sim, json!({ "rest_delay_ms": 250 })).await;
    let started = Instant::now();
    assert_eq!(dhan_profile(&sim, &token).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let c = sim.counters();
    assert_eq!(
        (
            c.faults_applied["rest_fail"],
            c.faults_applied["rest_delay"]
        ),
        (2, 1)
    );
}

#[actix_rt::test]
async fn drop_every_cuts_connections_repeatedly() {
    let sim = start_sim(settings());
    set(&sim, json!({ "drop_every_ms": 150 })).await;
    for round in 0..2 {
        let mut d = connect_ok(&dhan_ok_url(&sim)).await;
        let end = next(&mut d, false).await;
        assert!(
            end.is_none(),
            "round {round}: cut without a close frame, got {end:?}"
        );
    }
    wait_counters(&sim, "two periodic drops", |c| {
        c.faults_applied["drop_every"] >= 2
    })
    .await;
    admin(&sim, "DELETE", None).await;
    // Cleared: a connection now outlives several former periods.
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    kite_subscribe(&mut k).await;
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        assert!(matches!(
            next(&mut k, false).await,
            Some(Received::Binary(_))
        ));
    }
}

#[actix_rt::test]
async fn abrupt_close_is_one_shot() {
    let sim = start_sim(settings());
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    wait_counters(&sim, "open", |c| c.kite.connections_open == 1).await;
    let current = set(&sim, json!({ "abrupt_close": true })).await;
    assert_eq!(current, json!({}), "not kept");
    assert!(next_kite_data(&mut k).await.is_none(), "no close frame");
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    kite_subscribe(&mut k).await;
    assert!(matches!(
        next_kite_data(&mut k).await,
        Some(Received::Binary(_))
    ));
    assert_eq!(sim.counters().faults_applied["abrupt_close"], 1);
}
