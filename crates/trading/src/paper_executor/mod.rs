//! `PaperExecutor`: the one paper account. Bots and external callers place orders here;
//! every quote the price store publishes works the resting orders; every call is
//! journaled (SQLite, one transaction per call) before anyone hears of it, and the order,
//! fill and position updates go to every client socket.
//!
//! It keeps the instruments it has orders or positions in streaming (registry subscriber
//! `paper:executor`), so a resting order or an open position never loses its quotes
//! because the browser or bot that placed it went away.

mod messages;
mod state;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Context, Handler, MessageResult, Recipient, ResponseActFuture,
    WrapFuture,
};
use mandi_domain::Tick;
use mandi_paper::{mark_price, CancelError, Order, PaperBook, PaperEvent, PaperSettings};
use mandi_protocol::master::fast_hash::FastMap;

pub use messages::{
    CancelOrder, ExecutorStats, GetBotEvents, GetExecutorStats, GetFills, GetOrderByTag, GetOrders,
    GetPositions, OrderOutcome, PlaceError, PlaceOrder, PositionRow, PositionsReport,
    TradingUpdate, WriteDaySummary,
};

use crate::clock::Clock;
use crate::journal::Journal;
use mandi_fanout::price_store::TicksPublished;
use mandi_feed::backplane::{Interest, Release, Subscribe};
use mandi_instruments::SharedIndex;
use state::{frames, RefusalMemo};

/// The registry subscriber id of the executor's own subscriptions.
pub const EXECUTOR_SUBSCRIBER: &str = "paper:executor";

/// Mailbox size: every published frame comes here; past it the price store drops the
/// frame for this subscriber (counted there) and the next one supersedes it.
const MAILBOX_CAPACITY: usize = 4096;

/// How long an order on a not-yet-streaming instrument waits for its first quote.
pub const FIRST_QUOTE_WAIT: Duration = Duration::from_secs(3);

pub struct PaperExecutor {
    book: PaperBook,
    settings: PaperSettings,
    journal: Option<Journal>,
    journal_path: Option<PathBuf>,
    journal_error: Option<String>,
    index: SharedIndex,
    /// The latest tick of every symbol the price store publishes.
    quotes: FastMap<Arc<str>, Tick>,
    /// Symbols with open orders: the only ones a tick needs to work.
    working: BTreeSet<Arc<str>>,
    /// Symbols subscribed for the book (open orders, open positions, and orders waiting
    /// for their instrument's first quote).
    streaming: BTreeSet<Arc<str>>,
    /// Orders waiting for a first quote, told when it arrives.
    waiters: FastMap<Arc<str>, Vec<tokio::sync::oneshot::Sender<()>>>,
    warming: BTreeSet<Arc<str>>,
    registry: Option<Interest>,
    updates: Vec<Recipient<TradingUpdate>>,
    clock: Clock,
    memo: RefusalMemo,
    stats: ExecutorStats,
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
            book: PaperBook::new(settings.clone()),
            settings,
            journal: None,
            journal_path,
            journal_error: None,
            index: index.into(),
            quotes: FastMap::default(),
            working: BTreeSet::new(),
            streaming: BTreeSet::new(),
            waiters: FastMap::default(),
            warming: BTreeSet::new(),
            registry: None,
            updates: Vec::new(),
            clock,
            memo: RefusalMemo::default(),
            stats: ExecutorStats::default(),
            restored: false,
        }
    }

    pub fn with_registry(mut self, registry: Interest) -> Self {
        self.registry = Some(registry);
        self
    }

    pub fn with_updates(mut self, updates: Vec<Recipient<TradingUpdate>>) -> Self {
        self.updates = updates;
        self
    }

    /// Opens the journal and resumes the book it holds.
    fn restore(&mut self) {
        let Some(path) = self.journal_path.clone() else {
            return;
        };
        let opened = Journal::open(&path).and_then(|j| j.load_book().map(|b| (j, b)));
        match opened {
            Ok((journal, book)) => {
                if let Some(snapshot) = book {
                    if snapshot.settings != self.settings {
                        tracing::warn!(journal = %path.display(), "the journaled paper account was opened with other [paper] settings; it keeps them — move the journal aside to start an account with the new ones");
                    }
                    match PaperBook::restore(snapshot) {
                        Ok(book) => {
                            self.book = book;
                            let s = self.book.summary(&Default::default());
                            tracing::info!(journal = %path.display(), open_positions = s.open_positions, open_orders = s.open_orders, cash = s.cash, "paper account restored");
                        }
                        Err(e) => {
                            self.journal_error = Some(e.to_string());
                            tracing::error!(journal = %path.display(), error = %e, "paper journal holds a book that does not restore; orders are refused — move the file aside to start a fresh account");
                            return;
                        }
                    }
                }
                self.journal = Some(journal);
            }
            Err(e) => {
                self.journal_error = Some(e.to_string());
                tracing::error!(error = %e, "paper journal cannot be opened; orders are refused until it can — check store.data_dir");
            }
        }
        self.after_change();
    }

    /// Writes a call's events and the book after it; then tells clients. Journal first:
    /// nobody hears of a fill the journal does not have.
    fn commit(&mut self, events: Vec<PaperEvent>) {
        let events = self.memo.filter(events, &self.book);
        if events.is_empty() {
            return;
        }
        for e in &events {
            match e {
                PaperEvent::OrderAccepted { .. } => self.stats.orders += 1,
                PaperEvent::OrderRejected { .. } => {
                    self.stats.orders += 1;
                    self.stats.rejected += 1;
                }
                PaperEvent::OrderFilled { .. } => self.stats.fills += 1,
                PaperEvent::FillRefused {
                    order_id, reason, ..
                } => {
                    self.stats.fills_refused += 1;
                    tracing::info!(order = %order_id, reason = %reason, "paper fill refused: the order stays open until a tradable quote");
                }
                _ => {}
            }
        }
        if let Some(journal) = self.journal.as_mut() {
            if let Err(e) = journal.record_book(&events, &self.book.snapshot(), (self.clock)()) {
                self.stats.journal_errors += 1;
                tracing::error!(error = %e, "paper journal write failed; the book goes on in memory — check the disk");
            }
        }
        for frame in frames(&events, &self.book) {
            for to in &self.updates {
                let _ = to.try_send(TradingUpdate {
                    frame: frame.clone(),
                });
            }
        }
        self.after_change();
    }

    /// Recomputes the working set and keeps the book's instruments streaming.
    fn after_change(&mut self) {
        self.working = self.book.open_orders().map(|o| o.symbol.clone()).collect();
        let wanted: BTreeSet<Arc<str>> = self
            .working
            .iter()
            .cloned()
            .chain(
                self.book
                    .positions()
                    .filter(|p| !p.is_flat())
                    .map(|p| p.symbol.clone()),
            )
            .chain(self.warming.iter().cloned())
            .collect();
        let Some(registry) = &self.registry else {
            self.streaming = wanted;
            return;
        };
        let add: Vec<Arc<str>> = wanted.difference(&self.streaming).cloned().collect();
        let drop: Vec<Arc<str>> = self.streaming.difference(&wanted).cloned().collect();
        if !add.is_empty() {
            registry.subscribe(Subscribe {
                subscriber: EXECUTOR_SUBSCRIBER.into(),
                symbols: add,
                mode: mandi_domain::Mode::Full,
            });
        }
        if !drop.is_empty() {
            registry.release(Release {
                subscriber: EXECUTOR_SUBSCRIBER.into(),
                symbols: drop,
            });
        }
        self.streaming = wanted;
    }

    fn keep_newer(&mut self, tick: &Tick) {
        match self.quotes.get(&tick.symbol) {
            Some(old) if old.received_time > tick.received_time => {}
            _ => {
                self.quotes.insert(tick.symbol.clone(), tick.clone());
            }
        }
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
        if let Some(q) = &msg.quote {
            if q.symbol == instrument.symbol {
                self.keep_newer(q);
            }
        }
        let now = (self.clock)();
        let quote = self.quotes.get(&instrument.symbol).cloned();
        let events = self
            .book
            .submit(msg.request, &instrument, quote.as_ref(), now);
        let order_id = events.iter().find_map(|e| match e {
            PaperEvent::OrderAccepted { order, .. } | PaperEvent::OrderRejected { order, .. } => {
                Some(order.order_id)
            }
            _ => None,
        });
        let fills = events
            .iter()
            .filter_map(|e| match e {
                PaperEvent::OrderFilled { fill } if Some(fill.order_id) == order_id => {
                    Some(fill.clone())
                }
                _ => None,
            })
            .collect();
        let order = order_id.and_then(|id| self.book.order(id).cloned());
        self.commit(events.clone());
        // `submit` always accepts or rejects the order it was given.
        let order = order.ok_or_else(|| PlaceError::UnknownSymbol(msg.symbol.to_string()))?;
        if let Some(reason) = &order.reject_reason {
            tracing::info!(order = %order.order_id, symbol = %order.symbol, tag = %order.tag, reason = %reason, "paper order rejected");
        }
        Ok(OrderOutcome {
            order,
            fills,
            events,
        })
    }

    fn positions(&self) -> PositionsReport {
        let mut marks = mandi_paper::Marks::new();
        let rows = self
            .book
            .positions()
            .map(|p| {
                let mark = self
                    .quotes
                    .get(&p.symbol)
                    .and_then(|t| mark_price(p.net_quantity, t));
                if let Some(m) = mark {
                    marks.insert(p.symbol.clone(), m);
                }
                let unrealized = mark.map_or(0.0, |m| p.unrealized_pnl(m));
                PositionRow {
                    position: p.clone(),
                    mark,
                    unrealized_pnl: mandi_paper::round_paise(unrealized),
                    net_pnl: mandi_paper::round_paise(p.realized_pnl + unrealized - p.charges),
                }
            })
            .collect();
        PositionsReport {
            positions: rows,
            summary: self.book.summary(&marks),
        }
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
            open_orders = self.working.len(),
            "paper executor restarted with its book"
        );
    }
}

mandi_supervision::crash_handler!(PaperExecutor);

impl Handler<TicksPublished> for PaperExecutor {
    type Result = ();

    fn handle(&mut self, msg: TicksPublished, _: &mut Context<Self>) {
        let mut events = Vec::new();
        let now = (self.clock)();
        for tick in msg.ticks.iter() {
            self.keep_newer(tick);
            if let Some(waiting) = self.waiters.remove(&tick.symbol) {
                for w in waiting {
                    let _ = w.send(());
                }
            }
            if !self.working.contains(&tick.symbol) {
                continue;
            }
            if let Some(instrument) = self.index.load().by_symbol(&tick.symbol).cloned() {
                events.extend(self.book.on_tick(&instrument, tick, now));
            }
        }
        self.commit(events);
    }
}

impl Handler<PlaceOrder> for PaperExecutor {
    type Result = ResponseActFuture<Self, Result<OrderOutcome, PlaceError>>;

    /// An order on an instrument nobody streams yet (an external bot's first order)
    /// subscribes it and waits up to [`FIRST_QUOTE_WAIT`] for its first quote, so the
    /// order meets a real price instead of a `no_quote` rejection.
    fn handle(&mut self, msg: PlaceOrder, _: &mut Context<Self>) -> Self::Result {
        let carried = msg.quote.as_ref().is_some_and(|q| q.symbol == msg.symbol);
        let known = carried || self.quotes.contains_key(&msg.symbol);
        if known || self.index.load().by_symbol(&msg.symbol).is_none() {
            return Box::pin(actix::fut::ready(self.place(msg)));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters.entry(msg.symbol.clone()).or_default().push(tx);
        self.warming.insert(msg.symbol.clone());
        self.after_change();
        let wait = tokio::time::timeout(FIRST_QUOTE_WAIT, rx);
        Box::pin(wait.into_actor(self).map(move |_, this, _| {
            this.warming.remove(&msg.symbol);
            // A wait that timed out leaves a closed sender behind: drop it.
            this.waiters.retain(|_, w| {
                w.retain(|tx| !tx.is_closed());
                !w.is_empty()
            });
            let placed = this.place(msg);
            this.after_change();
            placed
        }))
    }
}

impl Handler<CancelOrder> for PaperExecutor {
    type Result = Result<Order, CancelError>;

    fn handle(&mut self, msg: CancelOrder, _: &mut Context<Self>) -> Self::Result {
        let events = self.book.cancel(msg.order_id, (self.clock)())?;
        self.commit(events);
        self.book
            .order(msg.order_id)
            .cloned()
            .ok_or(CancelError::UnknownOrder(msg.order_id))
    }
}

impl Handler<GetOrders> for PaperExecutor {
    type Result = MessageResult<GetOrders>;

    fn handle(&mut self, msg: GetOrders, _: &mut Context<Self>) -> Self::Result {
        let orders = self
            .book
            .orders()
            .filter(|o| !msg.open_only || o.is_open())
            .cloned()
            .collect();
        MessageResult(orders)
    }
}

impl Handler<GetOrderByTag> for PaperExecutor {
    type Result = MessageResult<GetOrderByTag>;

    fn handle(&mut self, msg: GetOrderByTag, _: &mut Context<Self>) -> Self::Result {
        let order = self
            .book
            .orders()
            .filter(|o| o.tag == msg.tag)
            .last()
            .cloned();
        MessageResult(order.map(|o| {
            let fills = self
                .book
                .fills()
                .iter()
                .filter(|f| f.order_id == o.order_id)
                .cloned()
                .collect();
            (o, fills)
        }))
    }
}

impl Handler<GetFills> for PaperExecutor {
    type Result = MessageResult<GetFills>;

    fn handle(&mut self, _: GetFills, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.book.fills().to_vec())
    }
}

impl Handler<GetPositions> for PaperExecutor {
    type Result = MessageResult<GetPositions>;

    fn handle(&mut self, _: GetPositions, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.positions())
    }
}

impl Handler<WriteDaySummary> for PaperExecutor {
    type Result = Option<crate::journal::DaySummary>;

    fn handle(&mut self, msg: WriteDaySummary, _: &mut Context<Self>) -> Self::Result {
        let journal = self.journal.as_mut()?;
        match journal.day_summary(msg.date, (self.clock)()) {
            Ok(s) => {
                tracing::info!(date = %s.date, fills = s.fills, orders = s.orders, rejected = s.rejected_orders, charges = s.charges, net_cash_flow = s.net_cash_flow, "paper day summary written");
                Some(s)
            }
            Err(e) => {
                self.stats.journal_errors += 1;
                tracing::error!(error = %e, "paper day summary not written — check the disk");
                None
            }
        }
    }
}

impl Handler<GetExecutorStats> for PaperExecutor {
    type Result = MessageResult<GetExecutorStats>;

    fn handle(&mut self, _: GetExecutorStats, _: &mut Context<Self>) -> Self::Result {
        let mut stats = self.stats.clone();
        stats.journal = self.journal_path.as_ref().map(|p| p.display().to_string());
        stats.journal_ok = self.journal.is_some();
        stats.open_orders = self.working.len();
        stats.open_positions = self.book.positions().filter(|p| !p.is_flat()).count();
        MessageResult(stats)
    }
}

impl Handler<GetBotEvents> for PaperExecutor {
    type Result = MessageResult<GetBotEvents>;

    fn handle(&mut self, msg: GetBotEvents, _: &mut Context<Self>) -> Self::Result {
        let rows = self
            .journal
            .as_ref()
            .map(|j| j.bot_events(msg.bot.as_deref(), msg.limit))
            .transpose()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "bot events unreadable from the journal");
                None
            })
            .unwrap_or_default();
        MessageResult(rows)
    }
}
