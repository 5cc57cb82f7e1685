//! One process clock for the whole run, and the send-time book: the nanosecond at which each
//! sequence number left the generator, read back by whichever client receives that tick.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Nanoseconds since the run started, from one `Instant`: send and receive times are read
/// off the same monotonic clock in the same process, so their difference is the latency.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    start: Instant,
}

impl RunClock {
    pub fn new() -> RunClock {
        RunClock {
            start: Instant::now(),
        }
    }

    pub fn now_ns(&self) -> u64 {
        // A run lasts minutes, far below u64 nanoseconds (584 years).
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl Default for RunClock {
    fn default() -> Self {
        RunClock::new()
    }
}

/// Send times by sequence number (1-based), written once by the generator and read by every
/// client. Sized up front from the phase's plan, so the hot path never locks or grows.
pub struct SendBook {
    /// 0 = not sent (yet); otherwise `RunClock::now_ns() + 1`, so time 0 is representable.
    sent_at: Vec<AtomicU64>,
}

impl SendBook {
    pub fn with_capacity(max_seq: u64) -> SendBook {
        let len = usize::try_from(max_seq + 1).unwrap_or(usize::MAX);
        SendBook {
            sent_at: (0..len).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn record(&self, seq: u64, at_ns: u64) {
        if let Some(slot) = self.slot(seq) {
            // Release pairs with the reader's Acquire: a client that sees the tick sees its time.
            slot.store(at_ns + 1, Ordering::Release);
        }
    }

    /// When `seq` was sent, or `None` for a number never sent (a stray or corrupted value).
    pub fn sent_at(&self, seq: u64) -> Option<u64> {
        let raw = self.slot(seq)?.load(Ordering::Acquire);
        raw.checked_sub(1)
    }

    fn slot(&self, seq: u64) -> Option<&AtomicU64> {
        self.sent_at.get(usize::try_from(seq).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_keeps_times_and_refuses_strays() {
        let book = SendBook::with_capacity(3);
        book.record(1, 0);
        book.record(3, 42);
        book.record(4, 7); // beyond the plan: ignored, not a panic
        assert_eq!(book.sent_at(1), Some(0), "time 0 is a real time");
        assert_eq!(book.sent_at(2), None, "never sent");
        assert_eq!(book.sent_at(3), Some(42));
        assert_eq!(book.sent_at(4), None);
    }
}
