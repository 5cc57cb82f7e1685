//! How late ticks reach a bot: the time from the feed receiving the frame to the runner
//! reading the tick from its inbox (P6), kept per bot in an HDR histogram so `/api/bots`
//! shows the median, p99 and worst without storing every sample.

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde::Serialize;

/// Samples above this (a minute, in µs) are clamped: a tick that old is a stall, and
/// its exact age no longer matters.
const MAX_US: u64 = 60_000_000;

/// Tick ages in microseconds, 2 significant digits (a few KB per bot).
#[derive(Debug, Clone)]
pub struct TickLatency {
    histogram: Option<Histogram<u64>>,
}

/// What `/api/bots` reports under `tick_latency`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Ticks the bot read (conflated ones never reach it and are not counted).
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Default for TickLatency {
    fn default() -> TickLatency {
        TickLatency {
            histogram: Histogram::new_with_bounds(1, MAX_US, 2).ok(),
        }
    }
}

impl TickLatency {
    /// Records one tick received at `received`, read at `now` (both wall clock). A clock
    /// step backwards gives a negative age, counted as zero rather than dropped.
    pub fn record(&mut self, received: DateTime<Utc>, now: DateTime<Utc>) {
        let Some(h) = self.histogram.as_mut() else {
            return;
        };
        let us = (now - received).num_microseconds().unwrap_or(i64::MAX);
        h.saturating_record(u64::try_from(us).unwrap_or(0).clamp(1, MAX_US));
    }

    pub fn summary(&self) -> LatencySummary {
        match &self.histogram {
            Some(h) if !h.is_empty() => LatencySummary {
                count: h.len(),
                p50_us: h.value_at_quantile(0.5),
                p99_us: h.value_at_quantile(0.99),
                max_us: h.max(),
            },
            _ => LatencySummary::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn quantiles_follow_the_samples() {
        let mut latency = TickLatency::default();
        assert_eq!(latency.summary(), LatencySummary::default());
        let now = Utc::now();
        for us in 1..=100 {
            latency.record(now - Duration::microseconds(us * 10), now);
        }
        // A clock step back counts as no delay; an hour-old tick is clamped to a minute.
        latency.record(now + Duration::seconds(1), now);
        latency.record(now - Duration::hours(1), now);
        let s = latency.summary();
        assert_eq!(s.count, 102);
        assert!((490..=510).contains(&s.p50_us), "{s:?}");
        assert!((990..=1010).contains(&s.p99_us), "{s:?}");
        assert!(s.max_us >= 59_000_000 && s.max_us <= 60_500_000, "{s:?}");
    }
}
