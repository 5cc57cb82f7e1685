//! Executing an order's legs: fills with charges, cash, the order's totals and the
//! position, in that order, and the events that record them.

use super::work::QuoteAt;
use super::PaperBook;
use crate::charges::{InstrumentClass, OrderToDate};
use crate::matching::Leg;
use crate::price::from_ticks;
use crate::{Fill, Liquidity, OrderId, OrderStatus, PaperEvent, Position, Side};

impl PaperBook {
    /// Fill `order_id` completely with `legs` (whose lots sum to the order's lots), then
    /// report the position once for the whole order.
    pub(super) fn execute(
        &mut self,
        order_id: OrderId,
        at: &QuoteAt<'_>,
        legs: &[Leg],
        liquidity: Liquidity,
        events: &mut Vec<PaperEvent>,
    ) {
        if legs.is_empty() {
            return;
        }
        let class = InstrumentClass::of(at.instrument);
        let lot_size = u64::from(at.instrument.lot_size);
        let mut position = None;
        for leg in legs {
            let fill_id = self.mint_fill_id();
            let Some(order) = self.orders.get_mut(&order_id) else {
                return;
            };
            let quantity = u64::from(leg.lots) * lot_size;
            let price = from_ticks(leg.price, at.instrument.tick_size);
            let value = price * quantity as f64;
            let before = OrderToDate {
                filled_value: order.filled_value,
                brokerage: order.charges.brokerage,
            };
            let charges = self.settings.charges.fill_charges(
                class,
                at.instrument.exchange,
                order.side,
                value,
                before,
            );

            order.filled_quantity += quantity;
            order.filled_value += value;
            order.avg_fill_price = order.filled_value / order.filled_quantity as f64;
            order.charges += &charges;
            let fill = Fill {
                fill_id,
                order_id,
                symbol: order.symbol.clone(),
                side: order.side,
                lots: leg.lots,
                quantity,
                price,
                liquidity,
                charges,
                tag: order.tag.clone(),
                reason: order.reason.clone(),
                filled_at: at.now,
                exchange_time: at.tick.exchange_time,
                received_time: at.tick.received_time,
            };

            self.cash += match fill.side {
                Side::Buy => -value,
                Side::Sell => value,
            };
            self.cash -= charges.total;
            self.charges += &charges;
            let p = self
                .positions
                .entry(fill.symbol.clone())
                .or_insert_with(|| Position::flat(fill.symbol.clone()));
            p.apply(fill.side, quantity, price, charges.total);
            position = Some(p.clone());

            events.push(PaperEvent::OrderFilled { fill: fill.clone() });
            self.fills.push(fill);
        }
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.status = OrderStatus::Filled;
            order.closed_at = Some(at.now);
        }
        if let Some(position) = position {
            events.push(PaperEvent::PositionChanged {
                position,
                processed_at: at.now,
            });
        }
    }
}
