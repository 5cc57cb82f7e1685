//! The runtime's answers to the bot's requests: the contract it resolved (or could not),
//! and the fills and rejections of its orders.

use std::sync::Arc;

use mandi_domain::Instrument;

use super::{refuse, symbol_of, CePeBot, Fill, Phase, Position};
use crate::{BotAction, ExitReason, RefusalReason};

impl CePeBot {
    /// The runtime's answer to `ResolveContract`.
    pub fn on_contract_resolved(&mut self, contract: Arc<Instrument>) -> Vec<BotAction> {
        let mut out = Vec::new();
        let entry = match &self.phase {
            Phase::AwaitingContract {
                entry,
                requested: true,
            } => entry.clone(),
            _ => {
                self.unexpected(&mut out, format!("contract {} resolved", contract.symbol));
                return out;
            }
        };
        let s = &self.settings;
        let fits = contract.exchange == s.exchange
            && contract.option_type() == Some(entry.option_type)
            && contract
                .derivative
                .as_ref()
                .is_some_and(|d| *d.underlying == *s.underlying);
        if !fits {
            let detail = format!(
                "resolved {} is not a {} of {} on {:?}; entry dropped",
                contract.symbol,
                entry.option_type.as_str(),
                s.underlying,
                s.exchange
            );
            refuse(&mut out, RefusalReason::NoContract, detail);
            self.set_phase(Phase::Idle);
            return out;
        }
        out.push(BotAction::Subscribe {
            symbol: symbol_of(&contract),
        });
        self.option = None;
        self.set_phase(Phase::AwaitingQuote { entry, contract });
        out
    }

    /// The runtime could not resolve a contract (see [`crate::SelectError`]); the entry
    /// is dropped.
    pub fn on_contract_failed(&mut self, detail: impl Into<String>) -> Vec<BotAction> {
        let mut out = Vec::new();
        let detail = detail.into();
        match &self.phase {
            Phase::AwaitingContract { entry, .. } => {
                let detail = format!("{} entry dropped: {detail}", entry.reason);
                refuse(&mut out, RefusalReason::NoContract, detail);
                self.set_phase(Phase::Idle);
            }
            _ => self.unexpected(&mut out, format!("contract failure ({detail})")),
        }
        out
    }

    /// The entry order filled: the position opens and counts as one of today's trades.
    pub fn on_entry_filled(&mut self, fill: Fill) -> Vec<BotAction> {
        let mut out = Vec::new();
        let Phase::AwaitingEntryFill { entry, contract } = &self.phase else {
            self.unexpected(
                &mut out,
                format!("entry fill of {} @ {}", fill.quantity, fill.price),
            );
            return out;
        };
        if !is_usable(&fill) {
            self.unexpected(
                &mut out,
                format!("unusable entry fill of {} @ {}", fill.quantity, fill.price),
            );
            return out;
        }
        let position = Position {
            contract: Arc::clone(contract),
            entry_reason: entry.reason,
            entry_price: fill.price,
            quantity: fill.quantity,
            peak_price: fill.price,
            entered_at: fill.at,
            pending_exit: None,
        };
        self.day.trades += 1;
        self.set_phase(Phase::InPosition { position });
        out
    }

    /// An exit fill; a partial one leaves the rest of the exit order working.
    pub fn on_exit_filled(&mut self, fill: Fill) -> Vec<BotAction> {
        let mut out = Vec::new();
        let Phase::AwaitingExitFill { position, reason } = &mut self.phase else {
            self.unexpected(
                &mut out,
                format!("exit fill of {} @ {}", fill.quantity, fill.price),
            );
            return out;
        };
        if !is_usable(&fill) {
            let what = format!("unusable exit fill of {} @ {}", fill.quantity, fill.price);
            self.unexpected(&mut out, what);
            return out;
        }
        let quantity = fill.quantity.min(position.quantity);
        self.day.realised_pnl += (fill.price - position.entry_price) * f64::from(quantity);
        position.quantity -= quantity;
        if position.quantity > 0 {
            return out;
        }
        let (symbol, reason) = (symbol_of(&position.contract), *reason);
        out.push(BotAction::Unsubscribe { symbol });
        self.option = None;
        let next = match self.day_over(reason) {
            Some(reason) => Phase::DoneForDay { reason },
            None => Phase::Idle,
        };
        self.set_phase(next);
        out
    }

    /// Why no further entry can happen today after an exit for `reason`, if so.
    fn day_over(&self, reason: ExitReason) -> Option<RefusalReason> {
        let s = &self.settings;
        if reason == ExitReason::MaxLoss || self.day.realised_pnl <= -s.max_loss_per_day {
            Some(RefusalReason::MaxLoss)
        } else if self.day.trades >= s.max_trades_per_day {
            Some(RefusalReason::MaxTrades)
        } else if reason == ExitReason::SquareOff {
            Some(RefusalReason::OutsideWindow)
        } else {
            None
        }
    }

    /// An order was rejected downstream. A rejected entry is dropped; a rejected exit is
    /// kept pending and placed again on the next fresh quote (the position must still go).
    pub fn on_order_rejected(&mut self, reason: impl Into<String>) -> Vec<BotAction> {
        let mut out = Vec::new();
        let why = reason.into();
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::AwaitingEntryFill { entry, contract } => {
                let detail = format!(
                    "{} entry in {} rejected: {why}",
                    entry.reason, contract.symbol
                );
                refuse(&mut out, RefusalReason::OrderRejected, detail);
                out.push(BotAction::Unsubscribe {
                    symbol: symbol_of(&contract),
                });
                self.option = None;
                self.set_phase(Phase::Idle);
            }
            Phase::AwaitingExitFill {
                mut position,
                reason,
            } => {
                let detail = format!(
                    "{reason} exit of {} rejected: {why}; placed again on the next fresh quote",
                    position.contract.symbol
                );
                refuse(&mut out, RefusalReason::OrderRejected, detail);
                position.pending_exit = Some(reason);
                self.set_phase(Phase::InPosition { position });
            }
            other => {
                self.phase = other;
                self.unexpected(&mut out, format!("order rejection ({why})"));
            }
        }
        out
    }
}

/// A fill price and quantity that can be booked.
fn is_usable(fill: &Fill) -> bool {
    fill.price.is_finite() && fill.price > 0.0 && fill.quantity > 0
}
