//! Reference-counted subscription table: who wants which instrument in which mode, the
//! upstream mode each instrument needs (the highest any subscriber asked for), which
//! upstream connection carries it, and the changes gathered for the next flush.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use mandi_domain::{Instrument, Mode};

use super::pending::{Flush, PendingChanges, ShardChange};
use super::shards::ShardTable;
use crate::feed_connection::messages::UpstreamChange;
use crate::instrument_directory::{same_contract, InstrumentIndex};

pub use crate::backplane::SubscriberId;

/// One row of `/api/subscriptions/active`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActiveSubscription {
    pub symbol: Arc<str>,
    /// The mode the upstream is subscribed in.
    pub mode: Mode,
    pub subscribers: usize,
    /// The upstream connection carrying it (0 is the first).
    pub shard: usize,
}

/// What a subscribe did: the upstream changes it needs (already gathered for the next
/// flush), and the new instruments no connection had room for (not subscribed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subscribed {
    pub changes: Vec<ShardChange>,
    pub over_capacity: Vec<Arc<str>>,
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

/// The registry's data; handlers call these, then flush what gathered.
#[derive(Debug)]
pub struct RegistryState {
    by_subscriber: HashMap<SubscriberId, HashMap<Arc<str>, Mode>>,
    // BTreeMap so a replay goes out in a stable order.
    by_symbol: BTreeMap<Arc<str>, ModeCounts>,
    /// Which connection carries each upstream instrument, within the broker's limits.
    shards: ShardTable,
    /// Changes not yet told to the connections and followers.
    pending: PendingChanges,
    /// Symbols refused for want of room since start.
    refused_total: u64,
}

impl RegistryState {
    /// A table for `connections` upstream connections of `per_connection` instruments.
    pub fn new(per_connection: usize, connections: usize) -> RegistryState {
        RegistryState {
            by_subscriber: HashMap::new(),
            by_symbol: BTreeMap::new(),
            shards: ShardTable::new(per_connection, connections),
            pending: PendingChanges::default(),
            refused_total: 0,
        }
    }

    /// Subscribe `subscriber` to each instrument in `mode` (re-subscribing in another
    /// mode moves it). An instrument nobody holds yet takes a slot on the first
    /// connection with room, or is refused when every connection is full. The changes
    /// (0→1 and mode moves only) are gathered for the next flush and returned.
    pub fn subscribe(
        &mut self,
        subscriber: &SubscriberId,
        instruments: &[Arc<Instrument>],
        mode: Mode,
    ) -> Subscribed {
        let mut out = Subscribed::default();
        for inst in instruments {
            let Some(shard) = self.shards.place(&inst.symbol) else {
                if !out.over_capacity.contains(&inst.symbol) {
                    out.over_capacity.push(inst.symbol.clone());
                }
                continue;
            };
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
                out.changes.push(ShardChange {
                    shard,
                    change: UpstreamChange {
                        instrument: (**inst).clone(),
                        from: before,
                        to: after,
                    },
                });
            }
        }
        self.refused_total += out.over_capacity.len() as u64;
        self.pending.record(&out.changes);
        out
    }

    /// Symbols that now stand for other contracts (a continuous future rolled): each one
    /// held moves its upstream subscription to the new ids, in the same mode on the same
    /// connection. Each change has `from == to`: the connection unsubscribes the old
    /// contract and subscribes the new one (gathered for the next flush).
    pub fn rebind(&mut self, moved: &[Arc<Instrument>]) -> Vec<ShardChange> {
        let mut changes = Vec::new();
        for inst in moved {
            let shard = self.shards.shard_of(&inst.symbol);
            let Some(entry) = self.by_symbol.get_mut(&inst.symbol) else {
                continue;
            };
            let held = entry.instrument.replace(inst.clone());
            if held.is_some_and(|old| same_contract(&old, inst)) {
                continue;
            }
            if let (Some(mode), Some(shard)) = (entry.effective(), shard) {
                changes.push(ShardChange {
                    shard,
                    change: UpstreamChange {
                        instrument: (**inst).clone(),
                        from: Some(mode),
                        to: Some(mode),
                    },
                });
            }
        }
        self.pending.record(&changes);
        changes
    }

    /// Release `symbols` held by `subscriber`; the 1→0 and mode-drop changes (gathered
    /// for the next flush). A 1→0 frees the instrument's slot.
    pub fn release(&mut self, subscriber: &SubscriberId, symbols: &[Arc<str>]) -> Vec<ShardChange> {
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
            let gone = entry.total() == 0;
            let shard = if gone {
                self.shards.remove(symbol)
            } else {
                self.shards.shard_of(symbol)
            };
            if let (true, Some(inst), Some(shard)) =
                (before != after, entry.instrument.as_ref(), shard)
            {
                changes.push(ShardChange {
                    shard,
                    change: UpstreamChange {
                        instrument: (**inst).clone(),
                        from: before,
                        to: after,
                    },
                });
            }
            if gone {
                self.by_symbol.remove(symbol);
            }
        }
        if held.is_empty() {
            self.by_subscriber.remove(subscriber);
        }
        self.pending.record(&changes);
        changes
    }

    /// Release everything a subscriber holds (a closed browser session, a stopped bot).
    pub fn release_all(&mut self, subscriber: &SubscriberId) -> Vec<ShardChange> {
        let symbols: Vec<Arc<str>> = self
            .by_subscriber
            .get(subscriber)
            .map(|held| held.keys().cloned().collect())
            .unwrap_or_default();
        self.release(subscriber, &symbols)
    }

    /// Recompute the per-instrument counts and the connection table from the subscriber
    /// table (after a restart: a panic mid-update may have left them out of step).
    /// Symbols the index no longer knows are dropped from both; an instrument keeps its
    /// connection; one that lost its slot gets a free one or, with none left, is dropped.
    /// Pending changes are forgotten: the caller replays everything.
    pub fn rebuild(&mut self, index: &InstrumentIndex) {
        self.by_symbol.clear();
        self.pending.clear();
        for held in self.by_subscriber.values_mut() {
            held.retain(|symbol, _| index.by_symbol(symbol).is_some());
        }
        let wanted: HashSet<Arc<str>> = self
            .by_subscriber
            .values()
            .flat_map(|held| held.keys().cloned())
            .collect();
        self.shards.retain(|symbol| wanted.contains(symbol));
        let mut placed: Vec<Arc<str>> = wanted.into_iter().collect();
        placed.sort();
        placed.retain(|symbol| self.shards.place(symbol).is_some());
        let placed: HashSet<Arc<str>> = placed.into_iter().collect();
        for held in self.by_subscriber.values_mut() {
            held.retain(|symbol, _| placed.contains(symbol));
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

    /// Everything the upstream must carry.
    pub fn upstream_set(&self) -> Vec<(Instrument, Mode)> {
        self.set_where(|_| true)
    }

    /// What one connection must carry, for its replay after a (re)connect; what was
    /// pending for it is in there, so it is dropped.
    pub fn replay_shard(&mut self, shard: usize) -> Vec<(Instrument, Mode)> {
        self.pending.forget_shard(shard);
        self.shard_set(shard)
    }

    /// What one connection must carry.
    pub fn shard_set(&self, shard: usize) -> Vec<(Instrument, Mode)> {
        self.set_where(|symbol| self.shards.shard_of(symbol) == Some(shard))
    }

    /// The changes gathered since the last flush, net, and a fresh window.
    pub fn take_pending(&mut self) -> Flush {
        self.pending.take()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Which connections are in use: the first always, the others while they carry
    /// instruments.
    pub fn needed(&self) -> Vec<bool> {
        self.shards.needed()
    }

    /// Instruments per connection, the limits, and the refusals, for `/health`.
    pub fn usage(&self) -> Usage {
        Usage {
            per_connection: self.shards.per_connection(),
            connections: self.shards.connections(),
            instruments: self.shards.len(),
            by_shard: self.shards.counts().to_vec(),
            refused_total: self.refused_total,
        }
    }

    pub fn active(&self) -> Vec<ActiveSubscription> {
        self.by_symbol
            .iter()
            .filter_map(|(symbol, e)| {
                Some(ActiveSubscription {
                    symbol: symbol.clone(),
                    mode: e.effective()?,
                    subscribers: e.total() as usize,
                    shard: self.shards.shard_of(symbol)?,
                })
            })
            .collect()
    }

    pub fn subscriber_count(&self) -> usize {
        self.by_subscriber.len()
    }

    fn set_where(&self, keep: impl Fn(&str) -> bool) -> Vec<(Instrument, Mode)> {
        self.by_symbol
            .iter()
            .filter(|(symbol, _)| keep(symbol))
            .filter_map(|(_, e)| Some(((**e.instrument.as_ref()?).clone(), e.effective()?)))
            .collect()
    }
}

/// How full the upstream is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    pub per_connection: usize,
    pub connections: usize,
    pub instruments: usize,
    pub by_shard: Vec<usize>,
    pub refused_total: u64,
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

    /// Option-like instruments `O0000`.. with ids from 40 000.
    fn many(n: u32) -> Vec<Arc<Instrument>> {
        (0..n)
            .map(|i| inst(&format!("O{i:04}"), 40_000 + i))
            .collect()
    }

    fn id(s: &str) -> SubscriberId {
        s.into()
    }

    /// Dhan's limits: 5 connections of 5000.
    fn reg() -> RegistryState {
        RegistryState::new(5000, 5)
    }

    /// (from, to) of each change.
    fn moves(changes: &[ShardChange]) -> Vec<(Option<Mode>, Option<Mode>)> {
        changes
            .iter()
            .map(|c| (c.change.from, c.change.to))
            .collect()
    }

    #[test]
    fn rebuild_recomputes_counts_from_the_subscriber_table() {
        let (rel, tcs) = (inst("RELIANCE", 2885), inst("TCS", 11536));
        let index =
            InstrumentIndex::build(vec![(*rel).clone(), (*tcs).clone()]).expect("valid index");
        let mut reg = reg();
        reg.subscribe(&id("a"), &[rel.clone(), tcs.clone()], Mode::Ltp);
        reg.subscribe(&id("b"), std::slice::from_ref(&rel), Mode::Full);
        let before = reg.active();
        // Simulate counts left half-updated by a panic.
        reg.by_symbol.clear();
        reg.rebuild(&index);
        assert_eq!(reg.active(), before);
        assert_eq!(reg.upstream_set().len(), 2);
        assert!(
            !reg.has_pending(),
            "the caller replays everything after a rebuild"
        );
    }

    #[test]
    fn only_first_subscriber_and_last_release_reach_upstream() {
        let mut reg = reg();
        let rel = [inst("RELIANCE", 2885)];
        let first = reg.subscribe(&id("a"), &rel, Mode::Ltp);
        assert_eq!(moves(&first.changes), vec![(None, Some(Mode::Ltp))]);
        assert!(reg.subscribe(&id("b"), &rel, Mode::Ltp).changes.is_empty());
        assert!(reg.release(&id("a"), &["RELIANCE".into()]).is_empty());
        let last = reg.release(&id("b"), &["RELIANCE".into()]);
        assert_eq!(moves(&last), vec![(Some(Mode::Ltp), None)]);
        assert!(reg.upstream_set().is_empty());
        assert_eq!(reg.subscriber_count(), 0);
    }

    #[test]
    fn upstream_mode_is_the_highest_requested() {
        let mut reg = reg();
        let rel = [inst("RELIANCE", 2885)];
        reg.subscribe(&id("a"), &rel, Mode::Ltp);
        let up = reg.subscribe(&id("b"), &rel, Mode::Full);
        assert_eq!(
            moves(&up.changes),
            vec![(Some(Mode::Ltp), Some(Mode::Full))]
        );
        let down = reg.release(&id("b"), &["RELIANCE".into()]);
        assert_eq!(moves(&down), vec![(Some(Mode::Full), Some(Mode::Ltp))]);
    }

    #[test]
    fn resubscribing_same_subscriber_does_not_double_count() {
        let mut reg = reg();
        let rel = [inst("RELIANCE", 2885)];
        reg.subscribe(&id("a"), &rel, Mode::Quote);
        assert!(reg
            .subscribe(&id("a"), &rel, Mode::Quote)
            .changes
            .is_empty());
        assert_eq!(reg.active()[0].subscribers, 1);
        let gone = reg.release_all(&id("a"));
        assert_eq!(gone.len(), 1);
        assert!(reg.active().is_empty());
    }

    #[test]
    fn replay_set_has_each_instrument_once() {
        let mut reg = reg();
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

    struct ShardCase {
        name: &'static str,
        per_connection: usize,
        connections: usize,
        /// Instruments subscribed, in one go.
        subscribe: u32,
        want_by_shard: &'static [usize],
        want_refused: usize,
    }

    #[test]
    fn sharding_fills_spills_and_refuses() {
        let cases = [
            ShardCase {
                name: "fills the first connection to exactly the limit",
                per_connection: 5000,
                connections: 5,
                subscribe: 5000,
                want_by_shard: &[5000, 0, 0, 0, 0],
                want_refused: 0,
            },
            ShardCase {
                name: "one more spills to the next connection",
                per_connection: 5000,
                connections: 5,
                subscribe: 5001,
                want_by_shard: &[5000, 1, 0, 0, 0],
                want_refused: 0,
            },
            ShardCase {
                name: "kite: three of 3000, the rest refused",
                per_connection: 3000,
                connections: 3,
                subscribe: 9500,
                want_by_shard: &[3000, 3000, 3000],
                want_refused: 500,
            },
            ShardCase {
                name: "one connection configured",
                per_connection: 100,
                connections: 1,
                subscribe: 150,
                want_by_shard: &[100],
                want_refused: 50,
            },
        ];
        for c in cases {
            let mut reg = RegistryState::new(c.per_connection, c.connections);
            let out = reg.subscribe(&id("client-1"), &many(c.subscribe), Mode::Ltp);
            let usage = reg.usage();
            assert_eq!(usage.by_shard, c.want_by_shard, "{}", c.name);
            assert_eq!(out.over_capacity.len(), c.want_refused, "{}", c.name);
            assert_eq!(usage.refused_total, c.want_refused as u64, "{}", c.name);
            assert_eq!(
                out.changes.len(),
                c.subscribe as usize - c.want_refused,
                "{}: one change per accepted instrument",
                c.name
            );
            assert_eq!(
                reg.active().len(),
                usage.instruments,
                "{}: refused symbols are not held",
                c.name
            );
            for (shard, want) in c.want_by_shard.iter().enumerate() {
                assert_eq!(
                    reg.shard_set(shard).len(),
                    *want,
                    "{}: shard {shard}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn past_capacity_a_known_instrument_is_still_shared_and_a_release_frees_a_slot() {
        let mut reg = RegistryState::new(2, 2);
        let four = many(4);
        reg.subscribe(&id("a"), &four, Mode::Ltp);
        let extra = inst("EXTRA", 9);
        let refused = reg.subscribe(&id("b"), std::slice::from_ref(&extra), Mode::Ltp);
        assert_eq!(refused.over_capacity, vec![Arc::<str>::from("EXTRA")]);
        assert!(refused.changes.is_empty());
        assert_eq!(reg.subscriber_count(), 1, "b holds nothing");
        // What the upstream already carries costs no slot.
        let shared = reg.subscribe(&id("b"), &four[3..], Mode::Ltp);
        assert!(shared.over_capacity.is_empty() && shared.changes.is_empty());
        // a's release of O0000 keeps nothing on shard 0 busy for it: the slot is free.
        let freed = reg.release(&id("a"), &["O0000".into()]);
        assert_eq!((freed[0].shard, freed[0].change.to), (0, None));
        let now = reg.subscribe(&id("b"), &[extra], Mode::Ltp);
        assert!(now.over_capacity.is_empty());
        assert_eq!(
            now.changes[0].shard, 0,
            "the freed slot, not a new connection"
        );
        assert_eq!(reg.usage().by_shard, vec![2, 2]);
    }

    #[test]
    fn an_emptied_connection_is_no_longer_needed() {
        let mut reg = RegistryState::new(2, 3);
        let five = many(5);
        reg.subscribe(&id("a"), &five[..2], Mode::Ltp);
        reg.subscribe(&id("b"), &five[2..], Mode::Ltp);
        assert_eq!(reg.needed(), vec![true, true, true]);
        reg.release_all(&id("b"));
        assert_eq!(reg.needed(), vec![true, false, false]);
        assert_eq!(reg.usage().by_shard, vec![2, 0, 0]);
    }

    #[test]
    fn changes_gather_per_connection_until_the_flush() {
        let mut reg = RegistryState::new(2, 2);
        let three = many(3);
        reg.subscribe(&id("a"), &three, Mode::Ltp);
        // Churn inside the window: O0002 comes and goes, O0001 moves mode and back.
        reg.release(&id("a"), &["O0002".into()]);
        reg.subscribe(&id("a"), &three[1..2], Mode::Full);
        reg.subscribe(&id("a"), &three[1..2], Mode::Ltp);
        let flush = reg.take_pending();
        let per_shard: Vec<(usize, Vec<String>)> = flush
            .shards
            .iter()
            .map(|(s, list)| {
                (
                    *s,
                    list.iter()
                        .map(|c| c.instrument.symbol.to_string())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            per_shard,
            vec![(0, vec!["O0000".to_string(), "O0001".to_string()])],
            "the subscribe undone within the window never reaches connection 1"
        );
        assert_eq!(flush.all.len(), 2);
        assert!(!reg.has_pending());
    }

    #[test]
    fn a_reconnected_connection_is_replayed_its_own_set_only() {
        let mut reg = RegistryState::new(2, 3);
        let five = many(5);
        reg.subscribe(&id("a"), &five, Mode::Quote);
        let names = |set: Vec<(Instrument, Mode)>| -> Vec<String> {
            set.iter().map(|(i, _)| i.symbol.to_string()).collect()
        };
        assert_eq!(names(reg.replay_shard(1)), vec!["O0002", "O0003"]);
        let flush = reg.take_pending();
        let shards: Vec<usize> = flush.shards.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            shards,
            vec![0, 2],
            "what connection 1 was owed went with its replay"
        );
        assert_eq!(names(reg.replay_shard(2)), vec!["O0004"]);
        assert_eq!(names(reg.shard_set(0)), vec!["O0000", "O0001"]);
        let rows = reg.active();
        assert_eq!(rows[4].shard, 2, "the active list names each connection");
    }

    #[test]
    fn rebuild_keeps_connections_and_drops_what_no_longer_fits() {
        let all = many(5);
        let index =
            InstrumentIndex::build(all.iter().map(|i| (**i).clone()).collect()).expect("index");
        let mut reg = RegistryState::new(2, 3);
        reg.subscribe(&id("a"), &all, Mode::Ltp);
        let before: Vec<(String, usize)> = reg
            .active()
            .into_iter()
            .map(|r| (r.symbol.to_string(), r.shard))
            .collect();
        reg.by_symbol.clear();
        reg.rebuild(&index);
        let after: Vec<(String, usize)> = reg
            .active()
            .into_iter()
            .map(|r| (r.symbol.to_string(), r.shard))
            .collect();
        assert_eq!(after, before, "nobody moved");
        let mut smaller = RegistryState::new(2, 1);
        smaller.by_subscriber = reg.by_subscriber.clone();
        smaller.rebuild(&index);
        assert_eq!(smaller.usage().instruments, 2, "only what fits is kept");
        assert_eq!(smaller.active().len(), 2);
    }

    #[test]
    fn a_rolled_symbol_moves_its_subscription_to_the_new_ids() {
        let mut reg = reg();
        let old = inst("CRUDEOIL", 467_013);
        reg.subscribe(&id("a"), std::slice::from_ref(&old), Mode::Quote);
        reg.subscribe(&id("b"), std::slice::from_ref(&old), Mode::Ltp);
        reg.take_pending();
        let new = inst("CRUDEOIL", 480_001);
        let changes = reg.rebind(&[new.clone(), inst("NOT_HELD", 9)]);
        assert_eq!(
            moves(&changes),
            vec![(Some(Mode::Quote), Some(Mode::Quote))],
            "one move, in the mode in force, nothing for a symbol nobody holds"
        );
        assert_eq!(changes[0].change.instrument.security_id, 480_001);
        assert!(reg.has_pending(), "gathered for the next flush");
        let set = reg.upstream_set();
        assert_eq!(set.len(), 1);
        assert_eq!(
            set[0].0.security_id, 480_001,
            "replays carry the new contract"
        );
        assert!(
            reg.rebind(&[new]).is_empty(),
            "the same contract again is no move"
        );
        reg.take_pending();
        let released = reg.release_all(&id("a"));
        assert_eq!(released[0].change.instrument.security_id, 480_001);
    }
}
