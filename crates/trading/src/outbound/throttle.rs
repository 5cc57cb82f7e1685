//! `DropThrottle`: counts trading updates a sender could not hand over and decides when a
//! warning is due, so a full client mailbox costs one log line per interval, not one per
//! frame. Pure: the caller passes the (monotonic) time.

use std::time::{Duration, Instant};

/// At most one drop warning per sender this often.
pub const DROP_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Drops counted since start and since the last warning.
#[derive(Debug, Default, Clone)]
pub struct DropThrottle {
    /// Every update dropped since the actor started; what its stats report.
    total: u64,
    /// Dropped since the last warning: what the next warning carries.
    unreported: u64,
    /// `None` until the first warning, so the first drop is said at once.
    last_warning: Option<Instant>,
}

impl DropThrottle {
    /// Counts `dropped` updates lost at `now`; the count to warn with, if a warning is due.
    pub fn record(&mut self, dropped: u64, now: Instant) -> Option<u64> {
        self.total += dropped;
        self.unreported += dropped;
        self.due(now)
    }

    /// The count to warn with when drops wait unreported and the interval has passed: a
    /// burst that ended inside the interval is still said, by the sender's next check.
    pub fn due(&mut self, now: Instant) -> Option<u64> {
        if self.unreported == 0 {
            return None;
        }
        let quiet = self
            .last_warning
            .is_some_and(|last| now.saturating_duration_since(last) < DROP_WARNING_INTERVAL);
        if quiet {
            return None;
        }
        self.last_warning = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn unreported(&self) -> u64 {
        self.unreported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step: at `at_s` seconds, `dropped` updates lost (0: only a `due` check).
    struct Step {
        at_s: u64,
        dropped: u64,
        warns: Option<u64>,
    }

    struct TestCase {
        name: &'static str,
        steps: Vec<Step>,
        total: u64,
    }

    fn step(at_s: u64, dropped: u64, warns: Option<u64>) -> Step {
        Step {
            at_s,
            dropped,
            warns,
        }
    }

    #[test]
    fn warnings_are_throttled_and_carry_the_count_since_the_last() {
        let cases = vec![
            TestCase {
                name: "nothing dropped, nothing said",
                steps: vec![step(0, 0, None), step(30, 0, None)],
                total: 0,
            },
            TestCase {
                name: "the first drop is said at once",
                steps: vec![step(0, 2, Some(2))],
                total: 2,
            },
            TestCase {
                name: "drops inside the interval wait for the next warning",
                steps: vec![
                    step(0, 1, Some(1)),
                    step(3, 4, None),
                    step(9, 5, None),
                    step(10, 1, Some(10)),
                ],
                total: 11,
            },
            TestCase {
                name: "a burst that ended is said by a later check",
                steps: vec![
                    step(0, 1, Some(1)),
                    step(2, 7, None),
                    step(5, 0, None),
                    step(12, 0, Some(7)),
                    step(30, 0, None),
                ],
                total: 8,
            },
            TestCase {
                name: "after a quiet spell the next drop is said at once",
                steps: vec![step(0, 1, Some(1)), step(60, 3, Some(3))],
                total: 4,
            },
        ];
        let start = Instant::now();
        for case in cases {
            let mut throttle = DropThrottle::default();
            for (i, s) in case.steps.iter().enumerate() {
                let now = start + Duration::from_secs(s.at_s);
                let said = if s.dropped == 0 {
                    throttle.due(now)
                } else {
                    throttle.record(s.dropped, now)
                };
                assert_eq!(said, s.warns, "case `{}`, step {i}", case.name);
            }
            assert_eq!(throttle.total(), case.total, "case `{}`: total", case.name);
        }
    }
}
