//! Legal framing the client libraries rarely use: a command split over fragments (with a
//! ping between them) is reassembled and answered, a binary frame gets a `bad_request`
//! error and the session goes on, and fragments adding up past 64 KiB close with 1009.

mod raw_ws;

use std::time::Duration;

use mandi_testkit::{start_stack, DEADLINE};
use raw_ws::{
    client_frame, Closed, RawWs, Read, OP_BINARY, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT,
};
use serde_json::Value;

/// Skip messages until one of `kind` arrives.
async fn next_of_type(ws: &mut RawWs, kind: &str) -> Value {
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        let left = give_up.saturating_duration_since(tokio::time::Instant::now());
        let text = ws
            .next_text(left)
            .await
            .unwrap_or_else(|| panic!("no {kind} message within {DEADLINE:?}"));
        let v: Value = serde_json::from_str(&text).expect("JSON");
        if v["type"] == kind {
            return v;
        }
    }
}

#[actix_rt::test]
async fn a_subscribe_in_three_fragments_is_answered() {
    let stack = start_stack(&[]).await;
    let mut ws = RawWs::connect(stack.app.addr, "/ws").await;
    let command = br#"{"action":"subscribe","symbols":["NIFTY","RELIANCE"],"mode":"quote"}"#;
    let (a, rest) = command.split_at(12);
    let (b, c) = rest.split_at(20);
    let mut bytes = client_frame(false, OP_TEXT, 0, a, true);
    bytes.extend(client_frame(false, OP_CONTINUATION, 0, b, true));
    // A control frame may come between fragments (RFC 6455 §5.4).
    bytes.extend(client_frame(true, OP_PING, 0, b"between", true));
    bytes.extend(client_frame(true, OP_CONTINUATION, 0, c, true));
    ws.send(&bytes).await.expect("send fragments");

    let pong = loop {
        match ws.next(DEADLINE).await {
            Read::Frame {
                opcode: OP_PONG,
                payload,
            } => break payload,
            Read::Frame { .. } => continue,
            other => panic!("no pong: {other:?}"),
        }
    };
    assert_eq!(pong, b"between");
    let ack = next_of_type(&mut ws, "subscribed").await;
    assert_eq!(ack["symbols"], serde_json::json!(["NIFTY", "RELIANCE"]));
    let tick = next_of_type(&mut ws, "tick").await;
    assert!(
        ["NIFTY", "RELIANCE"].contains(&tick["data"]["symbol"].as_str().unwrap_or("")),
        "{tick}"
    );
    stack.stop().await;
}

#[actix_rt::test]
async fn binary_frames_get_an_error_and_the_session_goes_on() {
    let stack = start_stack(&[]).await;
    for path in ["/ws", "/ws/prices"] {
        let mut ws = RawWs::connect(stack.app.addr, path).await;
        let mut bytes = client_frame(true, OP_BINARY, 0, &[1, 2, 3], true);
        bytes.extend(client_frame(false, OP_BINARY, 0, &[4], true));
        bytes.extend(client_frame(true, OP_CONTINUATION, 0, &[5], true));
        ws.send(&bytes).await.expect("send binary");
        for _ in 0..2 {
            let err = next_of_type(&mut ws, "error").await;
            assert_eq!(err["code"], "bad_request", "{path}: {err}");
        }
        if path == "/ws" {
            ws.send_text(r#"{"action":"ping"}"#).await;
            next_of_type(&mut ws, "pong").await;
        } else {
            // The terminal's socket keeps pushing its price map.
            let push = ws.next_text(Duration::from_secs(3)).await.expect("a push");
            assert!(push.contains("\"timestamp\""), "{push}");
        }
    }
    stack.stop().await;
}

#[actix_rt::test]
async fn fragments_past_64_kib_close_with_1009() {
    let stack = start_stack(&[]).await;
    let mut ws = RawWs::connect(stack.app.addr, "/ws").await;
    let piece = vec![b' '; 40 * 1024];
    let mut bytes = client_frame(false, OP_TEXT, 0, &piece, true);
    bytes.extend(client_frame(true, OP_CONTINUATION, 0, &piece, true));
    ws.send(&bytes).await.expect("send fragments");
    assert_eq!(
        ws.until_closed(Duration::from_secs(2)).await,
        Some(Closed::Frame(Some(1009)))
    );
    stack.stop().await;
}
