//! Kite binary encoders (the simulator's side): big-endian frames of length-prefixed
//! packets, the exact inverse of `decode_frame`.

use super::packet::{KiteDepthEntry, KitePacket};

/// One binary message carrying `packets` (count, then length-prefixed packets).
/// The count is a u16, so only the first 65535 packets are written.
pub fn encode_frame(packets: &[KitePacket]) -> Vec<u8> {
    let packets = packets.get(..usize::from(u16::MAX)).unwrap_or(packets);
    let body: usize = packets.iter().map(|p| 2 + p.wire_len()).sum();
    let mut out = Vec::with_capacity(2 + body);
    // Both narrowings are lossless: at most 65535 packets, and every length is ≤ 184.
    out.extend_from_slice(&(packets.len() as u16).to_be_bytes());
    for packet in packets {
        out.extend_from_slice(&(packet.wire_len() as u16).to_be_bytes());
        packet.encode_into(&mut out);
    }
    out
}

impl KitePacket {
    /// Append this packet's body (no length prefix) to `out`; its length is `wire_len()`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let mut put = |v: u32| out.extend_from_slice(&v.to_be_bytes());
        match self {
            KitePacket::Ltp(p) => {
                put(p.token);
                put(p.last_price);
            }
            KitePacket::Index(p) => {
                for v in [
                    p.token,
                    p.last_price,
                    p.high,
                    p.low,
                    p.open,
                    p.close,
                    p.change,
                ] {
                    put(v);
                }
                if let Some(ts) = p.exchange_timestamp {
                    put(ts);
                }
            }
            KitePacket::Quote(p) => {
                for v in [
                    p.token,
                    p.last_price,
                    p.last_quantity,
                    p.average_price,
                    p.volume,
                    p.buy_quantity,
                    p.sell_quantity,
                    p.open,
                    p.high,
                    p.low,
                    p.close,
                ] {
                    put(v);
                }
                if let Some(x) = &p.extra {
                    for v in [
                        x.last_trade_time,
                        x.oi,
                        x.oi_day_high,
                        x.oi_day_low,
                        x.exchange_timestamp,
                    ] {
                        put(v);
                    }
                    for entry in x.buy.iter().chain(x.sell.iter()) {
                        encode_entry(entry, out);
                    }
                }
            }
        }
    }

    /// This packet's body bytes (no length prefix).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        self.encode_into(&mut out);
        out
    }
}

fn encode_entry(entry: &KiteDepthEntry, out: &mut Vec<u8>) {
    out.extend_from_slice(&entry.quantity.to_be_bytes());
    out.extend_from_slice(&entry.price.to_be_bytes());
    out.extend_from_slice(&entry.orders.to_be_bytes());
    // Padding, zero as in the official mock packet.
    out.extend_from_slice(&[0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kite::KiteLtp;

    #[test]
    fn frame_layout_is_count_then_length_prefixed_packets() {
        let ltp = KitePacket::Ltp(KiteLtp {
            token: 408_065,
            last_price: 157_315,
        });
        let body = [0x00, 0x06, 0x3a, 0x01, 0x00, 0x02, 0x66, 0x83];
        let mut want = vec![0x00, 0x02];
        for _ in 0..2 {
            want.extend([0x00, 0x08]);
            want.extend(body);
        }
        assert_eq!(encode_frame(&[ltp, ltp]), want);
        assert_eq!(encode_frame(&[]), vec![0x00, 0x00]);
    }
}
