//! Property tests over both binary codecs (reliability.md 2a): round trips compare f32
//! by bit pattern, every truncation is an error, and arbitrary bytes never panic.

use mandi_protocol::dhan::{
    self, DhanDepthLevel, DhanDisconnect, DhanFull, DhanInstrument, DhanOi, DhanPacket,
    DhanPrevClose, DhanQuote, DhanTicker,
};
use mandi_protocol::kite::{
    self, KiteDepthEntry, KiteFrame, KiteFullExtra, KiteIndex, KiteLtp, KitePacket, KiteQuote,
    KiteRequest,
};
use mandi_protocol::DecodeError;
use proptest::array::uniform5;
use proptest::collection::vec;
use proptest::prelude::*;

// ---------- Dhan generators ----------

/// Any bit pattern (NaN payloads, ±Inf, denormals, negatives) plus realistic prices.
fn price() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        (0u32..10_000_000).prop_map(|paise| paise as f32 / 100.0),
        Just(f32::NAN),
        Just(-f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(-0.0f32),
        Just(f32::from_bits(1)),
        Just(f32::MAX),
    ]
}

fn instrument() -> impl Strategy<Value = DhanInstrument> {
    (any::<u8>(), any::<u32>()).prop_map(|(segment, security_id)| DhanInstrument { segment, security_id })
}

fn level() -> BoxedStrategy<DhanDepthLevel> {
    (any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>(), price(), price()).prop_map(
        |(bid_qty, ask_qty, bid_orders, ask_orders, bid_price, ask_price)| DhanDepthLevel {
            bid_qty,
            ask_qty,
            bid_orders,
            ask_orders,
            bid_price,
            ask_price,
        },
    )
    .boxed()
}

/// Boxed: the unboxed strategy tree is deep enough to overflow a test thread's stack in
/// debug builds.
fn dhan_packet() -> BoxedStrategy<DhanPacket> {
    let ticker = (instrument(), price(), any::<u32>())
        .prop_map(|(instrument, ltp, ltt)| DhanPacket::Ticker(DhanTicker { instrument, ltp, ltt }));
    let quote = (
        (instrument(), price(), any::<u16>(), any::<u32>(), price(), any::<u32>()),
        (any::<u32>(), any::<u32>(), price(), price(), price(), price()),
    )
        .prop_map(|((instrument, ltp, ltq, ltt, atp, volume), (sell, buy, open, close, high, low))| {
            DhanPacket::Quote(DhanQuote {
                instrument,
                ltp,
                ltq,
                ltt,
                atp,
                volume,
                total_sell_qty: sell,
                total_buy_qty: buy,
                open,
                close,
                high,
                low,
            })
        });
    let oi = (instrument(), any::<u32>()).prop_map(|(instrument, oi)| DhanPacket::Oi(DhanOi { instrument, oi }));
    let prev_close = (instrument(), price(), any::<u32>()).prop_map(|(instrument, prev_close, prev_oi)| {
        DhanPacket::PrevClose(DhanPrevClose { instrument, prev_close, prev_oi })
    });
    let status = instrument().prop_map(DhanPacket::MarketStatus);
    let full = (
        (instrument(), price(), any::<u16>(), any::<u32>(), price(), any::<u32>()),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
        (price(), price(), price(), price(), uniform5(level())),
    )
        .prop_map(
            |(
                (instrument, ltp, ltq, ltt, atp, volume),
                (sell, buy, oi, oi_day_high, oi_day_low),
                (open, close, high, low, depth),
            )| {
                DhanPacket::Full(DhanFull {
                    instrument,
                    ltp,
                    ltq,
                    ltt,
                    atp,
                    volume,
                    total_sell_qty: sell,
                    total_buy_qty: buy,
                    oi,
                    oi_day_high,
                    oi_day_low,
                    open,
                    close,
                    high,
                    low,
                    depth,
                })
            },
        );
    let disconnect = (instrument(), prop_oneof![800u16..=812, any::<u16>()])
        .prop_map(|(instrument, reason)| DhanPacket::Disconnect(DhanDisconnect { instrument, reason }));
    prop_oneof![
        ticker.boxed(),
        quote.boxed(),
        oi.boxed(),
        prev_close.boxed(),
        status.boxed(),
        full.boxed(),
        disconnect.boxed(),
    ]
    .boxed()
}

/// Every field of a packet as integers (f32 by bit pattern), so NaN compares equal to
/// itself and -0.0 differs from 0.0. Destructuring is exhaustive: a new field breaks this.
fn bits(p: &DhanPacket) -> (u8, Vec<u64>) {
    let inst = |i: &DhanInstrument| [u64::from(i.segment), u64::from(i.security_id)];
    let f = |x: f32| u64::from(x.to_bits());
    let mut v = Vec::new();
    match p {
        DhanPacket::Ticker(DhanTicker { instrument, ltp, ltt }) => {
            v.extend(inst(instrument));
            v.extend([f(*ltp), u64::from(*ltt)]);
        }
        DhanPacket::Quote(DhanQuote {
            instrument, ltp, ltq, ltt, atp, volume, total_sell_qty, total_buy_qty, open, close, high, low,
        }) => {
            v.extend(inst(instrument));
            v.extend([f(*ltp), u64::from(*ltq), u64::from(*ltt), f(*atp), u64::from(*volume)]);
            v.extend([u64::from(*total_sell_qty), u64::from(*total_buy_qty)]);
            v.extend([f(*open), f(*close), f(*high), f(*low)]);
        }
        DhanPacket::Oi(DhanOi { instrument, oi }) => {
            v.extend(inst(instrument));
            v.push(u64::from(*oi));
        }
        DhanPacket::PrevClose(DhanPrevClose { instrument, prev_close, prev_oi }) => {
            v.extend(inst(instrument));
            v.extend([f(*prev_close), u64::from(*prev_oi)]);
        }
        DhanPacket::MarketStatus(instrument) => v.extend(inst(instrument)),
        DhanPacket::Full(DhanFull {
            instrument, ltp, ltq, ltt, atp, volume, total_sell_qty, total_buy_qty, oi, oi_day_high,
            oi_day_low, open, close, high, low, depth,
        }) => {
            v.extend(inst(instrument));
            v.extend([f(*ltp), u64::from(*ltq), u64::from(*ltt), f(*atp), u64::from(*volume)]);
            v.extend([u64::from(*total_sell_qty), u64::from(*total_buy_qty)]);
            v.extend([u64::from(*oi), u64::from(*oi_day_high), u64::from(*oi_day_low)]);
            v.extend([f(*open), f(*close), f(*high), f(*low)]);
            for DhanDepthLevel { bid_qty, ask_qty, bid_orders, ask_orders, bid_price, ask_price } in depth {
                v.extend([u64::from(*bid_qty), u64::from(*ask_qty), u64::from(*bid_orders)]);
                v.extend([u64::from(*ask_orders), f(*bid_price), f(*ask_price)]);
            }
        }
        DhanPacket::Disconnect(DhanDisconnect { instrument, reason }) => {
            v.extend(inst(instrument));
            v.push(u64::from(*reason));
        }
    }
    (p.code(), v)
}

// ---------- Kite generators ----------

/// Tokens across every segment the clients know (3 cds, 6 bcd, 9 indices, 12 nco) and
/// unknown segment bits.
fn token() -> impl Strategy<Value = u32> {
    prop_oneof![
        (any::<u32>(), prop::sample::select(vec![1u32, 2, 3, 4, 5, 6, 7, 8, 9, 12]))
            .prop_map(|(t, seg)| (t & !0xff) | seg),
        any::<u32>(),
    ]
}

fn entry() -> impl Strategy<Value = KiteDepthEntry> {
    (any::<u32>(), any::<u32>(), any::<u16>()).prop_map(|(quantity, price, orders)| KiteDepthEntry { quantity, price, orders })
}

fn kite_packet() -> BoxedStrategy<KitePacket> {
    let ltp = (token(), any::<u32>()).prop_map(|(token, last_price)| KitePacket::Ltp(KiteLtp { token, last_price }));
    let index = (token(), any::<[u32; 6]>(), any::<Option<u32>>()).prop_map(|(token, v, exchange_timestamp)| {
        KitePacket::Index(KiteIndex {
            token,
            last_price: v[0],
            high: v[1],
            low: v[2],
            open: v[3],
            close: v[4],
            change: v[5],
            exchange_timestamp,
        })
    });
    let extra = (any::<[u32; 5]>(), uniform5(entry()), uniform5(entry())).prop_map(|(v, buy, sell)| KiteFullExtra {
        last_trade_time: v[0],
        oi: v[1],
        oi_day_high: v[2],
        oi_day_low: v[3],
        exchange_timestamp: v[4],
        buy,
        sell,
    });
    let quote = (token(), any::<[u32; 10]>(), proptest::option::of(extra)).prop_map(|(token, v, extra)| {
        KitePacket::Quote(KiteQuote {
            token,
            last_price: v[0],
            last_quantity: v[1],
            average_price: v[2],
            volume: v[3],
            buy_quantity: v[4],
            sell_quantity: v[5],
            open: v[6],
            high: v[7],
            low: v[8],
            close: v[9],
            extra,
        })
    });
    prop_oneof![ltp.boxed(), index.boxed(), quote.boxed()].boxed()
}

// ---------- Fixed samples of every kind, for the exhaustive truncation test ----------

fn dhan_samples() -> Vec<DhanPacket> {
    let instrument = DhanInstrument { segment: 2, security_id: 52175 };
    let quote = DhanQuote {
        instrument,
        ltp: 1.0,
        ltq: 2,
        ltt: 3,
        atp: 4.0,
        volume: 5,
        total_sell_qty: 6,
        total_buy_qty: 7,
        open: 8.0,
        close: 9.0,
        high: 10.0,
        low: 11.0,
    };
    let full = DhanFull {
        instrument,
        ltp: 1.0,
        ltq: 2,
        ltt: 3,
        atp: 4.0,
        volume: 5,
        total_sell_qty: 6,
        total_buy_qty: 7,
        oi: 8,
        oi_day_high: 9,
        oi_day_low: 10,
        open: 11.0,
        close: 12.0,
        high: 13.0,
        low: 14.0,
        depth: [DhanDepthLevel { bid_qty: 1, ask_qty: 2, bid_orders: 3, ask_orders: 4, bid_price: 5.0, ask_price: 6.0 }; 5],
    };
    vec![
        DhanPacket::Ticker(DhanTicker { instrument, ltp: 1642.35, ltt: 1 }),
        DhanPacket::Quote(quote),
        DhanPacket::Oi(DhanOi { instrument, oi: 1 }),
        DhanPacket::PrevClose(DhanPrevClose { instrument, prev_close: 1.5, prev_oi: 2 }),
        DhanPacket::MarketStatus(instrument),
        DhanPacket::Full(full),
        DhanPacket::Disconnect(DhanDisconnect { instrument, reason: 805 }),
    ]
}

fn kite_samples() -> Vec<KitePacket> {
    let index = KiteIndex { token: 256_265, last_price: 1, high: 2, low: 3, open: 4, close: 5, change: 6, exchange_timestamp: None };
    let quote = KiteQuote {
        token: 408_065,
        last_price: 1,
        last_quantity: 2,
        average_price: 3,
        volume: 4,
        buy_quantity: 5,
        sell_quantity: 6,
        open: 7,
        high: 8,
        low: 9,
        close: 10,
        extra: None,
    };
    let entry = KiteDepthEntry { quantity: 1, price: 2, orders: 3 };
    let extra = KiteFullExtra { last_trade_time: 1, oi: 2, oi_day_high: 3, oi_day_low: 4, exchange_timestamp: 5, buy: [entry; 5], sell: [entry; 5] };
    vec![
        KitePacket::Ltp(KiteLtp { token: 408_065, last_price: 157_315 }),
        KitePacket::Index(index),
        KitePacket::Index(KiteIndex { exchange_timestamp: Some(7), ..index }),
        KitePacket::Quote(quote),
        KitePacket::Quote(KiteQuote { extra: Some(extra), ..quote }),
    ]
}

#[test]
fn every_truncation_of_every_dhan_packet_is_an_error() {
    for packet in dhan_samples() {
        let bytes = packet.encode();
        assert_eq!(bytes.len(), packet.wire_size());
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            let name = format!("code {} cut to {len}", packet.code());
            assert!(
                matches!(dhan::decode_packet(cut), Err(DecodeError::Truncated { .. })),
                "{name}: {:?}",
                dhan::decode_packet(cut)
            );
            let results: Vec<_> = dhan::decode_message(cut).collect();
            assert_eq!(results.len(), usize::from(len > 0), "{name}");
            assert!(results.iter().all(Result::is_err), "{name}");
        }
    }
}

#[test]
fn every_truncation_of_every_kite_packet_is_an_error() {
    for packet in kite_samples() {
        let frame = kite::encode_frame(&[packet]);
        assert_eq!(frame.len(), 4 + packet.wire_len());
        for len in 0..frame.len() {
            let got = kite::decode_frame(&frame[..len]);
            let name = format!("{}-byte packet, frame cut to {len}", packet.wire_len());
            if len < 2 {
                assert_eq!(got, Ok(KiteFrame::Heartbeat), "{name}");
            } else {
                assert!(got.is_err(), "{name}: {got:?}");
            }
        }
        // A bare body cut short is a different, invalid length (except where the cut
        // lands on another kind's size, e.g. any packet cut to 8 bytes reads as LTP).
        let body = packet.encode();
        for len in (0..body.len()).filter(|len| !kite::size::ALL.contains(len)) {
            assert!(
                matches!(kite::decode_packet(&body[..len]), Err(DecodeError::BadLength { .. })),
                "{}-byte body cut to {len}",
                packet.wire_len()
            );
        }
    }
}

proptest! {
    #[test]
    fn dhan_round_trip_is_bit_exact(packet in dhan_packet()) {
        let bytes = packet.encode();
        let (decoded, used) = dhan::decode_packet(&bytes).expect("own encoding decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(bits(&decoded), bits(&packet));
        prop_assert_eq!(decoded.encode(), bytes);
    }

    #[test]
    fn dhan_stacked_message_round_trips(packets in vec(dhan_packet(), 0..6)) {
        let mut msg = Vec::new();
        for p in &packets {
            p.encode_into(&mut msg);
        }
        let decoded: Vec<DhanPacket> = dhan::decode_message(&msg)
            .collect::<Result<_, _>>()
            .expect("own encoding decodes");
        prop_assert_eq!(decoded.iter().map(bits).collect::<Vec<_>>(), packets.iter().map(bits).collect::<Vec<_>>());
    }

    #[test]
    fn kite_frame_round_trips(packets in vec(kite_packet(), 0..8)) {
        let frame = kite::encode_frame(&packets);
        prop_assert_eq!(kite::decode_frame(&frame), Ok(KiteFrame::Packets(packets.clone())));
        for p in &packets {
            prop_assert_eq!(kite::decode_packet(&p.encode()), Ok(*p));
        }
    }

    #[test]
    fn dhan_random_cut_of_a_random_packet_errs(packet in dhan_packet(), cut in any::<prop::sample::Index>()) {
        let bytes = packet.encode();
        let len = cut.index(bytes.len());
        prop_assert!(dhan::decode_packet(&bytes[..len]).is_err());
    }

    #[test]
    fn dhan_garbage_never_panics(bytes in vec(any::<u8>(), 0..400)) {
        let _ = dhan::decode_packet(&bytes);
        prop_assert!(dhan::decode_message(&bytes).count() <= bytes.len() / dhan::size::HEADER + 1);
    }

    #[test]
    fn dhan_garbage_after_a_known_code_never_panics(
        code in prop::sample::select(vec![2u8, 4, 5, 6, 7, 8, 50]),
        rest in vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![code];
        bytes.extend(rest);
        if let Ok((_, used)) = dhan::decode_packet(&bytes) {
            prop_assert_eq!(Some(used), dhan::size::for_code(code));
        }
    }

    #[test]
    fn dhan_mutated_packet_never_panics(packet in dhan_packet(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = packet.encode();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = dhan::decode_message(&bytes).count();
    }

    #[test]
    fn kite_garbage_never_panics(bytes in vec(any::<u8>(), 0..600)) {
        match kite::decode_frame(&bytes) {
            Ok(KiteFrame::Packets(p)) => prop_assert!(p.len() <= bytes.len() / 10),
            Ok(KiteFrame::Heartbeat) => prop_assert!(bytes.len() < 2),
            Err(_) => {}
        }
        let _ = kite::decode_packet(&bytes);
    }

    #[test]
    fn kite_iterator_agrees_with_decode_frame(bytes in prop_oneof![
        vec(any::<u8>(), 0..300),
        vec(kite_packet(), 0..5).prop_map(|p| kite::encode_frame(&p)),
    ]) {
        let iter = kite::frame_packets(&bytes);
        let (_, upper) = iter.size_hint();
        prop_assert!(upper.unwrap_or(usize::MAX) <= bytes.len() / 10 + 1, "hint bounded by input");
        let collected: Result<Vec<KitePacket>, DecodeError> = iter.collect();
        match kite::decode_frame(&bytes) {
            Ok(KiteFrame::Heartbeat) => prop_assert_eq!(collected, Ok(vec![])),
            Ok(KiteFrame::Packets(p)) => prop_assert_eq!(collected, Ok(p)),
            Err(e) => prop_assert_eq!(collected, Err(e)),
        }
    }

    #[test]
    fn kite_frame_with_lying_count_or_lengths_never_panics(
        count in any::<u16>(),
        lens in vec(prop_oneof![prop::sample::select(kite::size::ALL.to_vec()), any::<u16>().prop_map(usize::from)], 0..6),
        filler in any::<u8>(),
    ) {
        let mut bytes = count.to_be_bytes().to_vec();
        for len in lens {
            bytes.extend((len as u16).to_be_bytes());
            bytes.extend(vec![filler; len.min(200)]);
        }
        let _ = kite::decode_frame(&bytes);
    }

    #[test]
    fn control_message_parsers_are_total(text in ".{0,200}") {
        let _ = dhan::parse_request(&text);
        let _ = KiteRequest::parse(&text);
    }

    #[test]
    fn json_shaped_garbage_is_rejected_or_parsed(
        code in any::<i64>(),
        count in any::<i64>(),
        id in prop_oneof![any::<i64>().prop_map(|n| n.to_string()), "\"[0-9a-z+-]{0,12}\""],
        segment in "[A-Z_]{0,12}",
        action in prop::sample::select(vec!["subscribe", "unsubscribe", "mode", "x"]),
    ) {
        let dhan_text = format!(
            r#"{{"RequestCode":{code},"InstrumentCount":{count},"InstrumentList":[{{"ExchangeSegment":"{segment}","SecurityId":{id}}}]}}"#
        );
        if let Ok(req) = dhan::parse_request(&dhan_text) {
            prop_assert!(req.instruments.len() <= 1);
        }
        let kite_text = format!(r#"{{"a":"{action}","v":[{id}]}}"#);
        if let Ok(req) = KiteRequest::parse(&kite_text) {
            prop_assert_eq!(KiteRequest::parse(&req.to_json()), Ok(req));
        }
    }
}
