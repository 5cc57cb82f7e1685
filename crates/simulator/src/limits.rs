//! The brokers' published limits, the 1 request/second window of the quote APIs, and
//! the sliding one-second window the counters measure request rates with.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::state::lock;

/// Dhan: instruments in one subscribe message, per connection, connections per client id.
pub const DHAN_MAX_PER_MESSAGE: usize = mandi_protocol::dhan::MAX_INSTRUMENTS_PER_MESSAGE;
pub const DHAN_MAX_PER_CONNECTION: usize = mandi_protocol::dhan::MAX_INSTRUMENTS_PER_CONNECTION;
pub const DHAN_MAX_CONNECTIONS: usize = mandi_protocol::dhan::MAX_CONNECTIONS;
/// Dhan `POST /v2/marketfeed/*`: security ids per request.
pub const DHAN_REST_MAX_IDS: usize = 1000;

/// Kite: tokens per connection and connections per api key.
pub const KITE_MAX_PER_CONNECTION: usize = mandi_protocol::kite::MAX_TOKENS_PER_CONNECTION;
pub const KITE_MAX_CONNECTIONS: usize = mandi_protocol::kite::MAX_CONNECTIONS;
/// Kite `GET /quote/ltp` and `/quote/ohlc` take 1000 keys, `GET /quote` 500.
pub const KITE_REST_MAX_LTP_KEYS: usize = 1000;
pub const KITE_REST_MAX_QUOTE_KEYS: usize = 500;

/// Dhan and Kite both allow one quote request per second.
pub const QUOTE_WINDOW: Duration = Duration::from_secs(1);

/// Admits one request per window; refused requests do not extend the window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    last_admitted: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn try_admit(&self, now: Instant) -> bool {
        let mut last = lock(&self.last_admitted);
        match *last {
            Some(t) if now.saturating_duration_since(t) < QUOTE_WINDOW => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// Arrival times within the last second, and the most ever seen within one second.
/// An arrival exactly one second after another starts a new window, as
/// [`RateLimiter`] admits it: a client pacing itself at the limit peaks at 1.
#[derive(Debug, Default)]
pub struct SlidingWindow {
    recent: VecDeque<Instant>,
    max: u64,
}

impl SlidingWindow {
    /// Note an arrival; returns how many arrived in the second ending at `now`.
    pub fn record(&mut self, now: Instant) -> u64 {
        self.recent.push_back(now);
        let n = self.count(now);
        self.max = self.max.max(n);
        n
    }

    /// Arrivals in the second ending at `now`.
    pub fn count(&mut self, now: Instant) -> u64 {
        while let Some(t) = self.recent.front() {
            if now.saturating_duration_since(*t) >= QUOTE_WINDOW {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        self.recent.len() as u64
    }

    /// The most arrivals any one-second window has held.
    pub fn max(&self) -> u64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        arrivals_ms: &'static [u64],
        want_max: u64,
    }

    #[test]
    fn sliding_window_peak() {
        let cases = [
            TestCase {
                name: "none",
                arrivals_ms: &[],
                want_max: 0,
            },
            TestCase {
                name: "paced at exactly one per second",
                arrivals_ms: &[0, 1000, 2000, 3000],
                want_max: 1,
            },
            TestCase {
                name: "two within 999 ms",
                arrivals_ms: &[0, 1000, 1999, 3500],
                want_max: 2,
            },
            TestCase {
                name: "a burst of three, later quiet",
                arrivals_ms: &[0, 10, 20, 5000, 7000],
                want_max: 3,
            },
            TestCase {
                name: "window slides rather than resets",
                arrivals_ms: &[0, 600, 1100, 1500],
                want_max: 3,
            },
        ];
        let t0 = Instant::now();
        for c in cases {
            let mut w = SlidingWindow::default();
            for ms in c.arrivals_ms {
                w.record(t0 + Duration::from_millis(*ms));
            }
            assert_eq!(w.max(), c.want_max, "{}", c.name);
        }
    }

    #[test]
    fn one_request_per_second() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.try_admit(t0));
        assert!(!limiter.try_admit(t0 + Duration::from_millis(500)));
        assert!(!limiter.try_admit(t0 + Duration::from_millis(999)));
        assert!(limiter.try_admit(t0 + Duration::from_millis(1000)));
    }
}
