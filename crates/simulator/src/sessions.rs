//! Every open feed connection, by broker and credential: admission against the
//! connection limits, who gets the clock's ticks, and what each one subscribes to.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use actix::prelude::*;

use crate::counters::{ConnectionSubscriptions, DhanSubscription, KiteSubscription};
use crate::market::MarketTicked;
use crate::state::lock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broker {
    Dhan,
    Kite,
}

/// What to do when a credential already has its maximum of connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverLimit {
    /// Kite: refuse the new connection.
    RefuseNew,
    /// Dhan: take the new one and disconnect the oldest.
    KickOldest,
}

/// Orders to a feed session from outside it.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
#[rtype(result = "()")]
pub enum SessionControl {
    /// Send the broker's disconnect message with this reason, then close.
    Kick { reason: u16 },
    /// Close the TCP connection without a close frame (fault injection).
    Drop,
    /// The token fault switches changed: close if this session's token is no longer valid.
    RecheckToken,
}

/// A reserved slot. `evict` is the oldest session to kick under `KickOldest`.
#[derive(Debug)]
pub struct Admission {
    pub id: u64,
    pub evict: Option<Recipient<SessionControl>>,
}

struct SessionEntry {
    broker: Broker,
    /// Dhan client id or Kite api key (neither is a secret).
    key: String,
    /// Already told to go; no longer counts against the limit.
    kicked: bool,
    ticks: Option<Recipient<MarketTicked>>,
    control: Option<Recipient<SessionControl>>,
    dhan_subs: Vec<DhanSubscription>,
    kite_subs: Vec<KiteSubscription>,
}

/// Ids grow monotonically, so the smallest id of a key is its oldest connection.
#[derive(Default)]
pub struct SessionRegistry {
    next_id: AtomicU64,
    inner: Mutex<BTreeMap<u64, SessionEntry>>,
}

impl SessionRegistry {
    /// Reserve a slot before the upgrade, so the limit check and the insert are one step.
    pub fn admit(
        &self,
        broker: Broker,
        key: &str,
        max: usize,
        policy: OverLimit,
    ) -> Option<Admission> {
        let mut map = lock(&self.inner);
        let live = |e: &&SessionEntry| e.broker == broker && e.key == key && !e.kicked;
        if policy == OverLimit::RefuseNew && map.values().filter(live).count() >= max {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        map.insert(
            id,
            SessionEntry {
                broker,
                key: key.to_string(),
                kicked: false,
                ticks: None,
                control: None,
                dhan_subs: Vec::new(),
                kite_subs: Vec::new(),
            },
        );
        let mut evict = None;
        if policy == OverLimit::KickOldest && map.values().filter(live).count() > max {
            if let Some(oldest) = map.values_mut().find(|e| live(&&**e)) {
                oldest.kicked = true;
                evict = oldest.control.clone();
            }
        }
        Some(Admission { id, evict })
    }

    /// Connect a reserved slot to its running session.
    pub fn attach(
        &self,
        id: u64,
        ticks: Recipient<MarketTicked>,
        control: Recipient<SessionControl>,
    ) {
        if let Some(e) = lock(&self.inner).get_mut(&id) {
            e.ticks = Some(ticks);
            e.control = Some(control);
        }
    }

    pub fn remove(&self, id: u64) {
        lock(&self.inner).remove(&id);
    }

    pub fn set_dhan_subscriptions(&self, id: u64, subs: Vec<DhanSubscription>) {
        if let Some(e) = lock(&self.inner).get_mut(&id) {
            e.dhan_subs = subs;
        }
    }

    pub fn set_kite_subscriptions(&self, id: u64, subs: Vec<KiteSubscription>) {
        if let Some(e) = lock(&self.inner).get_mut(&id) {
            e.kite_subs = subs;
        }
    }

    pub fn tick_recipients(&self) -> Vec<Recipient<MarketTicked>> {
        lock(&self.inner)
            .values()
            .filter_map(|e| e.ticks.clone())
            .collect()
    }

    /// Send `msg` to every attached session; returns how many.
    pub fn broadcast(&self, msg: SessionControl) -> usize {
        let all = self.control_recipients();
        for s in &all {
            s.do_send(msg);
        }
        all.len()
    }

    pub fn control_recipients(&self) -> Vec<Recipient<SessionControl>> {
        lock(&self.inner)
            .values()
            .filter_map(|e| e.control.clone())
            .collect()
    }

    #[cfg(test)]
    pub fn open_count(&self, broker: Broker) -> usize {
        lock(&self.inner)
            .values()
            .filter(|e| e.broker == broker)
            .count()
    }

    pub fn dhan_view(&self) -> Vec<ConnectionSubscriptions<DhanSubscription>> {
        self.view(Broker::Dhan, |e| e.dhan_subs.clone())
    }

    pub fn kite_view(&self) -> Vec<ConnectionSubscriptions<KiteSubscription>> {
        self.view(Broker::Kite, |e| e.kite_subs.clone())
    }

    fn view<S>(
        &self,
        broker: Broker,
        subs: impl Fn(&SessionEntry) -> Vec<S>,
    ) -> Vec<ConnectionSubscriptions<S>> {
        lock(&self.inner)
            .iter()
            .filter(|(_, e)| e.broker == broker)
            .map(|(id, e)| ConnectionSubscriptions {
                id: *id,
                key: e.key.clone(),
                subscriptions: subs(e),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuse_new_caps_live_connections() {
        let reg = SessionRegistry::default();
        for _ in 0..3 {
            assert!(reg
                .admit(Broker::Kite, "k", 3, OverLimit::RefuseNew)
                .is_some());
        }
        assert!(reg
            .admit(Broker::Kite, "k", 3, OverLimit::RefuseNew)
            .is_none());
        assert!(reg
            .admit(Broker::Kite, "other", 3, OverLimit::RefuseNew)
            .is_some());
        assert!(
            reg.admit(Broker::Dhan, "k", 3, OverLimit::RefuseNew)
                .is_some(),
            "per broker"
        );
        assert_eq!(reg.open_count(Broker::Kite), 4);
    }

    #[test]
    fn kick_oldest_marks_the_first_connection() {
        let reg = SessionRegistry::default();
        let ids: Vec<u64> = (0..3)
            .filter_map(|_| reg.admit(Broker::Dhan, "c", 2, OverLimit::KickOldest))
            .map(|a| a.id)
            .collect();
        assert_eq!(ids.len(), 3, "kick-oldest always admits");
        let kicked: Vec<u64> = lock(&reg.inner)
            .iter()
            .filter(|(_, e)| e.kicked)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(kicked, vec![ids[0]]);
    }
}
