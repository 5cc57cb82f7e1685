//! Decode throughput of the hot paths: Dhan full and ticker packets, a Kite full packet,
//! and a Kite frame of ten quote packets (a typical busy-market message).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mandi_protocol::dhan::{
    self, DhanDepthLevel, DhanFull, DhanInstrument, DhanPacket, DhanTicker,
};
use mandi_protocol::kite::{self, KiteDepthEntry, KiteFullExtra, KitePacket, KiteQuote};

const INSTRUMENT: DhanInstrument = DhanInstrument {
    segment: 2,
    security_id: 52175,
};

fn dhan_full() -> Vec<u8> {
    let level = DhanDepthLevel {
        bid_qty: 1000,
        ask_qty: 2000,
        bid_orders: 10,
        ask_orders: 20,
        bid_price: 245.45,
        ask_price: 245.55,
    };
    DhanPacket::Full(DhanFull {
        instrument: INSTRUMENT,
        ltp: 245.5,
        ltq: 75,
        ltt: 1_718_343_000,
        atp: 244.8,
        volume: 1_234_567,
        total_sell_qty: 50_000,
        total_buy_qty: 60_000,
        oi: 987_654,
        oi_day_high: 1_000_000,
        oi_day_low: 900_000,
        open: 240.0,
        close: 243.25,
        high: 250.0,
        low: 238.5,
        depth: [level; 5],
    })
    .encode()
}

fn dhan_ticker() -> Vec<u8> {
    DhanPacket::Ticker(DhanTicker {
        instrument: INSTRUMENT,
        ltp: 1642.35,
        ltt: 1_718_343_000,
    })
    .encode()
}

fn kite_quote(token: u32, extra: Option<KiteFullExtra>) -> KitePacket {
    KitePacket::Quote(KiteQuote {
        token,
        last_price: 157_370,
        last_quantity: 7,
        average_price: 157_037,
        volume: 1_192_471,
        buy_quantity: 256_443,
        sell_quantity: 363_009,
        open: 156_915,
        high: 157_500,
        low: 156_105,
        close: 156_780,
        extra,
    })
}

fn kite_full() -> KitePacket {
    let entry = KiteDepthEntry {
        quantity: 172,
        price: 157_370,
        orders: 3,
    };
    kite_quote(
        408_065,
        Some(KiteFullExtra {
            last_trade_time: 1_625_461_887,
            oi: 0,
            oi_day_high: 0,
            oi_day_low: 0,
            exchange_timestamp: 1_625_461_887,
            buy: [entry; 5],
            sell: [entry; 5],
        }),
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");

    let full = dhan_full();
    group.throughput(Throughput::Bytes(full.len() as u64));
    group.bench_function("dhan_full_packet", |b| {
        b.iter(|| dhan::decode_packet(black_box(&full)))
    });

    let ticker = dhan_ticker();
    group.throughput(Throughput::Bytes(ticker.len() as u64));
    group.bench_function("dhan_ticker_packet", |b| {
        b.iter(|| dhan::decode_packet(black_box(&ticker)))
    });

    let kite_full_body = kite_full().encode();
    group.throughput(Throughput::Bytes(kite_full_body.len() as u64));
    group.bench_function("kite_full_packet_body", |b| {
        b.iter(|| kite::decode_packet(black_box(&kite_full_body)))
    });

    let kite_full_frame = kite::encode_frame(&[kite_full()]);
    group.throughput(Throughput::Bytes(kite_full_frame.len() as u64));
    group.bench_function("kite_full_packet_frame", |b| {
        b.iter(|| kite::decode_frame(black_box(&kite_full_frame)))
    });

    group.bench_function("kite_full_packet_frame_iter", |b| {
        b.iter(|| {
            kite::frame_packets(black_box(&kite_full_frame))
                .filter_map(Result::ok)
                .map(|p| p.token())
                .sum::<u32>()
        })
    });

    let quotes: Vec<KitePacket> = (0..10)
        .map(|i| kite_quote(408_065 + (i << 8), None))
        .collect();
    let kite_ten = kite::encode_frame(&quotes);
    group.throughput(Throughput::Bytes(kite_ten.len() as u64));
    group.bench_function("kite_frame_10_quotes", |b| {
        b.iter(|| kite::decode_frame(black_box(&kite_ten)))
    });

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
