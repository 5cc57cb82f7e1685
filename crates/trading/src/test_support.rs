//! Fixtures for the state tests: a NIFTY option, quotes on it at a fixed clock, and the
//! order requests the tests place.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mandi_domain::{Derivative, Exchange, Instrument, Mode, OptionType, Segment, Tick};
use mandi_instruments::InstrumentIndex;
use mandi_paper::{OrderKind, OrderRequest, Side};

pub const CE: &str = "NIFTY-Feb2026-25000-CE";

/// 2026-02-03 09:30:00 IST, plus `secs`.
pub fn at(secs: i64) -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2026, 2, 3, 4, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::seconds(secs)
}

pub fn nifty_ce() -> Instrument {
    Instrument {
        symbol: CE.into(),
        exchange: Exchange::Nse,
        segment: Segment::NseFno,
        security_id: 44_430,
        kite_token: 0,
        kite_key: format!("NFO:{CE}").into(),
        tick_size: 0.05,
        lot_size: 65,
        derivative: Some(Derivative {
            underlying: "NIFTY".into(),
            expiry: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default(),
            strike: Some(25_000.0),
            option_type: Some(OptionType::Call),
        }),
    }
}

pub fn index() -> InstrumentIndex {
    InstrumentIndex::build(vec![nifty_ce()]).expect("one instrument builds an index")
}

/// A live two-sided quote on `symbol`, stamped `at_s` seconds into the fixed clock.
pub fn quote(symbol: &str, bid: f64, ask: f64, at_s: i64) -> Tick {
    let stamp = at(at_s);
    let mut t = Tick::empty(Arc::from(symbol), stamp);
    t.mode = Mode::Full;
    t.ltp = (bid + ask) / 2.0;
    t.bid = bid;
    t.ask = ask;
    t.bid_qty = 1_000;
    t.ask_qty = 1_000;
    t.exchange_time = Some(stamp);
    t
}

pub fn request(side: Side, kind: OrderKind, tag: &str) -> OrderRequest {
    OrderRequest {
        side,
        kind,
        lots: 1,
        tag: tag.into(),
        reason: "test".into(),
    }
}
