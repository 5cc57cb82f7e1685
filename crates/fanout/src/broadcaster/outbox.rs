//! A session's bounded outgoing queue, shared between the broadcaster (producer) and the
//! session's socket writer (consumer), with the wake-ups the producer owes the session.
//! A client that keeps up gets every tick in order. One that falls half its byte bound
//! behind gets conflated ticks from then until its next drain: per instrument only
//! the newest unsent price, never out of order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::Waker;

use mandi_protocol::client::Frame;

/// Conflation starts once this fraction of the byte bound is queued: far enough behind
/// that the client cannot be catching up within a write or two, well before the bound
/// closes it.
const CONFLATE_AT_FRACTION_OF_BOUND: usize = 2;

/// What a push means for the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// The queue was empty and nobody has been told: wake the session.
    Notify,
    /// A wake-up is already pending; nothing to do.
    Queued,
    /// The session is past its byte bound and must be closed.
    Overflow,
}

/// Outgoing messages for one client.
#[derive(Debug)]
pub struct Outbox {
    max_bytes: usize,
    /// Queued bytes past which ticks are conflated until the next drain.
    conflate_after_bytes: usize,
    control: VecDeque<Frame>,
    /// Ticks in the order they were queued, each with its instrument.
    ticks: Vec<(Arc<str>, Frame)>,
    /// While conflating: where each instrument's one queued tick sits in `ticks`.
    slots: HashMap<Arc<str>, usize>,
    conflating: bool,
    queued_bytes: usize,
    /// A wake-up is owed or pending since the last drain; cleared by `drain`.
    notified: bool,
    /// Past the byte bound: nothing more is queued and the session must close.
    overflowed: bool,
    /// The server is shutting down: the session closes with 1001.
    going_away: bool,
    conflated: u64,
    /// How many times the consumer took everything; a watchdog that sees the same count
    /// with data queued knows nothing was drained in between.
    drains: u64,
    /// The socket writer, woken when something is queued.
    writer: Option<Waker>,
    /// The session's watchdog, woken when the queue overflows.
    watchdog: Option<Waker>,
}

/// The wake-ups one push owes, taken under the lock and fired after it is released.
#[derive(Debug, Default)]
#[must_use = "wake() it once the outbox lock is released"]
pub struct Wakeup {
    writer: Option<Waker>,
    watchdog: Option<Waker>,
}

impl Wakeup {
    pub fn wake(self) {
        if let Some(w) = self.writer {
            w.wake();
        }
        if let Some(w) = self.watchdog {
            w.wake();
        }
    }
}

impl Outbox {
    pub fn new(max_bytes: usize) -> Outbox {
        Outbox {
            max_bytes,
            conflate_after_bytes: max_bytes / CONFLATE_AT_FRACTION_OF_BOUND,
            control: VecDeque::new(),
            ticks: Vec::new(),
            slots: HashMap::new(),
            conflating: false,
            queued_bytes: 0,
            notified: false,
            overflowed: false,
            going_away: false,
            conflated: 0,
            drains: 0,
            writer: None,
            watchdog: None,
        }
    }

    /// The socket writer to wake when something is queued or the queue overflows.
    pub fn register_writer(&mut self, waker: &Waker) {
        register(&mut self.writer, waker);
    }

    /// The watchdog to wake when the queue overflows.
    pub fn register_watchdog(&mut self, waker: &Waker) {
        register(&mut self.watchdog, waker);
    }

    /// Wake the writer without queueing anything: protocol frames or a close are due.
    pub fn wake_writer(&mut self) -> Wakeup {
        Wakeup {
            writer: self.writer.take(),
            watchdog: None,
        }
    }

    /// The server is going away: tell the writer to close the session.
    pub fn go_away(&mut self) -> Wakeup {
        self.going_away = true;
        self.wake_writer()
    }

    pub fn going_away(&self) -> bool {
        self.going_away
    }

    /// Whom a push with this outcome must wake: the writer on `Notify`, the writer and
    /// the watchdog on `Overflow`.
    pub fn wakeup(&mut self, outcome: PushOutcome) -> Wakeup {
        match outcome {
            PushOutcome::Queued => Wakeup::default(),
            PushOutcome::Notify => Wakeup {
                writer: self.writer.take(),
                watchdog: None,
            },
            PushOutcome::Overflow => Wakeup {
                writer: self.writer.take(),
                watchdog: self.watchdog.take(),
            },
        }
    }

    /// Queue a tick for `key`. Ticks keep their order; once the client is far behind
    /// (see the module doc) an unsent older tick for `key` is replaced in place instead.
    pub fn push_tick(&mut self, key: Arc<str>, msg: Frame) -> PushOutcome {
        if self.conflating {
            if let Some(&at) = self.slots.get(&key) {
                self.replace(at, msg);
                return self.outcome();
            }
            self.slots.insert(key.clone(), self.ticks.len());
        }
        self.queued_bytes += msg.len();
        self.ticks.push((key, msg));
        if !self.conflating && self.queued_bytes > self.conflate_after_bytes {
            self.start_conflating();
        }
        self.outcome()
    }

    /// Queue the newest message for `key`, always replacing an unsent older one in place:
    /// for state where only the latest matters (the price map of `/ws/prices`).
    pub fn push_latest(&mut self, key: Arc<str>, msg: Frame) -> PushOutcome {
        match self.ticks.iter().rposition(|(k, _)| *k == key) {
            Some(at) => self.replace(at, msg),
            None => {
                if self.conflating {
                    self.slots.insert(key.clone(), self.ticks.len());
                }
                self.queued_bytes += msg.len();
                self.ticks.push((key, msg));
            }
        }
        self.outcome()
    }

    fn replace(&mut self, at: usize, msg: Frame) {
        let old = std::mem::replace(&mut self.ticks[at].1, msg);
        self.queued_bytes = self.queued_bytes - old.len() + self.ticks[at].1.len();
        self.conflated += 1;
    }

    /// Keep only each instrument's newest queued tick (in the order of those ticks) and
    /// conflate every later one into it until the next drain.
    fn start_conflating(&mut self) {
        let queued = std::mem::take(&mut self.ticks);
        let before = queued.len();
        let mut newest: HashMap<Arc<str>, usize> = HashMap::with_capacity(before);
        for (i, (key, _)) in queued.iter().enumerate() {
            newest.insert(key.clone(), i);
        }
        for (i, (key, msg)) in queued.into_iter().enumerate() {
            if newest.get(&key) == Some(&i) {
                self.slots.insert(key.clone(), self.ticks.len());
                self.ticks.push((key, msg));
            } else {
                self.queued_bytes -= msg.len();
            }
        }
        self.conflated += (before - self.ticks.len()) as u64;
        self.conflating = true;
    }

    /// Queue a message that must not be conflated (status, snapshot, error).
    pub fn push_control(&mut self, msg: Frame) -> PushOutcome {
        self.queued_bytes += msg.len();
        self.control.push_back(msg);
        self.outcome()
    }

    /// Queue several control messages; the outcome is the strongest of the pushes, so a
    /// caller can never lose the one `Notify` among them.
    pub fn push_controls(&mut self, msgs: impl IntoIterator<Item = Frame>) -> PushOutcome {
        let mut outcome = PushOutcome::Queued;
        for msg in msgs {
            outcome = match (outcome, self.push_control(msg)) {
                (PushOutcome::Overflow, _) | (_, PushOutcome::Overflow) => PushOutcome::Overflow,
                (PushOutcome::Notify, _) | (_, PushOutcome::Notify) => PushOutcome::Notify,
                _ => PushOutcome::Queued,
            };
        }
        outcome
    }

    /// Drop the unsent ticks for `key`: after an unsubscribe, a tick queued before it
    /// must not reach the client behind the acknowledgement.
    pub fn forget(&mut self, key: &str) {
        let mut dropped = 0;
        self.ticks.retain(|(k, msg)| {
            let keep = &**k != key;
            if !keep {
                dropped += msg.len();
            }
            keep
        });
        if dropped == 0 {
            return;
        }
        self.queued_bytes -= dropped;
        if self.conflating {
            self.slots.clear();
            for (i, (k, _)) in self.ticks.iter().enumerate() {
                self.slots.insert(k.clone(), i);
            }
        }
    }

    /// Take everything queued: control messages first, then ticks in queued order.
    pub fn drain(&mut self) -> Vec<Frame> {
        let mut out = Vec::with_capacity(self.control.len() + self.ticks.len());
        out.extend(self.control.drain(..));
        out.extend(self.ticks.drain(..).map(|(_, msg)| msg));
        self.slots.clear();
        self.conflating = false;
        self.queued_bytes = 0;
        self.notified = false;
        self.drains += 1;
        out
    }

    pub fn drains(&self) -> u64 {
        self.drains
    }

    pub fn is_empty(&self) -> bool {
        self.control.is_empty() && self.ticks.is_empty()
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    pub fn conflated(&self) -> u64 {
        self.conflated
    }

    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    fn outcome(&mut self) -> PushOutcome {
        if self.overflowed {
            return PushOutcome::Overflow;
        }
        if self.queued_bytes > self.max_bytes {
            self.overflowed = true;
            return PushOutcome::Overflow;
        }
        if self.notified {
            PushOutcome::Queued
        } else {
            self.notified = true;
            PushOutcome::Notify
        }
    }
}

fn register(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Frame {
        Frame::from(s)
    }

    #[test]
    fn a_client_that_keeps_up_gets_every_tick_in_order() {
        let mut o = Outbox::new(1 << 20);
        assert_eq!(o.push_tick("A".into(), b("a1")), PushOutcome::Notify);
        assert_eq!(o.push_tick("B".into(), b("b1")), PushOutcome::Queued);
        o.push_tick("A".into(), b("a2"));
        o.push_control(b("status"));
        assert_eq!(o.drain(), vec![b("status"), b("a1"), b("b1"), b("a2")]);
        assert_eq!(o.conflated(), 0);
        assert_eq!(o.queued_bytes(), 0);
        assert_eq!(
            o.push_tick("A".into(), b("a3")),
            PushOutcome::Notify,
            "drain re-arms"
        );
    }

    #[test]
    fn a_client_far_behind_gets_the_newest_tick_per_key_until_it_drains() {
        // Bound 20 bytes: conflation once more than 10 bytes are queued.
        let mut o = Outbox::new(20);
        for t in ["a1", "b1", "a2", "c1", "b2"] {
            o.push_tick(t[..1].into(), b(t));
        }
        assert_eq!(
            (o.queued_bytes(), o.conflated()),
            (10, 0),
            "at 10: in order"
        );
        o.push_tick("a".into(), b("a3"));
        assert_eq!(o.queued_bytes(), 6, "c1 b2 a3 left when 10 was passed");
        assert_eq!(o.conflated(), 3);
        o.push_tick("a".into(), b("a4"));
        o.push_tick("d".into(), b("d1"));
        assert!(!o.overflowed(), "conflation keeps it under the bound");
        assert_eq!(o.drain(), vec![b("c1"), b("b2"), b("a4"), b("d1")]);
        assert_eq!(o.conflated(), 4);
        o.push_tick("a".into(), b("a5"));
        o.push_tick("a".into(), b("a6"));
        assert_eq!(
            o.drain(),
            vec![b("a5"), b("a6")],
            "in order again after a drain"
        );
    }

    #[test]
    fn latest_replaces_whatever_is_queued_for_its_key() {
        let mut o = Outbox::new(1 << 20);
        o.push_latest("P".into(), b("p1"));
        o.push_latest("P".into(), b("p2"));
        assert_eq!(o.drain(), vec![b("p2")]);
        assert_eq!(o.conflated(), 1);
    }

    #[test]
    fn a_forgotten_key_is_not_sent() {
        let mut o = Outbox::new(1_000);
        o.push_tick("A".into(), b("a1"));
        o.push_tick("B".into(), b("b1"));
        o.push_tick("A".into(), b("a2"));
        o.forget("A");
        o.push_control(b("ack"));
        assert_eq!(o.drain(), vec![b("ack"), b("b1")]);
        assert_eq!(o.queued_bytes(), 0);
    }

    #[test]
    fn forgetting_while_conflating_keeps_the_other_slots() {
        let mut o = Outbox::new(8);
        for t in ["a1", "b1", "c1", "a2", "b2"] {
            o.push_tick(t[..1].into(), b(t));
        }
        o.forget("a");
        o.push_tick("c".into(), b("c2"));
        o.push_tick("b".into(), b("b3"));
        assert_eq!(o.drain(), vec![b("b3"), b("c2")]);
    }

    #[test]
    fn several_controls_keep_the_wake_up() {
        let mut o = Outbox::new(1 << 20);
        assert_eq!(
            o.push_controls([b("ack"), b("snapshot")]),
            PushOutcome::Notify
        );
        assert_eq!(o.push_controls([b("x")]), PushOutcome::Queued);
        assert_eq!(o.drain(), vec![b("ack"), b("snapshot"), b("x")]);
    }

    #[test]
    fn overflow_past_the_byte_bound() {
        let mut o = Outbox::new(10);
        o.push_control(b("0123456789"));
        assert_eq!(o.push_control(b("x")), PushOutcome::Overflow);
        assert!(o.overflowed());
    }

    struct Counter(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(Default::default()));
        (c.clone(), Waker::from(c))
    }

    fn count(c: &Counter) -> usize {
        c.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn one_wake_up_per_drain_and_the_watchdog_only_on_overflow() {
        let (writer, w) = counter();
        let (watchdog, d) = counter();
        let mut o = Outbox::new(10);
        o.register_writer(&w);
        o.register_watchdog(&d);
        let outcome = o.push_control(b("abc"));
        o.wakeup(outcome).wake();
        let outcome = o.push_control(b("def"));
        o.wakeup(outcome).wake();
        assert_eq!((count(&writer), count(&watchdog)), (1, 0));

        assert_eq!(o.drain().len(), 2);
        assert_eq!(o.drains(), 1);
        assert!(o.is_empty());
        o.register_writer(&w);
        let outcome = o.push_control(b("0123456789x"));
        assert_eq!(outcome, PushOutcome::Overflow);
        o.wakeup(outcome).wake();
        assert_eq!((count(&writer), count(&watchdog)), (2, 1));
        assert_eq!(
            o.push_control(b("y")),
            PushOutcome::Overflow,
            "stays overflowed"
        );
    }
}
