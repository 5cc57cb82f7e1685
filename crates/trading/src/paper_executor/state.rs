//! `ExecutorState`: the paper account's deciding half. It holds the book, the latest quote
//! per symbol and the streaming plan, and turns every call into a [`Commit`] — the events
//! to journal, the frames to push, the streaming to ask for — which the actor carries out.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Tick};
use mandi_instruments::InstrumentIndex;
use mandi_paper::{
    mark_price, CancelError, Fill, Order, OrderId, OrderRequest, PaperBook, PaperEvent,
    PaperSettings,
};
use mandi_protocol::client::Frame;
use mandi_protocol::master::fast_hash::FastMap;

use super::events::{frames, RefusalMemo};
use super::messages::{ExecutorStats, OrderOutcome, PositionRow, PositionsReport};
use super::streaming::StreamingPlan;
use crate::outbound::StreamingChange;

/// What one call asks the actor to do, in this order: journal `events` with the book as
/// it stands after the call, push `frames`, then ask for `streaming`.
#[derive(Debug, Default)]
pub struct Commit {
    /// The call's events, repeated refusals dropped.
    pub events: Vec<PaperEvent>,
    pub frames: Vec<Frame>,
    pub streaming: StreamingChange,
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
            book: PaperBook::new(settings),
            quotes: FastMap::default(),
            streaming: StreamingPlan::default(),
            memo: RefusalMemo::default(),
            counters: ExecutorStats::default(),
        }
    }

    pub fn book(&self) -> &PaperBook {
        &self.book
    }

    /// Takes over the book the journal held.
    pub fn resume(&mut self, book: PaperBook) {
        self.book = book;
    }

    /// The streaming the book's open orders and positions need now.
    pub fn settle(&mut self) -> StreamingChange {
        let working = self.book.open_orders().map(|o| o.symbol.clone()).collect();
        let holding = open_positions(&self.book);
        self.streaming.on_book(working, holding)
    }

    /// Whether an order on `symbol` (known to the index) must wait for a first quote:
    /// neither the caller carried one nor has the executor seen one.
    pub fn needs_first_quote(&self, symbol: &str, carried: Option<&Tick>) -> bool {
        let carried = carried.is_some_and(|q| *q.symbol == *symbol);
        !carried && !self.quotes.contains_key(symbol)
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
    /// quote and the executor's own.
    pub fn place(
        &mut self,
        instrument: &Instrument,
        request: OrderRequest,
        carried: Option<Tick>,
        now: DateTime<Utc>,
    ) -> Placed {
        if let Some(q) = carried.filter(|q| q.symbol == instrument.symbol) {
            self.keep_newer(&q);
        }
        let quote = self.quotes.get(&instrument.symbol).cloned();
        let events = self.book.submit(request, instrument, quote.as_ref(), now);
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
            commit: self.commit(events),
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
        self.commit(events)
    }

    pub fn cancel(
        &mut self,
        order_id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, CancelError> {
        let events = self.book.cancel(order_id, now)?;
        let commit = self.commit(events);
        Ok(Cancelled {
            order: self.book.order(order_id).cloned(),
            commit,
        })
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
            ..self.counters.clone()
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
    /// repeats changed nothing: no frames, no streaming.
    fn commit(&mut self, events: Vec<PaperEvent>) -> Commit {
        let events = self.memo.filter(events, &self.book);
        if events.is_empty() {
            return Commit::default();
        }
        for e in &events {
            match e {
                PaperEvent::OrderAccepted { .. } => self.counters.orders += 1,
                PaperEvent::OrderRejected { .. } => {
                    self.counters.orders += 1;
                    self.counters.rejected += 1;
                }
                PaperEvent::OrderFilled { .. } => self.counters.fills += 1,
                PaperEvent::FillRefused { .. } => self.counters.fills_refused += 1,
                _ => {}
            }
        }
        Commit {
            frames: frames(&events, &self.book),
            streaming: self.settle(),
            events,
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
