//! `PaperSnapshot`: the whole book as plain data, so a restart resumes with the same
//! positions, cash, open orders and id counters.

use std::collections::BTreeMap;

use mandi_domain::Tick;
use serde::{Deserialize, Serialize};

use super::PaperBook;
use crate::{Charges, Fill, Order, PaperSettings, Position, RestoreError};

/// Everything a [`PaperBook`] holds. `restore(snapshot).snapshot() == snapshot`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperSnapshot {
    pub settings: PaperSettings,
    pub cash: f64,
    pub charges: Charges,
    /// In submission order.
    pub orders: Vec<Order>,
    /// By symbol.
    pub positions: Vec<Position>,
    /// Oldest first.
    pub fills: Vec<Fill>,
    pub next_order_id: u64,
    pub next_fill_id: u64,
    /// The last quote worked per symbol, by symbol.
    pub last_quotes: Vec<Tick>,
}

impl PaperBook {
    pub fn snapshot(&self) -> PaperSnapshot {
        PaperSnapshot {
            settings: self.settings.clone(),
            cash: self.cash,
            charges: self.charges,
            orders: self.orders.values().cloned().collect(),
            positions: self.positions.values().cloned().collect(),
            fills: self.fills.clone(),
            next_order_id: self.next_order_id,
            next_fill_id: self.next_fill_id,
            last_quotes: self.last_quotes.values().cloned().collect(),
        }
    }

    /// Rebuild a book from a snapshot. Refuses snapshots whose counters would mint an id
    /// already used, or whose fills name orders it lacks: either means the journal that
    /// produced it is damaged, and guessing would corrupt the account.
    pub fn restore(snapshot: PaperSnapshot) -> Result<PaperBook, RestoreError> {
        let mut orders = BTreeMap::new();
        for order in snapshot.orders {
            let id = order.order_id;
            if orders.insert(id, order).is_some() {
                return Err(RestoreError::DuplicateOrder(id));
            }
        }
        let highest_order = orders.keys().next_back().map_or(0, |id| id.0);
        if snapshot.next_order_id <= highest_order {
            return Err(RestoreError::CounterBehind {
                kind: "order",
                next: snapshot.next_order_id,
                highest: highest_order,
            });
        }
        let highest_fill = snapshot
            .fills
            .iter()
            .map(|f| f.fill_id.0)
            .max()
            .unwrap_or(0);
        if snapshot.next_fill_id <= highest_fill {
            return Err(RestoreError::CounterBehind {
                kind: "fill",
                next: snapshot.next_fill_id,
                highest: highest_fill,
            });
        }
        if let Some(f) = snapshot
            .fills
            .iter()
            .find(|f| !orders.contains_key(&f.order_id))
        {
            return Err(RestoreError::OrphanFill {
                fill_id: f.fill_id,
                order_id: f.order_id,
            });
        }
        Ok(PaperBook {
            settings: snapshot.settings,
            cash: snapshot.cash,
            charges: snapshot.charges,
            orders,
            positions: snapshot
                .positions
                .into_iter()
                .map(|p| (p.symbol.clone(), p))
                .collect(),
            fills: snapshot.fills,
            next_order_id: snapshot.next_order_id,
            next_fill_id: snapshot.next_fill_id,
            last_quotes: snapshot
                .last_quotes
                .into_iter()
                .map(|t| (t.symbol.clone(), t))
                .collect(),
        })
    }
}
