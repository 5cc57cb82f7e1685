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

/// Send times by sequence number, written once by the generator and read by every client.
/// Sized up front from the phase's plan, so the hot path never locks or grows. Each book
/// takes its own range of numbers from one count for the whole run: a server's volume
/// field (which carries the number) never goes down from one phase to the next, as a
/// real day's cumulative volume does not, so a server may rightly keep the higher one.
pub struct SendBook {
    /// The book's first number.
    first_seq: u64,
    /// 0 = not sent (yet); otherwise `RunClock::now_ns() + 1`, so time 0 is representable.
    sent_at: Vec<AtomicU64>,
}

/// The next number no book has taken.
static NEXT_FREE_SEQ: AtomicU64 = AtomicU64::new(1);

impl SendBook {
    /// A book for numbers `1..=max_seq` (tests and single-book runs).
    pub fn with_capacity(max_seq: u64) -> SendBook {
        SendBook::starting_at(1, max_seq)
    }

    /// A book for the next `count` numbers of the run, above every earlier book's.
    pub fn next_range(count: u64) -> SendBook {
        let first = NEXT_FREE_SEQ.fetch_add(count + 1, Ordering::Relaxed);
        SendBook::starting_at(first, count)
    }

    fn starting_at(first_seq: u64, count: u64) -> SendBook {
        let len = usize::try_from(count).unwrap_or(usize::MAX);
        SendBook {
            first_seq,
            sent_at: (0..len).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The first number the generator sends with this book.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
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
        let at = seq.checked_sub(self.first_seq)?;
        self.sent_at.get(usize::try_from(at).ok()?)
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

    #[test]
    fn books_of_later_phases_number_above_earlier_ones() {
        let first = SendBook::next_range(10);
        let second = SendBook::next_range(10);
        assert!(second.first_seq() > first.first_seq() + 10);
        second.record(second.first_seq(), 5);
        assert_eq!(second.sent_at(second.first_seq()), Some(5));
        assert_eq!(second.sent_at(first.first_seq()), None, "below the range");
    }
}
