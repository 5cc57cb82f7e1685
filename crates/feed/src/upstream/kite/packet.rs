//! Kite's binary frames → `TickUpdate`s (protocols.md B3): heartbeats skipped, packets
//! looked up by instrument token, integer prices ÷ the segment divisor onto the tick
//! grid, depth paired bid-with-ask per level. Pure; the actor counts what comes back
//! rejected.

use chrono::{DateTime, Utc};
use mandi_domain::time::kite_epoch_to_utc;
use mandi_domain::{DepthLevel, Instrument, Mode, TickSource, TickUpdate};
use mandi_instruments::InstrumentIndex;
use mandi_protocol::kite::{self, price_divisor, KiteDepthEntry, KiteFrame, KitePacket};

use crate::upstream::{checked_price, Conversion, FrameEnd, FrameError, Skipped};

/// Hand every packet of one binary frame to `on_packet`, converted. A heartbeat only
/// proves liveness, which the actor noted when the frame arrived.
pub fn decode_frame(
    bytes: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
    mut on_packet: impl FnMut(Conversion),
) -> FrameEnd {
    let mut end = FrameEnd::default();
    match kite::decode_frame(bytes) {
        Ok(KiteFrame::Heartbeat) => {}
        Ok(KiteFrame::Packets(list)) => {
            for packet in &list {
                on_packet(to_update(packet, index, received_time));
            }
        }
        Err(e) => {
            end.undecodable = Some(FrameError {
                kind: e.kind(),
                message: e.to_string(),
            })
        }
    }
    end
}

/// Convert one decoded Kite packet.
pub fn to_update(
    packet: &KitePacket,
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Conversion {
    let Some(inst) = index.by_kite_token(packet.token()) else {
        return Err(Skipped::UnknownInstrument);
    };
    build(packet, inst, received_time).map(Some)
}

/// The docs type every field as int32 while the clients read u32: a value with the top
/// bit set is a negative price on the wire, which is rejected rather than read as ₹2e7.
fn wire_price(raw: u32, divisor: f64, tick: f64) -> Result<f64, Skipped> {
    if i32::try_from(raw).is_err() {
        return Err(Skipped::BadPrice);
    }
    checked_price(f64::from(raw) / divisor, tick)
}

fn build(
    packet: &KitePacket,
    inst: &Instrument,
    received_time: DateTime<Utc>,
) -> Result<TickUpdate, Skipped> {
    let divisor = price_divisor(packet.token());
    let tick = inst.tick_size;
    let price = |raw: u32| wire_price(raw, divisor, tick);
    let mut u = TickUpdate {
        symbol: inst.symbol.clone(),
        received_time,
        source: TickSource::Socket,
        ..TickUpdate::default()
    };
    match packet {
        KitePacket::Ltp(p) => {
            u.mode = Some(Mode::Ltp);
            u.ltp = Some(price(p.last_price)?);
        }
        KitePacket::Index(p) => {
            u.mode = Some(if p.exchange_timestamp.is_some() {
                Mode::Full
            } else {
                Mode::Quote
            });
            u.ltp = Some(price(p.last_price)?);
            u.high = Some(price(p.high)?);
            u.low = Some(price(p.low)?);
            u.open = Some(price(p.open)?);
            // Kite's `close` is the previous day's close (unlike Dhan's).
            u.prev_close = Some(price(p.close)?);
            u.exchange_time = p.exchange_timestamp.and_then(kite_epoch_to_utc);
        }
        KitePacket::Quote(p) => {
            u.mode = Some(if p.extra.is_some() {
                Mode::Full
            } else {
                Mode::Quote
            });
            u.ltp = Some(price(p.last_price)?);
            u.last_qty = Some(p.last_quantity);
            u.avg_price = Some(price(p.average_price)?);
            u.volume = Some(u64::from(p.volume));
            u.total_buy_qty = Some(u64::from(p.buy_quantity));
            u.total_sell_qty = Some(u64::from(p.sell_quantity));
            u.open = Some(price(p.open)?);
            u.high = Some(price(p.high)?);
            u.low = Some(price(p.low)?);
            u.prev_close = Some(price(p.close)?);
            if let Some(extra) = &p.extra {
                u.oi = Some(u64::from(extra.oi));
                u.exchange_time = kite_epoch_to_utc(extra.exchange_timestamp);
                let mut depth = [DepthLevel::default(); 5];
                for (i, level) in depth.iter_mut().enumerate() {
                    *level = depth_level(&extra.buy[i], &extra.sell[i], &price)?;
                }
                u.depth = Some(depth);
            }
        }
    }
    Ok(u)
}

fn depth_level(
    buy: &KiteDepthEntry,
    sell: &KiteDepthEntry,
    price: &impl Fn(u32) -> Result<f64, Skipped>,
) -> Result<DepthLevel, Skipped> {
    Ok(DepthLevel {
        bid_price: price(buy.price)?,
        bid_qty: buy.quantity,
        bid_orders: u32::from(buy.orders),
        ask_price: price(sell.price)?,
        ask_qty: sell.quantity,
        ask_orders: u32::from(sell.orders),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::{Exchange, Segment};
    use mandi_protocol::kite::{KiteFullExtra, KiteIndex, KiteLtp, KiteQuote};

    use super::*;

    fn index() -> InstrumentIndex {
        let inst = |symbol: &str, segment, token, tick| Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment,
            security_id: token >> 8,
            kite_token: token,
            kite_key: format!("NSE:{symbol}").into(),
            tick_size: tick,
            lot_size: 1,
            derivative: None,
        };
        InstrumentIndex::build(vec![
            inst("NIFTY", Segment::IdxI, 256_265, 0.05),
            inst("INFY", Segment::NseEq, 408_065, 0.05),
            // CDS (segment 3): prices travel in 1e-7 rupee.
            inst("USDINR", Segment::NseCurrency, 1_000 << 8 | 3, 0.01),
        ])
        .unwrap_or_default()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 7, 5, 5, 11, 28)
            .single()
            .unwrap_or_default()
    }

    fn mock_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 7, 5, 5, 11, 27)
            .single()
            .unwrap_or_default()
    }

    fn base(symbol: &str) -> TickUpdate {
        TickUpdate {
            symbol: symbol.into(),
            received_time: now(),
            source: TickSource::Socket,
            ..TickUpdate::default()
        }
    }

    fn infy_quote() -> KiteQuote {
        KiteQuote {
            token: 408_065,
            last_price: 107_435,
            last_quantity: 5,
            average_price: 107_420,
            volume: 1_000_000,
            buy_quantity: 600,
            sell_quantity: 400,
            open: 106_000,
            high: 108_000,
            low: 105_995,
            close: 105_500,
            extra: None,
        }
    }

    fn extra() -> KiteFullExtra {
        let entry = |quantity, price, orders| KiteDepthEntry {
            quantity,
            price,
            orders,
        };
        KiteFullExtra {
            last_trade_time: 1_625_461_887,
            oi: 0,
            oi_day_high: 0,
            oi_day_low: 0,
            exchange_timestamp: 1_625_461_887,
            buy: [
                entry(10, 107_430, 1),
                entry(0, 0, 0),
                entry(0, 0, 0),
                entry(0, 0, 0),
                entry(0, 0, 0),
            ],
            sell: [
                entry(20, 107_440, 2),
                entry(0, 0, 0),
                entry(0, 0, 0),
                entry(0, 0, 0),
                entry(0, 0, 0),
            ],
        }
    }

    fn quote_update() -> TickUpdate {
        TickUpdate {
            mode: Some(Mode::Quote),
            ltp: Some(1074.35),
            last_qty: Some(5),
            avg_price: Some(1074.2),
            volume: Some(1_000_000),
            total_buy_qty: Some(600),
            total_sell_qty: Some(400),
            open: Some(1060.0),
            high: Some(1080.0),
            low: Some(1059.95),
            prev_close: Some(1055.0),
            ..base("INFY")
        }
    }

    struct TestCase {
        name: &'static str,
        packet: KitePacket,
        want: Conversion,
    }

    #[test]
    fn conversions() {
        let mut depth = [DepthLevel::default(); 5];
        depth[0] = DepthLevel {
            bid_price: 1074.3,
            bid_qty: 10,
            bid_orders: 1,
            ask_price: 1074.4,
            ask_qty: 20,
            ask_orders: 2,
        };
        let nifty = KiteIndex {
            token: 256_265,
            last_price: 2_576_085,
            high: 2_580_000,
            low: 2_570_000,
            open: 2_571_000,
            close: 2_575_000,
            change: 1085,
            exchange_timestamp: None,
        };
        let cases = [
            TestCase {
                name: "ltp",
                packet: KitePacket::Ltp(KiteLtp {
                    token: 408_065,
                    last_price: 107_435,
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Ltp),
                    ltp: Some(1074.35),
                    ..base("INFY")
                })),
            },
            TestCase {
                name: "index quote: close is the previous close",
                packet: KitePacket::Index(nifty),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Quote),
                    ltp: Some(25_760.85),
                    high: Some(25_800.0),
                    low: Some(25_700.0),
                    open: Some(25_710.0),
                    prev_close: Some(25_750.0),
                    ..base("NIFTY")
                })),
            },
            TestCase {
                name: "index full carries the exchange time",
                packet: KitePacket::Index(KiteIndex {
                    exchange_timestamp: Some(1_625_461_887),
                    ..nifty
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Full),
                    ltp: Some(25_760.85),
                    high: Some(25_800.0),
                    low: Some(25_700.0),
                    open: Some(25_710.0),
                    prev_close: Some(25_750.0),
                    exchange_time: Some(mock_time()),
                    ..base("NIFTY")
                })),
            },
            TestCase {
                name: "quote",
                packet: KitePacket::Quote(infy_quote()),
                want: Ok(Some(quote_update())),
            },
            TestCase {
                name: "full: bid and ask side by side per level",
                packet: KitePacket::Quote(KiteQuote {
                    extra: Some(extra()),
                    ..infy_quote()
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Full),
                    oi: Some(0),
                    depth: Some(depth),
                    exchange_time: Some(mock_time()),
                    ..quote_update()
                })),
            },
            TestCase {
                name: "currency divisor 1e7",
                packet: KitePacket::Ltp(KiteLtp {
                    token: 1_000 << 8 | 3,
                    last_price: 832_500_000,
                }),
                want: Ok(Some(TickUpdate {
                    mode: Some(Mode::Ltp),
                    ltp: Some(83.25),
                    ..base("USDINR")
                })),
            },
            TestCase {
                name: "unknown token",
                packet: KitePacket::Ltp(KiteLtp {
                    token: 1,
                    last_price: 1,
                }),
                want: Err(Skipped::UnknownInstrument),
            },
            TestCase {
                name: "negative int32 price",
                packet: KitePacket::Ltp(KiteLtp {
                    token: 408_065,
                    last_price: 0x8000_0000,
                }),
                want: Err(Skipped::BadPrice),
            },
            TestCase {
                name: "negative depth price",
                packet: KitePacket::Quote(KiteQuote {
                    extra: Some(KiteFullExtra {
                        sell: [KiteDepthEntry {
                            quantity: 1,
                            price: u32::MAX,
                            orders: 1,
                        }; 5],
                        ..extra()
                    }),
                    ..infy_quote()
                }),
                want: Err(Skipped::BadPrice),
            },
        ];
        let index = index();
        for c in cases {
            assert_eq!(to_update(&c.packet, &index, now()), c.want, "{}", c.name);
        }
    }

    #[test]
    fn frames() {
        let index = index();
        let ltp = |token| {
            KitePacket::Ltp(KiteLtp {
                token,
                last_price: 107_435,
            })
        };
        let cases = [
            ("heartbeat", vec![0u8], 0, false),
            (
                "two packets, one unknown",
                kite::encode_frame(&[ltp(408_065), ltp(1)]),
                2,
                false,
            ),
            ("cut short", vec![0, 1, 0, 8, 0], 0, true),
        ];
        for (name, frame, packets, undecodable) in cases {
            let mut seen = Vec::new();
            let end = decode_frame(&frame, &index, now(), |c| seen.push(c));
            assert_eq!(seen.len(), packets, "{name}");
            assert_eq!(end.undecodable.is_some(), undecodable, "{name}");
            assert_eq!(
                end.disconnect, None,
                "{name}: kite never disconnects in-band"
            );
        }
    }
}
