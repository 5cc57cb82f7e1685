//! The runner's side of an order: write-ahead, send, deliver the answer to the bot, and
//! after a restart find out by tag what became of an order that was out.

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context, MailboxError};
use mandi_paper::{Fill, Order, OrderKind, OrderRequest, OrderStatus, Side};
use mandi_strategy::BotAction;

use super::{OrderPurpose, PendingOrder, StrategyRunner};
use crate::paper_executor::{GetOrderByTag, OrderOutcome, PlaceError, PlaceOrder};

impl StrategyRunner {
    /// Records the order as pending (committed to the journal), then sends it.
    pub(super) fn place(
        &mut self,
        purpose: OrderPurpose,
        symbol: std::sync::Arc<str>,
        lots: u32,
        reason: String,
        ctx: &mut Context<Self>,
    ) {
        let tag = format!("{}#{}", self.name(), self.next_seq);
        self.next_seq += 1;
        self.pending = Some(PendingOrder {
            tag,
            purpose,
            symbol,
            lots,
            reason,
        });
        self.save();
        self.send_pending(ctx);
    }

    fn send_pending(&mut self, ctx: &mut Context<Self>) {
        let Some(p) = self.pending.clone() else {
            return;
        };
        let side = match p.purpose {
            OrderPurpose::Entry => Side::Buy,
            OrderPurpose::Exit => Side::Sell,
        };
        let quote = self.option_quote.clone().filter(|q| q.symbol == p.symbol);
        let msg = PlaceOrder {
            symbol: p.symbol.clone(),
            request: OrderRequest {
                side,
                kind: OrderKind::Market,
                lots: p.lots,
                tag: p.tag.clone(),
                reason: p.reason.clone(),
            },
            quote,
        };
        self.in_flight = true;
        let fut = self
            .deps
            .executor
            .send(msg)
            .into_actor(self)
            .map(move |res, this, ctx| {
                this.in_flight = false;
                this.on_placed(p, res, ctx);
            });
        // The bot waits for its order's answer before it reads anything else.
        ctx.wait(fut);
    }

    fn on_placed(
        &mut self,
        pending: PendingOrder,
        res: Result<Result<OrderOutcome, PlaceError>, MailboxError>,
        ctx: &mut Context<Self>,
    ) {
        match res {
            Ok(Ok(outcome)) => self.deliver(&pending, &outcome.order, &outcome.fills, ctx),
            Ok(Err(e)) => {
                self.pending = None;
                let actions = self.bot.on_order_rejected(e.to_string());
                self.resume(actions, ctx);
            }
            // The executor is restarting: the order may or may not have reached it. The
            // timer asks by tag.
            Err(e) => {
                tracing::warn!(bot = %self.name(), tag = %pending.tag, error = %e, "order answer lost; asking the paper book by tag");
            }
        }
    }

    /// Hands a final order to the bot; an open one stays pending (asked again by timer).
    fn deliver(
        &mut self,
        pending: &PendingOrder,
        order: &Order,
        fills: &[Fill],
        ctx: &mut Context<Self>,
    ) {
        let actions = match order.status {
            OrderStatus::Open => return,
            OrderStatus::Filled => {
                let fill = mandi_strategy::Fill {
                    price: order.avg_fill_price,
                    quantity: u32::try_from(order.filled_quantity).unwrap_or(u32::MAX),
                    at: fills
                        .last()
                        .map(|f| f.filled_at)
                        .or(order.closed_at)
                        .unwrap_or(order.submitted_at),
                };
                self.note(
                    "filled",
                    &pending.reason,
                    format!(
                        "{} {} @ {:.2} ({})",
                        side_label(order.side),
                        order.filled_quantity,
                        order.avg_fill_price,
                        order.order_id
                    ),
                );
                match pending.purpose {
                    OrderPurpose::Entry => self.bot.on_entry_filled(fill),
                    OrderPurpose::Exit => self.bot.on_exit_filled(fill),
                }
            }
            OrderStatus::Rejected | OrderStatus::Cancelled => {
                let why = order
                    .reject_reason
                    .as_ref()
                    .map_or_else(|| "cancelled".to_string(), |r| r.to_string());
                self.bot.on_order_rejected(why)
            }
        };
        self.pending = None;
        self.resume(actions, ctx);
    }

    /// The bot's answer to its order, then whatever the action list held after it.
    fn resume(&mut self, mut actions: Vec<BotAction>, ctx: &mut Context<Self>) {
        actions.extend(std::mem::take(&mut self.deferred));
        self.act(actions, ctx);
    }

    /// What became of the pending order? Found and final: deliver it. Not found: it
    /// never reached the book, so place it now under the same tag.
    pub(super) fn reconcile(&mut self, ctx: &mut Context<Self>) {
        let Some(p) = self.pending.clone() else {
            return;
        };
        self.in_flight = true;
        let fut = self
            .deps
            .executor
            .send(GetOrderByTag { tag: p.tag.clone() })
            .into_actor(self)
            .map(move |res, this, ctx| {
                this.in_flight = false;
                match res {
                    Ok(Some((order, fills))) => this.deliver(&p, &order, &fills, ctx),
                    Ok(None) => {
                        tracing::info!(bot = %this.name(), tag = %p.tag, "pending order never reached the paper book; placing it now");
                        this.send_pending(ctx);
                    }
                    Err(_) => {}
                }
            });
        ctx.wait(fut);
    }
}

/// How the bot's journal says a filled order went.
fn side_label(side: Side) -> &'static str {
    match side {
        Side::Buy => "bought",
        Side::Sell => "sold",
    }
}
