//! The trading side of mandi: the paper account and the CE/PE bots. Who sends what to whom:
//!
//! ```text
//!  PriceStore ──TicksPublished──▶ StrategyHost ──bars, ticks──▶ StrategyRunner (one per bot)
//!           └──TicksPublished──▶ PaperExecutor ◀──PlaceOrder / CancelOrder── runners, HTTP
//!  PaperExecutor, runners ──Subscribe / Release (backplane Interest)──▶ the feed's registry
//!  PaperExecutor, runners ──TradingUpdate (a Recipient they are handed)──▶ the client sockets
//!  PaperExecutor, runners ──rows──▶ Journal (SQLite)
//! ```
//!
//! It depends on the fan-out's published ticks and the feed's interest messages, and on
//! nothing above it.

pub mod clock;
pub mod journal;
pub mod paper_executor;
pub mod settings;
pub mod strategy_host;
pub mod strategy_runner;
