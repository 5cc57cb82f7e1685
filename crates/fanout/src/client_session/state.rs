//! A client socket's bookkeeping, kept free of actix and IO so it can be tested with a set
//! clock: liveness, the drain watch, and the protocol frames owed to the client.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::frames::{close_code, Violation};

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

    /// When the client counts as gone if nothing arrives before.
    pub fn dies_at(&self) -> Instant {
        self.last_seen + CLIENT_TIMEOUT
    }
}

/// Notices an outbox that holds data and was not drained for `deadline`, from samples of
/// its drain count; the broadcaster's hot path never reads a clock for it.
#[derive(Debug, Clone, Copy)]
pub struct DrainWatch {
    deadline: Duration,
    /// The drain count and the instant we first saw data waiting behind it.
    waiting: Option<(u64, Instant)>,
}

impl DrainWatch {
    pub fn new(deadline: Duration) -> DrainWatch {
        DrainWatch {
            deadline,
            waiting: None,
        }
    }

    /// How often to sample: a late session is noticed at most this long after its deadline.
    pub fn check_every(&self) -> Duration {
        (self.deadline / 20).clamp(Duration::from_millis(10), Duration::from_millis(500))
    }

    /// Record a sample; true when the same undrained data has waited past the deadline.
    pub fn is_late(&mut self, drains: u64, queued: bool, now: Instant) -> bool {
        if !queued {
            self.waiting = None;
            return false;
        }
        match self.waiting {
            Some((d, since)) if d == drains => {
                now.saturating_duration_since(since) >= self.deadline
            }
            _ => {
                self.waiting = Some((drains, now));
                false
            }
        }
    }
}

/// How a session ends. Set once; the first reason wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closing {
    /// The close frame to send, if the connection can still carry one.
    pub frame: Option<(u16, &'static str)>,
    /// Drop the connection right after the frame instead of waiting for the peer to read:
    /// for a client that does not drain its queue.
    pub abort: bool,
}

impl Closing {
    pub fn violation(v: &Violation) -> Closing {
        Closing {
            frame: Some((v.code, v.reason)),
            abort: false,
        }
    }

    pub fn too_slow(reason: &'static str) -> Closing {
        Closing {
            frame: Some((close_code::TOO_SLOW, reason)),
            abort: true,
        }
    }

    /// The answer to the client's own close frame: its code back (RFC 6455 §5.5.1).
    pub fn echo(code: Option<u16>) -> Closing {
        Closing {
            frame: Some((code.unwrap_or(close_code::NORMAL), "")),
            abort: false,
        }
    }

    pub fn idle() -> Closing {
        Closing {
            frame: Some((close_code::GOING_AWAY, "no message or pong for 45 s")),
            abort: false,
        }
    }

    pub fn server_stopping() -> Closing {
        Closing {
            frame: Some((close_code::GOING_AWAY, "server shutting down")),
            abort: false,
        }
    }

    /// The connection ended under us (the peer went away): nothing more to send.
    pub fn gone() -> Closing {
        Closing {
            frame: None,
            abort: false,
        }
    }

    pub fn is_too_slow(&self) -> bool {
        self.frame
            .is_some_and(|(code, _)| code == close_code::TOO_SLOW)
    }
}

/// WebSocket control frames owed to the client, beside the outbox's messages.
#[derive(Debug, Default)]
pub struct Wire {
    closing: Option<Closing>,
    /// The close has been handed to the writer.
    close_taken: bool,
    /// The newest unanswered ping's payload (one pong answers them all, RFC 6455 §5.5.3).
    pong: Option<Bytes>,
    ping: bool,
}

/// What the writer must send now, control frames first.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Due {
    pub pong: Option<Bytes>,
    pub ping: bool,
    pub close: Option<Closing>,
}

impl Wire {
    /// Begin closing; true if this call began it.
    pub fn close(&mut self, closing: Closing) -> bool {
        if self.closing.is_some() {
            return false;
        }
        self.closing = Some(closing);
        true
    }

    pub fn closing(&self) -> Option<Closing> {
        self.closing
    }

    pub fn pong(&mut self, payload: Bytes) {
        self.pong = Some(payload);
    }

    pub fn ping(&mut self) {
        self.ping = true;
    }

    /// Take what is due; the close is handed out once.
    pub fn take(&mut self) -> Due {
        let close = match self.closing {
            Some(c) if !self.close_taken => {
                self.close_taken = true;
                Some(c)
            }
            _ => None,
        };
        Due {
            pong: self.pong.take(),
            ping: std::mem::take(&mut self.ping),
            close,
        }
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

    struct TestCase {
        name: &'static str,
        /// (ms since start, drain count, data queued)
        samples: Vec<(u64, u64, bool)>,
        late_at: Option<usize>,
    }

    #[test]
    fn drain_watch_flags_only_undrained_data_past_the_deadline() {
        let cases = [
            TestCase {
                name: "stuck from the first sample",
                samples: vec![(0, 3, true), (999, 3, true), (1000, 3, true)],
                late_at: Some(2),
            },
            TestCase {
                name: "drained in between restarts the clock",
                samples: vec![
                    (0, 3, true),
                    (900, 4, true),
                    (1800, 4, true),
                    (1900, 4, true),
                ],
                late_at: Some(3),
            },
            TestCase {
                name: "empty queue is never late",
                samples: vec![(0, 3, false), (5000, 3, false)],
                late_at: None,
            },
            TestCase {
                name: "emptied then stuck again",
                samples: vec![
                    (0, 3, true),
                    (500, 3, false),
                    (900, 3, true),
                    (1500, 3, true),
                ],
                late_at: None,
            },
        ];
        for c in cases {
            let t0 = Instant::now();
            let mut w = DrainWatch::new(Duration::from_secs(1));
            let late: Vec<bool> = c
                .samples
                .iter()
                .map(|&(ms, drains, queued)| {
                    w.is_late(drains, queued, t0 + Duration::from_millis(ms))
                })
                .collect();
            assert_eq!(late.iter().position(|&l| l), c.late_at, "{}", c.name);
        }
    }

    #[test]
    fn the_first_close_wins_and_is_handed_out_once() {
        let mut wire = Wire::default();
        wire.pong(Bytes::from_static(b"a"));
        wire.pong(Bytes::from_static(b"b"));
        assert!(wire.close(Closing::too_slow("slow")));
        assert!(!wire.close(Closing::idle()), "already closing");
        let due = wire.take();
        assert_eq!(
            due.pong,
            Some(Bytes::from_static(b"b")),
            "newest ping answered"
        );
        assert_eq!(due.close, Some(Closing::too_slow("slow")));
        assert_eq!(wire.take(), Due::default());
        assert!(wire.closing().is_some_and(|c| c.is_too_slow()));
    }
}
