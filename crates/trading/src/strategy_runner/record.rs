//! A runner's durable record: what the journal keeps per bot — the bot's snapshot and the
//! order it has out, written *before* the order is sent, so a restart can tell "sent and
//! filled" from "never sent" by the order's tag.

use std::sync::Arc;

use mandi_strategy::BotSnapshot;
use serde::{Deserialize, Serialize};

/// Entry or exit: which bot callback its fill goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPurpose {
    Entry,
    Exit,
}

/// An order the bot has asked for and not yet heard back on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingOrder {
    /// `<bot>#<seq>`: the order's tag in the paper book, unique per bot.
    pub tag: String,
    pub purpose: OrderPurpose,
    pub symbol: Arc<str>,
    pub lots: u32,
    /// The entry or exit reason code.
    pub reason: String,
}

/// The journal row of one bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunnerRecord {
    pub snapshot: BotSnapshot,
    pub pending: Option<PendingOrder>,
    /// The next order sequence number; never reused.
    pub next_seq: u64,
}
