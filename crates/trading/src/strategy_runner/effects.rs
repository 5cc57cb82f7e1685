//! What a runner step decides, as plain values: the effects the actor carries out, the
//! executor's answers handed back, and what the timer does.

use mandi_domain::{OptionType, Tick};
use mandi_paper::{Fill, Order, OrderRequest};
use mandi_strategy::EntryReason;

use super::record::PendingOrder;
use crate::outbound::StreamingChange;

/// What one step asks the actor to do, in this order: log the searches, journal and push
/// the notes, ask for the streaming, save the record if it changed, send the order.
#[derive(Debug, Default)]
pub struct RunnerEffects {
    pub searches: Vec<ContractSearch>,
    pub notes: Vec<BotNote>,
    pub streaming: StreamingChange,
    /// An order to send; it is already the pending one, so the record saved before the
    /// send carries its tag (write-ahead).
    pub send: Option<OrderTicket>,
}

/// The bot signalled and asks for a contract (said in the log, not journaled).
#[derive(Debug, Clone, PartialEq)]
pub struct ContractSearch {
    pub option_type: OptionType,
    pub underlying_price: f64,
    pub reason: EntryReason,
}

/// A bot event worth journaling and pushing to clients.
#[derive(Debug, Clone, PartialEq)]
pub struct BotNote {
    /// `entry`, `exit`, `filled`, `refused`, `contract`, `restored`, `settings`.
    pub kind: &'static str,
    pub code: String,
    pub detail: String,
}

/// A market order to send to the paper executor for `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTicket {
    pub pending: PendingOrder,
    pub request: OrderRequest,
    /// The newest tick of the order's option, if the bot has one: the executor may not.
    pub quote: Option<Tick>,
}

/// What became of an order, as the executor answered.
#[derive(Debug, Clone, Copy)]
pub enum OrderAnswer<'a> {
    /// The order as the book holds it, with its fills.
    Booked { order: &'a Order, fills: &'a [Fill] },
    /// The executor refused to place it (unknown symbol, journal down).
    Refused(&'a str),
}

/// What the runner's timer does this second.
#[derive(Debug)]
pub enum TimerStep {
    /// An order or a question is with the executor: wait for its answer.
    Wait,
    /// An order is out and unanswered: ask the book by its tag.
    Reconcile(PendingOrder),
    /// Time-driven rules (square-off, entry time-outs) ran.
    Act(Box<RunnerEffects>),
}

/// A bot resumed from its journal row.
#[derive(Debug)]
pub struct Restored {
    pub effects: RunnerEffects,
    /// The order it had out, to be asked for by tag.
    pub reconcile: Option<PendingOrder>,
}
