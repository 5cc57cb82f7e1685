//! Builds Kite v3 ticker packets (protocols.md B3) from the simulated market state:
//! integer prices scaled by the segment's divisor, true Unix epochs.

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode};
use mandi_protocol::kite::{
    price_divisor, KiteDepthEntry, KiteFullExtra, KiteIndex, KiteLtp, KitePacket, KiteQuote,
    SEGMENT_INDICES,
};

use crate::market::Quote;

/// The packet `mode` asks for: 8-byte LTP; index 28/32; tradable 44/184.
pub fn packet(i: &Instrument, q: &Quote, mode: Mode, now: DateTime<Utc>) -> KitePacket {
    let token = i.kite_token;
    let px = |rupees: f64| wire_price(rupees, token);
    if mode == Mode::Ltp {
        return KitePacket::Ltp(KiteLtp {
            token,
            last_price: px(q.ltp),
        });
    }
    if token & 0xff == u32::from(SEGMENT_INDICES) {
        // Change travels as (last − close) in wire units; negative values wrap as
        // i32 → u32. No official client reads it (protocols.md E12).
        let change = ((q.ltp - q.prev_close) * price_divisor(token)).round() as i64 as i32 as u32;
        return KitePacket::Index(KiteIndex {
            token,
            last_price: px(q.ltp),
            high: px(q.high),
            low: px(q.low),
            open: px(q.open),
            close: px(q.prev_close),
            change,
            exchange_timestamp: (mode == Mode::Full).then(|| epoch(now)),
        });
    }
    let extra = (mode == Mode::Full).then(|| KiteFullExtra {
        last_trade_time: epoch(q.last_trade_time),
        oi: sat(q.oi),
        oi_day_high: sat(q.oi_day_high),
        oi_day_low: sat(q.oi_day_low),
        exchange_timestamp: epoch(now),
        buy: q.depth.map(|d| KiteDepthEntry {
            quantity: d.bid_qty,
            price: px(d.bid_price),
            orders: d.bid_orders.min(u32::from(u16::MAX)) as u16,
        }),
        sell: q.depth.map(|d| KiteDepthEntry {
            quantity: d.ask_qty,
            price: px(d.ask_price),
            orders: d.ask_orders.min(u32::from(u16::MAX)) as u16,
        }),
    });
    KitePacket::Quote(KiteQuote {
        token,
        last_price: px(q.ltp),
        last_quantity: q.last_qty,
        average_price: px(q.avg_price),
        volume: sat(q.volume),
        buy_quantity: sat(q.total_buy_qty),
        sell_quantity: sat(q.total_sell_qty),
        open: px(q.open),
        high: px(q.high),
        low: px(q.low),
        close: px(q.prev_close),
        extra,
    })
}

/// Rupees → wire integer (paise for most segments).
pub fn wire_price(rupees: f64, token: u32) -> u32 {
    let v = (rupees * price_divisor(token)).round();
    if v <= 0.0 {
        0
    } else if v >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}

fn epoch(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp()).unwrap_or(0)
}

fn sat(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::PriceModel;
    use crate::SimSettings;

    #[test]
    fn packet_kind_follows_mode_and_segment() {
        let now = DateTime::UNIX_EPOCH;
        for s in SimSettings::default_universe() {
            let m = PriceModel::new(
                s.instrument.clone(),
                SimSettings::default().walk_spec(&s),
                now,
            );
            let i = &s.instrument;
            let name = &i.symbol;
            assert!(
                matches!(packet(i, m.quote(), Mode::Ltp, now), KitePacket::Ltp(_)),
                "{name}"
            );
            let (quote, full) = (
                packet(i, m.quote(), Mode::Quote, now),
                packet(i, m.quote(), Mode::Full, now),
            );
            if i.kite_segment() == 9 {
                assert!(
                    matches!(
                        quote,
                        KitePacket::Index(KiteIndex {
                            exchange_timestamp: None,
                            ..
                        })
                    ),
                    "{name}"
                );
                assert!(
                    matches!(
                        full,
                        KitePacket::Index(KiteIndex {
                            exchange_timestamp: Some(_),
                            ..
                        })
                    ),
                    "{name}"
                );
            } else {
                assert!(
                    matches!(quote, KitePacket::Quote(KiteQuote { extra: None, .. })),
                    "{name}"
                );
                assert!(
                    matches!(full, KitePacket::Quote(KiteQuote { extra: Some(_), .. })),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn prices_are_paise() {
        assert_eq!(wire_price(1443.4, 738_561), 144_340);
        assert_eq!(wire_price(25_760.05, 256_265), 2_576_005);
        assert_eq!(wire_price(83.1234, 3), 831_234_000, "CDS divides by 1e7");
        assert_eq!(wire_price(-1.0, 1), 0);
    }
}
