//! Builds Dhan v2 feed packets (protocols.md A3) from the simulated market state.
//! Prices are f32 rupees; LTT is the IST wall-clock epoch Dhan uses.

use mandi_domain::time::utc_to_dhan_ltt;
use mandi_domain::{Instrument, Mode};
use mandi_protocol::dhan::{
    DhanDepthLevel, DhanDisconnect, DhanDisconnectReason, DhanFull, DhanInstrument, DhanOi,
    DhanPacket, DhanPrevClose, DhanQuote, DhanTicker,
};

use crate::market::Quote;

/// The packets one mode streams for an instrument: ticker; quote then OI; full.
pub fn for_mode(i: &Instrument, q: &Quote, mode: Mode) -> Vec<DhanPacket> {
    match mode {
        Mode::Ltp => vec![ticker(i, q)],
        Mode::Quote => vec![quote(i, q), oi(i, q)],
        Mode::Full => vec![full(i, q)],
    }
}

/// Code 6, sent once per instrument on subscribe. Previous close is the start price.
pub fn prev_close(i: &Instrument, q: &Quote) -> DhanPacket {
    DhanPacket::PrevClose(DhanPrevClose {
        instrument: header(i),
        prev_close: q.prev_close as f32,
        prev_oi: sat(q.prev_oi),
    })
}

/// Code 50 with segment and id 0, as the live feed sends it.
pub fn disconnect(reason: DhanDisconnectReason) -> DhanPacket {
    DhanPacket::Disconnect(DhanDisconnect {
        instrument: DhanInstrument {
            segment: 0,
            security_id: 0,
        },
        reason: reason.code(),
    })
}

fn ticker(i: &Instrument, q: &Quote) -> DhanPacket {
    DhanPacket::Ticker(DhanTicker {
        instrument: header(i),
        ltp: q.ltp as f32,
        ltt: utc_to_dhan_ltt(q.last_trade_time),
    })
}

/// Today's close, which the live feed fills only after the market closes; the
/// simulated market never closes. The previous close travels in code 6 alone.
const DAY_CLOSE_WHILE_OPEN: f32 = 0.0;

fn quote(i: &Instrument, q: &Quote) -> DhanPacket {
    DhanPacket::Quote(quote_fields(i, q))
}

/// The quote packet's fields, which the full packet repeats: one mapping serves both,
/// so the two modes can never disagree on a price, a wrap or a saturation.
fn quote_fields(i: &Instrument, q: &Quote) -> DhanQuote {
    DhanQuote {
        instrument: header(i),
        ltp: q.ltp as f32,
        // u16 on the wire: larger quantities wrap, exactly as on the live feed.
        ltq: q.last_qty as u16,
        ltt: utc_to_dhan_ltt(q.last_trade_time),
        atp: q.avg_price as f32,
        volume: sat(q.volume),
        total_sell_qty: sat(q.total_sell_qty),
        total_buy_qty: sat(q.total_buy_qty),
        open: q.open as f32,
        close: DAY_CLOSE_WHILE_OPEN,
        high: q.high as f32,
        low: q.low as f32,
    }
}

fn oi(i: &Instrument, q: &Quote) -> DhanPacket {
    DhanPacket::Oi(DhanOi {
        instrument: header(i),
        oi: sat(q.oi),
    })
}

fn full(i: &Instrument, q: &Quote) -> DhanPacket {
    let depth = q.depth.map(|d| DhanDepthLevel {
        bid_qty: d.bid_qty,
        ask_qty: d.ask_qty,
        bid_orders: d.bid_orders.min(u32::from(u16::MAX)) as u16,
        ask_orders: d.ask_orders.min(u32::from(u16::MAX)) as u16,
        bid_price: d.bid_price as f32,
        ask_price: d.ask_price as f32,
    });
    // Destructured in full, so a field added to the quote packet fails to compile here
    // until the full packet decides what to do with it.
    let DhanQuote {
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
    } = quote_fields(i, q);
    DhanPacket::Full(DhanFull {
        instrument,
        ltp,
        ltq,
        ltt,
        atp,
        volume,
        total_sell_qty,
        total_buy_qty,
        oi: sat(q.oi),
        oi_day_high: sat(q.oi_day_high),
        oi_day_low: sat(q.oi_day_low),
        open,
        close,
        high,
        low,
        depth,
    })
}

fn header(i: &Instrument) -> DhanInstrument {
    DhanInstrument {
        segment: i.segment.code(),
        security_id: i.security_id,
    }
}

fn sat(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
