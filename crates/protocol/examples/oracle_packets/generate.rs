//! Random valid packets of every Dhan and Kite kind, drawn from the seeded `Lcg`.

use mandi_protocol::dhan::{
    DhanDepthLevel, DhanDisconnect, DhanFull, DhanInstrument, DhanOi, DhanPacket, DhanPrevClose,
    DhanQuote, DhanTicker,
};
use mandi_protocol::kite::{
    KiteDepthEntry, KiteFullExtra, KiteIndex, KiteLtp, KitePacket, KiteQuote,
};

use crate::Lcg;

fn dhan_instrument(rng: &mut Lcg) -> DhanInstrument {
    let segment = if rng.below(10) == 0 {
        rng.next_u32() as u8
    } else {
        rng.pick(&[0, 1, 2, 3, 4, 5, 7, 8])
    };
    DhanInstrument {
        segment,
        security_id: rng.u32(),
    }
}

/// One packet of every Dhan kind.
pub fn dhan_round(rng: &mut Lcg) -> Vec<DhanPacket> {
    let i = dhan_instrument(rng);
    let quote = DhanQuote {
        instrument: dhan_instrument(rng),
        ltp: rng.price(),
        ltq: rng.u16(),
        ltt: rng.u32(),
        atp: rng.price(),
        volume: rng.u32(),
        total_sell_qty: rng.u32(),
        total_buy_qty: rng.u32(),
        open: rng.price(),
        close: rng.price(),
        high: rng.price(),
        low: rng.price(),
    };
    let mut depth = [DhanDepthLevel::default(); 5];
    for level in &mut depth {
        *level = DhanDepthLevel {
            bid_qty: rng.u32(),
            ask_qty: rng.u32(),
            bid_orders: rng.u16(),
            ask_orders: rng.u16(),
            bid_price: rng.price(),
            ask_price: rng.price(),
        };
    }
    let full = DhanFull {
        instrument: dhan_instrument(rng),
        ltp: rng.price(),
        ltq: rng.u16(),
        ltt: rng.u32(),
        atp: rng.price(),
        volume: rng.u32(),
        total_sell_qty: rng.u32(),
        total_buy_qty: rng.u32(),
        oi: rng.u32(),
        oi_day_high: rng.u32(),
        oi_day_low: rng.u32(),
        open: rng.price(),
        close: rng.price(),
        high: rng.price(),
        low: rng.price(),
        depth,
    };
    let reason = if rng.below(2) == 0 {
        800 + rng.below(13) as u16
    } else {
        rng.u16()
    };
    vec![
        DhanPacket::Ticker(DhanTicker {
            instrument: i,
            ltp: rng.price(),
            ltt: rng.u32(),
        }),
        DhanPacket::Quote(quote),
        DhanPacket::Oi(DhanOi {
            instrument: dhan_instrument(rng),
            oi: rng.u32(),
        }),
        DhanPacket::PrevClose(DhanPrevClose {
            instrument: dhan_instrument(rng),
            prev_close: rng.price(),
            prev_oi: rng.u32(),
        }),
        DhanPacket::Full(full),
        DhanPacket::Disconnect(DhanDisconnect {
            instrument: dhan_instrument(rng),
            reason,
        }),
        DhanPacket::MarketStatus(dhan_instrument(rng)),
    ]
}

/// Segments 1..=9 and 12 (3 cds ÷1e7, 6 bcd ÷1e4, 9 indices, 12 nco ÷1e4), and now and
/// then a segment no client knows.
fn kite_token(rng: &mut Lcg) -> u32 {
    let segment = if rng.below(10) == 0 {
        rng.next_u32() & 0xff
    } else {
        rng.pick(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 12])
    };
    (rng.next_u32() & 0xffff_ff00) | segment
}

/// One packet of every Kite kind, shuffled and split into frames of 1 to 3 packets.
pub fn kite_round(rng: &mut Lcg) -> Vec<Vec<KitePacket>> {
    let index = |rng: &mut Lcg, ts: Option<u32>| KiteIndex {
        token: kite_token(rng),
        last_price: rng.u32(),
        high: rng.u32(),
        low: rng.u32(),
        open: rng.u32(),
        close: rng.u32(),
        change: rng.u32(),
        exchange_timestamp: ts,
    };
    let quote = |rng: &mut Lcg| KiteQuote {
        token: kite_token(rng),
        last_price: rng.u32(),
        last_quantity: rng.u32(),
        average_price: rng.u32(),
        volume: rng.u32(),
        buy_quantity: rng.u32(),
        sell_quantity: rng.u32(),
        open: rng.u32(),
        high: rng.u32(),
        low: rng.u32(),
        close: rng.u32(),
        extra: None,
    };
    let mut entries = [KiteDepthEntry::default(); 10];
    for e in &mut entries {
        *e = KiteDepthEntry {
            quantity: rng.u32(),
            price: rng.u32(),
            orders: rng.u16(),
        };
    }
    let extra = KiteFullExtra {
        last_trade_time: rng.u32(),
        oi: rng.u32(),
        oi_day_high: rng.u32(),
        oi_day_low: rng.u32(),
        exchange_timestamp: rng.u32(),
        buy: [entries[0], entries[1], entries[2], entries[3], entries[4]],
        sell: [entries[5], entries[6], entries[7], entries[8], entries[9]],
    };
    let index_full_ts = rng.u32();
    let mut packets = vec![
        KitePacket::Ltp(KiteLtp {
            token: kite_token(rng),
            last_price: rng.u32(),
        }),
        KitePacket::Index(index(rng, None)),
        KitePacket::Index(index(rng, Some(index_full_ts))),
        KitePacket::Quote(quote(rng)),
        KitePacket::Quote(KiteQuote {
            extra: Some(extra),
            ..quote(rng)
        }),
    ];
    for i in (1..packets.len()).rev() {
        packets.swap(i, rng.below(i as u32 + 1) as usize);
    }
    let mut frames = Vec::new();
    while !packets.is_empty() {
        let n = (1 + rng.below(3) as usize).min(packets.len());
        frames.push(packets.drain(..n).collect());
    }
    frames
}
