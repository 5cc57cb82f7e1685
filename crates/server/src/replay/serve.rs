//! `mandi run --replay DATE|PATH [--speed N]`: a recorded day served live. The embedded
//! simulator plays the recorded frames out on its feed sockets, as recorded, once the
//! clock passes their receive time; the runtime connects to it as to any broker, on a
//! clock that starts at the recording's first frame and runs `speed` times real time. So
//! the dashboard, `/ws`, `/ws/prices` and external bots see that day at any hour.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_recording::RecordKind;
use mandi_simulator::SimReplay;
use mandi_trading::clock::Clock;
use serde::Serialize;

use super::source;
use crate::config::MandiConfig;

/// What `/health` → `replay` shows and the dashboard's badge reads.
#[derive(Clone)]
pub struct ReplayInfo {
    /// What was asked for: a date or a path.
    pub input: String,
    pub speed: u32,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub clock: Clock,
    /// When (wall clock, ms) the recording's first frame was "now"; moved to the moment
    /// the server is ready, so start-up does not eat into the day.
    started_ms: Arc<AtomicI64>,
}

#[derive(Serialize)]
struct ReplayView<'a> {
    input: &'a str,
    speed: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// The recording's time now (the runtime's clock).
    recorded_time: DateTime<Utc>,
    finished: bool,
}

impl ReplayInfo {
    /// Start the recording's clock from its first frame now.
    pub fn start_now(&self) {
        self.started_ms
            .store(Utc::now().timestamp_millis(), Ordering::SeqCst);
    }

    pub fn view(&self) -> serde_json::Value {
        let now = (self.clock)();
        serde_json::to_value(ReplayView {
            input: &self.input,
            speed: self.speed,
            from: self.first,
            to: self.last,
            recorded_time: now,
            finished: now > self.last,
        })
        .unwrap_or_default()
    }
}

/// A recording ready to serve: the frames for the simulator and the shared clock.
pub struct Served {
    pub frames: SimReplay,
    pub info: ReplayInfo,
}

/// Reads `input` and makes `cfg` serve it: the embedded simulator on, speaking the
/// recording's broker; the recorder off (a replay is not a new market day).
pub fn prepare(cfg: &mut MandiConfig, input: &str, speed: u32) -> Result<Served, String> {
    if speed == 0 {
        return Err("--speed 0: use a whole number ≥ 1 (1 is real time)".into());
    }
    let recordings = cfg.store_settings().data_dir.map(|d| d.join("recordings"));
    let files = source::files_of(input, recordings.as_deref())?;
    let src = source::load(&files, None, None)?;
    for fault in &src.inputs.faults {
        tracing::warn!(
            fault,
            "the recording ends early; it is served up to the fault"
        );
    }
    let frames: Vec<_> = src
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::Binary)
        .map(|r| (r.received_ns, r.payload.clone()))
        .collect();
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        return Err(format!(
            "{input}: the recording holds no feed frames to serve"
        ));
    };
    let (first, last) = (
        DateTime::from_timestamp_nanos(first.0),
        DateTime::from_timestamp_nanos(last.0),
    );
    if !matches!(src.broker.as_str(), "dhan" | "kite") {
        return Err(format!(
            "the recording names broker {:?}; this build serves dhan and kite",
            src.broker
        ));
    }
    cfg.upstream.broker = src.broker.clone();
    cfg.simulator.enabled = true;
    cfg.recorder.enabled = false;
    let started_ms = Arc::new(AtomicI64::new(Utc::now().timestamp_millis()));
    let times = i64::from(speed);
    let clock: Clock = {
        let started_ms = started_ms.clone();
        Arc::new(move || {
            let wall = Utc::now().timestamp_millis() - started_ms.load(Ordering::SeqCst);
            first + chrono::Duration::milliseconds(wall.max(0).saturating_mul(times))
        })
    };
    Ok(Served {
        frames: SimReplay::new(frames, src.instruments.clone()),
        info: ReplayInfo {
            input: input.to_string(),
            speed,
            first,
            last,
            clock,
            started_ms,
        },
    })
}
