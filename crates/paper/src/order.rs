//! Paper orders: what a caller asks for (`OrderRequest`) and what the book keeps
//! (`Order`), with deterministic ids.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Charges, RejectReason};

/// Buy or sell, spelled as Kite and Dhan spell the transaction type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for a buy, −1 for a sell: the sign of the position change and the direction in
    /// which a price moves "against" the order.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// The order types Indian brokers offer for F&O and equity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderKind {
    /// Fill now at the touch (ask to buy, bid to sell).
    Market,
    /// Fill at `price` or better.
    Limit { price: f64 },
    /// SL: once LTP reaches `trigger_price`, becomes a limit at `price`.
    StopLoss { trigger_price: f64, price: f64 },
    /// SL-M: once LTP reaches `trigger_price`, becomes a market order.
    StopLossMarket { trigger_price: f64 },
}

impl OrderKind {
    pub fn trigger_price(&self) -> Option<f64> {
        match *self {
            OrderKind::StopLoss { trigger_price, .. }
            | OrderKind::StopLossMarket { trigger_price } => Some(trigger_price),
            OrderKind::Market | OrderKind::Limit { .. } => None,
        }
    }

    pub fn limit_price(&self) -> Option<f64> {
        match *self {
            OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => Some(price),
            OrderKind::Market | OrderKind::StopLossMarket { .. } => None,
        }
    }
}

/// What a caller (a bot, the dashboard) asks the book to do. The instrument and quote
/// travel beside it, so a request can never name one symbol and be priced off another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub side: Side,
    pub kind: OrderKind,
    /// Whole lots; the exchange quantity is `lots × lot_size`.
    pub lots: u32,
    /// Free text naming who placed it (the bot's name), carried onto every fill.
    pub tag: String,
    /// The caller's entry or exit reason code, carried onto every fill.
    pub reason: String,
}

/// A book-assigned order id. Minted from a counter, so the same inputs give the same ids;
/// unique within one book. Displays as `PO-000042`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PO-{:06}", self.0)
    }
}

/// A book-assigned fill id; see [`OrderId`]. Displays as `PF-000042`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FillId(pub u64);

impl fmt::Display for FillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PF-{:06}", self.0)
    }
}

/// Where an order is in its life. Orders fill completely in one step (see the crate
/// docs), so there is no partially-filled state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted and waiting: a limit not yet crossed, or a stop not yet triggered.
    Open,
    Filled,
    Cancelled,
    Rejected,
}

/// An order as the book holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: OrderId,
    pub symbol: Arc<str>,
    pub side: Side,
    pub kind: OrderKind,
    pub lots: u32,
    /// `lots × lot_size` at submission.
    pub quantity: u64,
    pub tag: String,
    pub reason: String,
    pub status: OrderStatus,
    pub submitted_at: DateTime<Utc>,
    /// Set when a stop's trigger was reached on a fresh quote.
    pub triggered_at: Option<DateTime<Utc>>,
    /// Set once the order has been checked against a fresh quote and left standing. From
    /// then on it is a maker and fills at its own limit; before that it is a taker.
    pub resting_since: Option<DateTime<Utc>>,
    /// Set when the order reaches a final status (filled, cancelled, rejected).
    pub closed_at: Option<DateTime<Utc>>,
    pub reject_reason: Option<RejectReason>,
    pub filled_quantity: u64,
    /// Σ price × quantity over this order's fills (₹); drives the brokerage cap.
    pub filled_value: f64,
    /// `filled_value / filled_quantity`; 0 before the first fill.
    pub avg_fill_price: f64,
    /// Charges of all this order's fills.
    pub charges: Charges,
}

impl Order {
    pub(crate) fn new(
        order_id: OrderId,
        symbol: Arc<str>,
        request: &OrderRequest,
        lot_size: u32,
        now: DateTime<Utc>,
    ) -> Order {
        Order {
            order_id,
            symbol,
            side: request.side,
            kind: request.kind,
            lots: request.lots,
            quantity: u64::from(request.lots) * u64::from(lot_size),
            tag: request.tag.clone(),
            reason: request.reason.clone(),
            status: OrderStatus::Open,
            submitted_at: now,
            triggered_at: None,
            resting_since: None,
            closed_at: None,
            reject_reason: None,
            filled_quantity: 0,
            filled_value: 0.0,
            avg_fill_price: 0.0,
            charges: Charges::default(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.status == OrderStatus::Open
    }

    /// The limit this order works at now: a limit's price, or a triggered SL's price.
    pub(crate) fn working_limit(&self) -> Option<f64> {
        match self.kind {
            OrderKind::Limit { price } => Some(price),
            OrderKind::StopLoss { price, .. } if self.triggered_at.is_some() => Some(price),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_with_prefix_and_serialize_as_numbers() {
        assert_eq!(OrderId(42).to_string(), "PO-000042");
        assert_eq!(FillId(7).to_string(), "PF-000007");
        assert_eq!(
            serde_json::to_string(&OrderId(42)).ok().as_deref(),
            Some("42")
        );
    }

    #[test]
    fn order_kind_wire_shape() {
        let kind = OrderKind::StopLoss {
            trigger_price: 101.0,
            price: 101.5,
        };
        let json = serde_json::to_string(&kind).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"type":"STOP_LOSS","trigger_price":101.0,"price":101.5}"#
        );
        assert_eq!(kind.trigger_price(), Some(101.0));
        assert_eq!(kind.limit_price(), Some(101.5));
    }
}
