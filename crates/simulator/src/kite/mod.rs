//! Kite v3: the ticker WebSocket (`ws`, driven by `session`, packets from `packets`)
//! and the REST endpoints (`rest`, historical candles in `history`).

pub mod history;
pub(crate) mod packets;
pub mod rest;
mod session;
pub mod ws;
