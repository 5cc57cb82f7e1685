//! What an edge carries: the union of its clients' interest as its own registry hands it
//! over (a replay of the whole set, then changes), and which symbols that adds or drops.

use std::collections::BTreeMap;
use std::sync::Arc;

use mandi_domain::{Instrument, Mode};
use mandi_feed::upstream::UpstreamChange;

use crate::interest::state::EdgeInterest;

/// Symbols to start and stop receiving after a change of the set.
#[derive(Debug, Default, PartialEq)]
pub struct Delta {
    pub added: Vec<Arc<str>>,
    pub removed: Vec<Arc<str>>,
}

#[derive(Default)]
pub struct EdgeSet {
    symbols: BTreeMap<Arc<str>, Mode>,
}

impl EdgeSet {
    /// The registry's whole set (sent when the edge attaches).
    pub fn replace(&mut self, active: &[(Instrument, Mode)]) -> Delta {
        let new: BTreeMap<Arc<str>, Mode> =
            active.iter().map(|(i, m)| (i.symbol.clone(), *m)).collect();
        let delta = Delta {
            added: new
                .keys()
                .filter(|s| !self.symbols.contains_key(*s))
                .cloned()
                .collect(),
            removed: self
                .symbols
                .keys()
                .filter(|s| !new.contains_key(*s))
                .cloned()
                .collect(),
        };
        self.symbols = new;
        delta
    }

    /// Changes to the set (a symbol gained, dropped, or its mode changed).
    pub fn apply(&mut self, changes: &[UpstreamChange]) -> Delta {
        let mut delta = Delta::default();
        for c in changes {
            let symbol = c.instrument.symbol.clone();
            match c.to {
                Some(mode) => {
                    if self.symbols.insert(symbol.clone(), mode).is_none() {
                        delta.added.push(symbol);
                    }
                }
                None => {
                    if self.symbols.remove(&symbol).is_some() {
                        delta.removed.push(symbol);
                    }
                }
            }
        }
        delta
    }

    pub fn interest(&self) -> EdgeInterest {
        EdgeInterest {
            symbols: self.symbols.iter().map(|(s, m)| (s.clone(), *m)).collect(),
        }
    }

    pub fn symbols(&self) -> Vec<Arc<str>> {
        self.symbols.keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandi_domain::{Exchange, Segment};

    fn inst(symbol: &str) -> Instrument {
        Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            security_id: 13,
            kite_token: 256_265,
            kite_key: "NSE:X".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn change(symbol: &str, from: Option<Mode>, to: Option<Mode>) -> UpstreamChange {
        UpstreamChange {
            instrument: inst(symbol),
            from,
            to,
        }
    }

    fn names(v: &[Arc<str>]) -> Vec<&str> {
        v.iter().map(|s| &**s).collect()
    }

    #[test]
    fn the_set_follows_replays_and_changes() {
        let mut set = EdgeSet::default();
        let d = set.replace(&[(inst("NIFTY"), Mode::Ltp), (inst("TCS"), Mode::Full)]);
        assert_eq!(
            (names(&d.added), names(&d.removed)),
            (vec!["NIFTY", "TCS"], vec![]),
            "first replay"
        );
        let d = set.apply(&[
            change("TCS", Some(Mode::Full), None),
            change("INFY", None, Some(Mode::Quote)),
            change("NIFTY", Some(Mode::Ltp), Some(Mode::Full)),
        ]);
        assert_eq!(
            (names(&d.added), names(&d.removed)),
            (vec!["INFY"], vec!["TCS"]),
            "changes; a mode change is neither"
        );
        assert_eq!(
            set.interest().symbols,
            vec![
                (Arc::from("INFY"), Mode::Quote),
                (Arc::from("NIFTY"), Mode::Full)
            ],
            "the interest key carries each symbol's mode"
        );
        let d = set.replace(&[(inst("NIFTY"), Mode::Full)]);
        assert_eq!(
            (names(&d.added), names(&d.removed)),
            (vec![], vec!["INFY"]),
            "a replay drops what it lacks"
        );
    }
}
