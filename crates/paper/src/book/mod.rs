//! `PaperBook`: one paper account — its orders, fills, positions and cash — driven by
//! submissions, quotes and cancels, each returning the events it caused.

mod execute;
mod queries;
mod settle;
mod snapshot;
mod undo;
mod work;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Tick};

pub use snapshot::PaperSnapshot;
pub use undo::{AccountRecord, BookUndo};
use work::QuoteAt;

use crate::quote::check_quote;
use crate::validate::validate;
use crate::{
    CancelError, Charges, Fill, FillId, Order, OrderId, OrderKind, OrderRequest, OrderStatus,
    PaperEvent, PaperSettings, Position, RejectReason,
};

/// A paper trading account. Pure: no IO and no clock, every call takes `now`.
///
/// Call [`PaperBook::on_tick`] for every quote of a symbol with open orders; it works
/// the resting orders first, so they see a new market before orders submitted on it do
/// (Nautilus's sequencing). [`PaperBook::submit`] enforces the same order itself: given a
/// quote the book has not yet seen, it works the resting orders against it first.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperBook {
    settings: PaperSettings,
    cash: f64,
    charges: Charges,
    /// Every order ever submitted, rejected ones included, by id (so iteration is in
    /// submission order).
    orders: BTreeMap<OrderId, Order>,
    positions: BTreeMap<Arc<str>, Position>,
    fills: Vec<Fill>,
    /// The next ids to mint. Restored from snapshots so ids never repeat after a restart.
    next_order_id: u64,
    next_fill_id: u64,
    /// The last quote worked per symbol: lets `submit` tell a new quote from one the
    /// resting orders have already seen.
    last_quotes: BTreeMap<Arc<str>, Tick>,
}

impl PaperBook {
    pub fn new(settings: PaperSettings) -> PaperBook {
        PaperBook {
            cash: settings.starting_cash,
            settings,
            charges: Charges::default(),
            orders: BTreeMap::new(),
            positions: BTreeMap::new(),
            fills: Vec::new(),
            next_order_id: 1,
            next_fill_id: 1,
            last_quotes: BTreeMap::new(),
        }
    }

    /// Submit an order priced off `quote` (the latest tick of `instrument`), its market
    /// taken as open: for replays and callers without a calendar. The runtime uses
    /// [`PaperBook::submit_in_session`].
    pub fn submit(
        &mut self,
        request: OrderRequest,
        instrument: &Instrument,
        quote: Option<&Tick>,
        now: DateTime<Utc>,
    ) -> Vec<PaperEvent> {
        self.submit_in_session(request, instrument, quote, now, true)
    }

    /// Submit an order priced off `quote` (the latest tick of `instrument`).
    /// `market_open` says whether `instrument`'s exchange is in its session at `now`;
    /// outside it the order is rejected `market_closed`.
    ///
    /// Market orders fill now or are rejected; limits fill now if marketable, else
    /// rest; stops rest until triggered. A market order on a quote the stale guard
    /// refuses is rejected (not left to fill later at a price the caller never saw); a
    /// marketable limit on such a quote is accepted, refused a fill, and rests.
    pub fn submit_in_session(
        &mut self,
        request: OrderRequest,
        instrument: &Instrument,
        quote: Option<&Tick>,
        now: DateTime<Utc>,
        market_open: bool,
    ) -> Vec<PaperEvent> {
        let mut events = Vec::new();
        if let Some(tick) = quote {
            let unseen = self.last_quotes.get(&tick.symbol) != Some(tick);
            if tick.symbol == instrument.symbol && unseen {
                events = self.on_tick(instrument, tick, now);
            }
        }

        let order_id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        let order = Order::new(
            order_id,
            instrument.symbol.clone(),
            &request,
            instrument.lot_size,
            now,
        );
        let tick = match validate(&request, instrument, quote, market_open) {
            Ok(tick) => tick,
            Err(reason) => {
                self.reject(order, reason, now, &mut events);
                return events;
            }
        };
        let guard = check_quote(instrument, tick, now, self.settings.max_quote_age_ms);
        if let (OrderKind::Market, Err(refusal)) = (order.kind, &guard) {
            let reason = RejectReason::QuoteRefused {
                refusal: refusal.clone(),
            };
            self.reject(order, reason, now, &mut events);
            return events;
        }

        events.push(PaperEvent::OrderAccepted {
            order: order.clone(),
            processed_at: now,
        });
        self.orders.insert(order_id, order);
        // Stops wait for a later quote to trigger them: validation already refused any
        // whose trigger this quote has reached.
        if request.kind.trigger_price().is_none() {
            let at = QuoteAt {
                instrument,
                tick,
                now,
            };
            self.work_order(order_id, &at, &guard, &mut events);
        }
        events
    }

    /// Work every open order of `instrument` against a new quote, in submission order.
    /// A quote for another symbol fills nothing; each open order is refused with why.
    pub fn on_tick(
        &mut self,
        instrument: &Instrument,
        tick: &Tick,
        now: DateTime<Utc>,
    ) -> Vec<PaperEvent> {
        // An unusable master row cannot price anything; its orders were never accepted,
        // and another row's orders must not be matched on its grid.
        let tick_size = instrument.tick_size;
        if !(tick_size.is_finite() && tick_size > 0.0) || instrument.lot_size == 0 {
            return Vec::new();
        }
        let guard = check_quote(instrument, tick, now, self.settings.max_quote_age_ms);
        if tick.symbol == instrument.symbol {
            self.last_quotes.insert(tick.symbol.clone(), tick.clone());
        }
        let ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| o.is_open() && o.symbol == instrument.symbol)
            .map(|o| o.order_id)
            .collect();
        let mut events = Vec::new();
        let at = QuoteAt {
            instrument,
            tick,
            now,
        };
        for id in ids {
            self.work_order(id, &at, &guard, &mut events);
        }
        events
    }

    /// Cancel an open order.
    pub fn cancel(
        &mut self,
        order_id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PaperEvent>, CancelError> {
        let order = self
            .orders
            .get_mut(&order_id)
            .ok_or(CancelError::UnknownOrder(order_id))?;
        if !order.is_open() {
            return Err(CancelError::NotOpen {
                order_id,
                status: order.status,
            });
        }
        order.status = OrderStatus::Cancelled;
        order.closed_at = Some(now);
        Ok(vec![PaperEvent::OrderCancelled {
            order_id,
            processed_at: now,
        }])
    }

    fn reject(
        &mut self,
        mut order: Order,
        reason: RejectReason,
        now: DateTime<Utc>,
        events: &mut Vec<PaperEvent>,
    ) {
        order.status = OrderStatus::Rejected;
        order.closed_at = Some(now);
        order.reject_reason = Some(reason.clone());
        events.push(PaperEvent::OrderRejected {
            order: order.clone(),
            reason,
            processed_at: now,
        });
        self.orders.insert(order.order_id, order);
    }

    fn mint_fill_id(&mut self) -> FillId {
        let id = FillId(self.next_fill_id);
        self.next_fill_id += 1;
        id
    }
}
