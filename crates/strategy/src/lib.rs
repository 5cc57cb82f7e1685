//! CE/PE bots as pure state machines over ticks and candles; time is an argument.
//!
//! Who feeds what, in order of a trade's life:
//!
//! ```text
//! runtime ──1-min candles, underlying ticks──▶ CePeBot ──ResolveContract──▶ runtime
//! runtime ──select_contract, then on_contract_resolved──▶ CePeBot ──Subscribe──▶ runtime
//! runtime ──option ticks──▶ CePeBot ──PlaceEntry──▶ paper ──on_entry_filled──▶ CePeBot
//! runtime ──option ticks, on_timer──▶ CePeBot ──PlaceExit──▶ paper ──on_exit_filled──▶ CePeBot
//!                                           ──Unsubscribe / Refused──▶ runtime
//! ```
//!
//! The bot never reads the wall clock and performs no IO: every event carries `now`, and
//! every decision comes back as a [`BotAction`] for the runtime to carry out.

pub mod action;
pub mod bot;
pub mod clock;
pub mod indicator;
pub mod select;
pub mod settings;
pub mod signal;

#[cfg(test)]
mod test_support;

pub use action::{BotAction, EntryReason, ExitReason, RefusalReason};
pub use bot::{BotSnapshot, CePeBot, Fill, PendingEntry, Phase, Position, RestoreError};
pub use select::{select_contract, ContractRequest, SelectError};
pub use settings::{BotSettings, ContractRule, EntryRule, ExpiryRule, SettingsError};
pub use signal::{Direction, Signal, SignalEngine};
