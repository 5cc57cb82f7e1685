//! The runner's side of an order: send it, hand the answer to the state, and after a
//! restart ask the book by tag what became of an order that was out.

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context, MailboxError};

use super::effects::{OrderAnswer, OrderTicket};
use super::{PendingOrder, StrategyRunner};
use crate::paper_executor::{GetOrderByTag, OrderOutcome, PlaceError, PlaceOrder};

impl StrategyRunner {
    /// Sends the pending order (its record is already saved).
    pub(super) fn send(&mut self, ticket: OrderTicket, ctx: &mut Context<Self>) {
        let OrderTicket {
            pending,
            request,
            quote,
        } = ticket;
        let msg = PlaceOrder {
            symbol: pending.symbol.clone(),
            request,
            quote,
        };
        self.state.set_in_flight(true);
        let fut = self
            .deps
            .executor
            .send(msg)
            .into_actor(self)
            .map(move |res, this, ctx| {
                this.state.set_in_flight(false);
                this.on_placed(&pending, res, ctx);
            });
        // The bot waits for its order's answer before it reads anything else.
        ctx.wait(fut);
    }

    fn on_placed(
        &mut self,
        pending: &PendingOrder,
        res: Result<Result<OrderOutcome, PlaceError>, MailboxError>,
        ctx: &mut Context<Self>,
    ) {
        match res {
            Ok(Ok(outcome)) => {
                let answer = OrderAnswer::Booked {
                    order: &outcome.order,
                    fills: &outcome.fills,
                };
                self.answer(pending, answer, ctx);
            }
            Ok(Err(e)) => self.answer(pending, OrderAnswer::Refused(&e.to_string()), ctx),
            // The executor is restarting: the order may or may not have reached it. The
            // timer asks by tag.
            Err(e) => {
                tracing::warn!(bot = %self.name(), tag = %pending.tag, error = %e, "order answer lost; asking the paper book by tag");
            }
        }
    }

    pub(super) fn answer(
        &mut self,
        pending: &PendingOrder,
        answer: OrderAnswer<'_>,
        ctx: &mut Context<Self>,
    ) {
        let now = (self.deps.clock)();
        let effects = self
            .state
            .on_order_answer(pending, answer, &self.deps.index, now);
        self.carry_out(effects, ctx);
    }

    /// What became of the pending order? Found: hand it over (an open one stays pending).
    /// Not found: it never reached the book, so place it now under the same tag.
    pub(super) fn reconcile(&mut self, pending: PendingOrder, ctx: &mut Context<Self>) {
        self.state.set_in_flight(true);
        let fut = self
            .deps
            .executor
            .send(GetOrderByTag {
                tag: pending.tag.clone(),
            })
            .into_actor(self)
            .map(move |res, this, ctx| {
                this.state.set_in_flight(false);
                match res {
                    Ok(Some((order, fills))) => {
                        let answer = OrderAnswer::Booked {
                            order: &order,
                            fills: &fills,
                        };
                        this.answer(&pending, answer, ctx);
                    }
                    Ok(None) => {
                        tracing::info!(bot = %this.name(), tag = %pending.tag, "pending order never reached the paper book; placing it now");
                        if let Some(ticket) = this.state.ticket() {
                            this.send(ticket, ctx);
                        }
                    }
                    Err(_) => {}
                }
            });
        ctx.wait(fut);
    }
}
