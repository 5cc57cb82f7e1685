//! The request pacer: a token bucket of capacity one. With a single token, "refill at
//! `r` per second" means the token is back exactly `1/r` after it was taken, so the
//! bucket is kept as the instant of the last take: exact, with no float drift.

use std::time::{Duration, Instant};

/// One token; taking it starts the wait for the next.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Time for the token to come back (1 / rate).
    interval: Duration,
    last_taken: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket: the first take succeeds at once.
    pub fn new(interval: Duration) -> TokenBucket {
        TokenBucket {
            interval,
            last_taken: None,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Change the refill time. It counts from the last take, so a token already out
    /// comes back later (or sooner) accordingly.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// When the token is (or was) back; `None` when it has never been taken.
    pub fn ready_at(&self) -> Option<Instant> {
        self.last_taken.map(|t| t + self.interval)
    }

    /// Take the token if it is there; otherwise say when it will be.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Instant> {
        match self.ready_at() {
            Some(at) if now < at => Err(at),
            _ => {
                self.last_taken = Some(now);
                Ok(())
            }
        }
    }

    /// Count the token as taken at `now`, later than it really was: used when the
    /// request it paid for has finished, so the next one waits a full interval from the
    /// answer and the broker sees the two at least an interval apart however long the
    /// first spent on the wire.
    pub fn taken_at(&mut self, now: Instant) {
        self.last_taken = Some(self.last_taken.map_or(now, |t| t.max(now)));
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn takes_at_explicit_instants() {
        struct TestCase {
            name: &'static str,
            /// (ms since start, expected: Ok or Err(ready at ms)).
            takes: &'static [(u64, Result<(), u64>)],
        }
        let cases = [
            TestCase {
                name: "full at start, then one per second",
                takes: &[(0, Ok(())), (1000, Ok(())), (2000, Ok(()))],
            },
            TestCase {
                name: "early takes are refused with the refill time",
                takes: &[
                    (0, Ok(())),
                    (1, Err(1000)),
                    (999, Err(1000)),
                    (1000, Ok(())),
                ],
            },
            TestCase {
                name: "an idle bucket holds one token, not a burst",
                takes: &[(0, Ok(())), (10_000, Ok(())), (10_001, Err(11_000))],
            },
            TestCase {
                name: "a late take restarts the interval from itself",
                takes: &[
                    (0, Ok(())),
                    (1500, Ok(())),
                    (2000, Err(2500)),
                    (2500, Ok(())),
                ],
            },
        ];
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        for c in cases {
            let mut bucket = TokenBucket::new(SECOND);
            for &(at, want) in c.takes {
                let got = bucket.try_take(ms(at));
                assert_eq!(got, want.map_err(ms), "{} at {at} ms", c.name);
            }
        }
    }

    #[test]
    fn interval_changes_and_late_answers() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut bucket = TokenBucket::new(SECOND);
        assert_eq!(bucket.try_take(ms(0)), Ok(()));
        bucket.set_interval(4 * SECOND);
        assert_eq!(
            bucket.try_take(ms(1000)),
            Err(ms(4000)),
            "a longer interval delays the token already out"
        );
        bucket.set_interval(SECOND);
        assert_eq!(
            bucket.try_take(ms(1000)),
            Ok(()),
            "a shorter one brings it back"
        );
        bucket.taken_at(ms(1700));
        assert_eq!(
            bucket.try_take(ms(2500)),
            Err(ms(2700)),
            "counts from the answer"
        );
        bucket.taken_at(ms(100));
        assert_eq!(bucket.ready_at(), Some(ms(2700)), "never moves back");
    }

    /// Over many random sequences of attempts, interval changes (never below the base)
    /// and late answers, no two successful takes are closer than the base interval.
    #[test]
    fn never_two_takes_within_the_interval() {
        let base = Duration::from_millis(1050);
        let t0 = Instant::now();
        for seed in 0..300_u64 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut bucket = TokenBucket::new(base);
            let mut now = t0;
            let mut last: Option<Instant> = None;
            for _ in 0..400 {
                now += Duration::from_millis(rng.gen_range(0..700));
                match rng.gen_range(0..10) {
                    0 => bucket.set_interval(base * rng.gen_range(1..10)),
                    1 => bucket.taken_at(now),
                    _ => {}
                }
                if bucket.try_take(now).is_ok() {
                    if let Some(prev) = last {
                        assert!(
                            now - prev >= base,
                            "seed {seed}: takes {:?} apart",
                            now - prev
                        );
                    }
                    last = Some(now);
                }
            }
            assert!(last.is_some(), "seed {seed}: the bucket never gave a token");
        }
    }
}
