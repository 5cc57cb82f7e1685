//! Kite's instruments CSV (protocols.md B6), in the shape `kiteconnect`'s
//! `instruments()` parses: integer tokens and lot sizes, float strikes and ticks
//! (never empty), `YYYY-MM-DD` or empty expiries.
//!
//! ```text
//! 10335234,40372,NIFTY26DEC25800CE,NIFTY,525.9,2026-12-29,25800.0,0.05,75,CE,NFO-OPT,NFO
//! ```

use mandi_domain::Instrument;
use mandi_protocol::kite::SEGMENT_INDICES;

use super::{decimal, field, names};
use crate::market::symbols::iso_date;

pub const HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange";

/// One CSV line (no newline) and the `exchange` column it carries, which is what
/// `/instruments/{exchange}` filters on.
pub fn row(i: &Instrument, last_price: f64) -> (&str, String) {
    let (exchange, symbol) = i.kite_key.split_once(':').unwrap_or(("NSE", &i.kite_key));
    let index = i.kite_segment() == SEGMENT_INDICES;
    let (name, expiry, strike, kind, segment) = match &i.derivative {
        Some(d) => {
            let kind = d.option_type.map_or("FUT", |o| o.as_str());
            let segment = if d.strike.is_some() { "OPT" } else { "FUT" };
            (
                d.underlying.to_string(),
                iso_date(d.expiry),
                d.strike.map_or("0.0".to_string(), decimal),
                kind,
                format!("{exchange}-{segment}"),
            )
        }
        None if index => (
            symbol.to_string(),
            String::new(),
            "0.0".to_string(),
            "EQ",
            "INDICES".to_string(),
        ),
        None => (
            names::kite_name(&i.symbol).to_string(),
            String::new(),
            "0.0".to_string(),
            "EQ",
            exchange.to_string(),
        ),
    };
    // Kite lists indices with a zero tick and lot: they cannot be traded.
    let (tick, lot) = if index {
        ("0.0".to_string(), 0)
    } else {
        (decimal(i.tick_size), i.lot_size)
    };
    let line = [
        i.kite_token.to_string(),
        (i.kite_token >> 8).to_string(),
        field(symbol),
        field(&name),
        decimal(last_price),
        expiry,
        strike,
        tick,
        lot.to_string(),
        kind.to_string(),
        segment,
        exchange.to_string(),
    ]
    .join(",");
    (exchange, line)
}
