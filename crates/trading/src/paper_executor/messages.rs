//! Messages the paper executor takes, and the updates it sends out.

use std::sync::Arc;

use actix::Message;
use chrono::NaiveDate;
use mandi_domain::Tick;
use mandi_paper::{
    AccountSummary, CancelError, Fill, LimitError, Order, OrderId, OrderRequest, PaperEvent,
    Position,
};
use serde::Serialize;
use thiserror::Error;

use crate::journal::{DaySummary, JournalHandle, JournalReport};
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
    /// Outside the order limits; the book never saw it.
    #[error(transparent)]
    OutOfLimits(#[from] LimitError),
    /// The journal could not keep the order: nothing of it was applied or answered.
    #[error("the paper journal cannot keep orders now ({0}); nothing was placed — try again, and check the disk and store.data_dir")]
    JournalUnavailable(String),
}

#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Result<Order, CancelRefused>")]
pub struct CancelOrder {
    pub order_id: OrderId,
}

/// Why a cancel did nothing.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CancelRefused {
    #[error(transparent)]
    Book(#[from] CancelError),
    /// The journal could not keep the cancel: the order is still open.
    #[error(
        "the paper journal cannot keep the cancel now ({0}); the order is still open — try again"
    )]
    JournalUnavailable(String),
}

/// Query: the executor's journal thread, for the bots to write their rows through (one
/// writer for the file); `None` when the account is in memory or the thread is down.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Option<JournalHandle>")]
pub struct GetJournal;

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

/// The paper account in `/health` (`paper`) and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExecutorStats {
    pub orders: u64,
    pub fills: u64,
    pub rejected: u64,
    /// Orders refused before the book saw them: outside the order limits (400).
    pub refused_by_limits: u64,
    /// Fills refused on a quote that may not be traded (stale, snapshot, one-sided).
    pub fills_refused: u64,
    /// Order, fill and position frames that could not be handed to the client sockets'
    /// broadcaster (its mailbox full or gone); warned about, throttled.
    pub dropped_updates: u64,
    /// Symbols with open orders.
    pub open_orders: usize,
    pub open_positions: usize,
    /// Symbols the account keeps streaming: open orders, positions, waits for a quote and
    /// fills within `paper.keep_streaming_after_trade_s`.
    pub streaming: usize,
    /// The journal's thread; `None` when the account is kept in memory only.
    pub journal: Option<JournalReport>,
}

/// Query: the newest bot events from the journal (entries, exits, refusals), oldest first.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Vec<crate::journal::BotEventRow>")]
pub struct GetBotEvents {
    pub bot: Option<String>,
    pub limit: usize,
}
