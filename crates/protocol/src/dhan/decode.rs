//! Dhan binary decoders: one packet by its response code, or every packet of a message.
//! Sizes come from the code table, never from the wire, so a lying header can only
//! produce `BadLength`.

use std::iter::FusedIterator;

use super::packet::{
    code, size, DhanDepthLevel, DhanDisconnect, DhanFull, DhanInstrument, DhanOi, DhanPacket,
    DhanPrevClose, DhanQuote, DhanTicker,
};
use crate::wire::{fixed, Fields};
use crate::DecodeError;

/// Decode the packet at the start of `buf`; returns it and the bytes it used.
///
/// The consumed length is the fixed size for the response code. The header's
/// `message_length` is informative (the official client ignores it): zero is accepted,
/// any other value must equal the fixed size or the packet is `BadLength`. Bytes after
/// the packet are left for the caller (see [`decode_message`]).
pub fn decode_packet(buf: &[u8]) -> Result<(DhanPacket, usize), DecodeError> {
    let response_code = *buf.first().ok_or(DecodeError::Truncated {
        need: size::HEADER,
        have: 0,
    })?;
    // Each arm checks the whole packet length once, then reads with no error paths.
    let packet = match response_code {
        code::TICKER => ticker(fixed(buf)?)?,
        code::QUOTE => quote(fixed(buf)?)?,
        code::OI => {
            let (instrument, mut f) = header::<{ size::OI }>(fixed(buf)?)?;
            DhanPacket::Oi(DhanOi {
                instrument,
                oi: f.u32_le(),
            })
        }
        code::PREV_CLOSE => {
            let (instrument, mut f) = header::<{ size::PREV_CLOSE }>(fixed(buf)?)?;
            DhanPacket::PrevClose(DhanPrevClose {
                instrument,
                prev_close: f.f32_le(),
                prev_oi: f.u32_le(),
            })
        }
        code::MARKET_STATUS => {
            let (instrument, _) = header::<{ size::MARKET_STATUS }>(fixed(buf)?)?;
            DhanPacket::MarketStatus(instrument)
        }
        code::FULL => full(fixed(buf)?)?,
        code::DISCONNECT => {
            let (instrument, mut f) = header::<{ size::DISCONNECT }>(fixed(buf)?)?;
            DhanPacket::Disconnect(DhanDisconnect {
                instrument,
                reason: f.u16_le(),
            })
        }
        other => return Err(DecodeError::UnknownCode { code: other }),
    };
    Ok((packet, packet.wire_size()))
}

/// Walk every packet in one WebSocket message, each consuming its fixed size.
/// The live feed sends one packet per message, but stacking costs nothing to support.
pub fn decode_message(buf: &[u8]) -> DhanPackets<'_> {
    DhanPackets { buf }
}

/// Iterator over the packets of one message; stops after the first error.
#[derive(Debug, Clone)]
pub struct DhanPackets<'a> {
    buf: &'a [u8],
}

impl Iterator for DhanPackets<'_> {
    type Item = Result<DhanPacket, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        match decode_packet(self.buf) {
            Ok((packet, used)) => {
                self.buf = self.buf.get(used..).unwrap_or_default();
                Some(Ok(packet))
            }
            Err(err) => {
                // After a bad packet the next boundary is unknown, so nothing after it
                // can be trusted: end the walk.
                self.buf = &[];
                Some(Err(err))
            }
        }
    }
}

impl FusedIterator for DhanPackets<'_> {}

/// The 8-byte header of an `N`-byte packet: checks `message_length` against `N` and
/// returns the instrument plus a reader positioned at offset 8.
fn header<const N: usize>(
    packet: &[u8; N],
) -> Result<(DhanInstrument, Fields<'_, N>), DecodeError> {
    let mut f = Fields::new(packet);
    f.skip::<1>();
    let declared = usize::from(f.u16_le());
    if declared != 0 && declared != N {
        return Err(DecodeError::BadLength {
            declared,
            expected: N,
        });
    }
    let instrument = DhanInstrument {
        segment: f.u8(),
        security_id: f.u32_le(),
    };
    Ok((instrument, f))
}

// Struct literals evaluate their fields in source order, so each literal below is
// written in wire order and reads the fields straight off the packet.

fn ticker(packet: &[u8; size::TICKER]) -> Result<DhanPacket, DecodeError> {
    let (instrument, mut f) = header(packet)?;
    Ok(DhanPacket::Ticker(DhanTicker {
        instrument,
        ltp: f.f32_le(),
        ltt: f.u32_le(),
    }))
}

fn quote(packet: &[u8; size::QUOTE]) -> Result<DhanPacket, DecodeError> {
    let (instrument, mut f) = header(packet)?;
    Ok(DhanPacket::Quote(DhanQuote {
        instrument,
        ltp: f.f32_le(),
        ltq: f.u16_le(),
        ltt: f.u32_le(),
        atp: f.f32_le(),
        volume: f.u32_le(),
        total_sell_qty: f.u32_le(),
        total_buy_qty: f.u32_le(),
        open: f.f32_le(),
        close: f.f32_le(),
        high: f.f32_le(),
        low: f.f32_le(),
    }))
}

fn full(packet: &[u8; size::FULL]) -> Result<DhanPacket, DecodeError> {
    let (instrument, mut f) = header(packet)?;
    let mut full = DhanFull {
        instrument,
        ltp: f.f32_le(),
        ltq: f.u16_le(),
        ltt: f.u32_le(),
        atp: f.f32_le(),
        volume: f.u32_le(),
        total_sell_qty: f.u32_le(),
        total_buy_qty: f.u32_le(),
        oi: f.u32_le(),
        oi_day_high: f.u32_le(),
        oi_day_low: f.u32_le(),
        open: f.f32_le(),
        close: f.f32_le(),
        high: f.f32_le(),
        low: f.f32_le(),
        depth: [DhanDepthLevel::default(); 5],
    };
    for level in &mut full.depth {
        *level = DhanDepthLevel {
            bid_qty: f.u32_le(),
            ask_qty: f.u32_le(),
            bid_orders: f.u16_le(),
            ask_orders: f.u16_le(),
            bid_price: f.f32_le(),
            ask_price: f.f32_le(),
        };
    }
    Ok(DhanPacket::Full(full))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `len`-byte packet built straight from protocols.md A3 offsets, independent of the
    /// encoder: header (code, LE length, NSE_EQ, security id 1333), then `fields`.
    fn packet(code: u8, len: usize, fields: &[(usize, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![0u8; len];
        b[0] = code;
        b[1..3].copy_from_slice(&(len as u16).to_le_bytes());
        b[3] = 1;
        b[4..8].copy_from_slice(&1333u32.to_le_bytes());
        for (off, bytes) in fields {
            b[*off..*off + bytes.len()].copy_from_slice(bytes);
        }
        b
    }

    fn f32le(x: f32) -> Vec<u8> {
        x.to_le_bytes().to_vec()
    }
    fn u32le(x: u32) -> Vec<u8> {
        x.to_le_bytes().to_vec()
    }
    fn u16le(x: u16) -> Vec<u8> {
        x.to_le_bytes().to_vec()
    }

    const HDFC: DhanInstrument = DhanInstrument {
        segment: 1,
        security_id: 1333,
    };

    struct TestCase {
        name: &'static str,
        bytes: Vec<u8>,
        want: Result<(DhanPacket, usize), DecodeError>,
    }

    fn full_case() -> TestCase {
        let mut fields = vec![
            (8, f32le(1642.35)),
            (12, u16le(25)),
            (14, u32le(1_718_343_000)),
            (18, f32le(1640.5)),
            (22, u32le(1_000_000)),
            (26, u32le(222)),
            (30, u32le(111)),
            (34, u32le(5_000)),
            (38, u32le(6_000)),
            (42, u32le(4_000)),
            (46, f32le(1630.0)),
            (50, f32le(1635.0)),
            (54, f32le(1650.0)),
            (58, f32le(1620.0)),
        ];
        let mut depth = [DhanDepthLevel::default(); 5];
        for (i, level) in depth.iter_mut().enumerate() {
            let n = i as u32;
            *level = DhanDepthLevel {
                bid_qty: 100 + n,
                ask_qty: 200 + n,
                bid_orders: 10 + n as u16,
                ask_orders: 20 + n as u16,
                bid_price: 1642.0 - n as f32,
                ask_price: 1643.0 + n as f32,
            };
            let base = 62 + 20 * i;
            fields.push((base, u32le(level.bid_qty)));
            fields.push((base + 4, u32le(level.ask_qty)));
            fields.push((base + 8, u16le(level.bid_orders)));
            fields.push((base + 10, u16le(level.ask_orders)));
            fields.push((base + 12, f32le(level.bid_price)));
            fields.push((base + 16, f32le(level.ask_price)));
        }
        TestCase {
            name: "full with five depth levels",
            bytes: packet(code::FULL, size::FULL, &fields),
            want: Ok((
                DhanPacket::Full(DhanFull {
                    instrument: HDFC,
                    ltp: 1642.35,
                    ltq: 25,
                    ltt: 1_718_343_000,
                    atp: 1640.5,
                    volume: 1_000_000,
                    total_sell_qty: 222,
                    total_buy_qty: 111,
                    oi: 5_000,
                    oi_day_high: 6_000,
                    oi_day_low: 4_000,
                    open: 1630.0,
                    close: 1635.0,
                    high: 1650.0,
                    low: 1620.0,
                    depth,
                }),
                size::FULL,
            )),
        }
    }

    fn cases() -> Vec<TestCase> {
        let ticker = packet(
            code::TICKER,
            16,
            &[(8, f32le(1642.35)), (12, u32le(1_718_343_000))],
        );
        let ticker_packet = DhanPacket::Ticker(DhanTicker {
            instrument: HDFC,
            ltp: 1642.35,
            ltt: 1_718_343_000,
        });
        let with_trailer = {
            let mut b = ticker.clone();
            b.extend_from_slice(&[0xaa; 5]);
            b
        };
        let mut zero_length = ticker.clone();
        zero_length[1..3].copy_from_slice(&[0, 0]);
        let mut unknown_segment = ticker.clone();
        unknown_segment[3] = 6;
        vec![
            TestCase {
                name: "ticker",
                bytes: ticker.clone(),
                want: Ok((ticker_packet, 16)),
            },
            TestCase {
                name: "quote: sell before buy, then open close high low",
                bytes: packet(
                    code::QUOTE,
                    50,
                    &[
                        (8, f32le(100.5)),
                        (12, u16le(65_535)),
                        (14, u32le(1_718_343_001)),
                        (18, f32le(100.25)),
                        (22, u32le(4_000_000_000)),
                        (26, u32le(7)),
                        (30, u32le(9)),
                        (34, f32le(99.0)),
                        (38, f32le(98.0)),
                        (42, f32le(101.0)),
                        (46, f32le(97.0)),
                    ],
                ),
                want: Ok((
                    DhanPacket::Quote(DhanQuote {
                        instrument: HDFC,
                        ltp: 100.5,
                        ltq: 65_535,
                        ltt: 1_718_343_001,
                        atp: 100.25,
                        volume: 4_000_000_000,
                        total_sell_qty: 7,
                        total_buy_qty: 9,
                        open: 99.0,
                        close: 98.0,
                        high: 101.0,
                        low: 97.0,
                    }),
                    50,
                )),
            },
            TestCase {
                name: "oi",
                bytes: packet(code::OI, 12, &[(8, u32le(123_456))]),
                want: Ok((
                    DhanPacket::Oi(DhanOi {
                        instrument: HDFC,
                        oi: 123_456,
                    }),
                    12,
                )),
            },
            TestCase {
                name: "prev close",
                bytes: packet(
                    code::PREV_CLOSE,
                    16,
                    &[(8, f32le(1600.75)), (12, u32le(42))],
                ),
                want: Ok((
                    DhanPacket::PrevClose(DhanPrevClose {
                        instrument: HDFC,
                        prev_close: 1600.75,
                        prev_oi: 42,
                    }),
                    16,
                )),
            },
            TestCase {
                name: "market status is header only",
                bytes: packet(code::MARKET_STATUS, 8, &[]),
                want: Ok((DhanPacket::MarketStatus(HDFC), 8)),
            },
            full_case(),
            TestCase {
                name: "disconnect 807 with zero instrument",
                bytes: packet(code::DISCONNECT, 10, &[(3, vec![0; 5]), (8, u16le(807))]),
                want: Ok((
                    DhanPacket::Disconnect(DhanDisconnect {
                        instrument: DhanInstrument {
                            segment: 0,
                            security_id: 0,
                        },
                        reason: 807,
                    }),
                    10,
                )),
            },
            TestCase {
                name: "message_length 0 is accepted",
                bytes: zero_length,
                want: Ok((ticker_packet, 16)),
            },
            TestCase {
                name: "trailing bytes are left for the next packet",
                bytes: with_trailer,
                want: Ok((ticker_packet, 16)),
            },
            TestCase {
                name: "unknown segment still decodes",
                bytes: unknown_segment,
                want: Ok((
                    DhanPacket::Ticker(DhanTicker {
                        instrument: DhanInstrument {
                            segment: 6,
                            security_id: 1333,
                        },
                        ltp: 1642.35,
                        ltt: 1_718_343_000,
                    }),
                    16,
                )),
            },
            TestCase {
                name: "message_length disagrees with the code",
                bytes: packet(code::TICKER, 16, &[(1, u16le(50))]),
                want: Err(DecodeError::BadLength {
                    declared: 50,
                    expected: 16,
                }),
            },
            TestCase {
                name: "message_length written big-endian",
                bytes: packet(code::TICKER, 16, &[(1, vec![0, 16])]),
                want: Err(DecodeError::BadLength {
                    declared: 4096,
                    expected: 16,
                }),
            },
            TestCase {
                name: "code 1 (index) has no documented layout",
                bytes: packet(1, 16, &[]),
                want: Err(DecodeError::UnknownCode { code: 1 }),
            },
            TestCase {
                name: "code 3 (v1 depth) is not a v2 packet",
                bytes: packet(3, 112, &[]),
                want: Err(DecodeError::UnknownCode { code: 3 }),
            },
            TestCase {
                name: "empty input",
                bytes: vec![],
                want: Err(DecodeError::Truncated { need: 8, have: 0 }),
            },
            TestCase {
                name: "ticker one byte short",
                bytes: ticker[..15].to_vec(),
                want: Err(DecodeError::Truncated { need: 16, have: 15 }),
            },
            TestCase {
                name: "full cut inside the depth",
                bytes: full_case().bytes[..100].to_vec(),
                want: Err(DecodeError::Truncated {
                    need: 162,
                    have: 100,
                }),
            },
        ]
    }

    #[test]
    fn decodes_hand_built_packets() {
        for case in cases() {
            assert_eq!(decode_packet(&case.bytes), case.want, "case: {}", case.name);
        }
    }

    #[test]
    fn nan_and_negative_prices_keep_their_bits() {
        let nan = f32::from_bits(0x7fc0_1234);
        let bytes = packet(code::PREV_CLOSE, 16, &[(8, f32le(nan))]);
        let Ok((DhanPacket::PrevClose(p), _)) = decode_packet(&bytes) else {
            panic!("prev close should decode");
        };
        assert_eq!(p.prev_close.to_bits(), 0x7fc0_1234);
        let bytes = packet(code::TICKER, 16, &[(8, f32le(-0.0))]);
        let Ok((DhanPacket::Ticker(t), _)) = decode_packet(&bytes) else {
            panic!("ticker should decode");
        };
        assert_eq!(t.ltp.to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn message_walks_stacked_packets() {
        let mut msg = packet(code::PREV_CLOSE, 16, &[(8, f32le(1600.0))]);
        msg.extend(packet(code::TICKER, 16, &[(8, f32le(1642.0))]));
        msg.extend(full_case().bytes);
        let codes: Vec<u8> = decode_message(&msg)
            .map(|p| p.map(|p| p.code()))
            .collect::<Result<_, _>>()
            .expect("three good packets");
        assert_eq!(codes, vec![code::PREV_CLOSE, code::TICKER, code::FULL]);
        assert_eq!(decode_message(&[]).count(), 0);
    }

    #[test]
    fn message_stops_after_the_first_error() {
        let mut msg = packet(code::OI, 12, &[]);
        msg.push(99);
        msg.extend(packet(code::OI, 12, &[]));
        let mut it = decode_message(&msg);
        assert!(matches!(it.next(), Some(Ok(DhanPacket::Oi(_)))));
        assert_eq!(it.next(), Some(Err(DecodeError::UnknownCode { code: 99 })));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn packet_reports_instrument_code_and_size() {
        for case in cases() {
            let Ok((packet, used)) = case.want else {
                continue;
            };
            assert_eq!(packet.wire_size(), used, "case: {}", case.name);
            assert_eq!(
                Some(packet.code()),
                case.bytes.first().copied(),
                "case: {}",
                case.name
            );
            assert_eq!(packet.encode().len(), used, "case: {}", case.name);
        }
        assert_eq!(DhanPacket::MarketStatus(HDFC).instrument(), HDFC);
        assert_eq!(HDFC.known_segment(), Ok(mandi_domain::Segment::NseEq));
        let odd = DhanInstrument {
            segment: 6,
            security_id: 1,
        };
        assert_eq!(
            odd.known_segment(),
            Err(DecodeError::UnknownSegment { code: 6 })
        );
    }
}
