//! Kite binary decoders. (stub, to be implemented)

use super::packet::KiteFrame;
use crate::DecodeError;

/// Decode one binary WebSocket message.
pub fn decode_frame(buf: &[u8]) -> Result<KiteFrame, DecodeError> {
    let _ = buf;
    todo!()
}
