//! The tick a sequence number stands for: a Dhan v2 Full packet (code 8, 162 bytes) whose
//! `volume` carries the sequence number, so it survives mandi's decode and JSON as the tick's
//! `volume`; and reading it back off a client's text frame.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use mandi_domain::time::{dhan_ltt_to_utc, round_to_tick, utc_to_dhan_ltt};
use mandi_domain::{DepthLevel, Mode, Tick, TickSource};
use mandi_protocol::dhan::{DhanDepthLevel, DhanFull, DhanInstrument, DhanPacket};

use crate::symbols::{self, LoadInstrument};

/// Prices walk over this many ticks of the grid, so consecutive ticks differ in price too.
const PRICE_STEPS: u64 = 20;
/// The marker every tick frame starts with, in both mandi's and the reference's JSON.
const TICK_PREFIX: &str = r#"{"type":"tick""#;
const VOLUME_KEY: &str = r#""volume":"#;

/// The wire bytes of tick `seq`, last traded at `now`.
pub fn full_packet(seq: u64, now: DateTime<Utc>) -> Bytes {
    Bytes::from(packet(seq, now).encode())
}

fn packet(seq: u64, now: DateTime<Utc>) -> DhanPacket {
    let i = symbols::for_seq(seq);
    let ltp = price(i, seq);
    let level = |n: u16| DhanDepthLevel {
        bid_qty: 100 * u32::from(n + 1),
        ask_qty: 90 * u32::from(n + 1),
        bid_orders: n + 1,
        ask_orders: n + 2,
        bid_price: (ltp - f64::from(n + 1) * i.tick_size) as f32,
        ask_price: (ltp + f64::from(n + 1) * i.tick_size) as f32,
    };
    DhanPacket::Full(DhanFull {
        instrument: DhanInstrument {
            segment: i.segment.code(),
            security_id: i.security_id,
        },
        ltp: ltp as f32,
        ltq: 25,
        ltt: utc_to_dhan_ltt(now),
        atp: i.base_price as f32,
        // The sequence number: a u32 on the wire, and a run sends far fewer than 4e9 ticks.
        volume: u32::try_from(seq).unwrap_or(u32::MAX),
        total_sell_qty: 98_000,
        total_buy_qty: 120_000,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        open: i.base_price as f32,
        close: 0.0,
        high: (i.base_price + PRICE_STEPS as f64 * i.tick_size) as f32,
        low: (i.base_price - i.tick_size) as f32,
        depth: [level(0), level(1), level(2), level(3), level(4)],
    })
}

fn price(i: &LoadInstrument, seq: u64) -> f64 {
    round_to_tick(
        i.base_price + (seq % PRICE_STEPS) as f64 * i.tick_size,
        i.tick_size,
    )
}

/// The reference server's view of a packet: the same fields mandi's tick JSON carries, so
/// its one serialization per tick is of the same size. `None` for anything but a Full packet
/// of a known instrument.
pub fn reference_tick(packet: &DhanPacket, received_time: DateTime<Utc>) -> Option<Tick> {
    let DhanPacket::Full(p) = packet else {
        return None;
    };
    let segment = mandi_domain::Segment::from_code(p.instrument.segment)?;
    let i = symbols::by_dhan_id(segment, p.instrument.security_id)?;
    let px = |raw: f32| round_to_tick(f64::from(raw), i.tick_size);
    let depth = p.depth.map(|l| DepthLevel {
        bid_price: px(l.bid_price),
        bid_qty: l.bid_qty,
        bid_orders: u32::from(l.bid_orders),
        ask_price: px(l.ask_price),
        ask_qty: l.ask_qty,
        ask_orders: u32::from(l.ask_orders),
    });
    Some(Tick {
        symbol: i.symbol.into(),
        mode: Mode::Full,
        ltp: px(p.ltp),
        last_qty: u32::from(p.ltq),
        avg_price: px(p.atp),
        volume: u64::from(p.volume),
        total_buy_qty: u64::from(p.total_buy_qty),
        total_sell_qty: u64::from(p.total_sell_qty),
        bid: depth[0].bid_price,
        ask: depth[0].ask_price,
        bid_qty: depth[0].bid_qty,
        ask_qty: depth[0].ask_qty,
        open: px(p.open),
        high: px(p.high),
        low: px(p.low),
        prev_close: i.base_price,
        oi: u64::from(p.oi),
        prev_oi: 0,
        depth: Some(depth),
        exchange_time: dhan_ltt_to_utc(p.ltt),
        received_time,
        source: TickSource::Socket,
    })
}

/// The sequence number of a `tick` text frame (its `volume`), or `None` for any other
/// frame. A substring scan, not a JSON parse: at a million frames a second the client side
/// must stay cheap, and both servers write `"volume":N` as a plain integer.
pub fn seq_of_frame(text: &str) -> Option<u64> {
    if !text.starts_with(TICK_PREFIX) {
        return None;
    }
    let start = text.find(VOLUME_KEY)? + VOLUME_KEY.len();
    let digits = &text[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use mandi_protocol::client::tick_message;
    use mandi_protocol::dhan::decode_packet;

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn sequence_survives_encode_decode_and_json() {
        for seq in [1, 2, 7, 8, 1_000_003] {
            let bytes = full_packet(seq, at());
            assert_eq!(bytes.len(), 162, "seq {seq}: one Full packet");
            let (packet, used) = decode_packet(&bytes).expect("our own packet decodes");
            assert_eq!(used, 162, "seq {seq}");
            let tick = reference_tick(&packet, at()).expect("a Full packet of a known instrument");
            assert_eq!(
                tick.symbol.as_ref(),
                symbols::for_seq(seq).symbol,
                "seq {seq}"
            );
            let frame = tick_message(&tick);
            assert_eq!(seq_of_frame(&frame), Some(seq), "seq {seq}: {frame}");
        }
    }

    #[test]
    fn only_tick_frames_carry_a_sequence() {
        let cases = [
            (
                "tick",
                r#"{"type":"tick","data":{"volume":42,"oi":0}}"#,
                Some(42),
            ),
            (
                "snapshot",
                r#"{"type":"snapshot","data":[{"volume":42}]}"#,
                None,
            ),
            ("no volume", r#"{"type":"tick","data":{}}"#, None),
            ("subscribed", r#"{"type":"subscribed","symbols":[]}"#, None),
        ];
        for (name, text, want) in cases {
            assert_eq!(seq_of_frame(text), want, "{name}");
        }
    }
}
