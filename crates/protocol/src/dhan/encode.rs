//! Dhan binary encoders. (stub, to be implemented)

use super::packet::DhanPacket;

impl DhanPacket {
    /// Append the wire bytes of this packet to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }

    /// The wire bytes of this packet.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}
