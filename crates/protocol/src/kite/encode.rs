//! Kite binary encoders. (stub, to be implemented)

use super::packet::KitePacket;

/// One binary message carrying `packets` (count, then length-prefixed packets).
pub fn encode_frame(packets: &[KitePacket]) -> Vec<u8> {
    let _ = packets;
    todo!()
}
