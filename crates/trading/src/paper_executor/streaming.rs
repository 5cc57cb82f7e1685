//! `StreamingPlan`: which instruments the paper account keeps streaming. A symbol streams
//! while it has open orders (ticks work them), an open position (marks, and exits meet a
//! live quote), orders waiting for a quote, or a fill in the last `keep_after_trade` (the
//! next order on it meets a live quote); it is released when none is left. Pure: time
//! is an argument.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

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
    /// Symbols filled lately, with their latest fill's time: kept until it is
    /// `keep_after_trade` old, so a flat position's symbol does not go quiet at once.
    traded: BTreeMap<Arc<str>, DateTime<Utc>>,
    keep_after_trade: TimeDelta,
    /// What the registry has been asked to stream, as of the last change returned.
    streaming: BTreeSet<Arc<str>>,
}

impl StreamingPlan {
    pub fn new(keep_after_trade_s: u64) -> StreamingPlan {
        StreamingPlan {
            keep_after_trade: i64::try_from(keep_after_trade_s)
                .ok()
                .and_then(TimeDelta::try_seconds)
                .unwrap_or(TimeDelta::MAX),
            ..StreamingPlan::default()
        }
    }

    /// `symbol` was filled at `at`.
    pub fn traded(&mut self, symbol: &Arc<str>, at: DateTime<Utc>) {
        let last = self.traded.entry(symbol.clone()).or_insert(at);
        *last = (*last).max(at);
    }

    /// The book changed: these symbols now have open orders and these open positions.
    pub fn on_book(
        &mut self,
        working: BTreeSet<Arc<str>>,
        holding: BTreeSet<Arc<str>>,
        now: DateTime<Utc>,
    ) -> StreamingChange {
        self.working = working;
        self.holding = holding;
        self.expire(now)
    }

    /// Time passed: symbols whose last fill is now `keep_after_trade` old are released,
    /// unless something else holds them.
    pub fn expire(&mut self, now: DateTime<Utc>) -> StreamingChange {
        let keep = self.keep_after_trade;
        self.traded
            .retain(|_, at| at.checked_add_signed(keep).is_none_or(|end| end > now));
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

    /// Whether the registry has been asked to stream `symbol` for the paper account.
    pub fn is_streaming(&self, symbol: &str) -> bool {
        self.streaming.contains(symbol)
    }

    /// How many symbols the paper account holds streaming.
    pub fn streaming_symbols(&self) -> usize {
        self.streaming.len()
    }

    fn settle(&mut self) -> StreamingChange {
        let wanted: BTreeSet<Arc<str>> = self
            .working
            .iter()
            .chain(&self.holding)
            .chain(self.warming.keys())
            .chain(self.traded.keys())
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
        /// A fill of the symbol, at this many seconds.
        Traded(&'static str, i64),
        /// The clock at this many seconds.
        Expire(i64),
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

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn symbols_stream_while_an_order_a_position_or_a_wait_needs_them() {
        use Step::{Book, Cool, Expire, Traded, Warm};
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
            TestCase {
                name: "a position closed by a fill streams until the window after it passes",
                steps: vec![
                    (Book(&[], &["CE"]), &["CE"], &[]),
                    (Traded("CE", 10), &[], &[]),
                    (Book(&[], &[]), &[], &[]),
                    (Expire(309), &[], &[]),
                    (Expire(310), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "a later fill extends the window",
                steps: vec![
                    (Traded("CE", 0), &[], &[]),
                    (Book(&[], &[]), &["CE"], &[]),
                    (Traded("CE", 200), &[], &[]),
                    (Expire(400), &[], &[]),
                    (Expire(500), &[], &["CE"]),
                ],
            },
            TestCase {
                name: "a held symbol outlives its window",
                steps: vec![
                    (Traded("CE", 0), &[], &[]),
                    (Book(&[], &["CE"]), &["CE"], &[]),
                    (Expire(1_000), &[], &[]),
                    (Book(&[], &[]), &[], &["CE"]),
                ],
            },
        ];
        for case in cases {
            let mut plan = StreamingPlan::new(300);
            let mut now = at(0);
            for (i, (step, subscribe, release)) in case.steps.into_iter().enumerate() {
                let change = match step {
                    Book(orders, positions) => plan.on_book(set(orders), set(positions), now),
                    Warm(symbol) => plan.warm(&Arc::from(symbol)),
                    Cool(symbol) => plan.cool(symbol),
                    Traded(symbol, secs) => {
                        plan.traded(&Arc::from(symbol), at(secs));
                        StreamingChange::default()
                    }
                    Expire(secs) => {
                        now = at(secs);
                        plan.expire(now)
                    }
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
    fn a_window_of_zero_releases_a_flat_symbol_at_once() {
        let mut plan = StreamingPlan::new(0);
        plan.on_book(set(&[]), set(&["CE"]), at(0));
        plan.traded(&Arc::from("CE"), at(5));
        let change = plan.on_book(set(&[]), set(&[]), at(5));
        assert_eq!(names(&change.release), ["CE"]);
        assert!(!plan.is_streaming("CE"));
    }

    #[test]
    fn only_symbols_with_open_orders_are_worked() {
        let mut plan = StreamingPlan::default();
        plan.on_book(set(&["CE"]), set(&["PE"]), at(0));
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
