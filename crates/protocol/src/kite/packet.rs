//! Kite packet types (protocols.md B3). Prices stay as the integers on the wire
//! (paise, or 1e-7 / 1e-4 rupee for currency segments); `price_divisor` scales them.

use mandi_domain::Mode;

/// Packet lengths, which also give the mode.
pub mod size {
    /// Any instrument, ltp mode.
    pub const LTP: usize = 8;
    /// Index (segment 9), quote mode.
    pub const INDEX_QUOTE: usize = 28;
    /// Index, full mode (adds the exchange timestamp).
    pub const INDEX_FULL: usize = 32;
    /// Tradable instrument, quote mode.
    pub const QUOTE: usize = 44;
    /// Tradable instrument, full mode (adds times, OI and 5+5 depth).
    pub const FULL: usize = 184;

    /// Every valid packet length, ascending.
    pub const ALL: [usize; 5] = [LTP, INDEX_QUOTE, INDEX_FULL, QUOTE, FULL];
}

/// Kite's segment id for indices (`instrument_token & 0xff == 9`), which are not tradable.
pub const SEGMENT_INDICES: u8 = 9;

/// A heartbeat the simulator can send. Clients ignore the content of any message shorter
/// than 2 bytes; the real byte value is undocumented.
pub const HEARTBEAT: &[u8] = &[0];

/// 8 bytes: token and last price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteLtp {
    /// `exchange_token << 8 | segment`.
    pub token: u32,
    /// Last traded price, wire units (÷ `price_divisor`).
    pub last_price: u32,
}

/// 28 bytes (quote) or 32 bytes (full, with `exchange_timestamp`), segment 9.
/// Wire order: last, high, low, open, close, change.
/// Every field is an unsigned 32-bit big-endian integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteIndex {
    /// `exchange_token << 8 | segment`.
    pub token: u32,
    /// Last traded price, wire units (÷ `price_divisor`).
    pub last_price: u32,
    /// Day high, wire units.
    pub high: u32,
    /// Day low, wire units.
    pub low: u32,
    /// Day open, wire units.
    pub open: u32,
    /// Previous day's close, wire units.
    pub close: u32,
    /// The packet's own change field @24. No official client decodes it (they compute
    /// the change from last and close), so its encoding is unconfirmed; kept raw.
    pub change: u32,
    /// Present only in the 32-byte full packet.
    pub exchange_timestamp: Option<u32>,
}

/// One 12-byte depth entry: quantity, price, orders, 2 bytes padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct KiteDepthEntry {
    /// Quantity at this price.
    pub quantity: u32,
    /// Price, wire units.
    pub price: u32,
    /// 16 bits on the wire, followed by 2 bytes of padding (zero in the official mock).
    pub orders: u16,
}

/// The 140 extra bytes of a full (184-byte) tradable packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteFullExtra {
    /// Unix epoch seconds (true UTC, unlike Dhan's IST wall-clock epoch).
    pub last_trade_time: u32,
    /// Open interest.
    pub oi: u32,
    /// Day's highest open interest.
    pub oi_day_high: u32,
    /// Day's lowest open interest.
    pub oi_day_low: u32,
    /// Unix epoch seconds.
    pub exchange_timestamp: u32,
    /// Best bid first.
    pub buy: [KiteDepthEntry; 5],
    /// Best ask first.
    pub sell: [KiteDepthEntry; 5],
}

/// 44 bytes (quote) or 184 bytes (full, `extra` set), tradable instruments.
/// Wire order: ltp, ltq, atp, volume, buy qty, sell qty, open, high, low, close.
///
/// The official mock quote for INFY (408065), `tests/fixtures/kite_quote.hex`:
/// `00063a01 00026683 00000001 00026569 0011f1b2 0003e9ff 00058037 000264f3 0002673c
/// 000261c9 0002646c` = ₹1573.15, qty 1, avg ₹1570.33, volume 1175986, buy 256511,
/// sell 360503, OHLC 1569.15 / 1575.00 / 1561.05 / 1567.80.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KiteQuote {
    /// `exchange_token << 8 | segment`.
    pub token: u32,
    /// Last traded price, wire units (÷ `price_divisor`).
    pub last_price: u32,
    /// Last traded quantity.
    pub last_quantity: u32,
    /// Average traded price, wire units.
    pub average_price: u32,
    /// Volume traded today.
    pub volume: u32,
    /// Total pending buy quantity (on the wire before the sell quantity).
    pub buy_quantity: u32,
    /// Total pending sell quantity.
    pub sell_quantity: u32,
    /// Day open, wire units.
    pub open: u32,
    /// Day high, wire units.
    pub high: u32,
    /// Day low, wire units.
    pub low: u32,
    /// Previous day's close.
    pub close: u32,
    /// Present only in the 184-byte full packet.
    pub extra: Option<KiteFullExtra>,
}

/// One packet of a frame; the packet length tells which variant it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KitePacket {
    /// 8 bytes.
    Ltp(KiteLtp),
    /// 28 or 32 bytes (indices).
    Index(KiteIndex),
    /// 44 or 184 bytes (tradable instruments).
    Quote(KiteQuote),
}

/// A decoded binary message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteFrame {
    /// The 1-byte keep-alive (any message shorter than 2 bytes).
    Heartbeat,
    /// The packets of a data frame, in wire order (possibly none).
    Packets(Vec<KitePacket>),
}

impl KitePacket {
    /// The instrument token, whichever the kind.
    pub fn token(&self) -> u32 {
        match self {
            KitePacket::Ltp(p) => p.token,
            KitePacket::Index(p) => p.token,
            KitePacket::Quote(p) => p.token,
        }
    }

    /// The subscription mode the packet length stands for.
    pub fn mode(&self) -> Mode {
        match self {
            KitePacket::Ltp(_) => Mode::Ltp,
            KitePacket::Index(p) if p.exchange_timestamp.is_some() => Mode::Full,
            KitePacket::Quote(p) if p.extra.is_some() => Mode::Full,
            KitePacket::Index(_) | KitePacket::Quote(_) => Mode::Quote,
        }
    }

    /// Encoded length of the packet body (without its u16 length prefix).
    pub fn wire_len(&self) -> usize {
        match self {
            KitePacket::Ltp(_) => size::LTP,
            KitePacket::Index(p) if p.exchange_timestamp.is_some() => size::INDEX_FULL,
            KitePacket::Index(_) => size::INDEX_QUOTE,
            KitePacket::Quote(p) if p.extra.is_some() => size::FULL,
            KitePacket::Quote(_) => size::QUOTE,
        }
    }

    /// False for indices, as the official clients report it (`tradable`).
    pub fn tradable(&self) -> bool {
        is_tradable(self.token())
    }

    /// `price_divisor` for this packet's token.
    pub fn price_divisor(&self) -> f64 {
        price_divisor(self.token())
    }
}

/// The segment id of a token (`token & 0xff`).
pub fn segment_of(token: u32) -> u8 {
    // Masked to 8 bits first, so the narrowing is lossless.
    (token & 0xff) as u8
}

/// Everything but indices (segment 9) can be traded.
pub fn is_tradable(token: u32) -> bool {
    segment_of(token) != SEGMENT_INDICES
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
