//! Deterministic random packets for the differential test against the official Python
//! decoders (`scripts/oracle/compare.py`). Prints one JSON line per WebSocket message:
//! `{"broker":"dhan"|"kite","kind":..,"hex":..,"fields":..}` where `fields` is what OUR
//! decoder made of `hex`, under the key names the Python clients use.
//!
//! Run: `cargo run -q -p mandi-protocol --example oracle_packets [rounds]` (default 300).

mod fields;
mod generate;

use fields::{dhan_line, kite_line};
use generate::{dhan_round, kite_round};
use mandi_protocol::kite;

/// Fixed seed: the same lines on every run, so a mismatch can be reproduced.
const SEED: u64 = 0x6d61_6e64_6900_0001;

/// Knuth's MMIX LCG; the high half is the output (the low bits of an LCG are weak).
pub struct Lcg(u64);

impl Lcg {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    pub fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    /// Edge values often, otherwise the full range.
    pub fn u32(&mut self) -> u32 {
        match self.below(8) {
            0 => 0,
            1 => u32::MAX,
            2 => self.below(1000),
            _ => self.next_u32(),
        }
    }

    pub fn u16(&mut self) -> u16 {
        match self.below(8) {
            0 => 0,
            1 => u16::MAX,
            _ => self.next_u32() as u16,
        }
    }

    /// Mostly realistic prices; also raw bit patterns, NaN, ±Inf, -0, denormals, and
    /// values whose 2-decimal rounding is a tie in decimal but not in binary.
    pub fn price(&mut self) -> f32 {
        const SPECIAL: [f32; 12] = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            0.0,
            f32::MAX,
            f32::MIN_POSITIVE,
            1.0e-45,
            0.005,
            1.005,
            2.675,
            -1642.35,
        ];
        match self.below(8) {
            0 => self.pick(&SPECIAL),
            1 | 2 => f32::from_bits(self.next_u32()),
            _ => self.below(10_000_000) as f32 / 100.0,
        }
    }
}

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let mut rng = Lcg(SEED);
    let mut out = String::new();
    for _ in 0..rounds {
        for packet in dhan_round(&mut rng) {
            out.push_str(&dhan_line(&packet.encode()));
        }
        for frame in kite_round(&mut rng) {
            out.push_str(&kite_line(&kite::encode_frame(&frame)));
        }
    }
    // Heartbeats and an empty frame: both sides must see no ticks.
    for bytes in [&[][..], &[0x00], &[0xff], &[0x00, 0x00]] {
        out.push_str(&kite_line(bytes));
    }
    print!("{out}");
}
