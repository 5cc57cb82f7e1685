//! Everything the broker side knows about Dhan v2 (protocols.md PART A), one file per
//! concern. The wire codec itself is `mandi_protocol::dhan`; the actors reach what is
//! here through `upstream/mod.rs`.

pub mod auth;
pub mod connect;
pub mod failure;
pub mod history;
pub mod master;
pub mod packet;
pub mod quotes;
pub mod subscribe;

pub use subscribe::DhanCommand;

use crate::settings::Broker;

/// The one place this folder names its broker (reasons and errors say "dhan").
const BROKER: Broker = Broker::Dhan;
