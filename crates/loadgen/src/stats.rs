//! One step's figures for one target: latency percentiles from an HDR histogram of the
//! clients' samples, deliveries and their rate, gaps, disconnects and CPU.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency the histogram resolves: 60 s in nanoseconds (3 significant digits).
const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// Which server a figure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Mandi,
    Reference,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Mandi => "mandi",
            Target::Reference => "reference",
        }
    }
}

/// Percentiles in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub samples: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

/// Collects latency samples (nanoseconds).
pub struct LatencyRecorder {
    hist: Histogram<u64>,
}

impl LatencyRecorder {
    pub fn new() -> LatencyRecorder {
        LatencyRecorder {
            hist: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .expect("1..60 s at 3 significant digits is a valid histogram"),
        }
    }

    pub fn record(&mut self, ns: u64) {
        // Anything past the bound counts as the bound: a 60 s latency already fails every target.
        self.hist.saturating_record(ns.clamp(1, MAX_LATENCY_NS));
    }

    pub fn summary(&self) -> Option<Latency> {
        if self.hist.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1e3;
        Some(Latency {
            samples: self.hist.len(),
            p50_us: us(self.hist.value_at_quantile(0.5)),
            p99_us: us(self.hist.value_at_quantile(0.99)),
            p999_us: us(self.hist.value_at_quantile(0.999)),
            max_us: us(self.hist.max()),
        })
    }
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        LatencyRecorder::new()
    }
}

/// One row of a scenario's table.
#[derive(Clone, Debug, Serialize)]
pub struct StepResult {
    /// e.g. "1000/s" or "slow 1000/s".
    pub label: String,
    pub target: Target,
    /// Clients that read (a stalled client is not counted).
    pub clients: usize,
    pub rate_target: u64,
    pub sent: u64,
    /// Ticks per second the generator got out.
    pub send_rate: f64,
    pub delivered: u64,
    /// Deliveries over the time from each round's first send to its last delivery.
    pub deliveries_per_s: f64,
    /// Ticks sent in the step that a reading client never got (skipped or lost).
    pub gaps: u64,
    /// Ticks older than one the client already had for their symbol (must be 0).
    pub reordered: u64,
    /// The same tick delivered twice to a client.
    pub duplicates: u64,
    /// Ticks whose number was not sent in this phase (a price from before it, e.g. a tick
    /// mandi sends when a previous-close packet changes the price it holds).
    pub stray: u64,
    /// Reading clients whose socket ended during the phase.
    pub disconnects: usize,
    pub latency: Option<Latency>,
    /// CPU of the server under test, % of one core: mandi's process, or the reference's threads.
    pub server_cpu_pct: f64,
    /// CPU of all load clients together, % of one core.
    pub client_cpu_pct: f64,
    /// CPU of the generator and fake upstream thread, % of one core.
    pub generator_cpu_pct: f64,
    /// Size of one tick frame as the clients received it, bytes.
    pub frame_bytes: usize,
}

impl StepResult {
    pub fn p99_us(&self) -> Option<f64> {
        self.latency.map(|l| l.p99_us)
    }

    /// Every tick sent reached every reading client, none out of order, nobody dropped, and
    /// the generator held at least 95 % of the asked rate.
    pub fn is_clean(&self) -> bool {
        self.gaps == 0
            && self.reordered == 0
            && self.duplicates == 0
            && self.disconnects == 0
            && self.send_rate >= 0.95 * self.rate_target as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_microseconds() {
        let mut rec = LatencyRecorder::new();
        assert_eq!(rec.summary(), None);
        for ns in 1..=1000u64 {
            rec.record(ns * 1_000);
        }
        rec.record(u64::MAX);
        let l = rec.summary().expect("samples recorded");
        assert_eq!(l.samples, 1001);
        assert!((l.p50_us / 500.0 - 1.0).abs() < 0.01, "{l:?}");
        assert!((l.p99_us / 990.0 - 1.0).abs() < 0.01, "{l:?}");
        assert!(
            (l.max_us - 60e6).abs() / 60e6 < 0.001,
            "saturates at the bound: {l:?}"
        );
    }
}
