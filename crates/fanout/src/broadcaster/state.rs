//! Who listens to which symbol, the last serialized tick per symbol, and the
//! terminal's price map. No actix here: the actor wraps it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{time::ist_naive_iso, Tick};
use mandi_protocol::client::Frame;

/// The latest tick and its one serialized form.
#[derive(Debug, Clone)]
pub struct Latest {
    pub tick: Tick,
    pub bytes: Frame,
}

/// Interest and cache.
#[derive(Debug, Default)]
pub struct FanoutState {
    interest: HashMap<Arc<str>, HashSet<u64>>,
    by_session: HashMap<u64, HashSet<Arc<str>>>,
    latest: HashMap<Arc<str>, Latest>,
}

impl FanoutState {
    pub fn add_interest(&mut self, session: u64, symbol: Arc<str>) {
        self.interest
            .entry(symbol.clone())
            .or_default()
            .insert(session);
        self.by_session.entry(session).or_default().insert(symbol);
    }

    pub fn remove_interest(&mut self, session: u64, symbol: &str) {
        if let Some(set) = self.interest.get_mut(symbol) {
            set.remove(&session);
            if set.is_empty() {
                self.interest.remove(symbol);
            }
        }
        if let Some(set) = self.by_session.get_mut(&session) {
            set.remove(symbol);
        }
    }

    /// Forget a session; returns what it was watching.
    pub fn remove_session(&mut self, session: u64) -> Vec<Arc<str>> {
        let symbols: Vec<Arc<str>> = self
            .by_session
            .remove(&session)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for s in &symbols {
            self.remove_interest(session, s);
        }
        symbols
    }

    pub fn listeners(&self, symbol: &str) -> impl Iterator<Item = u64> + '_ {
        self.interest.get(symbol).into_iter().flatten().copied()
    }

    pub fn store(&mut self, tick: Tick, bytes: Frame) {
        self.latest
            .insert(tick.symbol.clone(), Latest { tick, bytes });
    }

    pub fn latest(&self, symbol: &str) -> Option<&Latest> {
        self.latest.get(symbol)
    }

    /// Symbols at least one session listens to.
    pub fn watched(&self) -> impl Iterator<Item = &Arc<str>> {
        self.interest.keys()
    }

    /// Symbols with a cached tick.
    pub fn known(&self) -> impl Iterator<Item = &Arc<str>> {
        self.latest.keys()
    }
}

/// The broking terminal's payload: `{"NIFTY": 25760.85, ..., "timestamp": "..", "status": ".."}`.
/// `status` is `active` while data flows, otherwise what is wrong (`quiet`, `stale`,
/// `rest_fallback`, `login_required`, ...; see `HealthView::prices_status`), so a
/// terminal client can tell a frozen number from a live one.
pub fn prices_payload(
    symbols: &[Arc<str>],
    fanout: &FanoutState,
    status: &str,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let mut map = BTreeMap::new();
    for s in symbols {
        let v = fanout
            .latest(s)
            .map(|l| serde_json::json!(l.tick.ltp))
            .unwrap_or(serde_json::Value::Null);
        map.insert(s.to_string(), v);
    }
    let mut obj: serde_json::Map<String, serde_json::Value> = map.into_iter().collect();
    obj.insert("timestamp".into(), ist_naive_iso(now).into());
    obj.insert("status".into(), status.into());
    serde_json::Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_is_per_session_and_symbol() {
        let mut f = FanoutState::default();
        f.add_interest(1, "A".into());
        f.add_interest(2, "A".into());
        f.add_interest(2, "B".into());
        let mut a: Vec<u64> = f.listeners("A").collect();
        a.sort_unstable();
        assert_eq!(a, vec![1, 2]);
        let mut gone = f.remove_session(2);
        gone.sort();
        assert_eq!(gone, vec![Arc::<str>::from("A"), Arc::from("B")]);
        assert_eq!(f.listeners("A").collect::<Vec<_>>(), vec![1]);
        assert_eq!(f.listeners("B").count(), 0);
    }

    #[test]
    fn prices_payload_shape() {
        let mut f = FanoutState::default();
        let mut t = Tick::empty("NIFTY".into(), Utc::now());
        t.ltp = 25_760.85;
        f.store(t, Frame::new());
        let v = prices_payload(&["NIFTY".into(), "SENSEX".into()], &f, "active", Utc::now());
        assert_eq!(v["NIFTY"], 25_760.85);
        assert!(v["SENSEX"].is_null(), "no tick yet is null, not 0");
        assert_eq!(v["status"], "active");
        assert!(v["timestamp"].as_str().is_some_and(|s| s.len() == 26));
    }
}
