//! `ExecutorState`: the paper account's deciding half. It holds the book, the latest quote
//! per symbol and the streaming plan, checks the order limits, and turns every call into
//! a [`Commit`] — the events to journal, the frames to push, the streaming to ask for,
//! and how to take the call back — which the actor carries out once the journal has it.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Tick};
use mandi_instruments::InstrumentIndex;
use mandi_paper::{
    last_price, mark_price, quote_refusal, BookUndo, CancelError, Fill, LimitError, Order, OrderId,
    OrderLimits, OrderRequest, PaperBook, PaperEvent, PaperSettings,
};
use mandi_protocol::client::Frame;
use mandi_protocol::master::fast_hash::FastMap;

mod settle;

pub use settle::expiry_close;

use super::events::{frames, RefusalMemo};
use super::messages::{ExecutorStats, OrderOutcome, PositionRow, PositionsReport};
use super::streaming::StreamingPlan;
use crate::outbound::StreamingChange;

/// What one call asks the actor to do, in this order: journal `events` and the `changed`
/// orders with the book as it stands after the call, then push `frames` and ask for
/// `streaming`; or, if the journal cannot keep the call, apply `undo` and do neither.
#[derive(Debug, Default)]
pub struct Commit {
    /// The call's events, repeated refusals dropped.
    pub events: Vec<PaperEvent>,
    /// Orders the call changed without an event naming them (a limit that started
    /// resting on this quote): their rows are written too.
    pub changed: Vec<OrderId>,
    pub frames: Vec<Frame>,
    pub streaming: StreamingChange,
    /// How to take the call back; `None` when it left nothing to journal.
    pub undo: Option<Undo>,
}

/// Everything a call may change, saved before it: the touched part of the book, the
/// streaming plan, the refusal memo and the counters.
#[derive(Debug)]
pub struct Undo {
    book: BookUndo,
    streaming: StreamingPlan,
    memo: RefusalMemo,
    counters: ExecutorStats,
}

/// A placement: the outcome for the caller (always `Some`: the book accepts or rejects
/// every order it is given) and the commit to carry out before answering.
#[derive(Debug)]
pub struct Placed {
    pub outcome: Option<OrderOutcome>,
    pub commit: Commit,
}

/// A cancel that went through: the order as it stands after it, and its commit.
#[derive(Debug)]
pub struct Cancelled {
    pub order: Option<Order>,
    pub commit: Commit,
}

pub struct ExecutorState {
    book: PaperBook,
    /// The runtime's limits (from config at this start, not the journaled account's).
    limits: OrderLimits,
    /// The latest tick of every symbol the price store publishes.
    quotes: FastMap<Arc<str>, Tick>,
    streaming: StreamingPlan,
    memo: RefusalMemo,
    /// The event counters of the stats; the actor adds journal and drop figures.
    counters: ExecutorStats,
}

impl ExecutorState {
    pub fn new(settings: PaperSettings) -> ExecutorState {
        ExecutorState {
            limits: OrderLimits::of(&settings),
            streaming: StreamingPlan::new(settings.keep_streaming_after_trade_s),
            book: PaperBook::new(settings),
            quotes: FastMap::default(),
            memo: RefusalMemo::default(),
            counters: ExecutorStats::default(),
        }
    }

    pub fn book(&self) -> &PaperBook {
        &self.book
    }

    /// Takes over the book the journal held; its recent fills keep their symbols
    /// streaming for what is left of their window.
    pub fn resume(&mut self, book: PaperBook) {
        for fill in book.fills() {
            self.streaming.traded(&fill.symbol, fill.filled_at);
        }
        self.book = book;
    }

    /// The streaming the book's open orders, positions and recent fills need at `now`.
    pub fn settle(&mut self, now: DateTime<Utc>) -> StreamingChange {
        let working = self.book.open_orders().map(|o| o.symbol.clone()).collect();
        let holding = open_positions(&self.book);
        self.streaming.on_book(working, holding, now)
    }

    /// Time passed: releases symbols whose window after their last fill has closed.
    pub fn expire(&mut self, now: DateTime<Utc>) -> StreamingChange {
        self.streaming.expire(now)
    }

    /// Checks `request` against the limits; `with_band` measures its prices from the
    /// newer of the `carried` quote and the executor's own. Counts a refusal.
    pub fn check_limits(
        &mut self,
        request: &OrderRequest,
        instrument: &Instrument,
        carried: Option<&Tick>,
        with_band: bool,
    ) -> Result<(), LimitError> {
        let last = with_band
            .then(|| self.newest_quote(&instrument.symbol, carried))
            .flatten()
            .and_then(last_price);
        let checked = self.limits.check(request, instrument, last);
        if checked.is_err() {
            self.counters.refused_by_limits += 1;
        }
        checked
    }

    /// The stale guard's bound (`paper.max_quote_age_ms`).
    pub fn max_quote_age_ms(&self) -> u64 {
        self.book.settings().max_quote_age_ms
    }

    /// Whether an order on `instrument` must wait for a quote first: the caller carried
    /// none, and the executor has none — or has one it would not trade on for a symbol
    /// it does not stream (released after its window, so nothing refreshes it). Waiting
    /// subscribes the symbol again; the order then meets a live quote, not a stale trap.
    pub fn needs_first_quote(
        &self,
        instrument: &Instrument,
        carried: Option<&Tick>,
        now: DateTime<Utc>,
    ) -> bool {
        let symbol = &instrument.symbol;
        if carried.is_some_and(|q| q.symbol == *symbol) {
            return false;
        }
        match self.quotes.get(symbol) {
            None => true,
            Some(known) => {
                let max_age_ms = self.max_quote_age_ms();
                !self.streaming.is_streaming(symbol)
                    && quote_refusal(instrument, known, now, max_age_ms).is_some()
            }
        }
    }

    /// An order starts waiting for `symbol`'s first quote: stream it meanwhile.
    pub fn begin_wait(&mut self, symbol: &Arc<str>) -> StreamingChange {
        self.streaming.warm(symbol)
    }

    /// An order's wait ended (after it was placed, so its own order or position keeps
    /// the symbol without a release and a subscribe in between).
    pub fn end_wait(&mut self, symbol: &str) -> StreamingChange {
        self.streaming.cool(symbol)
    }

    /// Submits `request` on `instrument`, priced off the newer of the caller's `carried`
    /// quote and the executor's own; `market_open` is its exchange's session at `now`.
    pub fn place(
        &mut self,
        instrument: &Instrument,
        request: OrderRequest,
        carried: Option<Tick>,
        now: DateTime<Utc>,
        market_open: bool,
    ) -> Placed {
        if let Some(q) = carried.filter(|q| q.symbol == instrument.symbol) {
            self.keep_newer(&q);
        }
        let undo = self.undo_point(std::slice::from_ref(&instrument.symbol));
        let quote = self.quotes.get(&instrument.symbol).cloned();
        let events =
            self.book
                .submit_in_session(request, instrument, quote.as_ref(), now, market_open);
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
        let outcome = order_id
            .and_then(|id| self.book.order(id).cloned())
            .map(|order| OrderOutcome {
                order,
                fills,
                events: events.clone(),
            });
        Placed {
            outcome,
            commit: self.commit(events, undo, now),
        }
    }

    /// Keeps the newest quote of every tick and works the open orders of the symbols
    /// that have some.
    pub fn on_ticks(
        &mut self,
        ticks: &[Tick],
        index: &InstrumentIndex,
        now: DateTime<Utc>,
    ) -> Commit {
        let worked: BTreeSet<Arc<str>> = ticks
            .iter()
            .filter(|t| self.streaming.is_working(&t.symbol))
            .map(|t| t.symbol.clone())
            .collect();
        // Most ticks work nothing: they cost no undo point.
        let undo = (!worked.is_empty()).then(|| self.undo_point(&Vec::from_iter(worked)));
        let mut events = Vec::new();
        for tick in ticks {
            self.keep_newer(tick);
            if !self.streaming.is_working(&tick.symbol) {
                continue;
            }
            if let Some(instrument) = index.by_symbol(&tick.symbol) {
                events.extend(self.book.on_tick(instrument, tick, now));
            }
        }
        match undo {
            Some(undo) => self.commit(events, undo, now),
            None => Commit::default(),
        }
    }

    pub fn cancel(
        &mut self,
        order_id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, CancelError> {
        let symbol = self.book.order(order_id).map(|o| o.symbol.clone());
        let undo = self.undo_point(symbol.as_slice());
        let events = self.book.cancel(order_id, now)?;
        let commit = self.commit(events, undo, now);
        Ok(Cancelled {
            order: self.book.order(order_id).cloned(),
            commit,
        })
    }

    /// Takes a call back: the journal could not keep it.
    pub fn rollback(&mut self, undo: Undo) {
        self.book.undo(undo.book);
        self.streaming = undo.streaming;
        self.memo = undo.memo;
        self.counters = undo.counters;
    }

    /// Every order (newest last); `open_only` keeps the working ones.
    pub fn orders(&self, open_only: bool) -> Vec<Order> {
        self.book
            .orders()
            .filter(|o| !open_only || o.is_open())
            .cloned()
            .collect()
    }

    /// The latest order carrying `tag`, with its fills.
    pub fn order_by_tag(&self, tag: &str) -> Option<(Order, Vec<Fill>)> {
        let order = self.book.orders().filter(|o| o.tag == tag).last()?.clone();
        let fills = self
            .book
            .fills()
            .iter()
            .filter(|f| f.order_id == order.order_id)
            .cloned()
            .collect();
        Some((order, fills))
    }

    /// Every position marked at the price it could be closed at now.
    pub fn positions(&self) -> PositionsReport {
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

    /// The event counters with the book's open figures. `open_orders` counts the symbols
    /// with open orders, as it always has.
    pub fn stats(&self) -> ExecutorStats {
        ExecutorStats {
            open_orders: self.streaming.working_symbols(),
            open_positions: open_positions(&self.book).len(),
            streaming: self.streaming.streaming_symbols(),
            ..self.counters.clone()
        }
    }

    /// The newer of the caller's quote of `symbol` and the executor's own.
    fn newest_quote<'a>(&'a self, symbol: &str, carried: Option<&'a Tick>) -> Option<&'a Tick> {
        let carried = carried.filter(|q| *q.symbol == *symbol);
        match (carried, self.quotes.get(symbol)) {
            (Some(c), Some(own)) if own.received_time > c.received_time => Some(own),
            (Some(c), _) => Some(c),
            (None, own) => own,
        }
    }

    fn undo_point(&self, symbols: &[Arc<str>]) -> Undo {
        Undo {
            book: self.book.undo_point(symbols),
            streaming: self.streaming.clone(),
            memo: self.memo.clone(),
            counters: self.counters.clone(),
        }
    }

    fn keep_newer(&mut self, tick: &Tick) {
        match self.quotes.get(&tick.symbol) {
            Some(old) if old.received_time > tick.received_time => {}
            _ => {
                self.quotes.insert(tick.symbol.clone(), tick.clone());
            }
        }
    }

    /// Counts a call's events and turns them into a commit. A call whose events were all
    /// repeats and that changed no order changed nothing: nothing to journal, push or
    /// stream.
    fn commit(&mut self, events: Vec<PaperEvent>, undo: Undo, now: DateTime<Utc>) -> Commit {
        let changed = undo.book.changed_orders(&self.book);
        let events = self.memo.filter(events, &self.book);
        if events.is_empty() && changed.is_empty() {
            return Commit::default();
        }
        for e in &events {
            match e {
                PaperEvent::OrderAccepted { .. } => self.counters.orders += 1,
                PaperEvent::OrderRejected { .. } => {
                    self.counters.orders += 1;
                    self.counters.rejected += 1;
                }
                PaperEvent::OrderFilled { fill } => {
                    self.counters.fills += 1;
                    self.streaming.traded(&fill.symbol, fill.filled_at);
                }
                PaperEvent::FillRefused { .. } => self.counters.fills_refused += 1,
                _ => {}
            }
        }
        Commit {
            frames: frames(&events, &self.book),
            streaming: self.settle(now),
            events,
            changed,
            undo: Some(undo),
        }
    }
}

fn open_positions(book: &PaperBook) -> BTreeSet<Arc<str>> {
    book.positions()
        .filter(|p| !p.is_flat())
        .map(|p| p.symbol.clone())
        .collect()
}

#[cfg(test)]
mod tests;
