//! Dhan v2 main market feed: little-endian binary packets with an 8-byte header,
//! one packet per WebSocket message, and PascalCase JSON requests.

mod decode;
mod encode;
pub mod history;
mod packet;
mod reason;
mod request;
pub mod rest;

pub use decode::{decode_message, decode_packet, DhanPackets};
pub use packet::*;
pub use request::*;
