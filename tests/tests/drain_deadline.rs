//! A client that stops reading while its queue bound is far away is closed by the drain
//! deadline alone: 4008, its TCP connection dropped though it never reads again, counted
//! as a slow client once it is gone.

mod raw_ws;

use std::time::Duration;

use mandi_testkit::{get_json, start_stack, wait_for, DEADLINE};
use raw_ws::{many_symbols, socket_counts, RawWs};
use serde_json::json;
use tokio::time::Instant;

#[actix_rt::test]
async fn a_stalled_client_is_closed_by_the_drain_deadline() {
    // 16 MiB would take half a minute to fill at this rate: only the deadline can act.
    let stack = start_stack(&[
        ("MANDI__BROADCAST__MAX_QUEUED_BYTES", "16777216"),
        ("MANDI__BROADCAST__DRAIN_DEADLINE_MS", "1000"),
    ])
    .await;
    let symbols = many_symbols(&stack, 100).await;
    let mut stalled = RawWs::connect_with_recv_buffer(stack.app.addr, "/ws", 4096).await;
    stalled
        .send_text(&json!({"action": "subscribe", "symbols": symbols, "mode": "ltp"}).to_string())
        .await;
    let stalled_at = Instant::now();
    let health_url = stack.url("/health");
    wait_for("the stalled client closed", DEADLINE, || async {
        (socket_counts(&get_json(&health_url).await) == (0, 1)).then_some(())
    })
    .await;
    let closed_after = stalled_at.elapsed();
    eprintln!("stalled client closed after {closed_after:?}");
    // The kernel's buffers fill in about a second at this rate, then the deadline runs.
    assert!(
        closed_after >= Duration::from_secs(1) && closed_after <= Duration::from_secs(5),
        "closed {closed_after:?} after it stopped reading (deadline 1 s)"
    );
    let held = stalled
        .drain_to_end(Duration::from_secs(3))
        .await
        .expect("the server dropped the stalled connection");
    assert!(held < 1 << 20, "{held} bytes were still held for it");
    stack.stop().await;
}
