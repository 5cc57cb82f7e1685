//! The trading side of mandi: the paper account and the CE/PE bots. Who sends what to whom:
//!
//! ```text
//!  PriceStore ──TicksPublished──▶ StrategyHost ──bars, ticks──▶ StrategyRunner (one per bot)
//!           └──TicksPublished──▶ PaperExecutor ◀──PlaceOrder / CancelOrder── runners, HTTP
//!  PaperExecutor, runners ──Subscribe / Release (backplane Interest)──▶ the feed's registry
//!  PaperExecutor, runners ──TradingUpdate (a Recipient they are handed)──▶ the client sockets
//!  PaperExecutor, runners ──rows──▶ JournalHandle ──▶ the journal's own thread (SQLite)
//! ```
//!
//! It depends on the fan-out's published ticks and the feed's interest messages, and on
//! nothing above it.
//!
//! Each actor decides in a plain `state.rs` (no actix, no clock: time is an argument) and
//! carries the decisions out in its `mod.rs`; `outbound` is how they leave: frames to the
//! client sockets (drops counted and warned about) and streaming changes to the registry.

pub mod clock;
pub mod journal;
mod outbound;
pub mod paper_executor;
pub mod settings;
pub mod strategy_host;
pub mod strategy_runner;

#[cfg(test)]
mod test_support;
