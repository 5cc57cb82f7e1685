//! `CallRows`: the journal rows one paper call writes — its events, the orders it touched
//! (as the book holds them after the call), its fills, the positions it moved, the last
//! quotes of its symbols and the account row. Never the whole book: a call costs what it
//! touched, however long the account has traded.

use std::collections::BTreeSet;
use std::sync::Arc;

use mandi_domain::Tick;
use mandi_paper::{AccountRecord, Fill, Order, OrderId, PaperBook, PaperEvent, Position};

/// Owned, so the journal's thread can write them while the book moves on.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CallRows {
    pub events: Vec<PaperEvent>,
    pub orders: Vec<Order>,
    pub fills: Vec<Fill>,
    pub positions: Vec<Position>,
    pub quotes: Vec<Tick>,
    pub account: AccountRecord,
}

impl CallRows {
    /// The rows of a call that caused `events` and changed the `changed` orders without
    /// an event naming them (a limit that started resting), read off `book` after it.
    pub fn of(events: &[PaperEvent], changed: &[OrderId], book: &PaperBook) -> CallRows {
        let mut order_ids: BTreeSet<OrderId> = changed.iter().copied().collect();
        let mut moved: BTreeSet<Arc<str>> = BTreeSet::new();
        let mut fills = Vec::new();
        for event in events {
            match event {
                PaperEvent::OrderAccepted { order, .. }
                | PaperEvent::OrderRejected { order, .. } => {
                    order_ids.insert(order.order_id);
                }
                PaperEvent::OrderTriggered { order_id, .. }
                | PaperEvent::FillRefused { order_id, .. }
                | PaperEvent::OrderCancelled { order_id, .. } => {
                    order_ids.insert(*order_id);
                }
                PaperEvent::OrderFilled { fill } => {
                    order_ids.insert(fill.order_id);
                    fills.push(fill.clone());
                }
                PaperEvent::PositionChanged { position, .. } => {
                    moved.insert(position.symbol.clone());
                }
            }
        }
        let orders: Vec<Order> = order_ids
            .iter()
            .filter_map(|id| book.order(*id).cloned())
            .collect();
        let positions = moved
            .iter()
            .filter_map(|s| book.position(s).cloned())
            .collect();
        let symbols: BTreeSet<&Arc<str>> = orders.iter().map(|o| &o.symbol).chain(&moved).collect();
        let quotes = symbols
            .into_iter()
            .filter_map(|s| book.last_quote(s).cloned())
            .collect();
        CallRows {
            events: events.to_vec(),
            orders,
            fills,
            positions,
            quotes,
            account: book.account_record(),
        }
    }
}

#[cfg(test)]
mod tests {
    use mandi_paper::{OrderKind, PaperSettings, Side};

    use super::*;
    use crate::test_support::{at, nifty_ce, quote, request, CE};

    fn ids(rows: &CallRows) -> Vec<u64> {
        rows.orders.iter().map(|o| o.order_id.0).collect()
    }

    /// A book with 40 older orders on another symbol and a position on CE.
    fn busy_book() -> PaperBook {
        let mut book = PaperBook::new(PaperSettings::default());
        let mut other = nifty_ce();
        other.symbol = "OTHER".into();
        for i in 0..40 {
            let q = quote("OTHER", 100.0, 100.5, i);
            book.submit(
                request(Side::Buy, OrderKind::Market, "old"),
                &other,
                Some(&q),
                at(i),
            );
        }
        let q = quote(CE, 100.0, 100.5, 40);
        book.submit(
            request(Side::Buy, OrderKind::Market, "in"),
            &nifty_ce(),
            Some(&q),
            at(40),
        );
        book
    }

    #[test]
    fn a_call_writes_its_own_rows_not_the_book() {
        struct TestCase {
            name: &'static str,
            kind: OrderKind,
            side: Side,
            orders: Vec<u64>,
            fills: usize,
            positions: usize,
        }
        let cases = [
            TestCase {
                name: "a market sell: its order, its fill, the CE position",
                kind: OrderKind::Market,
                side: Side::Sell,
                orders: vec![42],
                fills: 1,
                positions: 1,
            },
            TestCase {
                name: "a resting limit: its order only",
                kind: OrderKind::Limit { price: 90.0 },
                side: Side::Buy,
                orders: vec![42],
                fills: 0,
                positions: 0,
            },
            TestCase {
                name: "a rejected order: its order only",
                kind: OrderKind::Limit { price: 90.01 },
                side: Side::Buy,
                orders: vec![42],
                fills: 0,
                positions: 0,
            },
        ];
        for case in cases {
            let mut book = busy_book();
            let q = quote(CE, 100.0, 100.5, 41);
            let events = book.submit(
                request(case.side, case.kind, "t"),
                &nifty_ce(),
                Some(&q),
                at(41),
            );
            let rows = CallRows::of(&events, &[], &book);
            assert_eq!(ids(&rows), case.orders, "case `{}`", case.name);
            assert_eq!(rows.fills.len(), case.fills, "case `{}`", case.name);
            assert_eq!(rows.positions.len(), case.positions, "case `{}`", case.name);
            assert_eq!(rows.events, events, "case `{}`", case.name);
            let quoted: Vec<&str> = rows.quotes.iter().map(|t| &*t.symbol).collect();
            assert_eq!(quoted, [CE], "case `{}`", case.name);
            assert_eq!(rows.account, book.account_record(), "case `{}`", case.name);
        }
    }

    #[test]
    fn orders_changed_without_an_event_are_written_too() {
        let mut book = busy_book();
        let rows = CallRows::of(&[], &[OrderId(3)], &book);
        assert_eq!(ids(&rows), [3]);
        let quoted: Vec<&str> = rows.quotes.iter().map(|t| &*t.symbol).collect();
        assert_eq!(quoted, ["OTHER"]);
        // A fill that also names an order the caller saw change: written once.
        let q = quote(CE, 100.0, 100.5, 41);
        let events = book.submit(
            request(Side::Sell, OrderKind::Market, "t"),
            &nifty_ce(),
            Some(&q),
            at(41),
        );
        let rows = CallRows::of(&events, &[OrderId(42)], &book);
        assert_eq!(ids(&rows), [42]);
    }
}
