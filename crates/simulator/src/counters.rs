//! What the simulator saw, for tests and drills: connections, subscribe traffic,
//! limit violations, REST load (and the quote APIs' peak rate), master downloads, and
//! every connection's current subscriptions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use mandi_domain::Mode;
use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::limits::SlidingWindow;
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
    /// Quote REST calls of both brokers (Dhan `/v2/marketfeed/*`, Kite `/quote*`),
    /// counted on arrival whatever the answer.
    #[serde(default)]
    pub rest_quote_requests_total: u64,
    /// The most quote REST calls of both brokers together in any sliding second; a
    /// client keeping to each broker's 1 request/s on one broker peaks at 1.
    #[serde(default)]
    pub rest_quote_max_per_second: u64,
    /// Instrument masters served (Dhan scrip master and Kite instruments).
    #[serde(default)]
    pub master_downloads_total: u64,
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
    /// The most subscriptions any one connection ever held (Dhan counts one per instrument
    /// and mode, as its limit does; Kite one per token). Never above the broker's limit:
    /// a subscribe past it is refused (Dhan with 804).
    #[serde(default)]
    pub max_subscriptions_per_connection: u64,
    pub rest_requests_total: u64,
    /// This broker's quote REST calls, counted on arrival whatever the answer.
    #[serde(default)]
    pub rest_quote_requests_total: u64,
    /// The most of them in any sliding second (the broker allows 1).
    #[serde(default)]
    pub rest_quote_max_per_second: u64,
    /// Masters served: Dhan `/api-data/api-scrip-master.csv`, Kite `/instruments*`.
    #[serde(default)]
    pub master_downloads_total: u64,
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
    pub max_subscriptions_per_connection: AtomicU64,
    pub rest_requests_total: AtomicU64,
    pub rest_quote_requests_total: AtomicU64,
    pub master_downloads_total: AtomicU64,
}

#[derive(Debug, Default)]
pub struct Counters {
    pub dhan: BrokerTally,
    pub kite: BrokerTally,
    /// Arrival times of REST calls within the last second.
    rest_recent: Mutex<SlidingWindow>,
    quote_windows: Mutex<QuoteWindows>,
}

/// Quote-call windows per broker and for both together.
#[derive(Debug, Default)]
struct QuoteWindows {
    dhan: SlidingWindow,
    kite: SlidingWindow,
    both: SlidingWindow,
}

impl BrokerTally {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// A connection now holds `subscriptions`: keep the most ever seen.
    pub fn connection_holds(&self, subscriptions: usize) {
        self.max_subscriptions_per_connection
            .fetch_max(subscriptions as u64, Ordering::Relaxed);
    }

    fn snapshot<S>(
        &self,
        connections: Vec<ConnectionSubscriptions<S>>,
        quote_window: &SlidingWindow,
    ) -> BrokerCounters<S> {
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
            max_subscriptions_per_connection: get(&self.max_subscriptions_per_connection),
            rest_requests_total: get(&self.rest_requests_total),
            rest_quote_requests_total: get(&self.rest_quote_requests_total),
            rest_quote_max_per_second: quote_window.max(),
            master_downloads_total: get(&self.master_downloads_total),
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
        lock(&self.rest_recent).record(now);
    }

    /// A quote REST call arrived (before auth, rate limit or faults decide its answer).
    pub fn record_quote(&self, broker: Broker, now: Instant) {
        BrokerTally::bump(&self.broker(broker).rest_quote_requests_total, 1);
        let mut w = lock(&self.quote_windows);
        match broker {
            Broker::Dhan => w.dhan.record(now),
            Broker::Kite => w.kite.record(now),
        };
        w.both.record(now);
    }

    pub fn record_master_download(&self, broker: Broker) {
        BrokerTally::bump(&self.broker(broker).master_downloads_total, 1);
    }

    pub fn snapshot(&self, sessions: &SessionRegistry, now: Instant) -> CountersSnapshot {
        let last_second = lock(&self.rest_recent).count(now);
        let windows = lock(&self.quote_windows);
        let dhan = self.dhan.snapshot(sessions.dhan_view(), &windows.dhan);
        let kite = self.kite.snapshot(sessions.kite_view(), &windows.kite);
        CountersSnapshot {
            rest_requests_total: dhan.rest_requests_total + kite.rest_requests_total,
            rest_requests_last_second: last_second,
            rest_quote_requests_total: dhan.rest_quote_requests_total
                + kite.rest_quote_requests_total,
            rest_quote_max_per_second: windows.both.max(),
            master_downloads_total: dhan.master_downloads_total + kite.master_downloads_total,
            faults: Faults::default(),
            faults_applied: BTreeMap::new(),
            dhan,
            kite,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn quote_rate_peaks_per_broker_and_together() {
        let c = Counters::default();
        let reg = SessionRegistry::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // Each broker paced at 1/s, but the two together overlap.
        for (broker, at) in [
            (Broker::Dhan, 0),
            (Broker::Kite, 300),
            (Broker::Dhan, 1000),
            (Broker::Kite, 1300),
            (Broker::Kite, 2500),
        ] {
            c.record_quote(broker, ms(at));
        }
        c.record_master_download(Broker::Kite);
        let s = c.snapshot(&reg, ms(3000));
        assert_eq!(
            (
                s.dhan.rest_quote_requests_total,
                s.dhan.rest_quote_max_per_second
            ),
            (2, 1)
        );
        assert_eq!(
            (
                s.kite.rest_quote_requests_total,
                s.kite.rest_quote_max_per_second
            ),
            (3, 1)
        );
        assert_eq!(
            (s.rest_quote_requests_total, s.rest_quote_max_per_second),
            (5, 2)
        );
        assert_eq!(
            (s.master_downloads_total, s.kite.master_downloads_total),
            (1, 1)
        );
        assert_eq!(
            s.rest_requests_total, 0,
            "quote arrivals are a separate tally"
        );
    }

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
