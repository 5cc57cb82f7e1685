//! `GET /admin/counters` reflects what clients subscribed, per connection and sorted,
//! and the quote APIs' peak request rate; `POST /admin/drop` cuts every feed connection.

mod common;

use common::*;
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{decode_packet, subscribe_messages, unsubscribe_messages};
use mandi_protocol::kite::KiteRequest;
use mandi_simulator::CountersSnapshot;

async fn admin_counters(url: &str) -> CountersSnapshot {
    within("admin counters", async {
        let mut resp = awc::Client::new()
            .get(format!("{url}/admin/counters"))
            .send()
            .await
            .expect("request sent");
        resp.json::<CountersSnapshot>()
            .await
            .expect("counters json")
    })
    .await
}

/// Read `n` binary messages (the session updates the counters before it sends).
async fn drain(ws: &mut impl Ws, n: usize) {
    for _ in 0..n {
        let b = next_binary(ws).await;
        decode_packet(&b).expect("dhan packet");
    }
}

#[actix_rt::test]
async fn counters_list_subscriptions_per_connection() {
    let sim = start_sim(settings());
    let nifty = (Segment::IdxI, 13);
    let reliance = (Segment::NseEq, 2885);
    let crude = (Segment::McxComm, 467_013);

    let mut a = connect_ok(&dhan_ok_url(&sim)).await;
    for msg in subscribe_messages(Mode::Ltp, &[nifty, reliance, (Segment::NseEq, 424_242)]) {
        send_text(&mut a, msg).await;
    }
    drain(&mut a, 4).await; // 2 prev close + 2 ticker; the unknown id sends nothing
    for msg in subscribe_messages(Mode::Full, &[reliance]) {
        send_text(&mut a, msg).await;
    }
    drain(&mut a, 2).await;
    for msg in subscribe_messages(Mode::Full, &[reliance]) {
        send_text(&mut a, msg).await; // duplicate: nothing new is sent
    }
    let mut b = connect_ok(&dhan_ok_url(&sim)).await;
    for msg in subscribe_messages(Mode::Quote, &[crude]) {
        send_text(&mut b, msg).await;
    }
    drain(&mut b, 1).await;
    for msg in unsubscribe_messages(Mode::Ltp, &[reliance]) {
        send_text(&mut a, msg).await;
    }

    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    send_text(
        &mut k,
        KiteRequest::Subscribe {
            tokens: vec![738_561, 256_265, 7],
        }
        .to_json(),
    )
    .await;
    send_text(
        &mut k,
        KiteRequest::SetMode {
            mode: Mode::Full,
            tokens: vec![738_561],
        }
        .to_json(),
    )
    .await;

    let c = wait_counters(&sim, "all requests applied", |c| {
        c.dhan.unsubscribe_messages == 1
            && c.dhan.duplicate_subscribes == 1
            && c.kite
                .connections
                .first()
                .is_some_and(|k| k.subscriptions.contains(&(738_561, Mode::Full)))
    })
    .await;
    let dhan: Vec<_> = c
        .dhan
        .connections
        .iter()
        .map(|conn| conn.subscriptions.clone())
        .collect();
    assert_eq!(
        dhan,
        vec![
            vec![
                ("IDX_I".to_string(), 13, Mode::Ltp),
                ("NSE_EQ".to_string(), 2885, Mode::Full)
            ],
            vec![("MCX_COMM".to_string(), 467_013, Mode::Quote)],
        ]
    );
    assert_eq!(
        (
            c.dhan.connections_open,
            c.dhan.subscribe_messages,
            c.dhan.unknown_instruments
        ),
        (2, 4, 1)
    );
    assert_eq!(
        c.kite.all_subscriptions(),
        vec![(256_265, Mode::Quote), (738_561, Mode::Full)]
    );
    assert_eq!(
        (c.kite.subscribe_messages, c.kite.unknown_instruments),
        (1, 1)
    );

    let over_http = admin_counters(&sim.rest_url()).await;
    assert_eq!(
        over_http,
        sim.counters(),
        "GET /admin/counters is the same snapshot"
    );
    sim.stop().await;
}

#[actix_rt::test]
async fn admin_drop_cuts_every_feed_connection() {
    let sim = start_sim(settings());
    let mut d = connect_ok(&dhan_ok_url(&sim)).await;
    let mut k = connect_ok(&kite_ok_url(&sim)).await;
    wait_counters(&sim, "both open", |c| {
        c.dhan.connections_open == 1 && c.kite.connections_open == 1
    })
    .await;
    let dropped = within("drop", async {
        let mut resp = awc::Client::new()
            .post(format!("{}/admin/drop", sim.rest_url()))
            .send()
            .await
            .expect("request sent");
        resp.json::<serde_json::Value>().await.expect("json")
    })
    .await;
    assert_eq!(dropped["dropped"], 2);
    for ws_end in [
        next(&mut d, false).await,
        loop_past_heartbeats(&mut k).await,
    ] {
        assert!(
            ws_end.is_none(),
            "dropped without a close frame: {ws_end:?}"
        );
    }
    wait_counters(&sim, "both closed", |c| {
        c.dhan.connections_open + c.kite.connections_open == 0
    })
    .await;
    sim.stop().await;
}

/// Send one quote request and return its status: Dhan `POST /v2/marketfeed/ltp` or
/// Kite `GET /quote/ltp`.
async fn quote_request(sim: &mandi_simulator::SimulatorHandle, dhan: bool) -> u16 {
    let c = settings().credentials;
    within("quote request", async {
        let client = awc::Client::new();
        let resp = if dhan {
            client
                .post(format!("{}/v2/marketfeed/ltp", sim.rest_url()))
                .insert_header(("access-token", c.dhan_access_token.as_str()))
                .insert_header(("client-id", c.dhan_client_id.as_str()))
                .send_json(&serde_json::json!({ "IDX_I": [13] }))
                .await
        } else {
            let auth = format!("token {}:{}", c.kite_api_key, c.kite_access_token);
            client
                .get(format!("{}/quote/ltp?i=NSE%3ANIFTY+50", sim.rest_url()))
                .insert_header(("Authorization", auth))
                .send()
                .await
        };
        resp.expect("request sent").status().as_u16()
    })
    .await
}

#[actix_rt::test]
async fn quote_rate_peak_is_counted_per_broker_and_in_total() {
    let sim = start_sim(settings());
    assert_eq!(quote_request(&sim, true).await, 200);
    actix_rt::time::sleep(std::time::Duration::from_millis(1_050)).await;
    assert_eq!(quote_request(&sim, true).await, 200);
    // A burst on Kite: the second is refused (429) but still counted as sent.
    assert_eq!(quote_request(&sim, false).await, 200);
    assert_eq!(quote_request(&sim, false).await, 429);
    // Calls failed by a fault switch never reach the handler and still count.
    sim_post_faults(&sim, serde_json::json!({ "rest_fail_status": 503 })).await;
    assert_eq!(quote_request(&sim, false).await, 503);
    let c = admin_counters(&sim.rest_url()).await;
    assert_eq!(
        (
            c.dhan.rest_quote_requests_total,
            c.dhan.rest_quote_max_per_second
        ),
        (2, 1),
        "Dhan paced at 1/s"
    );
    assert_eq!(
        (
            c.kite.rest_quote_requests_total,
            c.kite.rest_quote_max_per_second
        ),
        (3, 3)
    );
    assert_eq!(
        (c.rest_quote_requests_total, c.rest_quote_max_per_second),
        (5, 4)
    );
    assert_eq!(c.master_downloads_total, 0);
    sim.stop().await;
}

async fn sim_post_faults(sim: &mandi_simulator::SimulatorHandle, body: serde_json::Value) {
    within("set faults", async {
        let resp = awc::Client::new()
            .post(format!("{}/admin/faults", sim.rest_url()))
            .send_json(&body)
            .await
            .expect("request sent");
        assert!(resp.status().is_success());
    })
    .await;
}

async fn loop_past_heartbeats(ws: &mut impl Ws) -> Option<Received> {
    loop {
        match next(ws, false).await {
            Some(Received::Binary(b)) if b.len() == 1 => continue,
            other => return other,
        }
    }
}
