//! What a bot asks the runtime to do, and the reason codes it gives. Reason codes are part
//! of the journal and the client protocol: their snake_case names are stable.

use std::fmt;
use std::sync::Arc;

use mandi_domain::OptionType;
use serde::{Deserialize, Serialize};

/// One decision of a bot, carried out by the runtime in the order returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BotAction {
    /// Pick the option to trade (see [`crate::select_contract`]) and answer with
    /// `on_contract_resolved` or `on_contract_failed`.
    ResolveContract {
        option_type: OptionType,
        /// The underlying's fresh LTP the ATM strike is taken from.
        underlying_price: f64,
        reason: EntryReason,
    },
    /// Stream this option's ticks to `on_option_tick` until the matching `Unsubscribe`.
    Subscribe { symbol: Arc<str> },
    /// Buy `lots` lots at market (paper: at the ask).
    PlaceEntry {
        symbol: Arc<str>,
        lots: u32,
        reason: EntryReason,
    },
    /// Sell `lots` lots at market (paper: at the bid).
    PlaceExit {
        symbol: Arc<str>,
        lots: u32,
        reason: ExitReason,
    },
    /// The bot no longer needs this option's ticks.
    Unsubscribe { symbol: Arc<str> },
    /// The bot declined to act, or could not; one line for the operator, said once per
    /// incident rather than on every tick.
    Refused {
        reason: RefusalReason,
        detail: String,
    },
}

/// Why a position was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryReason {
    OrbBreakoutUp,
    OrbBreakoutDown,
    EmaCrossUp,
    EmaCrossDown,
}

/// Why a position was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    StopLoss,
    Target,
    TrailingStop,
    SquareOff,
    MaxLoss,
    Manual,
}

/// Why the bot did not act. Serialised as `{"code": "stale_quote", "age_ms": 6200}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RefusalReason {
    /// The option's quote is older than `max_quote_age_ms`, or is snapshot (last-known) data.
    StaleQuote { age_ms: u64 },
    /// No usable quote for the option yet (none received, or LTP 0).
    NoQuote,
    /// The underlying's quote is older than `max_quote_age_ms`, or is snapshot data.
    StaleUnderlying { age_ms: u64 },
    /// No usable quote for the underlying yet.
    NoUnderlying,
    /// Outside `entry_start_ist .. no_entry_after_ist`, or after the square-off.
    OutsideWindow,
    /// `max_trades_per_day` entries already filled today.
    MaxTrades,
    /// The day's loss reached `max_loss_per_day`.
    MaxLoss,
    /// An entry is being prepared (contract or first quote pending).
    EntryPending,
    /// An order is out and its fill has not arrived.
    AwaitingFill,
    /// One position at a time: a signal arrived while holding one.
    InPosition,
    /// The signal's bar closed longer ago than `entry_timeout_ms` (late or replayed candle).
    StaleSignal,
    /// The entry could not be placed within `entry_timeout_ms` of its signal.
    EntryTimeout,
    /// No contract could be selected, or the one resolved does not fit the request.
    NoContract,
    /// The order was rejected downstream.
    OrderRejected,
    /// A manual exit was asked for with no position open.
    NoPosition,
    /// An event that does not fit the bot's phase (a fill with no order out).
    UnexpectedEvent,
}

impl EntryReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryReason::OrbBreakoutUp => "orb_breakout_up",
            EntryReason::OrbBreakoutDown => "orb_breakout_down",
            EntryReason::EmaCrossUp => "ema_cross_up",
            EntryReason::EmaCrossDown => "ema_cross_down",
        }
    }
}

impl ExitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::StopLoss => "stop_loss",
            ExitReason::Target => "target",
            ExitReason::TrailingStop => "trailing_stop",
            ExitReason::SquareOff => "square_off",
            ExitReason::MaxLoss => "max_loss",
            ExitReason::Manual => "manual",
        }
    }
}

impl RefusalReason {
    /// The stable code, without data: two refusals with the same code are one incident.
    pub fn code(&self) -> &'static str {
        match self {
            RefusalReason::StaleQuote { .. } => "stale_quote",
            RefusalReason::NoQuote => "no_quote",
            RefusalReason::StaleUnderlying { .. } => "stale_underlying",
            RefusalReason::NoUnderlying => "no_underlying",
            RefusalReason::OutsideWindow => "outside_window",
            RefusalReason::MaxTrades => "max_trades",
            RefusalReason::MaxLoss => "max_loss",
            RefusalReason::EntryPending => "entry_pending",
            RefusalReason::AwaitingFill => "awaiting_fill",
            RefusalReason::InPosition => "in_position",
            RefusalReason::StaleSignal => "stale_signal",
            RefusalReason::EntryTimeout => "entry_timeout",
            RefusalReason::NoContract => "no_contract",
            RefusalReason::OrderRejected => "order_rejected",
            RefusalReason::NoPosition => "no_position",
            RefusalReason::UnexpectedEvent => "unexpected_event",
        }
    }

    /// Refusals about missing or old data: repeated on every check while the data stays
    /// bad, so the bot reports them once per incident.
    pub fn is_data_problem(&self) -> bool {
        matches!(
            self,
            RefusalReason::StaleQuote { .. }
                | RefusalReason::NoQuote
                | RefusalReason::StaleUnderlying { .. }
                | RefusalReason::NoUnderlying
        )
    }
}

impl fmt::Display for EntryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalReason::StaleQuote { age_ms } | RefusalReason::StaleUnderlying { age_ms } => {
                write!(f, "{} ({age_ms} ms old)", self.code())
            }
            _ => f.write_str(self.code()),
        }
    }
}

#[cfg(test)]
mod tests;
