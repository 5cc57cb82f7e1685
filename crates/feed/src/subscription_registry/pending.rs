//! Upstream changes gathered over one flush window, per connection and for the whole set:
//! each instrument keeps the mode it had when the window opened and the mode it has now,
//! so a subscribe undone within the window (or a mode moved and moved back) is no change
//! at all, and client churn never becomes broker churn. An instrument moved to another
//! contract (a rolled continuous future) is a change even when its mode is not.

use std::collections::BTreeMap;
use std::sync::Arc;

use mandi_domain::{Instrument, Mode};

use crate::feed_connection::messages::UpstreamChange;
use crate::instrument_directory::same_contract;

/// One instrument's change on one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardChange {
    pub shard: usize,
    pub change: UpstreamChange,
}

/// What one flush tells the followers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flush {
    /// Per connection, the net changes of the window (connections without any left out).
    pub shards: Vec<(usize, Vec<UpstreamChange>)>,
    /// The same for the whole set, for followers of every instrument (the REST fallback):
    /// an instrument that only moved between connections is no change to them.
    pub all: Vec<UpstreamChange>,
}

/// The mode at the window's start and now.
#[derive(Clone, Debug)]
struct Net {
    instrument: Instrument,
    from: Option<Mode>,
    to: Option<Mode>,
    /// The symbol now stands for other ids than when the window opened.
    moved: bool,
}

impl Net {
    fn record(slot: Option<&mut Net>, change: &UpstreamChange) -> Option<Net> {
        match slot {
            Some(net) => {
                net.to = change.to;
                if !same_contract(&net.instrument, &change.instrument) {
                    net.moved = true;
                    net.instrument = change.instrument.clone();
                }
                None
            }
            None => Some(Net {
                instrument: change.instrument.clone(),
                from: change.from,
                to: change.to,
                // Only a rebind reports a held instrument with its mode unchanged.
                moved: change.from.is_some() && change.from == change.to,
            }),
        }
    }

    fn into_change(self) -> Option<UpstreamChange> {
        let moved = self.moved && self.to.is_some();
        (self.from != self.to || moved).then_some(UpstreamChange {
            instrument: self.instrument,
            from: self.from,
            to: self.to,
        })
    }
}

/// Changes not yet told to anyone. Ordered maps, so a flush lists them in a stable order.
#[derive(Clone, Debug, Default)]
pub struct PendingChanges {
    shards: BTreeMap<(usize, Arc<str>), Net>,
    all: BTreeMap<Arc<str>, Net>,
}

impl PendingChanges {
    /// Changes arrive in the order they happened; only the first `from` and the last `to`
    /// of each instrument count.
    pub fn record(&mut self, changes: &[ShardChange]) {
        for c in changes {
            let symbol = &c.change.instrument.symbol;
            let key = (c.shard, symbol.clone());
            if let Some(net) = Net::record(self.shards.get_mut(&key), &c.change) {
                self.shards.insert(key, net);
            }
            if let Some(net) = Net::record(self.all.get_mut(symbol), &c.change) {
                self.all.insert(symbol.clone(), net);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shards.is_empty() && self.all.is_empty()
    }

    /// Everything gathered, net, and a fresh window.
    pub fn take(&mut self) -> Flush {
        let mut shards: Vec<(usize, Vec<UpstreamChange>)> = Vec::new();
        for ((shard, _), net) in std::mem::take(&mut self.shards) {
            let Some(change) = net.into_change() else {
                continue;
            };
            match shards.last_mut() {
                Some((last, list)) if *last == shard => list.push(change),
                _ => shards.push((shard, vec![change])),
            }
        }
        let all = std::mem::take(&mut self.all)
            .into_values()
            .filter_map(Net::into_change)
            .collect();
        Flush { shards, all }
    }

    /// A connection was just given its whole set: what was pending for it is in there.
    pub fn forget_shard(&mut self, shard: usize) {
        self.shards.retain(|(s, _), _| *s != shard);
    }

    /// Everyone was just given the whole set.
    pub fn clear(&mut self) {
        self.shards.clear();
        self.all.clear();
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Exchange, Segment};

    use super::*;

    fn inst(symbol: &str) -> Instrument {
        Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            security_id: 1,
            kite_token: 1,
            kite_key: format!("NFO:{symbol}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn on(shard: usize, symbol: &str, from: Option<Mode>, to: Option<Mode>) -> ShardChange {
        ShardChange {
            shard,
            change: UpstreamChange {
                instrument: inst(symbol),
                from,
                to,
            },
        }
    }

    /// (shard, symbol, from, to) of each flushed per-connection change.
    fn shape(flush: &Flush) -> Vec<(usize, String, Option<Mode>, Option<Mode>)> {
        flush
            .shards
            .iter()
            .flat_map(|(shard, list)| {
                list.iter()
                    .map(|c| (*shard, c.instrument.symbol.to_string(), c.from, c.to))
            })
            .collect()
    }

    struct TestCase {
        name: &'static str,
        changes: Vec<ShardChange>,
        want: Vec<(usize, &'static str, Option<Mode>, Option<Mode>)>,
        want_all: usize,
    }

    #[test]
    fn a_window_keeps_only_net_changes() {
        use Mode::{Full, Ltp};
        let cases = [
            TestCase {
                name: "subscribe then unsubscribe: nothing",
                changes: vec![on(0, "A", None, Some(Ltp)), on(0, "A", Some(Ltp), None)],
                want: vec![],
                want_all: 0,
            },
            TestCase {
                name: "unsubscribe then subscribe again: nothing",
                changes: vec![on(0, "A", Some(Ltp), None), on(0, "A", None, Some(Ltp))],
                want: vec![],
                want_all: 0,
            },
            TestCase {
                name: "a mode moved and moved back: nothing",
                changes: vec![
                    on(0, "A", Some(Ltp), Some(Full)),
                    on(0, "A", Some(Full), Some(Ltp)),
                ],
                want: vec![],
                want_all: 0,
            },
            TestCase {
                name: "subscribe then a mode move: one subscribe in the last mode",
                changes: vec![
                    on(1, "A", None, Some(Ltp)),
                    on(1, "A", Some(Ltp), Some(Full)),
                ],
                want: vec![(1, "A", None, Some(Full))],
                want_all: 1,
            },
            TestCase {
                name: "released on one connection, taken again on another",
                changes: vec![on(1, "A", Some(Ltp), None), on(0, "A", None, Some(Ltp))],
                want: vec![(0, "A", None, Some(Ltp)), (1, "A", Some(Ltp), None)],
                want_all: 0,
            },
            TestCase {
                name: "several connections, ordered by connection then symbol",
                changes: vec![
                    on(2, "B", None, Some(Ltp)),
                    on(0, "C", None, Some(Ltp)),
                    on(0, "A", Some(Ltp), None),
                ],
                want: vec![
                    (0, "A", Some(Ltp), None),
                    (0, "C", None, Some(Ltp)),
                    (2, "B", None, Some(Ltp)),
                ],
                want_all: 3,
            },
        ];
        for c in cases {
            let mut pending = PendingChanges::default();
            pending.record(&c.changes);
            let flush = pending.take();
            let want: Vec<_> = c
                .want
                .iter()
                .map(|(s, sym, f, t)| (*s, sym.to_string(), *f, *t))
                .collect();
            assert_eq!(shape(&flush), want, "{}", c.name);
            assert_eq!(flush.all.len(), c.want_all, "{}", c.name);
            assert!(pending.is_empty(), "{}: a fresh window", c.name);
        }
    }

    #[test]
    fn a_replayed_connection_drops_its_pending_changes_only() {
        let mut pending = PendingChanges::default();
        pending.record(&[
            on(0, "A", None, Some(Mode::Ltp)),
            on(1, "B", None, Some(Mode::Ltp)),
        ]);
        pending.forget_shard(1);
        let flush = pending.take();
        assert_eq!(shape(&flush).len(), 1);
        assert_eq!(flush.shards[0].0, 0);
        assert_eq!(
            flush.all.len(),
            2,
            "the whole-set followers still hear of both"
        );
        pending.record(&[on(0, "A", None, Some(Mode::Ltp))]);
        pending.clear();
        assert_eq!(pending.take(), Flush::default());
    }

    #[test]
    fn a_moved_contract_is_a_change_with_its_mode_unchanged() {
        let moved = |id: u32| ShardChange {
            shard: 0,
            change: UpstreamChange {
                instrument: Instrument {
                    security_id: id,
                    ..inst("CRUDEOIL")
                },
                from: Some(Mode::Quote),
                to: Some(Mode::Quote),
            },
        };
        struct TestCase {
            name: &'static str,
            changes: Vec<ShardChange>,
            /// (security id, from, to) flushed on connection 0.
            want: Vec<(u32, Option<Mode>, Option<Mode>)>,
        }
        let cases = [
            TestCase {
                name: "a rebind alone",
                changes: vec![moved(2)],
                want: vec![(2, Some(Mode::Quote), Some(Mode::Quote))],
            },
            TestCase {
                name: "subscribed then rebound in one window: the new contract only",
                changes: vec![on(0, "CRUDEOIL", None, Some(Mode::Quote)), moved(2)],
                want: vec![(2, None, Some(Mode::Quote))],
            },
            TestCase {
                name: "rebound then released: dropped",
                changes: vec![
                    moved(2),
                    ShardChange {
                        shard: 0,
                        change: UpstreamChange {
                            to: None,
                            ..moved(2).change
                        },
                    },
                ],
                want: vec![(2, Some(Mode::Quote), None)],
            },
        ];
        for c in cases {
            let mut pending = PendingChanges::default();
            pending.record(&c.changes);
            let flush = pending.take();
            let got: Vec<_> = flush
                .shards
                .iter()
                .flat_map(|(_, list)| list.iter())
                .map(|u| (u.instrument.security_id, u.from, u.to))
                .collect();
            assert_eq!(got, c.want, "{}", c.name);
            let all: Vec<_> = flush
                .all
                .iter()
                .map(|u| (u.instrument.security_id, u.from, u.to))
                .collect();
            assert_eq!(all, c.want, "{}: the whole-set followers too", c.name);
        }
    }
}
