//! The brokers' published limits, and the 1 request/second window of the quote APIs.

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

#[cfg(test)]
mod tests {
    use super::*;

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
