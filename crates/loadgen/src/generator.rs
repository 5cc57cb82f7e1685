//! The tick generator: numbers ticks 1, 2, 3, … within a phase, paces them at a constant rate
//! (every tick has a due time; whatever is due is sent as one batch), stamps each sequence
//! number's send time in the `SendBook`, and hands the same batch to every sink of the step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;

use crate::clock::{RunClock, SendBook};
use crate::ticks::full_packet;
use crate::upstream::Batch;

/// Most ticks in one batch: a generator that fell behind catches up in bounded gulps, so one
/// batch never stalls the sinks for long.
const MAX_BATCH: u64 = 1024;

/// One step of a phase: `count` ticks at `rate_per_s`, cut short after `max_duration` if the
/// sinks push back (the step then reports the rate it got).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepPlan {
    pub rate_per_s: u64,
    pub count: u64,
    pub max_duration: Duration,
}

impl StepPlan {
    /// `rate_per_s` for `seconds`, allowed twice as long (plus a second) to get the ticks out.
    pub fn paced(rate_per_s: u64, seconds: f64) -> StepPlan {
        StepPlan {
            rate_per_s,
            count: ((rate_per_s as f64 * seconds).round() as u64).max(1),
            max_duration: Duration::from_secs_f64(seconds * 2.0 + 1.0),
        }
    }

    /// The same rate, for one of `rounds` equal parts of the step.
    pub fn part(&self, rounds: u64) -> StepPlan {
        let rounds = rounds.max(1);
        StepPlan {
            rate_per_s: self.rate_per_s,
            count: self.count.div_ceil(rounds),
            max_duration: self.max_duration / u32::try_from(rounds).unwrap_or(u32::MAX),
        }
    }

    pub fn seconds(&self) -> f64 {
        self.count as f64 / self.rate_per_s.max(1) as f64
    }
}

/// What a step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRun {
    pub first_seq: u64,
    pub sent: u64,
    pub started_ns: u64,
    pub ended_ns: u64,
}

impl StepRun {
    pub fn seconds(&self) -> f64 {
        self.ended_ns.saturating_sub(self.started_ns) as f64 / 1e9
    }
}

/// Where the ticks go: the fake upstream's feed connection (to mandi) and the reference's hub.
#[derive(Clone, Default)]
pub struct Sinks {
    pub upstream: Option<mpsc::Sender<Batch>>,
    pub reference: Option<mpsc::Sender<Batch>>,
}

/// Ticks of one phase.
pub struct Generator {
    clock: RunClock,
    book: Arc<SendBook>,
    next_seq: u64,
}

impl Generator {
    pub fn new(clock: RunClock, book: Arc<SendBook>) -> Generator {
        Generator {
            clock,
            next_seq: book.first_seq(),
            book,
        }
    }

    /// Send one step's ticks to `sinks`. Runs on the upstream runtime, next to the feed
    /// connection.
    pub async fn run_step(&mut self, plan: StepPlan, sinks: &Sinks) -> StepRun {
        let first_seq = self.next_seq;
        let start = Instant::now();
        let started_ns = self.clock.now_ns();
        let rate = plan.rate_per_s.max(1) as f64;
        let mut sent = 0;
        while sent < plan.count && start.elapsed() <= plan.max_duration {
            let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(plan.count);
            if due <= sent {
                let next = start + Duration::from_secs_f64(sent as f64 / rate);
                tokio::time::sleep_until(next.into()).await;
                continue;
            }
            let n = (due - sent).min(MAX_BATCH);
            self.send_batch(n, sinks).await;
            sent += n;
        }
        StepRun {
            first_seq,
            sent,
            started_ns,
            ended_ns: self.clock.now_ns(),
        }
    }

    async fn send_batch(&mut self, n: u64, sinks: &Sinks) {
        let now = Utc::now();
        let seqs = self.next_seq..self.next_seq + n;
        let batch: Batch = Arc::new(seqs.clone().map(|seq| full_packet(seq, now)).collect());
        // Stamped after encoding, right before the hand-off: both targets start from here.
        let at = self.clock.now_ns();
        for seq in seqs {
            self.book.record(seq, at);
        }
        self.next_seq += n;
        for sink in [&sinks.upstream, &sinks.reference].into_iter().flatten() {
            // A sink that is gone (its target stopped) just stops receiving.
            let _ = sink.send(batch.clone()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_counts_and_stamps_every_tick() {
        let clock = RunClock::new();
        let book = Arc::new(SendBook::with_capacity(200));
        let (tx, mut rx) = mpsc::channel(1024);
        let sinks = Sinks {
            upstream: None,
            reference: Some(tx),
        };
        let mut generator = Generator::new(clock, book.clone());
        let first = generator
            .run_step(StepPlan::paced(1000, 0.05), &sinks)
            .await;
        let second = generator
            .run_step(StepPlan::paced(2000, 0.05), &sinks)
            .await;
        assert_eq!((first.first_seq, first.sent), (1, 50));
        assert_eq!((second.first_seq, second.sent), (51, 100));
        assert!(
            first.seconds() >= 0.045,
            "paced, not burst: {}",
            first.seconds()
        );
        let mut received = 0;
        while let Ok(batch) = rx.try_recv() {
            received += batch.len();
        }
        assert_eq!(received, 150);
        assert!((1..=150).all(|seq| book.sent_at(seq).is_some()));
        assert_eq!(book.sent_at(151), None);
    }
}
