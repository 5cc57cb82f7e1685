//! The REST quote vocabulary every broker's `quotes.rs` speaks: which endpoint, one
//! request's worth of instruments, an answer row matched to its instrument, and the
//! row → `TickUpdate` step they share (prices checked onto the tick grid, IST times to
//! UTC, `source: Rest`), the way the socket adapters convert packets.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mandi_domain::time::{round_to_tick, IST_OFFSET_S};
use mandi_domain::{DepthLevel, Instrument, Mode, TickSource, TickUpdate};
use mandi_protocol::dhan::rest::RestQuote;

/// Which kind of quote API a request goes to; each broker maps it to its own path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteEndpoint {
    /// Last prices only (Dhan `POST /v2/marketfeed/ltp`, Kite `GET /quote/ltp`).
    Ltp,
    /// The full quote: depth, volume, OI, trade time (Dhan `/v2/marketfeed/quote`,
    /// Kite `GET /quote`).
    Quote,
}

impl QuoteEndpoint {
    /// Whether the answer carries only last prices.
    pub fn is_ltp(self) -> bool {
        self == QuoteEndpoint::Ltp
    }
}

/// One request's worth of instruments.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteBatch {
    pub endpoint: QuoteEndpoint,
    pub instruments: Vec<Arc<Instrument>>,
}

/// What one answer gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Converted {
    pub updates: Vec<TickUpdate>,
    /// Instruments of the batch the broker did not answer for (Kite leaves out unknown
    /// or expired keys; Dhan rows can be missing too).
    pub missing: usize,
    /// Rows with a negative or non-finite price, dropped whole as the socket does.
    pub rejected: usize,
}

/// One answer row, matched by the broker's module to the instrument it is about.
pub struct QuoteRow<'a> {
    pub instrument: &'a Instrument,
    pub quote: RestQuote,
    /// The exchange's stamp, in IST wall-clock seconds (the protocol crate's convention).
    pub exchange_ist_s: Option<i64>,
    /// The broker's `ohlc.close` is the previous session's close (Kite), not today's.
    pub prev_close_in_ohlc: bool,
}

/// Turn the matched rows of the answer to `batch` into updates, counting the batch's
/// instruments no row was about.
pub fn converted(
    batch: &QuoteBatch,
    rows: Vec<QuoteRow<'_>>,
    received_time: DateTime<Utc>,
) -> Converted {
    let ltp_only = batch.endpoint.is_ltp();
    let mut out = Converted::default();
    let mut answered = HashSet::with_capacity(rows.len());
    for row in rows {
        answered.insert(row.instrument.symbol.clone());
        match update(&row, ltp_only, received_time) {
            Some(u) => out.updates.push(u),
            None => out.rejected += 1,
        }
    }
    out.missing = batch
        .instruments
        .iter()
        .filter(|i| !answered.contains(&i.symbol))
        .count();
    out
}

/// IST wall-clock seconds (the protocol crate's convention) to a UTC instant.
pub fn ist_wall_to_utc(ist_s: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(ist_s - IST_OFFSET_S, 0).single()
}

/// One row as an update; `None` when any price in it is unusable.
fn update(row: &QuoteRow<'_>, ltp_only: bool, received_time: DateTime<Utc>) -> Option<TickUpdate> {
    let (inst, q) = (row.instrument, &row.quote);
    let tick = inst.tick_size;
    let price = |raw: f64| checked_price(raw, tick);
    let mut u = TickUpdate {
        symbol: inst.symbol.clone(),
        mode: Some(Mode::Ltp),
        ltp: Some(price(q.last_price)?),
        exchange_time: row.exchange_ist_s.and_then(ist_wall_to_utc),
        received_time,
        source: TickSource::Rest,
        ..TickUpdate::default()
    };
    if ltp_only {
        return Some(u);
    }
    u.mode = Some(if q.depth.is_some() {
        Mode::Full
    } else {
        Mode::Quote
    });
    u.last_qty = q.last_quantity;
    u.avg_price = match q.average_price {
        Some(raw) => Some(price(raw)?),
        None => None,
    };
    u.volume = q.volume;
    u.total_buy_qty = q.buy_quantity;
    u.total_sell_qty = q.sell_quantity;
    u.oi = q.oi;
    if let Some(ohlc) = q.ohlc {
        u.open = Some(price(ohlc.open)?);
        u.high = Some(price(ohlc.high)?);
        u.low = Some(price(ohlc.low)?);
        if row.prev_close_in_ohlc {
            u.prev_close = Some(price(ohlc.close)?);
        }
    }
    if let Some(depth) = q.depth {
        let mut levels = [DepthLevel::default(); 5];
        for (out, level) in levels.iter_mut().zip(depth) {
            *out = DepthLevel {
                bid_price: price(level.bid_price)?,
                ask_price: price(level.ask_price)?,
                ..level
            };
        }
        u.depth = Some(levels);
    }
    Some(u)
}

/// Finite and non-negative, then onto the tick grid; anything else drops the row.
fn checked_price(raw: f64, tick: f64) -> Option<f64> {
    (raw.is_finite() && raw >= 0.0).then(|| round_to_tick(raw, tick))
}
