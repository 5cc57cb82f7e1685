//! Property tests over both binary codecs (reliability.md 2a): round trips compare f32
//! by bit pattern, every truncation is an error, and arbitrary bytes never panic.

use mandi_protocol::dhan::{self, DhanPacket};
use mandi_protocol::kite::{self, KiteFrame, KitePacket, KiteRequest};
use mandi_protocol::DecodeError;
use proptest::collection::vec;
use proptest::prelude::*;

mod strategies;

use strategies::{bits, dhan_packet, dhan_samples, kite_packet, kite_samples};

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
                matches!(
                    kite::decode_packet(&body[..len]),
                    Err(DecodeError::BadLength { .. })
                ),
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
    fn dhan_subscribe_batches_parse_back_deduped(
        mode in prop::sample::select(mandi_domain::Mode::ALL.to_vec()),
        instruments in vec((prop::sample::select(mandi_domain::Segment::ALL.to_vec()), 0u32..300), 0..260),
    ) {
        let mut unique = Vec::new();
        for i in &instruments {
            if !unique.contains(i) {
                unique.push(*i);
            }
        }
        let msgs = dhan::subscribe_messages(mode, &instruments);
        prop_assert_eq!(msgs.len(), unique.len().div_ceil(dhan::MAX_INSTRUMENTS_PER_MESSAGE));
        let mut back = Vec::new();
        for msg in &msgs {
            let req = dhan::parse_request(msg).expect("own output parses");
            prop_assert_eq!(req.mode_action(), Some((mode, true)));
            prop_assert!(req.instruments.len() <= dhan::MAX_INSTRUMENTS_PER_MESSAGE);
            back.extend(req.instruments);
        }
        prop_assert_eq!(back, unique);
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
