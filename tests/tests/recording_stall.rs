//! A stalled recorder (its writer held, as a stuck disk would) never holds up live
//! ticks: the feed keeps delivering to the price store while frames are dropped from the
//! recording, and the drops are counted in `/health` and `/metrics`.

use mandi_testkit::{get_json, start_stack, wait_for, DEADLINE};

#[actix_rt::test]
async fn a_stalled_recorder_drops_and_counts_while_ticks_flow() {
    let dir = std::env::temp_dir().join(format!("mandi-recording-stall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_string_lossy().to_string();
    let stack = start_stack(&[
        ("MANDI__STORE__DATA_DIR", data.as_str()),
        ("MANDI__RECORDER__QUEUE_FRAMES", "4"),
    ])
    .await;
    let recorder = stack
        .app
        .runtime
        .recorder
        .clone()
        .expect("recorder on by default with a data dir");
    let health = stack.url("/health");

    let stalled = recorder.stall_writer();
    let updates_at_first_drop = wait_for("the recorder to drop a frame", DEADLINE, || async {
        let h = get_json(&health).await;
        (h["recorder"]["dropped"].as_u64()? > 0).then(|| h["store"]["updates"].as_u64())?
    })
    .await;
    // Live ticks keep coming while the writer stays stuck.
    wait_for(
        "ticks to keep reaching the price store",
        DEADLINE,
        || async {
            let h = get_json(&health).await;
            (h["store"]["updates"].as_u64()? >= updates_at_first_drop + 20).then_some(())
        },
    )
    .await;
    let h = get_json(&health).await;
    assert!(
        h["last_tick_age_s"].as_f64().is_some_and(|age| age < 2.0),
        "ticks are fresh while the recorder is stuck: {}",
        h["last_tick_age_s"]
    );
    let metrics = awc::Client::new()
        .get(stack.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .body()
        .await
        .expect("body");
    let metrics = String::from_utf8_lossy(&metrics);
    let dropped = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mandi_recorder_dropped_frames_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no mandi_recorder_dropped_frames_total in {metrics}"));
    assert!(dropped > 0.0, "drops counted in /metrics: {dropped}");

    drop(stalled);
    assert!(
        recorder.flush(DEADLINE),
        "the writer resumes once the disk does"
    );
    let stats = recorder.stats();
    assert!(stats.frames > 0 && stats.bytes_written > 0, "{stats:?}");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
