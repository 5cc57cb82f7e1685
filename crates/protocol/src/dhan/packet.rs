//! Dhan v2 server packet types (protocols.md A3). Prices are f32 rupees as on the wire;
//! rounding to the tick happens in the runtime, not here.

use mandi_domain::Segment;

use crate::DecodeError;

/// Feed response codes (byte 0 of every packet).
pub mod code {
    /// Ticker: LTP and LTT.
    pub const TICKER: u8 = 2;
    /// Quote: LTP, LTQ, ATP, volume, totals and OHLC.
    pub const QUOTE: u8 = 4;
    /// Open interest, sent alongside quote subscriptions.
    pub const OI: u8 = 5;
    /// Previous close and OI, sent once on subscribe in any mode.
    pub const PREV_CLOSE: u8 = 6;
    /// Market status: header only, semantics undocumented.
    pub const MARKET_STATUS: u8 = 7;
    /// Full: quote fields, OI and five depth levels.
    pub const FULL: u8 = 8;
    /// Server-side disconnect with a reason code.
    pub const DISCONNECT: u8 = 50;
}

/// Total packet sizes, header included; the header's `message_length` carries these.
pub mod size {
    use super::code;

    /// The 8-byte response header every packet starts with.
    pub const HEADER: usize = 8;
    /// Code 2.
    pub const TICKER: usize = 16;
    /// Code 4.
    pub const QUOTE: usize = 50;
    /// Code 5.
    pub const OI: usize = 12;
    /// Code 6.
    pub const PREV_CLOSE: usize = 16;
    /// Code 7 (header only).
    pub const MARKET_STATUS: usize = 8;
    /// Code 8.
    pub const FULL: usize = 162;
    /// Code 50.
    pub const DISCONNECT: usize = 10;

    /// The fixed size of the packet with response code `code`, or `None` for a code this
    /// crate has no layout for. The decoder trusts this table over the header's length.
    pub fn for_code(response_code: u8) -> Option<usize> {
        match response_code {
            code::TICKER => Some(TICKER),
            code::QUOTE => Some(QUOTE),
            code::OI => Some(OI),
            code::PREV_CLOSE => Some(PREV_CLOSE),
            code::MARKET_STATUS => Some(MARKET_STATUS),
            code::FULL => Some(FULL),
            code::DISCONNECT => Some(DISCONNECT),
            _ => None,
        }
    }
}

/// Which instrument a packet is about: the header's segment byte and security id.
/// The segment is kept raw so an unknown segment still decodes (and is reported later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DhanInstrument {
    /// Header byte 3: the numeric exchange segment (0..=8, 6 unused).
    pub segment: u8,
    /// Header bytes 4..8, LE: Dhan's security id (e.g. 1333 = HDFCBANK).
    pub security_id: u32,
}

impl DhanInstrument {
    /// The segment as the domain type, or `UnknownSegment` for a byte Dhan does not use.
    pub fn known_segment(&self) -> Result<Segment, DecodeError> {
        Segment::from_code(self.segment).ok_or(DecodeError::UnknownSegment { code: self.segment })
    }
}

/// Code 2, 16 bytes: `f32 ltp @8, u32 ltt @12`.
///
/// HDFCBANK (NSE_EQ 1333) at ₹1642.35, LTT 1718343000 (`tests/fixtures/dhan_ticker.hex`):
/// `02 1000 01 35050000 | 334bcd44 | 58d56b66`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanTicker {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Last traded price in rupees (1642.35 travels as 1642.349976).
    pub ltp: f32,
    /// IST wall-clock epoch seconds (see `mandi_domain::time::dhan_ltt_to_utc`).
    pub ltt: u32,
}

/// Code 4, 50 bytes. Note the wire order: sell qty before buy qty, and
/// open, close, high, low.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanQuote {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Last traded price, rupees.
    pub ltp: f32,
    /// Last traded quantity: only 16 bits on the wire, so larger trades wrap.
    pub ltq: u16,
    /// IST wall-clock epoch seconds.
    pub ltt: u32,
    /// Average traded price.
    pub atp: f32,
    /// Volume traded today.
    pub volume: u32,
    /// Total pending sell quantity (on the wire before the buy quantity).
    pub total_sell_qty: u32,
    /// Total pending buy quantity.
    pub total_buy_qty: u32,
    /// Day open, rupees.
    pub open: f32,
    /// Day close: only meaningful after market close.
    pub close: f32,
    /// Day high, rupees.
    pub high: f32,
    /// Day low, rupees.
    pub low: f32,
}

/// Code 5, 12 bytes: `u32 oi @8`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanOi {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Open interest.
    pub oi: u32,
}

/// Code 6, 16 bytes: `f32 prev_close @8, u32 prev_oi @12`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanPrevClose {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Previous trading day's close, rupees.
    pub prev_close: f32,
    /// Previous trading day's open interest.
    pub prev_oi: u32,
}

/// One level of the Full packet's depth: bid and ask side by side (20 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DhanDepthLevel {
    /// Quantity bid at this level.
    pub bid_qty: u32,
    /// Quantity offered at this level.
    pub ask_qty: u32,
    /// Orders on the bid side.
    pub bid_orders: u16,
    /// Orders on the ask side.
    pub ask_orders: u16,
    /// Bid price, rupees.
    pub bid_price: f32,
    /// Ask price, rupees.
    pub ask_price: f32,
}

/// Code 8, 162 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanFull {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Last traded price, rupees.
    pub ltp: f32,
    /// Last traded quantity (16 bits on the wire; wraps above 65535).
    pub ltq: u16,
    /// Last trade time, IST wall-clock epoch seconds.
    pub ltt: u32,
    /// Average traded price, rupees.
    pub atp: f32,
    /// Volume traded today.
    pub volume: u32,
    /// Total pending sell quantity (on the wire before the buy quantity).
    pub total_sell_qty: u32,
    /// Total pending buy quantity.
    pub total_buy_qty: u32,
    /// Open interest.
    pub oi: u32,
    /// Documented for NSE_FNO only.
    pub oi_day_high: u32,
    /// Documented for NSE_FNO only.
    pub oi_day_low: u32,
    /// Day open, rupees.
    pub open: f32,
    /// Day close, rupees: only meaningful after market close.
    pub close: f32,
    /// Day high, rupees.
    pub high: f32,
    /// Day low, rupees.
    pub low: f32,
    /// Level 0 is the best bid and ask.
    pub depth: [DhanDepthLevel; 5],
}

/// Code 50, 10 bytes: the server's reason for closing (`u16 reason @8`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhanDisconnect {
    /// Header segment and security id.
    pub instrument: DhanInstrument,
    /// Annexure code; see [`DhanDisconnectReason`] and [`DhanDisconnect::reason_kind`].
    pub reason: u16,
}

/// Every main-feed packet the runtime understands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DhanPacket {
    /// Code 2.
    Ticker(DhanTicker),
    /// Code 4.
    Quote(DhanQuote),
    /// Code 5.
    Oi(DhanOi),
    /// Code 6.
    PrevClose(DhanPrevClose),
    /// Code 7: header only.
    MarketStatus(DhanInstrument),
    /// Code 8.
    Full(DhanFull),
    /// Code 50.
    Disconnect(DhanDisconnect),
}

impl DhanPacket {
    /// The instrument from the packet header (zeros for a disconnect, in practice).
    pub fn instrument(&self) -> DhanInstrument {
        match self {
            DhanPacket::Ticker(p) => p.instrument,
            DhanPacket::Quote(p) => p.instrument,
            DhanPacket::Oi(p) => p.instrument,
            DhanPacket::PrevClose(p) => p.instrument,
            DhanPacket::MarketStatus(instrument) => *instrument,
            DhanPacket::Full(p) => p.instrument,
            DhanPacket::Disconnect(p) => p.instrument,
        }
    }

    /// The response code (byte 0) this packet travels with.
    pub fn code(&self) -> u8 {
        match self {
            DhanPacket::Ticker(_) => code::TICKER,
            DhanPacket::Quote(_) => code::QUOTE,
            DhanPacket::Oi(_) => code::OI,
            DhanPacket::PrevClose(_) => code::PREV_CLOSE,
            DhanPacket::MarketStatus(_) => code::MARKET_STATUS,
            DhanPacket::Full(_) => code::FULL,
            DhanPacket::Disconnect(_) => code::DISCONNECT,
        }
    }

    /// Total encoded size, header included (what `message_length` carries).
    pub fn wire_size(&self) -> usize {
        match self {
            DhanPacket::Ticker(_) => size::TICKER,
            DhanPacket::Quote(_) => size::QUOTE,
            DhanPacket::Oi(_) => size::OI,
            DhanPacket::PrevClose(_) => size::PREV_CLOSE,
            DhanPacket::MarketStatus(_) => size::MARKET_STATUS,
            DhanPacket::Full(_) => size::FULL,
            DhanPacket::Disconnect(_) => size::DISCONNECT,
        }
    }
}

/// Disconnect reason codes (annexure numbering, protocols.md A3.8).
/// Convert with [`DhanDisconnectReason::from_code`]; classify with `is_auth`/`is_fatal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DhanDisconnectReason {
    /// 800.
    InternalError,
    /// 804: requested number of instruments exceeds the limit.
    InstrumentLimit,
    /// 805: a 6th connection made the server drop the oldest one.
    TooManyConnections,
    /// 806: the account has no Data API plan.
    DataPlanInactive,
    /// 807.
    TokenExpired,
    /// 808: client id or access token invalid.
    AuthFailed,
    /// 809.
    TokenInvalid,
    /// 810.
    ClientIdInvalid,
    /// Any code not in the table above, kept verbatim.
    Other(u16),
}
