//! Net position per symbol on average cost: quantity, average price, realized PnL.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::price::round_paise;
use crate::Side;

/// A position in one symbol. Kept after it goes flat, because it carries the day's
/// realized PnL and charges for that symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub symbol: Arc<str>,
    /// Positive long, negative short, in exchange units.
    pub net_quantity: i64,
    /// Average cost of the open quantity; 0 when flat. A reduce leaves it unchanged; a
    /// flip through zero restarts it at the flipping fill's price.
    pub avg_price: f64,
    /// Gross of charges: charges are kept apart so the two can be read separately.
    pub realized_pnl: f64,
    /// Σ charges of this symbol's fills, ₹.
    pub charges: f64,
    pub bought_quantity: u64,
    pub sold_quantity: u64,
}

impl Position {
    pub fn flat(symbol: Arc<str>) -> Position {
        Position {
            symbol,
            net_quantity: 0,
            avg_price: 0.0,
            realized_pnl: 0.0,
            charges: 0.0,
            bought_quantity: 0,
            sold_quantity: 0,
        }
    }

    pub fn is_flat(&self) -> bool {
        self.net_quantity == 0
    }

    /// PnL of the open quantity if it were closed at `mark`.
    pub fn unrealized_pnl(&self, mark: f64) -> f64 {
        (mark - self.avg_price) * self.net_quantity as f64
    }

    /// Apply a fill of `quantity` at `price`; returns the PnL it realized.
    pub(crate) fn apply(&mut self, side: Side, quantity: u64, price: f64, charges: f64) -> f64 {
        let qty = i64::try_from(quantity).unwrap_or(i64::MAX);
        let signed = side.sign() * qty;
        match side {
            Side::Buy => self.bought_quantity += quantity,
            Side::Sell => self.sold_quantity += quantity,
        }
        self.charges = round_paise(self.charges + charges);

        let held = self.net_quantity;
        if held == 0 || held.signum() == signed.signum() {
            // Opening or adding: the average moves toward the new price.
            let held_abs = held.abs() as f64;
            self.avg_price =
                (self.avg_price * held_abs + price * qty as f64) / (held_abs + qty as f64);
            self.net_quantity += signed;
            return 0.0;
        }
        let closed = held.abs().min(qty);
        let realized = (price - self.avg_price) * (closed * held.signum()) as f64;
        self.realized_pnl += realized;
        self.net_quantity += signed;
        if self.net_quantity == 0 {
            self.avg_price = 0.0;
        } else if self.net_quantity.signum() != held.signum() {
            self.avg_price = price;
        }
        realized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        fills: &'static [(Side, u64, f64)],
        want_net: i64,
        want_avg: f64,
        want_realized: f64,
    }

    #[test]
    fn average_cost_cases() {
        let cases = [
            TestCase {
                name: "add averages",
                fills: &[(Side::Buy, 50, 100.0), (Side::Buy, 50, 110.0)],
                want_net: 100,
                want_avg: 105.0,
                want_realized: 0.0,
            },
            TestCase {
                name: "reduce keeps average",
                fills: &[(Side::Buy, 100, 100.0), (Side::Sell, 40, 110.0)],
                want_net: 60,
                want_avg: 100.0,
                want_realized: 400.0,
            },
            TestCase {
                name: "close goes flat",
                fills: &[(Side::Sell, 75, 120.0), (Side::Buy, 75, 100.0)],
                want_net: 0,
                want_avg: 0.0,
                want_realized: 1500.0,
            },
            TestCase {
                name: "flip restarts average",
                fills: &[(Side::Buy, 50, 100.0), (Side::Sell, 80, 90.0)],
                want_net: -30,
                want_avg: 90.0,
                want_realized: -500.0,
            },
        ];
        for c in cases {
            let mut p = Position::flat("X".into());
            for &(side, qty, price) in c.fills {
                p.apply(side, qty, price, 0.0);
            }
            assert_eq!(p.net_quantity, c.want_net, "{}: net", c.name);
            assert!((p.avg_price - c.want_avg).abs() < 1e-9, "{}: avg", c.name);
            assert!(
                (p.realized_pnl - c.want_realized).abs() < 1e-9,
                "{}: realized",
                c.name
            );
        }
    }
}
