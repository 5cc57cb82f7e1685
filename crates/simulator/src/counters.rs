//! What the simulator saw, for tests and drills: connections, subscribe traffic,
//! limit violations, REST load, and every connection's current subscriptions.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mandi_domain::Mode;
use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::sessions::{Broker, SessionRegistry};
use crate::state::lock;

/// A Dhan subscription as `[segment, security_id, mode]`, e.g. `["NSE_EQ", 2885, "full"]`.
pub type DhanSubscription = (String, u32, Mode);
/// A Kite subscription as `[instrument_token, mode]`, e.g. `[738561, "quote"]`.
pub type KiteSubscription = (u32, Mode);

/// `GET /admin/counters`, and [`crate::SimulatorHandle::counters`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    pub dhan: BrokerCounters<DhanSubscription>,
    pub kite: BrokerCounters<KiteSubscription>,
    /// Broker REST calls (both brokers, admin excluded).
    pub rest_requests_total: u64,
    pub rest_requests_last_second: u64,
    /// The fault switches in force (`GET /admin/faults`).
    #[serde(default)]
    pub faults: Faults,
    /// How often each kind of fault was applied, every kind listed.
    #[serde(default)]
    pub faults_applied: BTreeMap<String, u64>,
}

/// One broker's tallies. Connection counts cover accepted feed connections only;
/// rejected credentials count as `auth_failures`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrokerCounters<S> {
    pub connections_open: usize,
    pub connections_total: u64,
    pub auth_failures: u64,
    pub subscribe_messages: u64,
    pub unsubscribe_messages: u64,
    /// Instruments subscribed again, in the same mode, on the same connection.
    pub duplicate_subscribes: u64,
    /// Requested instruments the simulator does not quote (ignored).
    pub unknown_instruments: u64,
    /// Instruments per message/connection, connections per credential, REST rate and size.
    pub limit_violations: u64,
    pub rest_requests_total: u64,
    /// Open connections in the order they were opened, subscriptions sorted.
    pub connections: Vec<ConnectionSubscriptions<S>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionSubscriptions<S> {
    pub id: u64,
    /// The Dhan client id or Kite api key the connection authenticated with.
    pub key: String,
    pub subscriptions: Vec<S>,
}

impl<S: Clone + Ord> BrokerCounters<S> {
    /// Every subscription over every connection, sorted (duplicates kept).
    pub fn all_subscriptions(&self) -> Vec<S> {
        let mut all: Vec<S> = self
            .connections
            .iter()
            .flat_map(|c| c.subscriptions.iter().cloned())
            .collect();
        all.sort();
        all
    }
}

/// Live counters of one broker; each field is bumped where the event happens.
#[derive(Debug, Default)]
pub struct BrokerTally {
    pub connections_total: AtomicU64,
    pub auth_failures: AtomicU64,
    pub subscribe_messages: AtomicU64,
    pub unsubscribe_messages: AtomicU64,
    pub duplicate_subscribes: AtomicU64,
    pub unknown_instruments: AtomicU64,
    pub limit_violations: AtomicU64,
    pub rest_requests_total: AtomicU64,
}

#[derive(Debug, Default)]
pub struct Counters {
    pub dhan: BrokerTally,
    pub kite: BrokerTally,
    /// Arrival times of REST calls within the last second.
    rest_recent: Mutex<VecDeque<Instant>>,
}

impl BrokerTally {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    fn snapshot<S>(&self, connections: Vec<ConnectionSubscriptions<S>>) -> BrokerCounters<S> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BrokerCounters {
            connections_open: connections.len(),
            connections_total: get(&self.connections_total),
            auth_failures: get(&self.auth_failures),
            subscribe_messages: get(&self.subscribe_messages),
            unsubscribe_messages: get(&self.unsubscribe_messages),
            duplicate_subscribes: get(&self.duplicate_subscribes),
            unknown_instruments: get(&self.unknown_instruments),
            limit_violations: get(&self.limit_violations),
            rest_requests_total: get(&self.rest_requests_total),
            connections,
        }
    }
}

impl Counters {
    pub fn broker(&self, broker: Broker) -> &BrokerTally {
        match broker {
            Broker::Dhan => &self.dhan,
            Broker::Kite => &self.kite,
        }
    }

    pub fn record_rest(&self, broker: Broker, now: Instant) {
        BrokerTally::bump(&self.broker(broker).rest_requests_total, 1);
        let mut recent = lock(&self.rest_recent);
        recent.push_back(now);
        prune(&mut recent, now);
    }

    pub fn snapshot(&self, sessions: &SessionRegistry, now: Instant) -> CountersSnapshot {
        let last_second = {
            let mut recent = lock(&self.rest_recent);
            prune(&mut recent, now);
            recent.len() as u64
        };
        let dhan = self.dhan.snapshot(sessions.dhan_view());
        let kite = self.kite.snapshot(sessions.kite_view());
        CountersSnapshot {
            rest_requests_total: dhan.rest_requests_total + kite.rest_requests_total,
            rest_requests_last_second: last_second,
            faults: Faults::default(),
            faults_applied: BTreeMap::new(),
            dhan,
            kite,
        }
    }
}

fn prune(recent: &mut VecDeque<Instant>, now: Instant) {
    while let Some(t) = recent.front() {
        if now.saturating_duration_since(*t) >= Duration::from_secs(1) {
            recent.pop_front();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_window_forgets_after_a_second() {
        let c = Counters::default();
        let reg = SessionRegistry::default();
        let t0 = Instant::now();
        c.record_rest(Broker::Dhan, t0);
        c.record_rest(Broker::Kite, t0 + Duration::from_millis(600));
        let s = c.snapshot(&reg, t0 + Duration::from_millis(700));
        assert_eq!((s.rest_requests_total, s.rest_requests_last_second), (2, 2));
        let s = c.snapshot(&reg, t0 + Duration::from_millis(1200));
        assert_eq!((s.rest_requests_total, s.rest_requests_last_second), (2, 1));
    }

    #[test]
    fn snapshot_serialises_subscriptions_as_arrays() {
        let reg = SessionRegistry::default();
        let id = reg
            .admit(
                Broker::Dhan,
                "1000000001",
                5,
                crate::sessions::OverLimit::KickOldest,
            )
            .map(|a| a.id)
            .unwrap_or_default();
        reg.set_dhan_subscriptions(id, vec![("NSE_EQ".into(), 2885, Mode::Full)]);
        let s = Counters::default().snapshot(&reg, Instant::now());
        let json = serde_json::to_value(&s).unwrap_or_default();
        assert_eq!(
            json["dhan"]["connections"][0]["subscriptions"],
            serde_json::json!([["NSE_EQ", 2885, "full"]])
        );
        assert_eq!(json["dhan"]["connections_open"], 1);
    }
}
