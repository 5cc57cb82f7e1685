//! Dhan binary encoders (the simulator's side of the wire). Every packet is written
//! little-endian with `message_length` = its total size, as the conformance list asks.

use super::packet::{DhanDepthLevel, DhanPacket};

impl DhanPacket {
    /// Append the wire bytes of this packet to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let size = self.wire_size();
        out.reserve(size);
        let instrument = self.instrument();
        out.push(self.code());
        // Every packet size is below 256, so the narrowing is lossless.
        out.extend_from_slice(&(size as u16).to_le_bytes());
        out.push(instrument.segment);
        out.extend_from_slice(&instrument.security_id.to_le_bytes());
        match self {
            DhanPacket::Ticker(p) => {
                out.extend_from_slice(&p.ltp.to_le_bytes());
                out.extend_from_slice(&p.ltt.to_le_bytes());
            }
            DhanPacket::Quote(p) => {
                out.extend_from_slice(&p.ltp.to_le_bytes());
                out.extend_from_slice(&p.ltq.to_le_bytes());
                out.extend_from_slice(&p.ltt.to_le_bytes());
                out.extend_from_slice(&p.atp.to_le_bytes());
                out.extend_from_slice(&p.volume.to_le_bytes());
                out.extend_from_slice(&p.total_sell_qty.to_le_bytes());
                out.extend_from_slice(&p.total_buy_qty.to_le_bytes());
                for price in [p.open, p.close, p.high, p.low] {
                    out.extend_from_slice(&price.to_le_bytes());
                }
            }
            DhanPacket::Oi(p) => out.extend_from_slice(&p.oi.to_le_bytes()),
            DhanPacket::PrevClose(p) => {
                out.extend_from_slice(&p.prev_close.to_le_bytes());
                out.extend_from_slice(&p.prev_oi.to_le_bytes());
            }
            DhanPacket::MarketStatus(_) => {}
            DhanPacket::Full(p) => {
                out.extend_from_slice(&p.ltp.to_le_bytes());
                out.extend_from_slice(&p.ltq.to_le_bytes());
                out.extend_from_slice(&p.ltt.to_le_bytes());
                out.extend_from_slice(&p.atp.to_le_bytes());
                for qty in [p.volume, p.total_sell_qty, p.total_buy_qty] {
                    out.extend_from_slice(&qty.to_le_bytes());
                }
                for oi in [p.oi, p.oi_day_high, p.oi_day_low] {
                    out.extend_from_slice(&oi.to_le_bytes());
                }
                for price in [p.open, p.close, p.high, p.low] {
                    out.extend_from_slice(&price.to_le_bytes());
                }
                for level in &p.depth {
                    encode_level(level, out);
                }
            }
            DhanPacket::Disconnect(p) => out.extend_from_slice(&p.reason.to_le_bytes()),
        }
    }

    /// The wire bytes of this packet.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

fn encode_level(level: &DhanDepthLevel, out: &mut Vec<u8>) {
    out.extend_from_slice(&level.bid_qty.to_le_bytes());
    out.extend_from_slice(&level.ask_qty.to_le_bytes());
    out.extend_from_slice(&level.bid_orders.to_le_bytes());
    out.extend_from_slice(&level.ask_orders.to_le_bytes());
    out.extend_from_slice(&level.bid_price.to_le_bytes());
    out.extend_from_slice(&level.ask_price.to_le_bytes());
}
