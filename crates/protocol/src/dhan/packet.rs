//! Dhan v2 server packet types (protocols.md A3). Prices are f32 rupees as on the wire;
//! rounding to the tick happens in the runtime, not here.

/// Feed response codes (byte 0 of every packet).
pub mod code {
    pub const TICKER: u8 = 2;
    pub const QUOTE: u8 = 4;
    pub const OI: u8 = 5;
    pub const PREV_CLOSE: u8 = 6;
    pub const MARKET_STATUS: u8 = 7;
    pub const FULL: u8 = 8;
    pub const DISCONNECT: u8 = 50;
}

/// Total packet sizes, header included; the header's `message_length` carries these.
pub mod size {
    pub const HEADER: usize = 8;
    pub const TICKER: usize = 16;
    pub const QUOTE: usize = 50;
    pub const OI: usize = 12;
    pub const PREV_CLOSE: usize = 16;
    pub const MARKET_STATUS: usize = 8;
    pub const FULL: usize = 162;
    pub const DISCONNECT: usize = 10;
}

/// Which instrument a packet is about: the header's segment byte and security id.
/// The segment is kept raw so an unknown segment still decodes (and is reported later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DhanInstrument {
    pub segment: u8,
    pub security_id: u32,
}

/// Code 2, 16 bytes: `f32 ltp @8, u32 ltt @12`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanTicker {
    pub instrument: DhanInstrument,
    pub ltp: f32,
    /// IST wall-clock epoch seconds (see `mandi_domain::time::dhan_ltt_to_utc`).
    pub ltt: u32,
}

/// Code 4, 50 bytes. Note the wire order: sell qty before buy qty, and
/// open, close, high, low.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanQuote {
    pub instrument: DhanInstrument,
    pub ltp: f32,
    pub ltq: u16,
    pub ltt: u32,
    pub atp: f32,
    pub volume: u32,
    pub total_sell_qty: u32,
    pub total_buy_qty: u32,
    pub open: f32,
    pub close: f32,
    pub high: f32,
    pub low: f32,
}

/// Code 5, 12 bytes: `u32 oi @8`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanOi {
    pub instrument: DhanInstrument,
    pub oi: u32,
}

/// Code 6, 16 bytes: `f32 prev_close @8, u32 prev_oi @12`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanPrevClose {
    pub instrument: DhanInstrument,
    pub prev_close: f32,
    pub prev_oi: u32,
}

/// One level of the Full packet's depth: bid and ask side by side (20 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DhanDepthLevel {
    pub bid_qty: u32,
    pub ask_qty: u32,
    pub bid_orders: u16,
    pub ask_orders: u16,
    pub bid_price: f32,
    pub ask_price: f32,
}

/// Code 8, 162 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanFull {
    pub instrument: DhanInstrument,
    pub ltp: f32,
    pub ltq: u16,
    pub ltt: u32,
    pub atp: f32,
    pub volume: u32,
    pub total_sell_qty: u32,
    pub total_buy_qty: u32,
    pub oi: u32,
    pub oi_day_high: u32,
    pub oi_day_low: u32,
    pub open: f32,
    pub close: f32,
    pub high: f32,
    pub low: f32,
    pub depth: [DhanDepthLevel; 5],
}

/// Code 50, 10 bytes: the server's reason for closing (`u16 reason @8`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanDisconnect {
    pub instrument: DhanInstrument,
    pub reason: u16,
}

/// Every main-feed packet the runtime understands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DhanPacket {
    Ticker(DhanTicker),
    Quote(DhanQuote),
    Oi(DhanOi),
    PrevClose(DhanPrevClose),
    /// Code 7: header only.
    MarketStatus(DhanInstrument),
    Full(DhanFull),
    Disconnect(DhanDisconnect),
}

/// Disconnect reason codes (annexure numbering, protocols.md A3.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DhanDisconnectReason {
    InternalError,
    InstrumentLimit,
    TooManyConnections,
    DataPlanInactive,
    TokenExpired,
    AuthFailed,
    TokenInvalid,
    ClientIdInvalid,
    Other(u16),
}
