//! Marks and the account summary: cash, PnL and charges at a set of mark prices.

use std::collections::BTreeMap;
use std::sync::Arc;

use mandi_domain::Tick;
use serde::{Deserialize, Serialize};

use crate::Charges;

/// Mark price per symbol, ₹.
pub type Marks = BTreeMap<Arc<str>, f64>;

/// The price a position could be closed at now: the bid for a long, the ask for a short
/// (what the matcher would give a closing market order, before size and slippage),
/// falling back to LTP when that side is empty. `None` when there is no usable price.
/// Marking at the touch rather than LTP keeps a freshly opened position from showing a
/// spread's worth of phantom profit.
pub fn mark_price(net_quantity: i64, tick: &Tick) -> Option<f64> {
    let side = match net_quantity {
        q if q > 0 => tick.bid,
        q if q < 0 => tick.ask,
        _ => tick.ltp,
    };
    [side, tick.ltp]
        .into_iter()
        .find(|p| p.is_finite() && *p > 0.0)
}

/// The account at a set of marks.
///
/// `equity − starting_cash == realized_pnl + unrealized_pnl − charges.total`, where
/// `equity = cash + Σ net_quantity × mark`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub starting_cash: f64,
    pub cash: f64,
    /// `cash + Σ net_quantity × mark`.
    pub equity: f64,
    /// Gross of charges.
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub charges: Charges,
    /// `realized_pnl + unrealized_pnl − charges.total`.
    pub net_pnl: f64,
    pub open_positions: usize,
    pub open_orders: usize,
    /// Open positions with no mark: valued at their average price (zero unrealized PnL),
    /// and named here so a dashboard can say so instead of showing a silent zero.
    pub unmarked: Vec<Arc<str>>,
}
