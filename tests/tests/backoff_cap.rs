//! `upstream.backoff_max_ms` holds for every failure the broker did not ask us to wait
//! out: an HTTP 400 at the upgrade (once held back by a fixed 120 s floor) is retried
//! within the cap, and the feed is live again as soon as the upgrade works.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mandi_testkit::{get_json, request_json, start_stack, wait_for, DEADLINE};
use serde_json::{json, Value};

/// The ceiling under test: far below the 120 s throttled floor.
const CAP_MS: u64 = 1_000;

#[actix_rt::test]
async fn an_http_400_at_the_upgrade_is_retried_within_backoff_max_ms() {
    let cap = CAP_MS.to_string();
    let stack = start_stack(&[
        ("MANDI__UPSTREAM__BACKOFF_INITIAL_MS", "100"),
        ("MANDI__UPSTREAM__BACKOFF_MAX_MS", cap.as_str()),
        ("MANDI__STRATEGIES__DIR", ""),
    ])
    .await;
    let sim = stack.app.simulator.as_ref().expect("simulator").rest_url();
    let health_url = stack.url("/health");
    let feed = |h: &Value| h["feed"].clone();
    wait_for("the feed live", DEADLINE, || async {
        (feed(&get_json(&health_url).await)["state"] == "live").then_some(())
    })
    .await;

    // Every upgrade now answers 400, and the open socket is cut so the feed reconnects.
    let (status, body) = request_json(
        "POST",
        &format!("{sim}/admin/faults"),
        Some(&json!({"refuse_upgrade_status": 400, "abrupt_close": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refused = wait_for("the upgrade refused with HTTP 400", DEADLINE, || async {
        let f = feed(&get_json(&health_url).await);
        let reason = f["reason"].as_str().unwrap_or_default();
        (reason.contains("HTTP 400") && f["next_attempt_at"].is_string()).then_some(f)
    })
    .await;
    let next: DateTime<Utc> = refused["next_attempt_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("next_attempt_at is a time");
    let wait_ms = (next - Utc::now()).num_milliseconds();
    assert!(
        wait_ms <= CAP_MS as i64,
        "next attempt {wait_ms} ms away, beyond backoff_max_ms {CAP_MS}: {refused}"
    );

    // The upgrade works again: the feed is back within the cap (plus a connect), not
    // after two minutes on REST.
    let (status, body) = request_json("DELETE", &format!("{sim}/admin/faults"), None).await;
    assert_eq!(status, 200, "{body}");
    let cleared = Instant::now();
    wait_for("the feed live again", Duration::from_secs(5), || async {
        (feed(&get_json(&health_url).await)["state"] == "live").then_some(())
    })
    .await;
    assert!(
        cleared.elapsed() <= Duration::from_millis(CAP_MS) + Duration::from_secs(3),
        "live again after {:?}",
        cleared.elapsed()
    );
    stack.stop().await;
}
