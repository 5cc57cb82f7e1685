//! Dhan v2 feed over a real WebSocket: subscribe in each mode, auth failures, the
//! per-message instrument limit, the connection limit, and keep-alive.

mod common;

use std::collections::HashMap;

use awc::ws::{Frame, Message};
use common::*;
use futures_util::{SinkExt, StreamExt};
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{code, decode_packet, subscribe_messages, DhanPacket};
use mandi_simulator::SimSettings;

const NIFTY: (Segment, u32) = (Segment::IdxI, 13);
const RELIANCE: (Segment, u32) = (Segment::NseEq, 2885);

/// Decode one binary message, insisting it holds exactly one packet.
fn one_packet(buf: &[u8]) -> DhanPacket {
    let (packet, used) = decode_packet(buf).expect("packet decodes");
    assert_eq!(used, buf.len(), "one packet per message (code {})", buf[0]);
    packet
}

async fn next_packet(ws: &mut impl Ws) -> DhanPacket {
    one_packet(&next_binary(ws).await)
}

/// The disconnect packet and then the close.
async fn expect_disconnect(ws: &mut impl Ws, want_reason: u16) {
    match next_packet(ws).await {
        DhanPacket::Disconnect(d) => assert_eq!(d.reason, want_reason),
        other => panic!("expected a disconnect packet, got {other:?}"),
    }
    match next(ws, false).await {
        Some(Received::Close) | None => {}
        other => panic!("expected the socket to close, got {other:?}"),
    }
}

struct TestCase {
    mode: Mode,
    codes: &'static [u8],
}

#[actix_rt::test]
async fn subscribe_in_each_mode_sends_prev_close_then_the_mode_packets() {
    let sim = start_sim(settings());
    let cases = [
        TestCase {
            mode: Mode::Ltp,
            codes: &[code::TICKER],
        },
        TestCase {
            mode: Mode::Quote,
            codes: &[code::QUOTE, code::OI],
        },
        TestCase {
            mode: Mode::Full,
            codes: &[code::FULL],
        },
    ];
    for c in cases {
        let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
        for msg in subscribe_messages(c.mode, &[NIFTY, RELIANCE]) {
            send_text(&mut ws, msg).await;
        }
        let mut prev_closes = Vec::new();
        for _ in 0..2 {
            match next_packet(&mut ws).await {
                DhanPacket::PrevClose(p) => {
                    prev_closes.push((p.instrument.security_id, p.prev_close))
                }
                other => panic!("{:?}: prev close must come first, got {other:?}", c.mode),
            }
        }
        prev_closes.sort_by_key(|p| p.0);
        let close = |symbol: &str| sim.prev_close(symbol).expect("a configured symbol") as f32;
        assert_eq!(
            prev_closes,
            vec![(13, close("NIFTY")), (2885, close("RELIANCE"))],
            "{:?}",
            c.mode
        );

        // The initial state, then the stream: three rounds per instrument.
        let mut seen: HashMap<u32, usize> = HashMap::new();
        while seen.get(&13).copied().unwrap_or(0) < 3 || seen.get(&2885).copied().unwrap_or(0) < 3 {
            let p = next_packet(&mut ws).await;
            assert!(
                c.codes.contains(&p.code()),
                "{:?}: unexpected code {}",
                c.mode,
                p.code()
            );
            if p.code() == c.codes[0] {
                *seen.entry(p.instrument().security_id).or_default() += 1;
            }
            if let DhanPacket::Ticker(t) = p {
                let now = mandi_domain::time::utc_to_dhan_ltt(chrono::Utc::now());
                assert!(now.abs_diff(t.ltt) < 60, "ltt is the IST wall-clock epoch");
            }
        }
    }
    sim.stop().await;
}

#[actix_rt::test]
async fn bad_token_gets_809_and_bad_client_id_808_then_close() {
    let sim = start_sim(settings());
    let creds = settings().credentials;
    let mut ws = connect_ok(&dhan_url(&sim, &creds.dhan_client_id, "wrong")).await;
    expect_disconnect(&mut ws, 809).await;
    let mut ws = connect_ok(&dhan_url(&sim, "999", &creds.dhan_access_token)).await;
    expect_disconnect(&mut ws, 808).await;
    let c = sim.counters();
    assert_eq!((c.dhan.auth_failures, c.dhan.connections_total), (2, 0));
    sim.stop().await;
}

#[actix_rt::test]
async fn more_than_100_instruments_in_one_message_is_a_violation() {
    let sim = start_sim(settings());
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    let list: Vec<String> = (0..101)
        .map(|i| {
            format!(
                r#"{{"ExchangeSegment":"NSE_EQ","SecurityId":"{}"}}"#,
                10_000 + i
            )
        })
        .collect();
    let msg = format!(
        r#"{{"RequestCode":15,"InstrumentCount":101,"InstrumentList":[{}]}}"#,
        list.join(",")
    );
    send_text(&mut ws, msg).await;
    expect_disconnect(&mut ws, 804).await;
    assert_eq!(sim.counters().dhan.limit_violations, 1);
    sim.stop().await;
}

#[actix_rt::test]
async fn sixth_connection_kicks_the_oldest_with_805() {
    let sim = start_sim(settings());
    let mut conns = Vec::new();
    for _ in 0..5 {
        conns.push(connect_ok(&dhan_ok_url(&sim)).await);
    }
    wait_counters(&sim, "five open", |c| c.dhan.connections_open == 5).await;
    let mut sixth = connect_ok(&dhan_ok_url(&sim)).await;
    expect_disconnect(&mut conns[0], 805).await;
    let c = wait_counters(&sim, "oldest gone", |c| c.dhan.connections_open == 5).await;
    assert_eq!((c.dhan.connections_total, c.dhan.limit_violations), (6, 1));
    // The survivors, the newest included, still work.
    for msg in subscribe_messages(Mode::Ltp, &[NIFTY]) {
        send_text(&mut sixth, msg).await;
    }
    assert!(matches!(
        next_packet(&mut sixth).await,
        DhanPacket::PrevClose(_)
    ));
    sim.stop().await;
}

#[actix_rt::test]
async fn server_pings_answers_pings_and_ignores_binary_frames() {
    let sim = start_sim(SimSettings {
        dhan_ping_interval_ms: 30,
        ..settings()
    });
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    assert!(matches!(next(&mut ws, true).await, Some(Received::Ping)));

    within("client ping", ws.send(Message::Ping("hi".into())))
        .await
        .expect("ping sent");
    within("pong", async {
        while let Some(frame) = ws.next().await {
            if let Ok(Frame::Pong(payload)) = frame {
                assert_eq!(&payload[..], b"hi");
                return;
            }
        }
        panic!("socket closed before the pong");
    })
    .await;

    // The official client's 83-byte v1 trailer must not upset the session.
    within("binary", ws.send(Message::Binary(vec![12u8; 83].into())))
        .await
        .expect("binary sent");
    for msg in subscribe_messages(Mode::Ltp, &[NIFTY]) {
        send_text(&mut ws, msg).await;
    }
    assert!(matches!(
        next_packet(&mut ws).await,
        DhanPacket::PrevClose(_)
    ));
    sim.stop().await;
}
