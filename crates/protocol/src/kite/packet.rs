//! Kite packet types (protocols.md B3). Prices stay as the integers on the wire
//! (paise, or 1e-7 / 1e-4 rupee for currency segments); `price_divisor` scales them.

/// Packet lengths, which also give the mode.
pub mod size {
    pub const LTP: usize = 8;
    pub const INDEX_QUOTE: usize = 28;
    pub const INDEX_FULL: usize = 32;
    pub const QUOTE: usize = 44;
    pub const FULL: usize = 184;
}

/// Kite's segment id for indices (`instrument_token & 0xff == 9`), which are not tradable.
pub const SEGMENT_INDICES: u8 = 9;

/// 8 bytes: token and last price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteLtp {
    pub token: u32,
    pub last_price: u32,
}

/// 28 bytes (quote) or 32 bytes (full, with `exchange_timestamp`), segment 9.
/// Wire order: last, high, low, open, close, change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteIndex {
    pub token: u32,
    pub last_price: u32,
    pub high: u32,
    pub low: u32,
    pub open: u32,
    pub close: u32,
    pub change: u32,
    /// Present only in the 32-byte full packet.
    pub exchange_timestamp: Option<u32>,
}

/// One 12-byte depth entry: quantity, price, orders, 2 bytes padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct KiteDepthEntry {
    pub quantity: u32,
    pub price: u32,
    pub orders: u16,
}

/// The 140 extra bytes of a full (184-byte) tradable packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteFullExtra {
    pub last_trade_time: u32,
    pub oi: u32,
    pub oi_day_high: u32,
    pub oi_day_low: u32,
    pub exchange_timestamp: u32,
    pub buy: [KiteDepthEntry; 5],
    pub sell: [KiteDepthEntry; 5],
}

/// 44 bytes (quote) or 184 bytes (full, `extra` set), tradable instruments.
/// Wire order: ltp, ltq, atp, volume, buy qty, sell qty, open, high, low, close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteQuote {
    pub token: u32,
    pub last_price: u32,
    pub last_quantity: u32,
    pub average_price: u32,
    pub volume: u32,
    pub buy_quantity: u32,
    pub sell_quantity: u32,
    pub open: u32,
    pub high: u32,
    pub low: u32,
    pub close: u32,
    pub extra: Option<KiteFullExtra>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KitePacket {
    Ltp(KiteLtp),
    Index(KiteIndex),
    Quote(KiteQuote),
}

/// A decoded binary message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteFrame {
    /// The 1-byte keep-alive (any message shorter than 2 bytes).
    Heartbeat,
    Packets(Vec<KitePacket>),
}

impl KitePacket {
    pub fn token(&self) -> u32 {
        match self {
            KitePacket::Ltp(p) => p.token,
            KitePacket::Index(p) => p.token,
            KitePacket::Quote(p) => p.token,
        }
    }
}

/// The divisor that turns a wire price into rupees, by segment (`token & 0xff`):
/// CDS 1e7, BCD 1e4, NCO 1e4 (kiteconnect 5.2.2), everything else 100.
pub fn price_divisor(token: u32) -> f64 {
    match token & 0xff {
        3 => 10_000_000.0,
        6 | 12 => 10_000.0,
        _ => 100.0,
    }
}
