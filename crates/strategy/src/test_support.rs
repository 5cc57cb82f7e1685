//! Builders shared by this crate's tests: instants on a fixed IST trading day, bars, ticks
//! and option instruments. Every instant is written in IST and converted to UTC.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use mandi_domain::{
    Candle, Derivative, Exchange, Instrument, OptionType, Segment, Tick, TickSource,
};

use crate::clock::ist_instant;

/// Tuesday 3 February 2026, a NIFTY weekly expiry day.
pub fn day() -> NaiveDate {
    date(2026, 2, 3)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

pub fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// `h:m:s` IST on [`day`], as UTC.
pub fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    ist_on(day(), h, m, s)
}

pub fn ist_on(date: NaiveDate, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    ist_instant(date, NaiveTime::from_hms_opt(h, m, s).unwrap_or_default())
}

pub fn plus_ms(t: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    t + TimeDelta::milliseconds(ms)
}

/// The 1-minute bar starting at `start`.
pub fn bar_at(start: DateTime<Utc>, open: f64, high: f64, low: f64, close: f64) -> Candle {
    Candle {
        start,
        open,
        high,
        low,
        close,
        volume: 0,
    }
}

/// A live socket tick stamped `at` by the exchange and received at `at`, one tick wide.
pub fn tick(symbol: &str, ltp: f64, at: DateTime<Utc>) -> Tick {
    let mut t = Tick::empty(symbol.into(), at);
    t.ltp = ltp;
    t.bid = ltp - 0.05;
    t.ask = ltp + 0.05;
    t.exchange_time = Some(at);
    t.source = TickSource::Socket;
    t
}

/// An option as the Dhan master names it (`NIFTY 10 FEB 25750 CALL`).
pub fn option(
    underlying: &str,
    exchange: Exchange,
    expiry: NaiveDate,
    strike: Option<f64>,
    option_type: OptionType,
) -> Arc<Instrument> {
    let kind = match option_type {
        OptionType::Call => "CALL",
        OptionType::Put => "PUT",
    };
    let strike_text = strike.map_or("?".to_string(), |s| format!("{s}"));
    let symbol = format!(
        "{underlying} {} {strike_text} {kind}",
        expiry.format("%d %b").to_string().to_uppercase()
    );
    let segment = match exchange {
        Exchange::Nse => Segment::NseFno,
        Exchange::Bse => Segment::BseFno,
        Exchange::Mcx => Segment::McxComm,
    };
    Arc::new(Instrument {
        kite_key: format!("NFO:{symbol}").into(),
        symbol: symbol.into(),
        exchange,
        segment,
        security_id: 0,
        kite_token: 0,
        tick_size: 0.05,
        lot_size: 65,
        derivative: Some(Derivative {
            underlying: underlying.into(),
            expiry,
            strike,
            option_type: Some(option_type),
        }),
    })
}

/// A NIFTY option on NSE expiring on `day` of February 2026.
pub fn nifty(feb_day: u32, strike: f64, option_type: OptionType) -> Arc<Instrument> {
    option(
        "NIFTY",
        Exchange::Nse,
        date(2026, 2, feb_day),
        Some(strike),
        option_type,
    )
}
