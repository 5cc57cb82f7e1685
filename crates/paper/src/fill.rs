//! A fill: one price level of one order's execution, with its charges and the quote it
//! was priced from.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Charges, FillId, OrderId, Side};

/// Whether the fill took the quote or was taken at the order's own price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liquidity {
    /// Priced from the touch: market orders, triggered SL-M, marketable limits.
    Taker,
    /// A standing limit the market moved through, filled at its limit.
    Maker,
    /// The exchange closed the position at its expiry's settlement price.
    Settlement,
}

/// One executed fill. An order fills in one step but may produce two fills: the lots
/// that fit in the displayed size at the touch, and the residual one tick worse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub fill_id: FillId,
    pub order_id: OrderId,
    pub symbol: Arc<str>,
    pub side: Side,
    pub lots: u32,
    /// `lots × lot_size`, exchange units.
    pub quantity: u64,
    /// On the instrument's tick grid.
    pub price: f64,
    pub liquidity: Liquidity,
    pub charges: Charges,
    /// Copied from the order so every trade in a journal names its bot and its reason.
    pub tag: String,
    pub reason: String,
    /// When the book made the fill (the `now` of the call).
    pub filled_at: DateTime<Utc>,
    /// Exchange and received times of the quote the fill was priced from.
    pub exchange_time: Option<DateTime<Utc>>,
    pub received_time: DateTime<Utc>,
}

impl Fill {
    /// Quantity with the sign of the position change: + for buys, − for sells.
    pub fn signed_quantity(&self) -> i64 {
        self.side.sign() * i64::try_from(self.quantity).unwrap_or(i64::MAX)
    }

    /// Price × quantity, ₹.
    pub fn value(&self) -> f64 {
        self.price * self.quantity as f64
    }
}
