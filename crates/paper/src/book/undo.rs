//! `BookUndo`: what one call may change in a book, saved before it, so a call whose
//! record could not be kept is taken back exactly — and, compared after it, which orders
//! the call changed without an event saying so (a limit that started resting).

use std::sync::Arc;

use mandi_domain::Tick;
use serde::{Deserialize, Serialize};

use super::PaperBook;
use crate::{Charges, Order, OrderId, PaperSettings, Position};

/// A call touches only the symbols it is about: the submitted order's, the ticked
/// instrument's, the cancelled order's. Their open orders, positions and last quotes,
/// and the account's totals, are all it can change.
#[derive(Clone, Debug, PartialEq)]
pub struct BookUndo {
    account: AccountRecord,
    fills: usize,
    /// The symbols' open orders as they were.
    orders: Vec<Order>,
    positions: Vec<(Arc<str>, Option<Position>)>,
    last_quotes: Vec<(Arc<str>, Option<Tick>)>,
}

/// The account's own figures, beside its orders, fills and positions: one journal row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub settings: PaperSettings,
    pub cash: f64,
    pub charges: Charges,
    pub next_order_id: u64,
    pub next_fill_id: u64,
}

impl PaperBook {
    /// The account's own figures as they stand.
    pub fn account_record(&self) -> AccountRecord {
        AccountRecord {
            settings: self.settings.clone(),
            cash: self.cash,
            charges: self.charges,
            next_order_id: self.next_order_id,
            next_fill_id: self.next_fill_id,
        }
    }

    /// Saves what a call about `symbols` may change. Costs the symbols' open orders, not
    /// the book.
    pub fn undo_point(&self, symbols: &[Arc<str>]) -> BookUndo {
        BookUndo {
            account: self.account_record(),
            fills: self.fills.len(),
            orders: self
                .open_orders()
                .filter(|o| symbols.contains(&o.symbol))
                .cloned()
                .collect(),
            positions: symbols
                .iter()
                .map(|s| (s.clone(), self.positions.get(s).cloned()))
                .collect(),
            last_quotes: symbols
                .iter()
                .map(|s| (s.clone(), self.last_quotes.get(s).cloned()))
                .collect(),
        }
    }

    /// Takes the book back to `undo`: orders minted since are dropped, the saved ones
    /// put back as they were, and fills, cash, charges and counters rewound.
    pub fn undo(&mut self, undo: BookUndo) {
        let AccountRecord {
            settings: _,
            cash,
            charges,
            next_order_id,
            next_fill_id,
        } = undo.account;
        self.cash = cash;
        self.charges = charges;
        self.orders.retain(|id, _| id.0 < next_order_id);
        self.next_order_id = next_order_id;
        self.next_fill_id = next_fill_id;
        self.fills.truncate(undo.fills);
        for order in undo.orders {
            self.orders.insert(order.order_id, order);
        }
        for (symbol, position) in undo.positions {
            match position {
                Some(p) => self.positions.insert(symbol, p),
                None => self.positions.remove(&symbol),
            };
        }
        for (symbol, tick) in undo.last_quotes {
            match tick {
                Some(t) => self.last_quotes.insert(symbol, t),
                None => self.last_quotes.remove(&symbol),
            };
        }
    }
}

impl BookUndo {
    /// The saved orders `book` now holds differently: what the call changed, events or not.
    pub fn changed_orders(&self, book: &PaperBook) -> Vec<OrderId> {
        self.orders
            .iter()
            .filter(|before| book.order(before.order_id) != Some(*before))
            .map(|o| o.order_id)
            .collect()
    }
}
