//! `PaperExecutor`: the one paper account. Bots and external callers place orders here;
//! every quote the price store publishes works the resting orders; every call is
//! journaled (SQLite, one transaction per call) before anyone hears of it, and the order,
//! fill and position updates go to every client socket.
//!
//! It keeps the instruments it has orders or positions in streaming (registry subscriber
//! `paper:executor`), so a resting order or an open position never loses its quotes
//! because the browser or bot that placed it went away.
//!
//! The deciding lives in [`state::ExecutorState`] (book, quotes, streaming plan); this
//! actor carries its commits out: journal, frames, registry.

mod events;
mod journaling;
mod messages;
mod state;
mod streaming;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Context, Handler, MessageResult, Recipient, ResponseActFuture,
    WrapFuture,
};
use mandi_paper::{CancelError, Order, PaperSettings};
use mandi_protocol::master::fast_hash::FastMap;
use tokio::sync::oneshot;

pub use messages::{
    CancelOrder, ExecutorStats, GetBotEvents, GetExecutorStats, GetFills, GetOrderByTag, GetOrders,
    GetPositions, OrderOutcome, PlaceError, PlaceOrder, PositionRow, PositionsReport,
    TradingUpdate, WriteDaySummary,
};

use crate::clock::Clock;
use crate::journal::Journal;
use crate::outbound::UpdateSink;
use mandi_fanout::price_store::TicksPublished;
use mandi_feed::backplane::Interest;
use mandi_instruments::SharedIndex;
use state::ExecutorState;

/// The registry subscriber id of the executor's own subscriptions.
pub const EXECUTOR_SUBSCRIBER: &str = "paper:executor";

/// Mailbox size: every published frame comes here; past it the price store drops the
/// frame for this subscriber (counted there) and the next one supersedes it.
const MAILBOX_CAPACITY: usize = 4096;

/// How long an order on a not-yet-streaming instrument waits for its first quote.
pub const FIRST_QUOTE_WAIT: Duration = Duration::from_secs(3);

pub struct PaperExecutor {
    state: ExecutorState,
    settings: PaperSettings,
    journal: Option<Journal>,
    journal_path: Option<PathBuf>,
    journal_error: Option<String>,
    journal_errors: u64,
    index: SharedIndex,
    /// Orders waiting for a first quote, told when it arrives.
    waiters: FastMap<Arc<str>, Vec<oneshot::Sender<()>>>,
    registry: Option<Interest>,
    updates: UpdateSink,
    clock: Clock,
    restored: bool,
}

impl PaperExecutor {
    /// `journal_path`: the SQLite file; `None` keeps the account in memory only (tests of
    /// other actors), which the stats say.
    pub fn new(
        settings: PaperSettings,
        journal_path: Option<PathBuf>,
        index: impl Into<SharedIndex>,
        clock: Clock,
    ) -> PaperExecutor {
        PaperExecutor {
            state: ExecutorState::new(settings.clone()),
            settings,
            journal: None,
            journal_path,
            journal_error: None,
            journal_errors: 0,
            index: index.into(),
            waiters: FastMap::default(),
            registry: None,
            updates: UpdateSink::new(EXECUTOR_SUBSCRIBER, Vec::new()),
            clock,
            restored: false,
        }
    }

    pub fn with_registry(mut self, registry: Interest) -> Self {
        self.registry = Some(registry);
        self
    }

    pub fn with_updates(mut self, updates: Vec<Recipient<TradingUpdate>>) -> Self {
        self.updates = UpdateSink::new(EXECUTOR_SUBSCRIBER, updates);
        self
    }

    fn place(&mut self, msg: PlaceOrder) -> Result<OrderOutcome, PlaceError> {
        let instrument = self
            .index
            .load()
            .by_symbol(&msg.symbol)
            .cloned()
            .ok_or_else(|| PlaceError::UnknownSymbol(msg.symbol.to_string()))?;
        if self.journal.is_none() && self.journal_path.is_some() {
            let why = self
                .journal_error
                .clone()
                .unwrap_or_else(|| "not opened".into());
            return Err(PlaceError::JournalUnavailable(why));
        }
        let placed = self
            .state
            .place(&instrument, msg.request, msg.quote, (self.clock)());
        self.carry_out(placed.commit);
        // `submit` always accepts or rejects the order it was given.
        let outcome = placed
            .outcome
            .ok_or_else(|| PlaceError::UnknownSymbol(msg.symbol.to_string()))?;
        let order = &outcome.order;
        if let Some(reason) = &order.reject_reason {
            // Symbol and tag come from clients: Debug escapes a newline that would forge a log line.
            tracing::info!(order = %order.order_id, symbol = ?order.symbol, tag = ?order.tag, reason = %reason, "paper order rejected");
        }
        Ok(outcome)
    }
}

impl Actor for PaperExecutor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        if !self.restored {
            self.restored = true;
            self.restore();
        }
    }
}

impl actix::Supervised for PaperExecutor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The book in memory is what the journal holds (every call commits before it
        // returns); keep it rather than reread the file.
        tracing::info!(
            open_orders = self.state.stats().open_orders,
            "paper executor restarted with its book"
        );
    }
}

mandi_supervision::crash_handler!(PaperExecutor);

impl Handler<TicksPublished> for PaperExecutor {
    type Result = ();

    fn handle(&mut self, msg: TicksPublished, _: &mut Context<Self>) {
        if !self.waiters.is_empty() {
            for tick in msg.ticks.iter() {
                for waiter in self.waiters.remove(&tick.symbol).into_iter().flatten() {
                    let _ = waiter.send(());
                }
            }
        }
        let index = self.index.load();
        let commit = self.state.on_ticks(&msg.ticks, &index, (self.clock)());
        self.carry_out(commit);
        // The busiest handler: the tail of a burst of dropped updates is said from here.
        self.updates.warn_if_due();
    }
}

impl Handler<PlaceOrder> for PaperExecutor {
    type Result = ResponseActFuture<Self, Result<OrderOutcome, PlaceError>>;

    /// An order on an instrument nobody streams yet (an external bot's first order)
    /// subscribes it and waits up to [`FIRST_QUOTE_WAIT`] for its first quote, so the
    /// order meets a real price instead of a `no_quote` rejection.
    fn handle(&mut self, msg: PlaceOrder, _: &mut Context<Self>) -> Self::Result {
        let listed = self.index.load().by_symbol(&msg.symbol).is_some();
        if !listed
            || !self
                .state
                .needs_first_quote(&msg.symbol, msg.quote.as_ref())
        {
            return Box::pin(actix::fut::ready(self.place(msg)));
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.entry(msg.symbol.clone()).or_default().push(tx);
        let change = self.state.begin_wait(&msg.symbol);
        self.stream(change);
        let wait = tokio::time::timeout(FIRST_QUOTE_WAIT, rx);
        Box::pin(wait.into_actor(self).map(move |_, this, _| {
            // A wait that timed out leaves a closed sender behind: drop it.
            this.waiters.retain(|_, w| {
                w.retain(|tx| !tx.is_closed());
                !w.is_empty()
            });
            let symbol = msg.symbol.clone();
            let placed = this.place(msg);
            let change = this.state.end_wait(&symbol);
            this.stream(change);
            placed
        }))
    }
}

impl Handler<CancelOrder> for PaperExecutor {
    type Result = Result<Order, CancelError>;

    fn handle(&mut self, msg: CancelOrder, _: &mut Context<Self>) -> Self::Result {
        let cancelled = self.state.cancel(msg.order_id, (self.clock)())?;
        self.carry_out(cancelled.commit);
        cancelled
            .order
            .ok_or(CancelError::UnknownOrder(msg.order_id))
    }
}

impl Handler<GetOrders> for PaperExecutor {
    type Result = MessageResult<GetOrders>;

    fn handle(&mut self, msg: GetOrders, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.orders(msg.open_only))
    }
}

impl Handler<GetOrderByTag> for PaperExecutor {
    type Result = MessageResult<GetOrderByTag>;

    fn handle(&mut self, msg: GetOrderByTag, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.order_by_tag(&msg.tag))
    }
}

impl Handler<GetFills> for PaperExecutor {
    type Result = MessageResult<GetFills>;

    fn handle(&mut self, _: GetFills, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.book().fills().to_vec())
    }
}

impl Handler<GetPositions> for PaperExecutor {
    type Result = MessageResult<GetPositions>;

    fn handle(&mut self, _: GetPositions, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.positions())
    }
}

impl Handler<GetExecutorStats> for PaperExecutor {
    type Result = MessageResult<GetExecutorStats>;

    fn handle(&mut self, _: GetExecutorStats, _: &mut Context<Self>) -> Self::Result {
        let mut stats = self.state.stats();
        stats.journal = self.journal_path.as_ref().map(|p| p.display().to_string());
        stats.journal_ok = self.journal.is_some();
        stats.journal_errors = self.journal_errors;
        stats.dropped_updates = self.updates.dropped();
        MessageResult(stats)
    }
}
