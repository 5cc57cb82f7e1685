//! A session's bounded outgoing queue, shared between the broadcaster (producer) and the
//! session's socket writer (consumer), with the wake-ups the producer owes the session.
//! Ticks are conflated per key: a slow reader skips stale intermediate prices but never
//! sees them out of order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::Waker;

use mandi_protocol::client::Frame;

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
    control: VecDeque<Frame>,
    order: VecDeque<Arc<str>>,
    latest: HashMap<Arc<str>, Frame>,
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
            control: VecDeque::new(),
            order: VecDeque::new(),
            latest: HashMap::new(),
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

    /// Queue the newest message for `key`, replacing an unsent older one in place.
    pub fn push_latest(&mut self, key: Arc<str>, msg: Frame) -> PushOutcome {
        let len = msg.len();
        match self.latest.insert(key.clone(), msg) {
            Some(old) => {
                self.conflated += 1;
                self.queued_bytes = self.queued_bytes - old.len() + len;
            }
            None => {
                self.order.push_back(key);
                self.queued_bytes += len;
            }
        }
        self.outcome()
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

    /// Drop the unsent message for `key`: after an unsubscribe, a tick queued before it
    /// must not reach the client behind the acknowledgement.
    pub fn forget(&mut self, key: &str) {
        if let Some(old) = self.latest.remove(key) {
            self.queued_bytes -= old.len();
            self.order.retain(|k| &**k != key);
        }
    }

    /// Take everything queued: control messages first, then ticks in first-queued order.
    pub fn drain(&mut self) -> Vec<Frame> {
        let mut out = Vec::with_capacity(self.control.len() + self.order.len());
        out.extend(self.control.drain(..));
        for key in self.order.drain(..) {
            if let Some(msg) = self.latest.remove(&key) {
                out.push(msg);
            }
        }
        self.queued_bytes = 0;
        self.notified = false;
        self.drains += 1;
        out
    }

    pub fn drains(&self) -> u64 {
        self.drains
    }

    pub fn is_empty(&self) -> bool {
        self.control.is_empty() && self.order.is_empty()
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
    fn conflates_per_key_and_keeps_first_order() {
        let mut o = Outbox::new(1 << 20);
        assert_eq!(o.push_latest("A".into(), b("a1")), PushOutcome::Notify);
        assert_eq!(o.push_latest("B".into(), b("b1")), PushOutcome::Queued);
        o.push_latest("A".into(), b("a2"));
        o.push_control(b("status"));
        assert_eq!(o.drain(), vec![b("status"), b("a2"), b("b1")]);
        assert_eq!(o.conflated(), 1);
        assert_eq!(o.queued_bytes(), 0);
        assert_eq!(
            o.push_latest("A".into(), b("a3")),
            PushOutcome::Notify,
            "drain re-arms"
        );
    }

    #[test]
    fn a_forgotten_key_is_not_sent() {
        let mut o = Outbox::new(1_000);
        o.push_latest("A".into(), b("a1"));
        o.push_latest("B".into(), b("b1"));
        o.forget("A");
        o.push_control(b("ack"));
        assert_eq!(o.drain(), vec![b("ack"), b("b1")]);
        assert_eq!(o.queued_bytes(), 0);
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
