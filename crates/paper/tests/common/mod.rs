//! Shared fixtures for the paper tests: instruments from each class and exchange, quotes
//! stamped at a fixed clock, and order requests.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mandi_domain::{Derivative, Exchange, Instrument, OptionType, Segment, Tick, TickSource};
use mandi_paper::{Fill, OrderKind, OrderRequest, PaperEvent, Side};

/// 2026-02-03 09:30:00 IST, plus `secs`.
pub fn at(secs: i64) -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2026, 2, 3, 4, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::seconds(secs)
}

fn instrument(
    symbol: &str,
    exchange: Exchange,
    segment: Segment,
    tick_size: f64,
    lot_size: u32,
    derivative: Option<Derivative>,
) -> Instrument {
    Instrument {
        symbol: symbol.into(),
        exchange,
        segment,
        security_id: 1,
        kite_token: 1,
        kite_key: format!("X:{symbol}").into(),
        tick_size,
        lot_size,
        derivative,
    }
}

fn derivative(
    underlying: &str,
    strike: Option<f64>,
    option_type: Option<OptionType>,
) -> Derivative {
    Derivative {
        underlying: underlying.into(),
        expiry: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default(),
        strike,
        option_type,
    }
}

pub fn nifty_ce() -> Instrument {
    let d = derivative("NIFTY", Some(25_000.0), Some(OptionType::Call));
    instrument(
        "NIFTY26FEB25000CE",
        Exchange::Nse,
        Segment::NseFno,
        0.05,
        65,
        Some(d),
    )
}

pub fn nifty_fut() -> Instrument {
    let d = derivative("NIFTY", None, None);
    instrument(
        "NIFTY26FEBFUT",
        Exchange::Nse,
        Segment::NseFno,
        0.1,
        65,
        Some(d),
    )
}

pub fn sensex_pe() -> Instrument {
    let d = derivative("SENSEX", Some(82_000.0), Some(OptionType::Put));
    instrument(
        "SENSEX26FEB82000PE",
        Exchange::Bse,
        Segment::BseFno,
        0.05,
        20,
        Some(d),
    )
}

pub fn crude_fut() -> Instrument {
    let d = derivative("CRUDEOIL", None, None);
    instrument(
        "CRUDEOIL26FEBFUT",
        Exchange::Mcx,
        Segment::McxComm,
        1.0,
        100,
        Some(d),
    )
}

pub fn reliance() -> Instrument {
    instrument("RELIANCE", Exchange::Nse, Segment::NseEq, 0.1, 1, None)
}

pub fn nifty_index() -> Instrument {
    instrument("NIFTY", Exchange::Nse, Segment::IdxI, 0.05, 1, None)
}

/// A live quote stamped by the exchange at `at(secs)`, with displayed sizes.
pub fn quote_sized(
    inst: &Instrument,
    (bid, ask, ltp): (f64, f64, f64),
    (bid_qty, ask_qty): (u32, u32),
    secs: i64,
) -> Tick {
    let mut t = Tick::empty(inst.symbol.clone(), at(secs));
    t.bid = bid;
    t.ask = ask;
    t.ltp = ltp;
    t.bid_qty = bid_qty;
    t.ask_qty = ask_qty;
    t.exchange_time = Some(at(secs));
    t.source = TickSource::Socket;
    t
}

/// A live quote with deep displayed size (nothing hits the residual rule).
pub fn quote(inst: &Instrument, (bid, ask, ltp): (f64, f64, f64), secs: i64) -> Tick {
    quote_sized(inst, (bid, ask, ltp), (100_000, 100_000), secs)
}

pub fn request(side: Side, kind: OrderKind, lots: u32) -> OrderRequest {
    OrderRequest {
        side,
        kind,
        lots,
        tag: "test-bot".into(),
        reason: "entry".into(),
    }
}

pub fn fills(events: &[PaperEvent]) -> Vec<&Fill> {
    events
        .iter()
        .filter_map(|e| match e {
            PaperEvent::OrderFilled { fill } => Some(fill),
            _ => None,
        })
        .collect()
}

/// Short names of the events, for asserting on the shape of a call's answer.
pub fn kinds(events: &[PaperEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            PaperEvent::OrderAccepted { .. } => "accepted",
            PaperEvent::OrderRejected { .. } => "rejected",
            PaperEvent::OrderTriggered { .. } => "triggered",
            PaperEvent::OrderFilled { .. } => "filled",
            PaperEvent::FillRefused { .. } => "refused",
            PaperEvent::OrderCancelled { .. } => "cancelled",
            PaperEvent::PositionChanged { .. } => "position",
        })
        .collect()
}
