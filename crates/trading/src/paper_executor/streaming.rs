//! `StreamingPlan`: which instruments the paper account keeps streaming. A symbol streams
//! while it has open orders (ticks work them), an open position (marks, and exits meet a
//! live quote) or orders waiting for its first quote; it is released when none is left.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::outbound::StreamingChange;

#[derive(Debug, Default, Clone)]
pub struct StreamingPlan {
    /// Symbols with open orders: the only ones a tick needs to work.
    working: BTreeSet<Arc<str>>,
    /// Symbols with an open (non-flat) position.
    holding: BTreeSet<Arc<str>>,
    /// Symbols orders wait on for a first quote, with how many orders wait: a second
    /// order's wait must keep the symbol after the first one's ends.
    warming: BTreeMap<Arc<str>, usize>,
    /// What the registry has been asked to stream, as of the last change returned.
    streaming: BTreeSet<Arc<str>>,
}

impl StreamingPlan {
    /// The book changed: these symbols now have open orders and these open positions.
    pub fn on_book(
        &mut self,
        working: BTreeSet<Arc<str>>,
        holding: BTreeSet<Arc<str>>,
    ) -> StreamingChange {
        self.working = working;
        self.holding = holding;
        self.settle()
    }

    /// An order starts waiting for `symbol`'s first quote.
    pub fn warm(&mut self, symbol: &Arc<str>) -> StreamingChange {
        *self.warming.entry(symbol.clone()).or_default() += 1;
        self.settle()
    }

    /// An order's wait for `symbol` ended (quote came, or it timed out).
    pub fn cool(&mut self, symbol: &str) -> StreamingChange {
        if let Some(waiting) = self.warming.get_mut(symbol) {
            *waiting -= 1;
            if *waiting == 0 {
                self.warming.remove(symbol);
            }
        }
        self.settle()
    }

    /// Whether ticks of `symbol` have open orders to work.
    pub fn is_working(&self, symbol: &str) -> bool {
        self.working.contains(symbol)
    }

    /// How many symbols have open orders.
    pub fn working_symbols(&self) -> usize {
        self.working.len()
    }

    fn settle(&mut self) -> StreamingChange {
        let wanted: BTreeSet<Arc<str>> = self
            .working
            .iter()
            .chain(&self.holding)
            .chain(self.warming.keys())
            .cloned()
            .collect();
        let change = StreamingChange::between(&self.streaming, &wanted);
        self.streaming = wanted;
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Step {
        /// The book after a call: symbols with open orders, symbols with positions.
        Book(&'static [&'static str], &'static [&'static str]),
        Warm(&'static str),
        Cool(&'static str),
    }

    struct TestCase {
        name: &'static str,
        /// Each step and the change it must ask for: (subscribe, release).
        steps: Vec<(Step, &'static [&'static str], &'static [&'static str])>,
    }

    fn set(symbols: &[&str]) -> BTreeSet<Arc<str>> {
        symbols.iter().map(|s| Arc::from(*s)).collect()
    }

    fn names(symbols: &[Arc<str>]) -> Vec<&str> {
        symbols.iter().map(|s| &**s).collect()
    }

    #[test]
    fn symbols_stream_while_an_order_a_position_or_a_wait_needs_them() {
        use Step::{Book, Cool, Warm};
        let cases = vec![
            TestCase {
                name: "a resting order subscribes, its cancel releases",
                steps: vec![
                    (Book(&["CE"], &[]), &["CE"], &[]),
                    (Book(&[], &[]), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "a filled order keeps its position streaming until flat",
                steps: vec![
                    (Book(&["CE"], &[]), &["CE"], &[]),
                    (Book(&[], &["CE"]), &[], &[]),
                    (Book(&[], &[]), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "an order and a position on one symbol subscribe it once",
                steps: vec![
                    (Book(&["CE"], &["CE", "PE"]), &["CE", "PE"], &[]),
                    (Book(&[], &["PE"]), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "a wait subscribes; a rejected order's wait ending releases",
                steps: vec![
                    (Warm("CE"), &["CE"], &[]),
                    (Book(&[], &[]), &[], &[]),
                    (Cool("CE"), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "a wait ending on a filled order keeps the position",
                steps: vec![
                    (Warm("CE"), &["CE"], &[]),
                    (Book(&[], &["CE"]), &[], &[]),
                    (Cool("CE"), &[], &[]),
                ],
            },
            TestCase {
                name: "two waits on one symbol keep it until both end",
                steps: vec![
                    (Warm("CE"), &["CE"], &[]),
                    (Warm("CE"), &[], &[]),
                    (Cool("CE"), &[], &[]),
                    (Cool("CE"), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "ending a wait that never began changes nothing",
                steps: vec![(Cool("CE"), &[], &[])],
            },
        ];
        for case in cases {
            let mut plan = StreamingPlan::default();
            for (i, (step, subscribe, release)) in case.steps.into_iter().enumerate() {
                let change = match step {
                    Book(orders, positions) => plan.on_book(set(orders), set(positions)),
                    Warm(symbol) => plan.warm(&Arc::from(symbol)),
                    Cool(symbol) => plan.cool(symbol),
                };
                assert_eq!(
                    (names(&change.subscribe), names(&change.release)),
                    (subscribe.to_vec(), release.to_vec()),
                    "case `{}`, step {i}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn only_symbols_with_open_orders_are_worked() {
        let mut plan = StreamingPlan::default();
        plan.on_book(set(&["CE"]), set(&["PE"]));
        plan.warm(&Arc::from("FUT"));
        assert!(plan.is_working("CE"));
        assert!(
            !plan.is_working("PE"),
            "a position alone has nothing to work"
        );
        assert!(!plan.is_working("FUT"), "a wait alone has nothing to work");
        assert_eq!(plan.working_symbols(), 1);
    }
}
