//! Reference-counted subscription table: who wants which instrument in which mode,
//! and the upstream mode each instrument needs (the highest any subscriber asked for).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mandi_domain::{Instrument, Mode};

use crate::feed_connection::messages::UpstreamChange;
use crate::instrument_directory::InstrumentIndex;

pub use crate::backplane::SubscriberId;

/// One row of `/api/subscriptions/active`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActiveSubscription {
    pub symbol: Arc<str>,
    /// The mode the upstream is subscribed in.
    pub mode: Mode,
    pub subscribers: usize,
}

/// Per-instrument counts of subscribers by mode.
#[derive(Clone, Debug, Default)]
struct ModeCounts {
    instrument: Option<Arc<Instrument>>,
    counts: [u32; 3],
}

impl ModeCounts {
    fn effective(&self) -> Option<Mode> {
        Mode::ALL
            .into_iter()
            .rev()
            .find(|m| self.counts[*m as usize] > 0)
    }

    fn total(&self) -> u32 {
        self.counts.iter().sum()
    }
}

/// The registry's data; handlers call these and forward the returned changes.
#[derive(Debug, Default)]
pub struct RegistryState {
    by_subscriber: HashMap<SubscriberId, HashMap<Arc<str>, Mode>>,
    // BTreeMap so a replay goes out in a stable order.
    by_symbol: BTreeMap<Arc<str>, ModeCounts>,
}

impl RegistryState {
    /// Subscribe `subscriber` to each instrument in `mode` (re-subscribing in another
    /// mode moves it). Returns the upstream changes: only 0→1 and mode moves.
    pub fn subscribe(
        &mut self,
        subscriber: &SubscriberId,
        instruments: &[Arc<Instrument>],
        mode: Mode,
    ) -> Vec<UpstreamChange> {
        let mut changes = Vec::new();
        for inst in instruments {
            let held = self.by_subscriber.entry(subscriber.clone()).or_default();
            let previous = held.insert(inst.symbol.clone(), mode);
            let entry = self.by_symbol.entry(inst.symbol.clone()).or_default();
            entry.instrument.get_or_insert_with(|| inst.clone());
            let before = entry.effective();
            if let Some(old) = previous {
                entry.counts[old as usize] -= 1;
            }
            entry.counts[mode as usize] += 1;
            let after = entry.effective();
            if before != after {
                changes.push(UpstreamChange {
                    instrument: (**inst).clone(),
                    from: before,
                    to: after,
                });
            }
        }
        changes
    }

    /// Release `symbols` held by `subscriber`; returns the 1→0 and mode-drop changes.
    pub fn release(
        &mut self,
        subscriber: &SubscriberId,
        symbols: &[Arc<str>],
    ) -> Vec<UpstreamChange> {
        let mut changes = Vec::new();
        let Some(held) = self.by_subscriber.get_mut(subscriber) else {
            return changes;
        };
        for symbol in symbols {
            let Some(mode) = held.remove(symbol) else {
                continue;
            };
            let Some(entry) = self.by_symbol.get_mut(symbol) else {
                continue;
            };
            let before = entry.effective();
            entry.counts[mode as usize] -= 1;
            let after = entry.effective();
            if let (true, Some(inst)) = (before != after, entry.instrument.as_ref()) {
                changes.push(UpstreamChange {
                    instrument: (**inst).clone(),
                    from: before,
                    to: after,
                });
            }
            if entry.total() == 0 {
                self.by_symbol.remove(symbol);
            }
        }
        if held.is_empty() {
            self.by_subscriber.remove(subscriber);
        }
        changes
    }

    /// Release everything a subscriber holds (a closed browser session, a stopped bot).
    pub fn release_all(&mut self, subscriber: &SubscriberId) -> Vec<UpstreamChange> {
        let symbols: Vec<Arc<str>> = self
            .by_subscriber
            .get(subscriber)
            .map(|held| held.keys().cloned().collect())
            .unwrap_or_default();
        self.release(subscriber, &symbols)
    }

    /// Recompute the per-instrument counts from the subscriber table (after a restart:
    /// a panic mid-update may have left them out of step). Symbols the index no longer
    /// knows are dropped from both.
    pub fn rebuild(&mut self, index: &InstrumentIndex) {
        self.by_symbol.clear();
        for held in self.by_subscriber.values_mut() {
            held.retain(|symbol, _| index.by_symbol(symbol).is_some());
        }
        self.by_subscriber.retain(|_, held| !held.is_empty());
        for held in self.by_subscriber.values() {
            for (symbol, mode) in held {
                let entry = self.by_symbol.entry(symbol.clone()).or_default();
                if entry.instrument.is_none() {
                    entry.instrument = index.by_symbol(symbol).cloned();
                }
                entry.counts[*mode as usize] += 1;
            }
        }
    }

    /// Everything the upstream must carry, for a replay after (re)connect.
    pub fn upstream_set(&self) -> Vec<(Instrument, Mode)> {
        self.by_symbol
            .values()
            .filter_map(|e| Some(((**e.instrument.as_ref()?).clone(), e.effective()?)))
            .collect()
    }

    pub fn active(&self) -> Vec<ActiveSubscription> {
        self.by_symbol
            .iter()
            .filter_map(|(symbol, e)| {
                Some(ActiveSubscription {
                    symbol: symbol.clone(),
                    mode: e.effective()?,
                    subscribers: e.total() as usize,
                })
            })
            .collect()
    }

    pub fn subscriber_count(&self) -> usize {
        self.by_subscriber.len()
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Exchange, Segment};

    use super::*;

    fn inst(symbol: &str, id: u32) -> Arc<Instrument> {
        Arc::new(Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment: Segment::NseEq,
            security_id: id,
            kite_token: id * 256 + 1,
            kite_key: format!("NSE:{symbol}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        })
    }

    fn id(s: &str) -> SubscriberId {
        s.into()
    }

    #[test]
    fn rebuild_recomputes_counts_from_the_subscriber_table() {
        let (rel, tcs) = (inst("RELIANCE", 2885), inst("TCS", 11536));
        let index =
            InstrumentIndex::build(vec![(*rel).clone(), (*tcs).clone()]).expect("valid index");
        let mut reg = RegistryState::default();
        reg.subscribe(&id("a"), &[rel.clone(), tcs.clone()], Mode::Ltp);
        reg.subscribe(&id("b"), std::slice::from_ref(&rel), Mode::Full);
        let before = reg.active();
        // Simulate counts left half-updated by a panic.
        reg.by_symbol.clear();
        reg.rebuild(&index);
        assert_eq!(reg.active(), before);
        assert_eq!(reg.upstream_set().len(), 2);
    }

    #[test]
    fn only_first_subscriber_and_last_release_reach_upstream() {
        let mut reg = RegistryState::default();
        let rel = [inst("RELIANCE", 2885)];
        let first = reg.subscribe(&id("a"), &rel, Mode::Ltp);
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].from, first[0].to), (None, Some(Mode::Ltp)));
        assert!(reg.subscribe(&id("b"), &rel, Mode::Ltp).is_empty());
        assert!(reg.release(&id("a"), &["RELIANCE".into()]).is_empty());
        let last = reg.release(&id("b"), &["RELIANCE".into()]);
        assert_eq!((last[0].from, last[0].to), (Some(Mode::Ltp), None));
        assert!(reg.upstream_set().is_empty());
        assert_eq!(reg.subscriber_count(), 0);
    }

    #[test]
    fn upstream_mode_is_the_highest_requested() {
        let mut reg = RegistryState::default();
        let rel = [inst("RELIANCE", 2885)];
        reg.subscribe(&id("a"), &rel, Mode::Ltp);
        let up = reg.subscribe(&id("b"), &rel, Mode::Full);
        assert_eq!((up[0].from, up[0].to), (Some(Mode::Ltp), Some(Mode::Full)));
        let down = reg.release(&id("b"), &["RELIANCE".into()]);
        assert_eq!(
            (down[0].from, down[0].to),
            (Some(Mode::Full), Some(Mode::Ltp))
        );
    }

    #[test]
    fn resubscribing_same_subscriber_does_not_double_count() {
        let mut reg = RegistryState::default();
        let rel = [inst("RELIANCE", 2885)];
        reg.subscribe(&id("a"), &rel, Mode::Quote);
        assert!(reg.subscribe(&id("a"), &rel, Mode::Quote).is_empty());
        assert_eq!(reg.active()[0].subscribers, 1);
        let gone = reg.release_all(&id("a"));
        assert_eq!(gone.len(), 1);
        assert!(reg.active().is_empty());
    }

    #[test]
    fn replay_set_has_each_instrument_once() {
        let mut reg = RegistryState::default();
        let all = [inst("A", 1), inst("B", 2)];
        reg.subscribe(&id("x"), &all, Mode::Ltp);
        reg.subscribe(&id("y"), &all[..1], Mode::Full);
        let set = reg.upstream_set();
        let names: Vec<_> = set
            .iter()
            .map(|(i, m)| (i.symbol.to_string(), *m))
            .collect();
        assert_eq!(
            names,
            vec![("A".into(), Mode::Full), ("B".into(), Mode::Ltp)]
        );
    }
}
