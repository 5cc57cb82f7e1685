//! Dhan binary decoders. (stub, to be implemented)

use super::packet::DhanPacket;
use crate::DecodeError;

/// Decode the packet at the start of `buf`; returns it and the bytes it used.
pub fn decode_packet(buf: &[u8]) -> Result<(DhanPacket, usize), DecodeError> {
    let _ = buf;
    todo!()
}

/// Walk every packet in one WebSocket message by each header's length.
pub fn decode_message(buf: &[u8]) -> DhanPackets<'_> {
    DhanPackets { buf }
}

/// Iterator over the packets of one message; stops after the first error.
pub struct DhanPackets<'a> {
    buf: &'a [u8],
}

impl Iterator for DhanPackets<'_> {
    type Item = Result<DhanPacket, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        let _ = self.buf;
        todo!()
    }
}
