//! Kite v3 ticker over a real WebSocket: upgrade refusals (403, 429), multi-packet
//! frames in every mode, and the idle heartbeat.

mod common;

use awc::error::WsClientError;
use awc::http::StatusCode;
use common::*;
use mandi_domain::Mode;
use mandi_protocol::kite::{decode_frame, size, KiteFrame, KitePacket, KiteRequest};
use mandi_simulator::SimSettings;

const NIFTY: u32 = 256_265;
const SENSEX: u32 = 265;
const RELIANCE: u32 = 738_561;
const CRUDE: u32 = 60_297_479;
const ALL: [u32; 4] = [NIFTY, SENSEX, RELIANCE, CRUDE];

async fn next_packets(ws: &mut impl Ws) -> Vec<KitePacket> {
    loop {
        match decode_frame(&next_binary(ws).await).expect("frame decodes") {
            KiteFrame::Heartbeat => continue,
            KiteFrame::Packets(p) => return p,
        }
    }
}

fn status_of(err: WsClientError) -> StatusCode {
    match err {
        WsClientError::InvalidResponseStatus(s) => s,
        other => panic!("expected an HTTP status refusal, got {other:?}"),
    }
}

#[actix_rt::test]
async fn bad_credentials_get_403_on_the_upgrade() {
    let sim = start_sim(settings());
    let creds = settings().credentials;
    for url in [
        kite_url(&sim, &creds.kite_api_key, "wrong"),
        kite_url(&sim, "wrong", &creds.kite_access_token),
    ] {
        let err = within("refusal", connect(&url))
            .await
            .err()
            .expect("upgrade refused");
        assert_eq!(status_of(err), StatusCode::FORBIDDEN);
    }
    assert_eq!(sim.counters().kite.auth_failures, 2);
    sim.stop().await;
}

#[actix_rt::test]
async fn fourth_connection_per_api_key_gets_429() {
    let sim = start_sim(settings());
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(connect_ok(&kite_ok_url(&sim)).await);
    }
    let err = within("refusal", connect(&kite_ok_url(&sim)))
        .await
        .err()
        .expect("4th refused");
    assert_eq!(status_of(err), StatusCode::TOO_MANY_REQUESTS);
    let c = sim.counters();
    assert_eq!((c.kite.connections_open, c.kite.limit_violations), (3, 1));
    drop(conns.pop());
    wait_counters(&sim, "slot freed", |c| c.kite.connections_open == 2).await;
    let _again = connect_ok(&kite_ok_url(&sim)).await;
    sim.stop().await;
}

struct TestCase {
    mode: Mode,
    index_len: usize,
    tradable_len: usize,
}

#[actix_rt::test]
async fn frames_carry_several_packets_in_every_mode() {
    let sim = start_sim(settings());
    let mut ws = connect_ok(&kite_ok_url(&sim)).await;
    send_text(
        &mut ws,
        KiteRequest::Subscribe {
            tokens: ALL.to_vec(),
        }
        .to_json(),
    )
    .await;

    // Subscribing answers with a snapshot in the default mode, quote, in one frame.
    let snapshot = next_packets(&mut ws).await;
    assert_eq!(snapshot.len(), 4, "{snapshot:?}");
    for p in &snapshot {
        assert_eq!(p.mode(), Mode::Quote, "{p:?}");
    }
    let nifty = snapshot
        .iter()
        .find(|p| p.token() == NIFTY)
        .expect("nifty in snapshot");
    let KitePacket::Index(idx) = nifty else {
        panic!("nifty uses the index packet: {nifty:?}")
    };
    let close = sim.prev_close("NIFTY").expect("NIFTY is configured");
    assert_eq!(
        i64::from(idx.close),
        (close * 100.0).round() as i64,
        "previous close in paise"
    );

    let cases = [
        TestCase {
            mode: Mode::Full,
            index_len: size::INDEX_FULL,
            tradable_len: size::FULL,
        },
        TestCase {
            mode: Mode::Ltp,
            index_len: size::LTP,
            tradable_len: size::LTP,
        },
        TestCase {
            mode: Mode::Quote,
            index_len: size::INDEX_QUOTE,
            tradable_len: size::QUOTE,
        },
    ];
    for c in cases {
        send_text(
            &mut ws,
            KiteRequest::SetMode {
                mode: c.mode,
                tokens: ALL.to_vec(),
            }
            .to_json(),
        )
        .await;
        let mut multi = 0;
        let mut frames = 0;
        // The mode switch answers with a snapshot; then streamed frames, until several
        // frames held more than one packet each.
        while multi < 3 {
            frames += 1;
            assert!(frames < 200, "{:?}: never saw multi-packet frames", c.mode);
            let packets = next_packets(&mut ws).await;
            if packets.iter().any(|p| p.mode() != c.mode) {
                continue; // a tick in flight before the mode message landed
            }
            for p in &packets {
                let want = if p.tradable() {
                    c.tradable_len
                } else {
                    c.index_len
                };
                assert_eq!(p.wire_len(), want, "{:?} {p:?}", c.mode);
            }
            if packets.len() > 1 {
                multi += 1;
            }
        }
    }
    sim.stop().await;
}

#[actix_rt::test]
async fn idle_connection_gets_heartbeats() {
    let sim = start_sim(SimSettings {
        kite_heartbeat_interval_ms: 40,
        ..settings()
    });
    let mut ws = connect_ok(&kite_ok_url(&sim)).await;
    for _ in 0..3 {
        let b = next_binary(&mut ws).await;
        assert_eq!(b.len(), 1, "heartbeat is one byte");
        assert_eq!(decode_frame(&b), Ok(KiteFrame::Heartbeat));
    }
    sim.stop().await;
}
