//! A frame that breaks the WebSocket rules closes its socket at once, with 1002 (1009 for a
//! length over the limit), on `/ws` and `/ws/prices` alike, and nothing else notices:
//! another client's ticks keep their pace, and a 4 GiB length header costs no memory.

mod raw_ws;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::join_all;
use mandi_testkit::{get_json, start_stack, wait_for, Stack, WsClient, DEADLINE};
use raw_ws::{client_frame, rss_kib, Closed, RawWs, OP_BINARY, OP_TEXT};
use serde_json::json;
use tokio::time::Instant;

const PROTOCOL_ERROR: u16 = 1002;
const TOO_BIG: u16 = 1009;

/// A well-behaved client in a task of its own, counting the ticks it receives.
async fn tick_counter(stack: &Stack, symbols: &[&str]) -> Rc<Cell<u64>> {
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": symbols}))
        .await;
    ws.next_of_type("tick", DEADLINE).await;
    let count = Rc::new(Cell::new(0));
    let counted = count.clone();
    actix_rt::spawn(async move {
        while let Some(msg) = ws.next_json(Duration::from_secs(60)).await {
            if msg["type"] == "tick" {
                counted.set(counted.get() + 1);
            }
        }
    });
    count
}

/// Ticks per second `count` gained while `during` ran (at least `at_least` long).
async fn rate_during<F: std::future::Future>(
    count: &Cell<u64>,
    at_least: Duration,
    during: F,
) -> (f64, F::Output) {
    let (start, from) = (Instant::now(), count.get());
    let out = during.await;
    let left = at_least.saturating_sub(start.elapsed());
    tokio::time::sleep(left).await;
    let rate = (count.get() - from) as f64 / start.elapsed().as_secs_f64();
    (rate, out)
}

async fn ws_clients(stack: &Stack) -> (u64, u64) {
    let h = get_json(&stack.url("/health")).await;
    (
        h["broadcast"]["clients"].as_u64().unwrap_or(u64::MAX),
        h["broadcast"]["prices_clients"]
            .as_u64()
            .unwrap_or(u64::MAX),
    )
}

struct TestCase {
    name: &'static str,
    path: &'static str,
    send: Vec<u8>,
    code: u16,
}

#[actix_rt::test]
async fn a_protocol_error_closes_only_that_socket() {
    let stack = start_stack(&[]).await;
    let addr = stack.app.addr;
    let ticks = tick_counter(&stack, &["NIFTY", "RELIANCE", "SENSEX"]).await;
    let (before, ()) = rate_during(&ticks, Duration::from_secs(2), async {}).await;
    assert!(before > 1.0, "the watching client gets ticks: {before}/s");
    let idle = ws_clients(&stack).await;
    let ping = br#"{"action":"ping"}"#;
    let cases = [
        TestCase {
            name: "unmasked frame on /ws",
            path: "/ws",
            send: client_frame(true, OP_TEXT, 0, ping, false),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "unmasked frame on /ws/prices",
            path: "/ws/prices",
            send: client_frame(true, OP_TEXT, 0, ping, false),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "reserved data opcode 0x3",
            path: "/ws",
            send: client_frame(true, 0x3, 0, b"x", true),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "reserved control opcode 0xB",
            path: "/ws/prices",
            send: client_frame(true, 0xB, 0, b"", true),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "RSV1 bit without an extension",
            path: "/ws",
            send: client_frame(true, OP_TEXT, 0x40, ping, true),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "RSV2 and RSV3 bits",
            path: "/ws",
            send: client_frame(true, OP_TEXT, 0x30, ping, true),
            code: PROTOCOL_ERROR,
        },
        TestCase {
            name: "one frame of 64 KiB + 1",
            path: "/ws",
            send: client_frame(true, OP_TEXT, 0, &vec![b' '; 64 * 1024 + 1], true),
            code: TOO_BIG,
        },
    ];
    // All at once: several broken clients together must not slow the good one either.
    let (during, ()) = rate_during(&ticks, Duration::from_secs(1), async {
        join_all(cases.iter().map(|c| async move {
            let mut ws = RawWs::connect(addr, c.path).await;
            ws.send(&c.send).await.expect("send");
            let closed = ws.until_closed(Duration::from_secs(2)).await;
            assert_eq!(
                closed,
                Some(Closed::Frame(Some(c.code))),
                "{}: close frame within 2 s",
                c.name
            );
            assert!(
                ws.drain_to_end(Duration::from_secs(3)).await.is_some(),
                "{}: the server closes the TCP connection after its close frame",
                c.name
            );
        }))
        .await;
    })
    .await;
    wait_for("the closed sessions are forgotten", DEADLINE, || async {
        (ws_clients(&stack).await == idle).then_some(())
    })
    .await;
    let (after, ()) = rate_during(&ticks, Duration::from_secs(2), async {}).await;
    eprintln!(
        "ticks/s of the other client: {before:.1} before, {during:.1} during, {after:.1} after"
    );
    assert!(
        during >= before * 0.5 && after >= before * 0.5,
        "the other client's tick rate holds: before {before:.1}/s, during {during:.1}/s, after {after:.1}/s"
    );
    stack.stop().await;
}

#[actix_rt::test]
async fn a_4_gib_length_header_is_refused_without_buffering() {
    let stack = start_stack(&[]).await;
    let addr = stack.app.addr;
    let ticks = tick_counter(&stack, &["NIFTY", "RELIANCE", "SENSEX"]).await;
    for path in ["/ws", "/ws/prices"] {
        // Warm up the path so lazy allocations do not count as growth.
        let mut warm = RawWs::connect(addr, path).await;
        warm.send(&client_frame(true, OP_BINARY, 0, b"x", true))
            .await
            .expect("send");
        warm.next_text(DEADLINE).await;
        let (before, ()) = rate_during(&ticks, Duration::from_secs(1), async {}).await;
        let rss_before = rss_kib();
        let mut ws = RawWs::connect(addr, path).await;
        let mut header = vec![0x82, 0x80 | 127];
        header.extend_from_slice(&(4u64 << 30).to_be_bytes());
        header.extend_from_slice(&[1, 2, 3, 4]);
        ws.send(&header).await.expect("send header");
        // Keep sending the "payload" for a second, as an attacker would.
        let blob = vec![0x5a; 64 * 1024];
        let (during, sent) = rate_during(&ticks, Duration::from_secs(1), async {
            let start = Instant::now();
            let mut sent = 0usize;
            while start.elapsed() < Duration::from_secs(1) {
                match tokio::time::timeout(Duration::from_millis(100), ws.send(&blob)).await {
                    Ok(Ok(())) => sent += blob.len(),
                    Ok(Err(_)) => break,
                    Err(_) => {}
                }
            }
            sent
        })
        .await;
        let grown_kib = rss_kib().saturating_sub(rss_before);
        eprintln!(
            "{path}: {sent} bytes sent behind a 4 GiB header in 1 s, RSS {rss_before} KiB → +{grown_kib} KiB, \
             other client {before:.1} → {during:.1} ticks/s"
        );
        let closed = ws.until_closed(Duration::from_secs(2)).await;
        assert!(
            matches!(
                closed,
                Some(Closed::Frame(Some(TOO_BIG))) | Some(Closed::Connection)
            ),
            "{path}: 1009 or the connection closed within 2 s, got {closed:?}"
        );
        assert!(
            grown_kib < 8 * 1024,
            "{path}: RSS grew {grown_kib} KiB while {sent} bytes of the frame were sent"
        );
        assert!(
            during >= before * 0.5,
            "{path}: the other client's tick rate holds: {before:.1}/s before, {during:.1}/s during"
        );
    }
    stack.stop().await;
}
