//! Messages the paper executor takes, and the updates it sends out.

use std::sync::Arc;

use actix::Message;
use chrono::NaiveDate;
use mandi_domain::Tick;
use mandi_paper::{
    AccountSummary, CancelError, Fill, Order, OrderId, OrderRequest, PaperEvent, Position,
};
use serde::Serialize;
use thiserror::Error;

use crate::journal::DaySummary;
pub use mandi_fanout::broadcaster::TradingUpdate;

/// Place a paper order on `symbol`. `quote` is the tick the caller decided on (a bot's
/// fresh option quote); the executor uses it or its own later one, whichever is newer.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<OrderOutcome, PlaceError>")]
pub struct PlaceOrder {
    pub symbol: Arc<str>,
    pub request: OrderRequest,
    pub quote: Option<Tick>,
}

/// What a placement did: the order as it stands after the call (filled, open or
/// rejected), its fills, and every event, in order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderOutcome {
    pub order: Order,
    pub fills: Vec<Fill>,
    #[serde(skip)]
    pub events: Vec<PaperEvent>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlaceError {
    #[error("unknown symbol `{0}`: use a symbol from /api/instruments/search")]
    UnknownSymbol(String),
    #[error("the paper journal is not open ({0}); orders are refused so none goes unrecorded")]
    JournalUnavailable(String),
}

#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Result<Order, CancelError>")]
pub struct CancelOrder {
    pub order_id: OrderId,
}

/// Query: every order (newest last); `open_only` keeps the working ones.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<Order>")]
pub struct GetOrders {
    pub open_only: bool,
}

/// Query: the latest order carrying this tag (a bot's idempotency key), if any.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Option<(Order, Vec<Fill>)>")]
pub struct GetOrderByTag {
    pub tag: String,
}

#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<Fill>")]
pub struct GetFills;

#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "PositionsReport")]
pub struct GetPositions;

/// One position with its mark.
#[derive(Debug, Clone, Serialize)]
pub struct PositionRow {
    #[serde(flatten)]
    pub position: Position,
    /// The price it could be closed at now (bid for a long, ask for a short), if known.
    pub mark: Option<f64>,
    pub unrealized_pnl: f64,
    /// `realized + unrealized − charges`.
    pub net_pnl: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionsReport {
    pub positions: Vec<PositionRow>,
    pub summary: AccountSummary,
}

/// The market clock's end of day: write and log the day's summary.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Option<DaySummary>")]
pub struct WriteDaySummary {
    pub date: NaiveDate,
}

/// Query: executor counters for `/health` and `/metrics`.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "ExecutorStats")]
pub struct GetExecutorStats;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecutorStats {
    pub journal: Option<String>,
    pub journal_ok: bool,
    pub orders: u64,
    pub fills: u64,
    pub rejected: u64,
    /// Fills refused on a quote that may not be traded (stale, snapshot, one-sided).
    pub fills_refused: u64,
    pub journal_errors: u64,
    /// Order, fill and position frames that could not be handed to the client sockets'
    /// broadcaster (its mailbox full or gone); warned about, throttled.
    pub dropped_updates: u64,
    pub open_orders: usize,
    pub open_positions: usize,
}

/// Query: the newest bot events from the journal (entries, exits, refusals), oldest first.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Vec<crate::journal::BotEventRow>")]
pub struct GetBotEvents {
    pub bot: Option<String>,
    pub limit: usize,
}
