//! A session's bounded outgoing queue, shared between the broadcaster (producer) and the
//! session actor (consumer). Ticks are conflated per key: a slow reader skips stale
//! intermediate prices but never sees them out of order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

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
    notified: bool,
    overflowed: bool,
    conflated: u64,
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
            conflated: 0,
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
        out
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
}
