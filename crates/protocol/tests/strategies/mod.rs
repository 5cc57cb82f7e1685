//! Proptest generators and fixed samples of every Dhan and Kite packet kind, shared by
//! the property tests.

use mandi_protocol::dhan::{
    DhanDepthLevel, DhanDisconnect, DhanFull, DhanInstrument, DhanOi, DhanPacket, DhanPrevClose,
    DhanQuote, DhanTicker,
};
use mandi_protocol::kite::{
    KiteDepthEntry, KiteFullExtra, KiteIndex, KiteLtp, KitePacket, KiteQuote,
};
use proptest::array::uniform5;
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
    (any::<u8>(), any::<u32>()).prop_map(|(segment, security_id)| DhanInstrument {
        segment,
        security_id,
    })
}

fn level() -> BoxedStrategy<DhanDepthLevel> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        price(),
        price(),
    )
        .prop_map(
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
pub fn dhan_packet() -> BoxedStrategy<DhanPacket> {
    let ticker = (instrument(), price(), any::<u32>()).prop_map(|(instrument, ltp, ltt)| {
        DhanPacket::Ticker(DhanTicker {
            instrument,
            ltp,
            ltt,
        })
    });
    let quote = (
        (
            instrument(),
            price(),
            any::<u16>(),
            any::<u32>(),
            price(),
            any::<u32>(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            price(),
            price(),
            price(),
            price(),
        ),
    )
        .prop_map(
            |((instrument, ltp, ltq, ltt, atp, volume), (sell, buy, open, close, high, low))| {
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
            },
        );
    let oi = (instrument(), any::<u32>())
        .prop_map(|(instrument, oi)| DhanPacket::Oi(DhanOi { instrument, oi }));
    let prev_close =
        (instrument(), price(), any::<u32>()).prop_map(|(instrument, prev_close, prev_oi)| {
            DhanPacket::PrevClose(DhanPrevClose {
                instrument,
                prev_close,
                prev_oi,
            })
        });
    let status = instrument().prop_map(DhanPacket::MarketStatus);
    let full = (
        (
            instrument(),
            price(),
            any::<u16>(),
            any::<u32>(),
            price(),
            any::<u32>(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
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
    let disconnect =
        (instrument(), prop_oneof![800u16..=812, any::<u16>()]).prop_map(|(instrument, reason)| {
            DhanPacket::Disconnect(DhanDisconnect { instrument, reason })
        });
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
pub fn bits(p: &DhanPacket) -> (u8, Vec<u64>) {
    let inst = |i: &DhanInstrument| [u64::from(i.segment), u64::from(i.security_id)];
    let f = |x: f32| u64::from(x.to_bits());
    let mut v = Vec::new();
    match p {
        DhanPacket::Ticker(DhanTicker {
            instrument,
            ltp,
            ltt,
        }) => {
            v.extend(inst(instrument));
            v.extend([f(*ltp), u64::from(*ltt)]);
        }
        DhanPacket::Quote(DhanQuote {
            instrument,
            ltp,
            ltq,
            ltt,
            atp,
            volume,
            total_sell_qty,
            total_buy_qty,
            open,
            close,
            high,
            low,
        }) => {
            v.extend(inst(instrument));
            v.extend([
                f(*ltp),
                u64::from(*ltq),
                u64::from(*ltt),
                f(*atp),
                u64::from(*volume),
            ]);
            v.extend([u64::from(*total_sell_qty), u64::from(*total_buy_qty)]);
            v.extend([f(*open), f(*close), f(*high), f(*low)]);
        }
        DhanPacket::Oi(DhanOi { instrument, oi }) => {
            v.extend(inst(instrument));
            v.push(u64::from(*oi));
        }
        DhanPacket::PrevClose(DhanPrevClose {
            instrument,
            prev_close,
            prev_oi,
        }) => {
            v.extend(inst(instrument));
            v.extend([f(*prev_close), u64::from(*prev_oi)]);
        }
        DhanPacket::MarketStatus(instrument) => v.extend(inst(instrument)),
        DhanPacket::Full(DhanFull {
            instrument,
            ltp,
            ltq,
            ltt,
            atp,
            volume,
            total_sell_qty,
            total_buy_qty,
            oi,
            oi_day_high,
            oi_day_low,
            open,
            close,
            high,
            low,
            depth,
        }) => {
            v.extend(inst(instrument));
            v.extend([
                f(*ltp),
                u64::from(*ltq),
                u64::from(*ltt),
                f(*atp),
                u64::from(*volume),
            ]);
            v.extend([u64::from(*total_sell_qty), u64::from(*total_buy_qty)]);
            v.extend([
                u64::from(*oi),
                u64::from(*oi_day_high),
                u64::from(*oi_day_low),
            ]);
            v.extend([f(*open), f(*close), f(*high), f(*low)]);
            for DhanDepthLevel {
                bid_qty,
                ask_qty,
                bid_orders,
                ask_orders,
                bid_price,
                ask_price,
            } in depth
            {
                v.extend([
                    u64::from(*bid_qty),
                    u64::from(*ask_qty),
                    u64::from(*bid_orders),
                ]);
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
        (
            any::<u32>(),
            prop::sample::select(vec![1u32, 2, 3, 4, 5, 6, 7, 8, 9, 12])
        )
            .prop_map(|(t, seg)| (t & !0xff) | seg),
        any::<u32>(),
    ]
}

fn entry() -> impl Strategy<Value = KiteDepthEntry> {
    (any::<u32>(), any::<u32>(), any::<u16>()).prop_map(|(quantity, price, orders)| {
        KiteDepthEntry {
            quantity,
            price,
            orders,
        }
    })
}

pub fn kite_packet() -> BoxedStrategy<KitePacket> {
    let ltp = (token(), any::<u32>())
        .prop_map(|(token, last_price)| KitePacket::Ltp(KiteLtp { token, last_price }));
    let index = (token(), any::<[u32; 6]>(), any::<Option<u32>>()).prop_map(
        |(token, v, exchange_timestamp)| {
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
        },
    );
    let extra =
        (any::<[u32; 5]>(), uniform5(entry()), uniform5(entry())).prop_map(|(v, buy, sell)| {
            KiteFullExtra {
                last_trade_time: v[0],
                oi: v[1],
                oi_day_high: v[2],
                oi_day_low: v[3],
                exchange_timestamp: v[4],
                buy,
                sell,
            }
        });
    let quote =
        (token(), any::<[u32; 10]>(), proptest::option::of(extra)).prop_map(|(token, v, extra)| {
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

pub fn dhan_samples() -> Vec<DhanPacket> {
    let instrument = DhanInstrument {
        segment: 2,
        security_id: 52175,
    };
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
        depth: [DhanDepthLevel {
            bid_qty: 1,
            ask_qty: 2,
            bid_orders: 3,
            ask_orders: 4,
            bid_price: 5.0,
            ask_price: 6.0,
        }; 5],
    };
    vec![
        DhanPacket::Ticker(DhanTicker {
            instrument,
            ltp: 1642.35,
            ltt: 1,
        }),
        DhanPacket::Quote(quote),
        DhanPacket::Oi(DhanOi { instrument, oi: 1 }),
        DhanPacket::PrevClose(DhanPrevClose {
            instrument,
            prev_close: 1.5,
            prev_oi: 2,
        }),
        DhanPacket::MarketStatus(instrument),
        DhanPacket::Full(full),
        DhanPacket::Disconnect(DhanDisconnect {
            instrument,
            reason: 805,
        }),
    ]
}

pub fn kite_samples() -> Vec<KitePacket> {
    let index = KiteIndex {
        token: 256_265,
        last_price: 1,
        high: 2,
        low: 3,
        open: 4,
        close: 5,
        change: 6,
        exchange_timestamp: None,
    };
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
    let entry = KiteDepthEntry {
        quantity: 1,
        price: 2,
        orders: 3,
    };
    let extra = KiteFullExtra {
        last_trade_time: 1,
        oi: 2,
        oi_day_high: 3,
        oi_day_low: 4,
        exchange_timestamp: 5,
        buy: [entry; 5],
        sell: [entry; 5],
    };
    vec![
        KitePacket::Ltp(KiteLtp {
            token: 408_065,
            last_price: 157_315,
        }),
        KitePacket::Index(index),
        KitePacket::Index(KiteIndex {
            exchange_timestamp: Some(7),
            ..index
        }),
        KitePacket::Quote(quote),
        KitePacket::Quote(KiteQuote {
            extra: Some(extra),
            ..quote
        }),
    ]
}
