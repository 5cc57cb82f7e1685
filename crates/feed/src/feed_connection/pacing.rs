//! How fast one connection may send subscribe, unsubscribe and mode messages: a token
//! bucket holding a second's worth, refilled continuously. Plain data; time is an argument.

use std::time::{Duration, Instant};

/// A token bucket of `per_s` tokens, full at start, one token per message.
#[derive(Clone, Debug)]
pub struct MessagePacer {
    per_s: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl MessagePacer {
    /// At least one message a second, whatever the config says.
    pub fn new(per_s: u32) -> MessagePacer {
        let per_s = f64::from(per_s.max(1));
        MessagePacer {
            per_s,
            tokens: per_s,
            last: None,
        }
    }

    /// Take one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Messages sent outside the pace (a fresh socket's replay) still spend what is
    /// there, so churn right after them is paced from an empty bucket.
    pub fn spend(&mut self, messages: usize, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens - messages as f64).max(0.0);
    }

    /// How long until the next token.
    pub fn wait(&self, now: Instant) -> Duration {
        let tokens = self.tokens_at(now);
        if tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - tokens) / self.per_s)
        }
    }

    fn tokens_at(&self, now: Instant) -> f64 {
        let elapsed = self
            .last
            .map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64());
        (self.tokens + elapsed * self.per_s).min(self.per_s)
    }

    fn refill(&mut self, now: Instant) {
        self.tokens = self.tokens_at(now);
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        per_s: u32,
        /// Milliseconds from the start at which one message each is tried.
        tries_ms: &'static [u64],
        sent: usize,
    }

    #[test]
    fn a_burst_of_a_second_then_the_pace() {
        let cases = [
            TestCase {
                name: "a burst of ten at once, no more",
                per_s: 10,
                tries_ms: &[0; 15],
                sent: 10,
            },
            TestCase {
                name: "refilled one per 100 ms after the burst",
                per_s: 10,
                tries_ms: &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 100, 150, 200],
                sent: 12,
            },
            TestCase {
                name: "never more than a second's worth saved up",
                per_s: 2,
                tries_ms: &[0, 0, 10_000, 10_000, 10_000],
                sent: 4,
            },
            TestCase {
                name: "zero in the config still lets one a second through",
                per_s: 0,
                tries_ms: &[0, 500, 1000],
                sent: 2,
            },
        ];
        let t0 = Instant::now();
        for c in cases {
            let mut pacer = MessagePacer::new(c.per_s);
            let sent = c
                .tries_ms
                .iter()
                .filter(|ms| pacer.try_take(t0 + Duration::from_millis(**ms)))
                .count();
            assert_eq!(sent, c.sent, "{}", c.name);
        }
    }

    #[test]
    fn a_replay_spends_the_bucket_and_wait_says_when_the_next_token_comes() {
        let t0 = Instant::now();
        let mut pacer = MessagePacer::new(10);
        pacer.spend(50, t0);
        assert!(!pacer.try_take(t0));
        assert_eq!(pacer.wait(t0), Duration::from_millis(100));
        assert!(pacer.wait(t0 + Duration::from_millis(40)) > Duration::from_millis(59));
        assert!(pacer.try_take(t0 + Duration::from_millis(100)));
        assert_eq!(MessagePacer::new(10).wait(t0), Duration::ZERO);
    }
}
