//! Where a bot is in its trade cycle. One position at a time:
//! Idle → AwaitingContract → AwaitingQuote → AwaitingEntryFill → InPosition →
//! AwaitingExitFill → Idle, or DoneForDay until the next IST date.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, OptionType};
use serde::{Deserialize, Serialize};

use super::Position;
use crate::{EntryReason, ExitReason, RefusalReason};

/// A signal on its way to becoming an entry order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingEntry {
    pub option_type: OptionType,
    pub reason: EntryReason,
    /// Close of the signalling bar; the entry is dropped `entry_timeout_ms` after it.
    pub signal_at: DateTime<Utc>,
}

/// The bot's phase; serialised inside [`crate::BotSnapshot`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Flat, waiting for a signal.
    Idle,
    /// A signal was taken. `requested` turns true once `ResolveContract` has gone out,
    /// which waits for a fresh underlying quote (the ATM strike comes from it).
    AwaitingContract {
        entry: PendingEntry,
        requested: bool,
    },
    /// Contract known and subscribed; the entry order waits for its first fresh quote.
    AwaitingQuote {
        entry: PendingEntry,
        contract: Arc<Instrument>,
    },
    /// `PlaceEntry` is out; waiting for its fill or rejection.
    AwaitingEntryFill {
        entry: PendingEntry,
        contract: Arc<Instrument>,
    },
    /// Holding the option; exits are evaluated on each fresh quote and on timers.
    InPosition { position: Position },
    /// `PlaceExit` is out; waiting for its fill or rejection.
    AwaitingExitFill {
        position: Position,
        reason: ExitReason,
    },
    /// No more entries today, for `reason`; the next IST date returns to Idle.
    DoneForDay { reason: RefusalReason },
}

impl Phase {
    /// The option whose ticks the bot needs in this phase.
    pub fn contract(&self) -> Option<&Arc<Instrument>> {
        match self {
            Phase::AwaitingQuote { contract, .. } | Phase::AwaitingEntryFill { contract, .. } => {
                Some(contract)
            }
            Phase::InPosition { position } | Phase::AwaitingExitFill { position, .. } => {
                Some(&position.contract)
            }
            Phase::Idle | Phase::AwaitingContract { .. } | Phase::DoneForDay { .. } => None,
        }
    }

    /// The phase's snake_case name, for refusal details.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::AwaitingContract { .. } => "awaiting_contract",
            Phase::AwaitingQuote { .. } => "awaiting_quote",
            Phase::AwaitingEntryFill { .. } => "awaiting_entry_fill",
            Phase::InPosition { .. } => "in_position",
            Phase::AwaitingExitFill { .. } => "awaiting_exit_fill",
            Phase::DoneForDay { .. } => "done_for_day",
        }
    }
}
