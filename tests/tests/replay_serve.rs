//! `mandi run --replay`: a recorded day served live. A synthetic stretch is written, then
//! served at five times real time: a `/ws` client gets NIFTY ticks stamped inside the
//! recorded stretch at prices the recording holds (the simulator sends its frames as
//! recorded, so nothing is generated), the master is the recording's own instrument
//! rows, and `/health` → `replay` shows the recording's time moving.

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::Instant;

use chrono::{DateTime, Utc};
use mandi_protocol::dhan::{decode_packet, DhanPacket};
use mandi_recording::{read_all, RecordKind};
use mandi_server::replay::serve;
use mandi_server::{app, config};
use mandi_simulator::record_day::record_day;
use mandi_testkit::{get_json, wait_for, WsClient, DEADLINE};
use mandi_tests::{ist, test_stretch};
use serde_json::json;

/// NIFTY's last prices in the recording, as Dhan's packets carry them (paise-exact f32),
/// and the instrument rows its header keeps.
fn recorded_nifty_prices(dir: &std::path::Path) -> (HashSet<String>, usize) {
    let mut prices = HashSet::new();
    let mut rows = 0;
    let day = dir.join("recordings").join("2026-11-23");
    for entry in std::fs::read_dir(day).expect("the day's directory") {
        let path = entry.expect("an entry").path();
        let recording = read_all(&path).expect("the recording reads");
        rows += recording.header.instruments.len();
        for r in recording.records {
            if r.kind != RecordKind::Binary {
                continue;
            }
            let ltp = match decode_packet(&r.payload) {
                Ok((DhanPacket::Ticker(p), _)) if p.instrument.security_id == 13 => p.ltp,
                Ok((DhanPacket::Quote(p), _)) if p.instrument.security_id == 13 => p.ltp,
                Ok((DhanPacket::Full(p), _)) if p.instrument.security_id == 13 => p.ltp,
                _ => continue,
            };
            prices.insert(format!("{:.2}", ltp));
        }
    }
    (prices, rows)
}

#[actix_rt::test]
async fn a_recorded_stretch_is_served_on_its_own_clock_at_its_own_prices() {
    let dir = std::env::temp_dir().join(format!("mandi-replay-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env = [
        ("MANDI__STORE__DATA_DIR", dir.to_string_lossy().to_string()),
        ("MANDI__STRATEGIES__DIR", String::new()),
        ("MANDI__SERVER__PORT", "0".to_string()),
        ("MANDI__SIMULATOR__PORT", "0".to_string()),
    ]
    .map(|(k, v)| (k.to_string(), v));
    let cfg = config::load(None, env).expect("config");
    let day = test_stretch(
        cfg.broker().as_str(),
        dir.join("recordings"),
        (9, 15),
        (9, 20),
    );
    // Recorded from another seed than the serving simulator's: a price it generated
    // itself would not be among the recorded ones.
    let recording_market = mandi_simulator::SimSettings {
        seed: cfg.simulator.seed + 1,
        ..app::sim_settings(&cfg)
    };
    record_day(&recording_market, &cfg.calendar(), &day).expect("records");
    let (recorded, header_rows) = recorded_nifty_prices(&dir);
    assert!(!recorded.is_empty(), "NIFTY is in the recording");

    let mut served_cfg = cfg.clone();
    let served = serve::prepare(&mut served_cfg, "2026-11-23", 5).expect("the recording serves");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let running = app::start_replay(served_cfg, listener, 1, served)
        .await
        .expect("the replay starts");
    let base = running.base_url();

    let mut ws = WsClient::connect(&format!("ws://{}/ws", running.addr)).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["NIFTY"], "mode": "full"}))
        .await;
    let mut seen = 0;
    let mut last_time = None;
    while seen < 5 {
        let m = ws.next_of_type("tick", DEADLINE).await;
        let t = &m["data"];
        let at: DateTime<Utc> = serde_json::from_value(t["exchange_time"].clone())
            .unwrap_or_else(|e| panic!("an exchange time ({e}): {t}"));
        assert!(
            at >= ist(9, 15) && at < ist(9, 20),
            "stamped inside the recorded stretch: {at}"
        );
        let ltp = format!("{:.2}", t["ltp"].as_f64().expect("an ltp"));
        assert!(recorded.contains(&ltp), "{ltp} is a recorded NIFTY price");
        if let Some(before) = last_time {
            assert!(at >= before, "in recorded order: {before} then {at}");
        }
        last_time = Some(at);
        seen += 1;
    }

    let health = wait_for(
        "the recording's time moving in /health",
        DEADLINE,
        || async {
            let h = get_json(&format!("{base}/health")).await;
            let at: Option<DateTime<Utc>> =
                serde_json::from_value(h["replay"]["recorded_time"].clone()).ok();
            at.filter(|t| *t > ist(9, 15)).map(|_| h)
        },
    )
    .await;
    let replay = &health["replay"];
    assert_eq!(replay["speed"], 5, "{replay}");
    assert_eq!(replay["input"], "2026-11-23", "{replay}");
    assert_eq!(health["feed"]["state"], "live", "{}", health["feed"]);
    // The master is the recording's own rows (the instruments its frames name), not the
    // serving simulator's whole universe.
    assert_eq!(
        health["master"]["rows"].as_u64(),
        Some(header_rows as u64),
        "{}",
        health["master"]
    );
    // Five times real time: the recording's clock against the wall's over the same span.
    let recorded_now = || async {
        let h = get_json(&format!("{base}/health")).await;
        serde_json::from_value::<DateTime<Utc>>(h["replay"]["recorded_time"].clone())
            .expect("a recorded time")
    };
    let wall = Instant::now();
    let before = recorded_now().await;
    let (after, took) = wait_for("the recording's clock to move 2 s", DEADLINE, || async {
        let now = recorded_now().await;
        (now - before >= chrono::Duration::seconds(2)).then(|| (now, wall.elapsed()))
    })
    .await;
    let ratio = (after - before).num_milliseconds() as f64 / took.as_millis().max(1) as f64;
    assert!(
        (2.0..=6.5).contains(&ratio),
        "the recording ran {ratio:.1}× the wall clock, not about 5×"
    );
    ws.close().await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
