//! `PaperEvent`: everything the book did in a call, in order, ready for a journal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Fill, Order, OrderId, Position, RefuseReason, RejectReason};

/// What happened, in the order it happened. Every call returns a list of these; the
/// list is a complete record of the call, so replaying a journal needs nothing else.
/// `processed_at` is the `now` the caller passed: the book has no clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PaperEvent {
    /// The order as accepted (status open). Fills, if any, follow at once.
    OrderAccepted {
        order: Order,
        processed_at: DateTime<Utc>,
    },
    /// The order as rejected (status rejected); it never rests.
    OrderRejected {
        order: Order,
        reason: RejectReason,
        processed_at: DateTime<Utc>,
    },
    /// A stop's trigger was reached on a fresh quote; it now works as a limit (SL) or
    /// fills as a market order (SL-M).
    OrderTriggered {
        order_id: OrderId,
        ltp: f64,
        processed_at: DateTime<Utc>,
    },
    OrderFilled {
        fill: Fill,
    },
    /// The order would have filled or triggered, but the quote may not be traded on. The
    /// order stays open and is tried again on the next quote.
    FillRefused {
        order_id: OrderId,
        reason: RefuseReason,
        /// Age of the refused quote at `processed_at`, whatever the reason.
        quote_age_ms: i64,
        processed_at: DateTime<Utc>,
    },
    OrderCancelled {
        order_id: OrderId,
        processed_at: DateTime<Utc>,
    },
    /// The position after an order's fills.
    PositionChanged {
        position: Position,
        processed_at: DateTime<Utc>,
    },
}
