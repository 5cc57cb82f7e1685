//! Working one open order against one quote: trigger stops, cross limits, fill market
//! orders, or refuse when the stale guard says no.

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Tick};

use super::PaperBook;
use crate::matching::{is_marketable, is_triggered, taker_legs, Leg, TakerModel};
use crate::price::to_ticks;
use crate::quote::{quote_age_ms, Touch};
use crate::{Liquidity, OrderId, PaperEvent, RefuseReason, Side};

/// The quote an order is worked against, with its instrument and the call's `now`.
#[derive(Clone, Copy)]
pub(super) struct QuoteAt<'a> {
    pub instrument: &'a Instrument,
    pub tick: &'a Tick,
    pub now: DateTime<Utc>,
}

/// The stale guard's verdict on the quote: its touch in ticks, or why not.
pub(super) type Guard = Result<Touch, RefuseReason>;

impl PaperBook {
    /// Work `order_id` against the quote in `at`. Appends what happened to `events`; a
    /// refused quote only produces an event when the order would otherwise have
    /// triggered or filled on it.
    pub(super) fn work_order(
        &mut self,
        order_id: OrderId,
        at: &QuoteAt<'_>,
        guard: &Guard,
        events: &mut Vec<PaperEvent>,
    ) {
        let Some(order) = self.orders.get(&order_id).filter(|o| o.is_open()) else {
            return;
        };
        let untriggered_stop = order.kind.trigger_price().is_some() && order.triggered_at.is_none();
        // A quote for another symbol could fill anything at a wrong price: every open
        // order of the instrument hears why nothing happened.
        if let Err(reason @ RefuseReason::QuoteForOtherSymbol { .. }) = guard {
            return events.push(refusal(order_id, reason, at));
        }
        if untriggered_stop && !self.try_trigger(order_id, at, guard, events) {
            return;
        }
        match self.orders.get(&order_id).and_then(|o| o.working_limit()) {
            Some(limit) => self.work_limit(order_id, limit, at, guard, events),
            // Market orders, and SL-M just triggered.
            None => match guard {
                Ok(touch) => {
                    let legs = self.taker(order_id, at.instrument, touch, None);
                    self.execute(order_id, at, &legs, Liquidity::Taker, events);
                }
                Err(reason) => events.push(refusal(order_id, reason, at)),
            },
        }
    }

    /// Fire a stop if LTP has reached its trigger on a tradeable quote. A refused quote
    /// fires nothing either: the stop stays untriggered and is tried on the next quote.
    fn try_trigger(
        &mut self,
        order_id: OrderId,
        at: &QuoteAt<'_>,
        guard: &Guard,
        events: &mut Vec<PaperEvent>,
    ) -> bool {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return false;
        };
        let Some(trigger) = order.kind.trigger_price() else {
            return false;
        };
        let tick_size = at.instrument.tick_size;
        let ltp = at.tick.ltp;
        let reached = ltp.is_finite()
            && ltp > 0.0
            && is_triggered(
                order.side,
                to_ticks(trigger, tick_size),
                to_ticks(ltp, tick_size),
            );
        if !reached {
            return false;
        }
        if let Err(reason) = guard {
            events.push(refusal(order_id, reason, at));
            return false;
        }
        order.triggered_at = Some(at.now);
        events.push(PaperEvent::OrderTriggered {
            order_id,
            ltp,
            processed_at: at.now,
        });
        true
    }

    /// A limit (or triggered SL) against the quote: takes it if it has not yet stood in
    /// the book, fills at its own price if it has, else starts (or keeps) standing.
    fn work_limit(
        &mut self,
        order_id: OrderId,
        limit: f64,
        at: &QuoteAt<'_>,
        guard: &Guard,
        events: &mut Vec<PaperEvent>,
    ) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        let limit = to_ticks(limit, at.instrument.tick_size);
        let touch = match guard {
            Ok(touch) => touch,
            Err(reason) => {
                if crosses_raw(order.side, limit, at.tick, at.instrument.tick_size) {
                    events.push(refusal(order_id, reason, at));
                }
                return;
            }
        };
        if !is_marketable(order.side, limit, touch) {
            order.resting_since.get_or_insert(at.now);
            return;
        }
        if order.resting_since.is_some() {
            // A standing limit the market came through fills at its own price, whole.
            let legs = [Leg {
                lots: order.lots,
                price: limit,
            }];
            self.execute(order_id, at, &legs, Liquidity::Maker, events);
        } else {
            let legs = self.taker(order_id, at.instrument, touch, Some(limit));
            self.execute(order_id, at, &legs, Liquidity::Taker, events);
        }
    }

    fn taker(
        &self,
        order_id: OrderId,
        instrument: &Instrument,
        touch: &Touch,
        limit: Option<i64>,
    ) -> Vec<Leg> {
        let Some(order) = self.orders.get(&order_id) else {
            return Vec::new();
        };
        let model = TakerModel {
            slippage_ticks: self.settings.slippage_ticks,
            protection_ticks: self.settings.protection_ticks,
        };
        let lot_size = instrument.lot_size;
        taker_legs(order.side, order.lots, lot_size, touch, model, limit)
    }
}

fn refusal(order_id: OrderId, reason: &RefuseReason, at: &QuoteAt<'_>) -> PaperEvent {
    PaperEvent::FillRefused {
        order_id,
        reason: reason.clone(),
        quote_age_ms: quote_age_ms(at.tick, at.now),
        processed_at: at.now,
    }
}

/// Whether a limit would cross this quote if the quote could be traded: decides if a
/// refused quote is worth a `FillRefused` event.
fn crosses_raw(side: Side, limit: i64, tick: &Tick, tick_size: f64) -> bool {
    let price = match side {
        Side::Buy => tick.ask,
        Side::Sell => tick.bid,
    };
    if !(price.is_finite() && price > 0.0) {
        return false;
    }
    let price = to_ticks(price, tick_size);
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}
