//! Read-only views of a `PaperBook`: orders, fills, positions, marks and the account
//! summary.

use mandi_domain::Tick;

use super::PaperBook;
use crate::price::round_paise;
use crate::summary::mark_price;
use crate::{AccountSummary, Charges, Fill, Marks, Order, OrderId, PaperSettings, Position};

impl PaperBook {
    pub fn settings(&self) -> &PaperSettings {
        &self.settings
    }

    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Σ charges of every fill.
    pub fn charges(&self) -> &Charges {
        &self.charges
    }

    pub fn order(&self, order_id: OrderId) -> Option<&Order> {
        self.orders.get(&order_id)
    }

    /// Every order, rejected and closed ones included, in submission order.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    pub fn open_orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().filter(|o| o.is_open())
    }

    pub fn position(&self, symbol: &str) -> Option<&Position> {
        self.positions.get(symbol)
    }

    /// Every symbol ever filled, flat ones included, by symbol.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values()
    }

    /// Every fill, oldest first.
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }

    /// Marks from the last quote each symbol was worked against (see [`mark_price`]).
    pub fn marks_from_last_quotes(&self) -> Marks {
        self.positions
            .values()
            .filter_map(|p| {
                let tick = self.last_quotes.get(&p.symbol)?;
                Some((p.symbol.clone(), mark_price(p.net_quantity, tick)?))
            })
            .collect()
    }

    /// The account at `marks`. Open positions without a mark are valued at their average
    /// price and listed in `unmarked`.
    pub fn summary(&self, marks: &Marks) -> AccountSummary {
        let mut equity = self.cash;
        let (mut realized, mut unrealized) = (0.0, 0.0);
        let mut unmarked = Vec::new();
        for p in self.positions.values() {
            realized += p.realized_pnl;
            if p.is_flat() {
                continue;
            }
            let mark = marks.get(&p.symbol).copied().unwrap_or_else(|| {
                unmarked.push(p.symbol.clone());
                p.avg_price
            });
            equity += p.net_quantity as f64 * mark;
            unrealized += p.unrealized_pnl(mark);
        }
        // Prices sit on paise ticks, so every term is a whole number of paise; rounding
        // the sums only removes the float noise (1563.7499999…) from what people read.
        let (realized, unrealized) = (round_paise(realized), round_paise(unrealized));
        AccountSummary {
            starting_cash: self.settings.starting_cash,
            cash: round_paise(self.cash),
            equity: round_paise(equity),
            realized_pnl: realized,
            unrealized_pnl: unrealized,
            charges: self.charges,
            net_pnl: round_paise(realized + unrealized - self.charges.total),
            open_positions: self.positions.values().filter(|p| !p.is_flat()).count(),
            open_orders: self.open_orders().count(),
            unmarked,
        }
    }

    /// The last quote worked for `symbol`.
    pub fn last_quote(&self, symbol: &str) -> Option<&Tick> {
        self.last_quotes.get(symbol)
    }
}
