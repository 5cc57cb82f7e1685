//! Expiry settlement: a position still open in a contract at its expiry is closed by the
//! exchange at its settlement price, as one fill with its charges, like any other fill
//! in cash, charges, position and journal.

use chrono::{DateTime, Utc};
use mandi_domain::Instrument;

use super::PaperBook;
use crate::charges::{InstrumentClass, OrderToDate};
use crate::settlement::{settlement_price, SETTLEMENT_REASON, SETTLEMENT_TAG};
use crate::{
    Charges, Fill, Liquidity, Order, OrderId, OrderKind, OrderRequest, OrderStatus, PaperEvent,
    Side,
};

impl PaperBook {
    /// Settles the open position in `instrument` (a future or option whose expiry has
    /// come) at `underlying_close`: an order on the other side for the whole position,
    /// filled at once at the settlement price (intrinsic value for an option). Open
    /// orders of the contract are cancelled: it no longer trades. Nothing happens for a
    /// flat position, a cash instrument or a close that is not a price.
    ///
    /// A contract that expires worthless settles at ₹0 and pays no charges; one with a
    /// value is charged as a fill of that value on its side (the STT brokers levy on
    /// exercise is not modelled apart).
    pub fn settle_expired(
        &mut self,
        instrument: &Instrument,
        underlying_close: f64,
        now: DateTime<Utc>,
    ) -> Vec<PaperEvent> {
        let mut events = Vec::new();
        let Some(contract) = &instrument.derivative else {
            return events;
        };
        let Some(price) = settlement_price(contract, underlying_close) else {
            return events;
        };
        let held = self
            .positions
            .get(&instrument.symbol)
            .map_or(0, |p| p.net_quantity);
        let lot_size = u64::from(instrument.lot_size.max(1));
        let open: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| o.is_open() && o.symbol == instrument.symbol)
            .map(|o| o.order_id)
            .collect();
        for order_id in open {
            events.extend(self.cancel(order_id, now).unwrap_or_default());
        }
        if held == 0 {
            return events;
        }
        let side = if held > 0 { Side::Sell } else { Side::Buy };
        let quantity = held.unsigned_abs();
        let lots = u32::try_from(quantity.div_ceil(lot_size)).unwrap_or(u32::MAX);
        let request = OrderRequest {
            side,
            kind: OrderKind::Market,
            lots,
            tag: SETTLEMENT_TAG.into(),
            reason: SETTLEMENT_REASON.into(),
        };
        let order_id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        let mut order = Order::new(
            order_id,
            instrument.symbol.clone(),
            &request,
            instrument.lot_size,
            now,
        );
        // The position decides the quantity, even one that is not whole lots.
        order.quantity = quantity;
        events.push(PaperEvent::OrderAccepted {
            order: order.clone(),
            processed_at: now,
        });

        let value = price * quantity as f64;
        let charges = if value > 0.0 {
            self.settings.charges.fill_charges(
                InstrumentClass::of(instrument),
                instrument.exchange,
                side,
                value,
                OrderToDate::default(),
            )
        } else {
            Charges::default()
        };
        order.filled_quantity = quantity;
        order.filled_value = value;
        order.avg_fill_price = price;
        order.charges += &charges;
        order.status = OrderStatus::Filled;
        order.closed_at = Some(now);
        let fill = Fill {
            fill_id: self.mint_fill_id(),
            order_id,
            symbol: instrument.symbol.clone(),
            side,
            lots,
            quantity,
            price,
            liquidity: Liquidity::Settlement,
            charges,
            tag: order.tag.clone(),
            reason: order.reason.clone(),
            filled_at: now,
            exchange_time: None,
            received_time: now,
        };
        self.orders.insert(order_id, order);
        self.cash += match side {
            Side::Buy => -value,
            Side::Sell => value,
        };
        self.cash -= charges.total;
        self.charges += &charges;
        let position = self.positions.get_mut(&instrument.symbol).map(|p| {
            p.apply(side, quantity, price, charges.total);
            p.clone()
        });
        events.push(PaperEvent::OrderFilled { fill: fill.clone() });
        self.fills.push(fill);
        if let Some(position) = position {
            events.push(PaperEvent::PositionChanged {
                position,
                processed_at: now,
            });
        }
        events
    }
}
