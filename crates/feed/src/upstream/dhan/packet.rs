//! Dhan's binary frames → `TickUpdate`s (protocols.md A3): packets walked by their
//! header's length, instrument lookup by segment and security id, f32 prices back onto
//! the tick grid, IST-wall-clock LTT → UTC, and the in-band disconnect packet. Pure; the
//! actor counts what comes back rejected.

use chrono::{DateTime, Utc};
use mandi_domain::time::dhan_ltt_to_utc;
use mandi_domain::{DepthLevel, Instrument, Mode, TickSource, TickUpdate};
use mandi_instruments::InstrumentIndex;
use mandi_protocol::dhan::{self, DhanDepthLevel, DhanInstrument, DhanPacket};

use super::failure;
use crate::upstream::{checked_price, Conversion, FrameEnd, FrameError, Skipped};

/// Hand every market-data packet of one binary frame to `on_packet`, converted. The live
/// server sends one packet per message; walking by the header's length costs nothing and
/// survives a server that stacks them. A disconnect packet or an unreadable packet ends
/// the walk.
pub fn decode_frame(
    bytes: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
    mut on_packet: impl FnMut(Conversion),
) -> FrameEnd {
    let mut end = FrameEnd::default();
    for item in dhan::decode_message(bytes) {
        match item {
            Ok(DhanPacket::Disconnect(d)) => {
                end.disconnect = Some(failure::disconnect(d.reason));
                break;
            }
            Ok(packet) => on_packet(to_update(&packet, index, received_time)),
            Err(e) => {
                end.undecodable = Some(FrameError {
                    kind: e.kind(),
                    message: e.to_string(),
                });
                break;
            }
        }
    }
    end
}

/// Dhan sends no text frames; one would be a server change worth a debug line.
pub fn on_text(text: &str) {
    tracing::debug!(
        broker = "dhan",
        len = text.len(),
        "unexpected dhan text frame"
    );
}

/// Convert one decoded Dhan packet.
pub fn to_update(
    packet: &DhanPacket,
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Conversion {
    let id = match packet {
        DhanPacket::Ticker(p) => p.instrument,
        DhanPacket::Quote(p) => p.instrument,
        DhanPacket::Oi(p) => p.instrument,
        DhanPacket::PrevClose(p) => p.instrument,
        DhanPacket::Full(p) => p.instrument,
        DhanPacket::MarketStatus(_) | DhanPacket::Disconnect(_) => return Ok(None),
    };
    let Some(inst) = lookup(index, id) else {
        return Err(Skipped::UnknownInstrument);
    };
    build(packet, inst, received_time).map(Some)
}

fn lookup(index: &InstrumentIndex, id: DhanInstrument) -> Option<&Instrument> {
    index.by_dhan(id.segment, id.security_id).map(|i| &**i)
}

fn build(
    packet: &DhanPacket,
    inst: &Instrument,
    received_time: DateTime<Utc>,
) -> Result<TickUpdate, Skipped> {
    let tick = inst.tick_size;
    let price = |raw: f32| checked_price(f64::from(raw), tick);
    let mut u = TickUpdate {
        symbol: inst.symbol.clone(),
        received_time,
        source: TickSource::Socket,
        ..TickUpdate::default()
    };
    match packet {
        DhanPacket::Ticker(p) => {
            u.mode = Some(Mode::Ltp);
            u.ltp = Some(price(p.ltp)?);
            u.exchange_time = dhan_ltt_to_utc(p.ltt);
        }
        DhanPacket::Quote(p) => {
            u.mode = Some(Mode::Quote);
            u.ltp = Some(price(p.ltp)?);
            u.last_qty = Some(u32::from(p.ltq));
            u.avg_price = Some(price(p.atp)?);
            u.volume = Some(u64::from(p.volume));
            u.total_buy_qty = Some(u64::from(p.total_buy_qty));
            u.total_sell_qty = Some(u64::from(p.total_sell_qty));
            u.open = Some(price(p.open)?);
            u.high = Some(price(p.high)?);
            u.low = Some(price(p.low)?);
            // `close` is today's close, set only after the market closes; the previous
            // close comes from the PrevClose packet alone.
            u.exchange_time = dhan_ltt_to_utc(p.ltt);
        }
        // OI and previous close arrive alongside any mode, so they claim none.
        DhanPacket::Oi(p) => u.oi = Some(u64::from(p.oi)),
        DhanPacket::PrevClose(p) => {
            u.prev_close = Some(price(p.prev_close)?);
            // 0 is what an instrument without open interest (an index, a stock) carries.
            u.prev_oi = (p.prev_oi > 0).then_some(u64::from(p.prev_oi));
        }
        DhanPacket::Full(p) => {
            u.mode = Some(Mode::Full);
            u.ltp = Some(price(p.ltp)?);
            u.last_qty = Some(u32::from(p.ltq));
            u.avg_price = Some(price(p.atp)?);
            u.volume = Some(u64::from(p.volume));
            u.total_buy_qty = Some(u64::from(p.total_buy_qty));
            u.total_sell_qty = Some(u64::from(p.total_sell_qty));
            u.oi = Some(u64::from(p.oi));
            u.open = Some(price(p.open)?);
            u.high = Some(price(p.high)?);
            u.low = Some(price(p.low)?);
            u.exchange_time = dhan_ltt_to_utc(p.ltt);
            let mut depth = [DepthLevel::default(); 5];
            for (out, level) in depth.iter_mut().zip(p.depth.iter()) {
                *out = depth_level(level, tick)?;
            }
            u.depth = Some(depth);
        }
        DhanPacket::MarketStatus(_) | DhanPacket::Disconnect(_) => {}
    }
    Ok(u)
}

fn depth_level(l: &DhanDepthLevel, tick: f64) -> Result<DepthLevel, Skipped> {
    Ok(DepthLevel {
        bid_price: checked_price(f64::from(l.bid_price), tick)?,
        bid_qty: l.bid_qty,
        bid_orders: u32::from(l.bid_orders),
        ask_price: checked_price(f64::from(l.ask_price), tick)?,
        ask_qty: l.ask_qty,
        ask_orders: u32::from(l.ask_orders),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::time::utc_to_dhan_ltt;
    use mandi_domain::{Exchange, Segment};
    use mandi_protocol::dhan::{
        DhanDisconnect, DhanFull, DhanOi, DhanPrevClose, DhanQuote, DhanTicker,
    };

    use super::*;

    fn index() -> InstrumentIndex {
        let inst = |symbol: &str, segment, id, token, tick| Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment,
            security_id: id,
            kite_token: token,
            kite_key: format!("NSE:{symbol}").into(),
            tick_size: tick,
            lot_size: 1,
            derivative: None,
        };
        InstrumentIndex::build(vec![
            inst("NIFTY", Segment::IdxI, 13, 256_265, 0.05),
            inst("HDFCBANK", Segment::NseEq, 1333, 341_249, 0.05),
            inst("CRUDEOIL", Segment::McxComm, 472_789, 60_417_799, 1.0),
        ])
        .unwrap_or_default()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 4, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn trade_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 3, 59, 58)
            .single()
            .unwrap_or_default()
    }

    fn id(segment: u8, security_id: u32) -> DhanInstrument {
        DhanInstrument {
            segment,
            security_id,
        }
    }

    fn base(symbol: &str) -> TickUpdate {
        TickUpdate {
            symbol: symbol.into(),
            received_time: now(),
            source: TickSource::Socket,
            ..TickUpdate::default()
        }
    }

    fn quote(ltp: f32) -> DhanQuote {
        DhanQuote {
            instrument: id(1, 1333),
            ltp,
            ltq: 25,
            ltt: utc_to_dhan_ltt(trade_time()),
            atp: 1_641.120_1,
            volume: 1_234_567,
            total_sell_qty: 500,
            total_buy_qty: 700,
            open: 1_630.049_9,
            close: 1999.0,
            high: 1_650.950_1,
            low: 1625.0,
        }
    }

    fn full() -> DhanFull {
        let mut depth = [DhanDepthLevel::default(); 5];
        depth[0] = DhanDepthLevel {
            bid_qty: 10,
            ask_qty: 20,
            bid_orders: 1,
            ask_orders: 2,
            bid_price: 5544.0,
            ask_price: 5546.0,
        };
        DhanFull {
            instrument: id(5, 472_789),
            ltp: 5545.3,
            ltq: 1,
            ltt: utc_to_dhan_ltt(trade_time()),
            atp: 5540.0,
            volume: 9000,
            total_sell_qty: 300,
            total_buy_qty: 400,
            oi: 12_000,
            oi_day_high: 12_500,
            oi_day_low: 11_000,
            open: 5500.0,
            close: 0.0,
            high: 5560.0,
            low: 5490.0,
            depth,
        }
    }

    struct TestCase {
        name: &'static str,
        packet: DhanPacket,
        want: Conversion,
    }

    #[test]
    fn conversions() {
        let mut want_depth = [DepthLevel::default(); 5];
        want_depth[0] = DepthLevel {
            bid_price: 5544.0,
            bid_qty: 10,
            bid_orders: 1,
            ask_price: 5546.0,
            ask_qty: 20,
            ask_orders: 2,
        };
        let cases = [
            TestCase {
                name: "ticker: f32 residue rounds back to the tick, LTT is IST wall clock",
                packet: DhanPacket::Ticker(DhanTicker {
                    instrument: id(0, 13),
                    ltp: 25_760.85,
                    ltt: utc_to_dhan_ltt(trade_time()),
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Ltp),
                    ltp: Some(25_760.85),
                    exchange_time: Some(trade_time()),
                    ..base("NIFTY")
                })),
            },
            TestCase {
                name: "quote: close is not the previous close",
                packet: DhanPacket::Quote(quote(1642.35)),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Quote),
                    ltp: Some(1642.35),
                    last_qty: Some(25),
                    avg_price: Some(1641.1),
                    volume: Some(1_234_567),
                    total_buy_qty: Some(700),
                    total_sell_qty: Some(500),
                    open: Some(1630.05),
                    high: Some(1650.95),
                    low: Some(1625.0),
                    exchange_time: Some(trade_time()),
                    ..base("HDFCBANK")
                })),
            },
            TestCase {
                name: "oi packet",
                packet: DhanPacket::Oi(DhanOi {
                    instrument: id(1, 1333),
                    oi: 42,
                }),
                want: Ok(Some(TickUpdate {
                    oi: Some(42),
                    ..base("HDFCBANK")
                })),
            },
            TestCase {
                name: "prev close packet",
                packet: DhanPacket::PrevClose(DhanPrevClose {
                    instrument: id(0, 13),
                    prev_close: 25_700.1,
                    prev_oi: 0,
                }),
                want: Ok(Some(TickUpdate {
                    prev_close: Some(25_700.1),
                    ..base("NIFTY")
                })),
            },
            TestCase {
                name: "prev close packet of a contract with open interest",
                packet: DhanPacket::PrevClose(DhanPrevClose {
                    instrument: id(1, 1333),
                    prev_close: 1_640.5,
                    prev_oi: 1_250_000,
                }),
                want: Ok(Some(TickUpdate {
                    prev_close: Some(1_640.5),
                    prev_oi: Some(1_250_000),
                    ..base("HDFCBANK")
                })),
            },
            TestCase {
                name: "full: depth side by side, rupee tick",
                packet: DhanPacket::Full(full()),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Full),
                    ltp: Some(5545.0),
                    last_qty: Some(1),
                    avg_price: Some(5540.0),
                    volume: Some(9000),
                    total_buy_qty: Some(400),
                    total_sell_qty: Some(300),
                    oi: Some(12_000),
                    open: Some(5500.0),
                    high: Some(5560.0),
                    low: Some(5490.0),
                    depth: Some(want_depth),
                    exchange_time: Some(trade_time()),
                    ..base("CRUDEOIL")
                })),
            },
            TestCase {
                name: "zero LTT means no exchange time",
                packet: DhanPacket::Ticker(DhanTicker {
                    instrument: id(0, 13),
                    ltp: 1.0,
                    ltt: 0,
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Ltp),
                    ltp: Some(1.0),
                    ..base("NIFTY")
                })),
            },
            TestCase {
                name: "segment is part of the key",
                packet: DhanPacket::Ticker(DhanTicker {
                    instrument: id(1, 13),
                    ltp: 1.0,
                    ltt: 0,
                }),
                want: Err(Skipped::UnknownInstrument),
            },
            TestCase {
                name: "NaN price",
                packet: DhanPacket::Ticker(DhanTicker {
                    instrument: id(0, 13),
                    ltp: f32::NAN,
                    ltt: 0,
                }),
                want: Err(Skipped::BadPrice),
            },
            TestCase {
                name: "infinite price",
                packet: DhanPacket::Quote(quote(f32::INFINITY)),
                want: Err(Skipped::BadPrice),
            },
            TestCase {
                name: "negative price",
                packet: DhanPacket::Ticker(DhanTicker {
                    instrument: id(0, 13),
                    ltp: -0.05,
                    ltt: 0,
                }),
                want: Err(Skipped::BadPrice),
            },
            TestCase {
                name: "negative depth price rejects the packet",
                packet: DhanPacket::Full(DhanFull {
                    depth: [DhanDepthLevel {
                        ask_price: -1.0,
                        ..DhanDepthLevel::default()
                    }; 5],
                    ..full()
                }),
                want: Err(Skipped::BadPrice),
            },
            TestCase {
                name: "market status carries no prices",
                packet: DhanPacket::MarketStatus(id(0, 0)),
                want: Ok(None),
            },
            TestCase {
                name: "disconnect is the caller's business",
                packet: DhanPacket::Disconnect(DhanDisconnect {
                    instrument: id(0, 0),
                    reason: 807,
                }),
                want: Ok(None),
            },
        ];
        let index = index();
        for c in cases {
            assert_eq!(to_update(&c.packet, &index, now()), c.want, "{}", c.name);
        }
    }

    #[test]
    fn frames_stop_at_a_disconnect_or_an_unreadable_packet() {
        let ticker = DhanPacket::Ticker(DhanTicker {
            instrument: id(0, 13),
            ltp: 1.0,
            ltt: 0,
        });
        let disconnect = DhanPacket::Disconnect(DhanDisconnect {
            instrument: id(0, 0),
            reason: 807,
        });
        let index = index();
        let mut frame = ticker.encode();
        disconnect.encode_into(&mut frame);
        ticker.encode_into(&mut frame);
        let mut seen = Vec::new();
        let end = decode_frame(&frame, &index, now(), |c| seen.push(c));
        assert_eq!(seen.len(), 1, "the packet after the disconnect is not read");
        assert_eq!(
            end.disconnect.map(|f| f.kind),
            Some(crate::upstream::FailureKind::Auth)
        );

        let mut seen = Vec::new();
        let end = decode_frame(&[2, 0], &index, now(), |c| seen.push(c));
        assert!(seen.is_empty() && end.disconnect.is_none());
        assert!(end.undecodable.is_some(), "a cut header is reported");
    }
}
