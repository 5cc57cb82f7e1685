//! What a feed or edge node says about the cluster in `/health` → `cluster`: its role,
//! the leader and how long ago it renewed, the backplane's counters and lag, and the
//! edges whose interest the leader holds.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::interest::EdgeList;
use crate::lease::{self, LeaseView};
use crate::link::Backplane;
use crate::publisher::PublishCounters;
use crate::trading::TradingCounters;

/// Ticks an edge took off the backplane, and how late.
#[derive(Debug, Default)]
pub struct ReceiveCounters {
    pub ticks: AtomicU64,
    pub snapshots: AtomicU64,
    pub decode_errors: AtomicU64,
    /// Published → received, microseconds: the last tick's, and the most seen.
    pub lag_us_last: AtomicI64,
    pub lag_us_max: AtomicI64,
    /// Microseconds since the epoch of the last tick received; 0 before the first.
    pub last_at_us: AtomicI64,
}

impl ReceiveCounters {
    pub fn record(&self, published_at: DateTime<Utc>, now: DateTime<Utc>) {
        let lag = (now - published_at)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .max(0);
        self.ticks.fetch_add(1, Ordering::Relaxed);
        self.lag_us_last.store(lag, Ordering::Relaxed);
        self.lag_us_max.fetch_max(lag, Ordering::Relaxed);
        self.last_at_us
            .store(now.timestamp_micros(), Ordering::Relaxed);
    }
}

/// `/health` → `cluster`.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterReport {
    pub role: &'static str,
    pub node: String,
    pub nats_connected: bool,
    /// Whether this node holds the lease (feed nodes; always false on an edge).
    pub is_leader: bool,
    #[serde(flatten)]
    pub lease: LeaseView,
    /// Edges whose interest keys the leader holds (on an edge: its own key).
    pub interest_keys: Vec<String>,
    pub ticks_published: u64,
    pub ticks_dropped: u64,
    pub ticks_received: u64,
    pub snapshots_received: u64,
    pub decode_errors: u64,
    /// Tick published by the leader → received here, milliseconds.
    pub backplane_lag_ms: Option<f64>,
    pub backplane_lag_max_ms: Option<f64>,
    pub trading: TradingView,
}

/// `/health` → `cluster.trading`: where the paper account and the bots run, and the
/// traffic to and from it.
#[derive(Clone, Debug, Serialize)]
pub struct TradingView {
    /// `cluster.trading_node`; empty when nobody trades.
    pub node: String,
    /// Whether this node is it.
    pub here: bool,
    pub updates_published: u64,
    pub updates_dropped: u64,
    pub updates_received: u64,
    pub updates_rejected: u64,
    pub api_forwarded: u64,
    pub api_served: u64,
    pub api_failed: u64,
}

/// Everything `/health` needs of this node's cluster side, cheap to clone.
#[derive(Clone)]
pub struct ClusterNode {
    pub backplane: Backplane,
    pub published: Arc<PublishCounters>,
    pub received: Arc<ReceiveCounters>,
    pub trading: Arc<TradingCounters>,
    /// Leader: the edges it holds interest for.
    pub edges: EdgeList,
    pub is_leader: bool,
    /// Edge: its own interest key, once written.
    pub own_key: Arc<Mutex<Option<String>>>,
}

impl ClusterNode {
    pub fn new(backplane: Backplane, is_leader: bool) -> ClusterNode {
        ClusterNode {
            backplane,
            published: Arc::default(),
            received: Arc::default(),
            trading: Arc::default(),
            edges: Arc::default(),
            is_leader,
            own_key: Arc::default(),
        }
    }

    pub async fn report(&self) -> ClusterReport {
        let s = &self.backplane.settings;
        let lease = lease::view(&self.backplane.lease).await;
        let mut keys = self.edges.lock().map(|l| l.clone()).unwrap_or_default();
        if let Ok(own) = self.own_key.lock() {
            keys.extend(own.iter().cloned());
        }
        let r = &self.received;
        let received = r.ticks.load(Ordering::Relaxed);
        let ms = |us: i64| us as f64 / 1000.0;
        ClusterReport {
            role: s.role.as_str(),
            node: s.node.clone(),
            nats_connected: self.backplane.is_connected(),
            is_leader: self.is_leader,
            lease,
            interest_keys: keys,
            ticks_published: self.published.ticks.load(Ordering::Relaxed),
            ticks_dropped: self.published.dropped.load(Ordering::Relaxed),
            ticks_received: received,
            snapshots_received: r.snapshots.load(Ordering::Relaxed),
            decode_errors: r.decode_errors.load(Ordering::Relaxed),
            backplane_lag_ms: (received > 0).then(|| ms(r.lag_us_last.load(Ordering::Relaxed))),
            backplane_lag_max_ms: (received > 0).then(|| ms(r.lag_us_max.load(Ordering::Relaxed))),
            trading: self.trading_view(),
        }
    }
}

impl ClusterNode {
    fn trading_view(&self) -> TradingView {
        let s = &self.backplane.settings;
        let t = &self.trading;
        let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        TradingView {
            node: s.trading_node.clone(),
            here: s.trades_here(),
            updates_published: n(&t.updates_published),
            updates_dropped: n(&t.updates_dropped),
            updates_received: n(&t.updates_received),
            updates_rejected: n(&t.updates_rejected),
            api_forwarded: n(&t.api_forwarded),
            api_served: n(&t.api_served),
            api_failed: n(&t.api_failed),
        }
    }
}
