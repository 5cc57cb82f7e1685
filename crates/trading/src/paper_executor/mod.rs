//! `PaperExecutor`: the one paper account. Bots and external callers place orders here;
//! every quote the price store publishes works the resting orders; every call is
//! journaled (SQLite, one transaction per call, on the journal's own thread) before
//! anyone hears of it, and the order, fill and position updates go to every client socket.
//! A call the journal cannot keep is taken back and refused.
//!
//! It keeps the instruments it has orders, positions or recent fills in streaming
//! (registry subscriber `paper:executor`), so a resting order or an open position never
//! loses its quotes because the browser or bot that placed it went away, and an order
//! on a symbol it no longer streams subscribes it again and waits for a live quote.
//!
//! The deciding lives in [`state::ExecutorState`] (book, quotes, limits, streaming plan);
//! this actor carries its commits out: journal, frames, registry.

mod events;
mod health;
mod journaling;
mod messages;
mod state;
mod streaming;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, AsyncContext, AtomicResponse, Context, Handler, MessageResult,
    Recipient, ResponseActFuture, WrapFuture,
};
use mandi_domain::{Instrument, MarketCalendar};
use mandi_paper::{Order, PaperSettings};
use mandi_protocol::master::fast_hash::FastMap;
use tokio::sync::oneshot;

pub use health::PaperHealth;
pub use messages::{
    CancelOrder, CancelRefused, ExecutorStats, GetBotEvents, GetExecutorStats, GetFills,
    GetJournal, GetOrderByTag, GetOrders, GetPositions, OrderOutcome, PlaceError, PlaceOrder,
    PositionRow, PositionsReport, TradingUpdate, WriteDaySummary,
};

use crate::clock::Clock;
use crate::journal::JournalHandle;
use crate::outbound::UpdateSink;
use mandi_fanout::price_store::TicksPublished;
use mandi_feed::backplane::Interest;
use mandi_instruments::SharedIndex;
pub use state::expiry_close;
use state::ExecutorState;

/// The registry subscriber id of the executor's own subscriptions.
pub const EXECUTOR_SUBSCRIBER: &str = "paper:executor";

/// Mailbox size: every published frame comes here; past it the price store drops the
/// frame for this subscriber (counted there) and the next one supersedes it.
const MAILBOX_CAPACITY: usize = 4096;

/// How long an order on a not-yet-streaming instrument waits for its first quote.
pub const FIRST_QUOTE_WAIT: Duration = Duration::from_secs(3);

/// How often symbols whose window after their last fill has closed are released.
const STREAMING_CHECK: Duration = Duration::from_secs(1);

/// A future the executor runs with access to itself.
type Act<T> = ResponseActFuture<PaperExecutor, T>;

pub struct PaperExecutor {
    state: ExecutorState,
    settings: PaperSettings,
    journal_path: Option<PathBuf>,
    /// The journal's thread; `None` in memory, or when it could not start.
    journal: Option<JournalHandle>,
    /// Whether the book is the journal's. Until it is, orders are refused: a book started
    /// empty over a journal that could not be read would fork the account.
    book_loaded: bool,
    health: PaperHealth,
    index: SharedIndex,
    /// Orders waiting for a first quote, told when it arrives.
    waiters: FastMap<Arc<str>, Vec<oneshot::Sender<()>>>,
    registry: Option<Interest>,
    updates: UpdateSink,
    clock: Clock,
    /// Exchange sessions: an order outside its instrument's is rejected `market_closed`
    /// (`market.always_open` opens every moment). `None` takes every moment as open.
    calendar: Option<Arc<MarketCalendar>>,
    restored: bool,
    /// Session closes without a configured calendar, for when an expiring contract stops
    /// trading and settles (the default knows the sessions and weekends).
    default_calendar: MarketCalendar,
    /// Due contracts already warned about for want of an underlying price.
    unpriced_warned: std::collections::BTreeSet<Arc<str>>,
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
            book_loaded: journal_path.is_none(),
            journal_path,
            journal: None,
            health: PaperHealth::default(),
            index: index.into(),
            waiters: FastMap::default(),
            registry: None,
            updates: UpdateSink::new(EXECUTOR_SUBSCRIBER, Vec::new()),
            clock,
            calendar: None,
            restored: false,
            default_calendar: MarketCalendar::default(),
            unpriced_warned: Default::default(),
        }
    }

    /// Reject orders outside their instrument's exchange session.
    pub fn with_calendar(mut self, calendar: Arc<MarketCalendar>) -> Self {
        self.calendar = Some(calendar);
        self
    }

    fn market_open(&self, instrument: &Instrument, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.calendar
            .as_ref()
            .is_none_or(|c| c.is_open(instrument.exchange, now))
    }

    pub fn with_registry(mut self, registry: Interest) -> Self {
        self.registry = Some(registry);
        self
    }

    pub fn with_updates(mut self, updates: Vec<Recipient<TradingUpdate>>) -> Self {
        self.updates = UpdateSink::new(EXECUTOR_SUBSCRIBER, updates);
        self
    }

    /// Where `/health` reads the account's figures.
    pub fn with_health(mut self, health: PaperHealth) -> Self {
        self.health = health;
        self
    }

    /// Places the order, once the book is the journal's, and answers only when the
    /// journal has it. Runs with the mailbox held: no tick or other call comes between
    /// the book changing and the journal keeping it, so a failed write is taken back
    /// exactly.
    fn place_now(
        &mut self,
        instrument: Arc<Instrument>,
        msg: PlaceOrder,
        waited: bool,
        ctx: &mut Context<Self>,
    ) -> Act<Result<OrderOutcome, PlaceError>> {
        let (answer, answered) = oneshot::channel();
        let symbol = msg.symbol.clone();
        let work = self
            .ensure_book()
            .then(move |ready, this, _| match ready {
                Ok(()) => this.place_journaled(&instrument, msg),
                Err(why) => done(Err(PlaceError::JournalUnavailable(why))),
            })
            .map(move |placed, this, _| {
                if waited {
                    let change = this.state.end_wait(&symbol);
                    this.stream(change);
                }
                this.publish_stats();
                let _ = answer.send(placed);
            });
        ctx.wait(work);
        Box::pin(
            async move {
                answered.await.unwrap_or_else(|_| {
                    Err(PlaceError::JournalUnavailable(
                        "the paper executor restarted while placing it".into(),
                    ))
                })
            }
            .into_actor(self),
        )
    }

    fn place_journaled(
        &mut self,
        instrument: &Instrument,
        msg: PlaceOrder,
    ) -> Act<Result<OrderOutcome, PlaceError>> {
        let carried = msg.quote.as_ref();
        if let Err(e) = self
            .state
            .check_limits(&msg.request, instrument, carried, true)
        {
            return done(Err(PlaceError::OutOfLimits(e)));
        }
        let now = (self.clock)();
        let market_open = self.market_open(instrument, now);
        let placed = self
            .state
            .place(instrument, msg.request, msg.quote, now, market_open);
        let outcome = placed.outcome;
        Box::pin(
            self.journal_commit(placed.commit)
                .map(move |kept, _, _| {
                    kept.map_err(PlaceError::JournalUnavailable)?;
                    // `submit` always accepts or rejects the order it was given.
                    let outcome =
                        outcome.ok_or_else(|| PlaceError::UnknownSymbol(msg.symbol.to_string()))?;
                    let order = &outcome.order;
                    if let Some(reason) = &order.reject_reason {
                        // Symbol and tag come from clients: Debug escapes a newline that would forge a log line.
                        tracing::info!(order = %order.order_id, symbol = ?order.symbol, tag = ?order.tag, reason = %reason, "paper order rejected");
                    }
                    Ok(outcome)
                }),
        )
    }

    /// The figures `/health` shows, published after every call.
    fn publish_stats(&self) {
        let mut stats = self.state.stats();
        stats.dropped_updates = self.updates.dropped();
        self.health.publish(stats);
    }
}

impl PaperExecutor {
    /// Settles held contracts whose expiry session has closed, journaled like any
    /// call. Waits for the journal's book: settling a book not yet loaded would fork it.
    fn settle_expired(&mut self, ctx: &mut Context<Self>) {
        if !self.book_loaded {
            return;
        }
        let index = self.index.load();
        let now = (self.clock)();
        let calendar = self.calendar.as_deref().unwrap_or(&self.default_calendar);
        let (commit, unpriced) = self.state.settle_expired(&index, calendar, now);
        for u in unpriced {
            if self.unpriced_warned.insert(u.symbol.clone()) {
                tracing::warn!(symbol = %u.symbol, underlying = %u.underlying, "expired contract not settled: no price of its underlying yet; it settles once the underlying streams (check that it is a configured instrument)");
            }
        }
        if commit.undo.is_none() {
            return;
        }
        for event in &commit.events {
            if let mandi_paper::PaperEvent::OrderFilled { fill } = event {
                self.unpriced_warned.remove(&fill.symbol);
                tracing::info!(symbol = %fill.symbol, side = ?fill.side, quantity = fill.quantity, price = fill.price, charges = fill.charges.total, "expired contract settled at the close");
            }
        }
        ctx.wait(
            self.journal_commit(commit)
                .map(|_, this, _| this.publish_stats()),
        );
    }
}

/// An answer that is ready now.
fn done<T: 'static>(value: T) -> Act<T> {
    Box::pin(actix::fut::ready(value))
}

impl Actor for PaperExecutor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        if !self.restored {
            self.restored = true;
            self.start_journal();
            // Nothing is placed before the book is the journal's.
            ctx.wait(self.load_book().map(|_, _, _| ()));
        }
        ctx.run_interval(STREAMING_CHECK, |this, ctx| {
            let change = this.state.expire((this.clock)());
            if !change.is_empty() {
                this.stream(change);
                this.publish_stats();
            }
            // The end-of-day hook: a contract held past its expiry's close settles on
            // the first check after it, so no book carries one into the next day.
            this.settle_expired(ctx);
        });
    }
}

impl actix::Supervised for PaperExecutor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The book in memory is what the journal holds (every call commits before it is
        // applied for good); keep it rather than reread the file.
        tracing::info!(
            open_orders = self.state.stats().open_orders,
            "paper executor restarted with its book"
        );
    }
}

mandi_supervision::crash_handler!(PaperExecutor);

impl Handler<TicksPublished> for PaperExecutor {
    type Result = ();

    fn handle(&mut self, msg: TicksPublished, ctx: &mut Context<Self>) {
        let index = self.index.load();
        if !self.waiters.is_empty() {
            let (now, max_age_ms) = ((self.clock)(), self.state.max_quote_age_ms());
            for tick in msg.ticks.iter() {
                // Only a quote the order could fill on ends its wait: an LTP-only tick
                // (the instrument still streams at a lower mode while its quote mode is
                // being subscribed) would have it rejected for want of a bid and an ask.
                let tradeable = index.by_symbol(&tick.symbol).is_some_and(|instrument| {
                    mandi_paper::quote_refusal(instrument, tick, now, max_age_ms).is_none()
                });
                if !tradeable {
                    continue;
                }
                for waiter in self.waiters.remove(&tick.symbol).into_iter().flatten() {
                    let _ = waiter.send(());
                }
            }
        }
        let commit = self.state.on_ticks(&msg.ticks, &index, (self.clock)());
        if commit.undo.is_some() {
            // A fill the journal must keep before the next quote is worked.
            ctx.wait(
                self.journal_commit(commit)
                    .map(|_, this, _| this.publish_stats()),
            );
        }
        // The busiest handler: the tail of a burst of dropped updates is said from here.
        self.updates.warn_if_due();
    }
}

impl Handler<PlaceOrder> for PaperExecutor {
    type Result = ResponseActFuture<Self, Result<OrderOutcome, PlaceError>>;

    /// An order on an instrument the executor has no live quote of (an external bot's
    /// first order, or one on a symbol released after its window) subscribes it and waits
    /// up to [`FIRST_QUOTE_WAIT`] for a quote, so the order meets a real price instead of
    /// a `no_quote` or `stale_quote` rejection. Limits that need no price are checked
    /// before the wait, the price band after it.
    fn handle(&mut self, mut msg: PlaceOrder, ctx: &mut Context<Self>) -> Self::Result {
        let Some(instrument) = self.index.load().resolve(&msg.symbol).cloned() else {
            return done(Err(PlaceError::UnknownSymbol(msg.symbol.to_string())));
        };
        // An order named by a broker trading symbol is booked, streamed and journaled
        // under the canonical one, so a position keeps one name whichever broker is on.
        msg.symbol = instrument.symbol.clone();
        if let Err(e) =
            self.state
                .check_limits(&msg.request, &instrument, msg.quote.as_ref(), false)
        {
            self.publish_stats();
            return done(Err(PlaceError::OutOfLimits(e)));
        }
        let now = (self.clock)();
        // A closed market rejects the order at once: no quote to wait for.
        if !self.market_open(&instrument, now)
            || !self
                .state
                .needs_first_quote(&instrument, msg.quote.as_ref(), now)
        {
            return self.place_now(instrument, msg, false, ctx);
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.entry(msg.symbol.clone()).or_default().push(tx);
        let change = self.state.begin_wait(&msg.symbol);
        self.stream(change);
        let wait = tokio::time::timeout(FIRST_QUOTE_WAIT, rx);
        Box::pin(wait.into_actor(self).then(move |_, this, ctx| {
            // A wait that timed out leaves a closed sender behind: drop it.
            this.waiters.retain(|_, w| {
                w.retain(|tx| !tx.is_closed());
                !w.is_empty()
            });
            this.place_now(instrument, msg, true, ctx)
        }))
    }
}

impl Handler<CancelOrder> for PaperExecutor {
    type Result = AtomicResponse<Self, Result<Order, CancelRefused>>;

    fn handle(&mut self, msg: CancelOrder, _: &mut Context<Self>) -> Self::Result {
        let id = msg.order_id;
        let work = self.ensure_book().then(move |ready, this, _| {
            if let Err(why) = ready {
                return done(Err(CancelRefused::JournalUnavailable(why)));
            }
            let cancelled = match this.state.cancel(id, (this.clock)()) {
                Ok(c) => c,
                Err(e) => return done(Err(CancelRefused::Book(e))),
            };
            let order = cancelled.order;
            Box::pin(
                this.journal_commit(cancelled.commit)
                    .map(move |kept, this, _| {
                        this.publish_stats();
                        kept.map_err(CancelRefused::JournalUnavailable)?;
                        order.ok_or(CancelRefused::Book(mandi_paper::CancelError::UnknownOrder(
                            id,
                        )))
                    }),
            )
        });
        AtomicResponse::new(Box::pin(work))
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
        self.publish_stats();
        MessageResult(self.health.report())
    }
}
