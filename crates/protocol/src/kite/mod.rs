//! Kite v3 ticker: big-endian frames of length-prefixed packets, a 1-byte heartbeat,
//! and `{"a":..,"v":..}` JSON requests.

mod decode;
mod encode;
pub mod history;
mod packet;
mod request;
pub mod rest;

pub use decode::{decode_frame, decode_packet, frame_packets, KitePackets};
pub use encode::encode_frame;
pub use packet::*;
pub use request::*;
