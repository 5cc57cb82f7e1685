//! Liveness bookkeeping for one client socket, kept free of actix so it can be tested
//! with a set clock.

use std::time::{Duration, Instant};

/// How often we ping a quiet client.
pub const PING_INTERVAL: Duration = Duration::from_secs(15);
/// A client silent this long (no message, no pong) is gone; free its slot.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);

/// When we last heard from the client.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    last_seen: Instant,
}

impl Liveness {
    pub fn new(now: Instant) -> Liveness {
        Liveness { last_seen: now }
    }

    pub fn seen(&mut self, now: Instant) {
        self.last_seen = now;
    }

    pub fn is_dead(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_seen) > CLIENT_TIMEOUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_only_after_timeout() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0);
        assert!(!l.is_dead(t0 + CLIENT_TIMEOUT));
        assert!(l.is_dead(t0 + CLIENT_TIMEOUT + Duration::from_millis(1)));
        l.seen(t0 + CLIENT_TIMEOUT);
        assert!(!l.is_dead(t0 + CLIENT_TIMEOUT + Duration::from_secs(1)));
    }
}
