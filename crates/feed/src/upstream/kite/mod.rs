//! Everything the broker side knows about Zerodha Kite Connect v3 (protocols.md PART B),
//! one file per concern. The wire codec itself is `mandi_protocol::kite`;
//! the actors reach what is here through `upstream/mod.rs`.

pub mod auth;
pub mod connect;
pub mod failure;
pub mod history;
pub mod master;
pub mod packet;
pub mod quotes;
pub mod subscribe;
pub mod text;

pub use subscribe::KiteCommand;
pub use text::{classify_text, KiteText};

use crate::settings::Broker;

/// The one place this folder names its broker (reasons and errors say "kite").
const BROKER: Broker = Broker::Kite;
