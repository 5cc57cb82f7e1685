//! Stopping the server closes every socket with 1001 (going away) instead of cutting it.

mod raw_ws;

use std::time::Duration;

use mandi_testkit::start_stack;
use raw_ws::{Closed, RawWs};

#[actix_rt::test]
async fn stopping_the_server_closes_sockets_with_1001() {
    let stack = start_stack(&[]).await;
    let mut ticks = RawWs::connect(stack.app.addr, "/ws").await;
    let mut prices = RawWs::connect(stack.app.addr, "/ws/prices").await;
    ticks
        .send_text(r#"{"action":"subscribe","symbols":["NIFTY"]}"#)
        .await;
    assert!(ticks.next_text(Duration::from_secs(5)).await.is_some());
    assert!(prices.next_text(Duration::from_secs(5)).await.is_some());

    let stopping = actix_rt::spawn(stack.stop());
    for (path, ws) in [("/ws", &mut ticks), ("/ws/prices", &mut prices)] {
        assert_eq!(
            ws.until_closed(Duration::from_secs(3)).await,
            Some(Closed::Frame(Some(1001))),
            "{path}"
        );
    }
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("the server stops within 5 s")
        .expect("stop task");
}
