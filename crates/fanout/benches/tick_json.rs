//! P3: serializing one tick for clients (target ≤ 1 µs), and the fan-out hand-off of the
//! one serialized frame into many sessions' outboxes (no re-serialization per client).

use std::hint::black_box;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use mandi_domain::{DepthLevel, Mode, Tick};
use mandi_fanout::broadcaster::Outbox;
use mandi_protocol::client::tick_message;

fn sample_tick(depth: bool) -> Tick {
    let mut t = Tick::empty("RELIANCE".into(), Utc::now());
    t.mode = if depth { Mode::Full } else { Mode::Quote };
    t.ltp = 1443.4;
    t.bid = 1443.3;
    t.ask = 1443.5;
    t.bid_qty = 1200;
    t.ask_qty = 900;
    t.volume = 4_512_331;
    t.open = 1430.0;
    t.high = 1450.2;
    t.low = 1428.6;
    t.prev_close = 1436.1;
    t.exchange_time = Some(Utc::now());
    if depth {
        t.depth = Some(
            [DepthLevel {
                bid_price: 1443.3,
                bid_qty: 10,
                bid_orders: 2,
                ask_price: 1443.5,
                ask_qty: 12,
                ask_orders: 3,
            }; 5],
        );
    }
    t
}

fn bench(c: &mut Criterion) {
    let quote = sample_tick(false);
    let full = sample_tick(true);
    c.bench_function("tick_json/quote", |b| {
        b.iter(|| tick_message(black_box(&quote)))
    });
    c.bench_function("tick_json/full_with_depth", |b| {
        b.iter(|| tick_message(black_box(&full)))
    });
    let frame = tick_message(&quote);
    let mut outboxes: Vec<Outbox> = (0..1000).map(|_| Outbox::new(1 << 20)).collect();
    let key: std::sync::Arc<str> = "RELIANCE".into();
    c.bench_function("fanout/one_frame_into_1000_outboxes", |b| {
        b.iter(|| {
            for o in outboxes.iter_mut() {
                black_box(o.push_tick(key.clone(), frame.clone()));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
