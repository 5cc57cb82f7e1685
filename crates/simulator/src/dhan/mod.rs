//! Dhan v2: the main market-feed WebSocket (`ws`, driven by `session`, packets from
//! `packets`) and the REST endpoints (`rest`).

mod packets;
pub mod rest;
mod session;
pub mod ws;
