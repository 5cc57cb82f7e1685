//! Instruments and helpers the brokers' unit tests share (test builds only): the three
//! instruments the subscribe plans use, and the index, clock and case runner of the
//! REST quote conversions, the credential-variable cases and the header lookup of a call.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mandi_domain::{Exchange, Instrument, Mode, Segment, TickSource, TickUpdate};
use mandi_instruments::InstrumentIndex;
use mandi_protocol::dhan::rest::RestError;

use super::{AuthError, Converted, HttpCall, QuoteBatch, QuoteEndpoint};
use crate::settings::{Broker, Credentials, UpstreamSettings};
use crate::upstream::UpstreamChange;

fn inst(symbol: &str, segment: Segment, id: u32, token: u32) -> Instrument {
    Instrument {
        symbol: symbol.into(),
        exchange: Exchange::Nse,
        segment,
        security_id: id,
        kite_token: token,
        kite_key: format!("NSE:{symbol}").into(),
        tick_size: 0.05,
        lot_size: 1,
        derivative: None,
    }
}

pub fn nifty() -> Instrument {
    inst("NIFTY", Segment::IdxI, 13, 256_265)
}

pub fn reliance() -> Instrument {
    inst("RELIANCE", Segment::NseEq, 2885, 738_561)
}

pub fn infy() -> Instrument {
    inst("INFY", Segment::NseEq, 1594, 408_065)
}

/// Settings at the broker's own limits, pointing nowhere in particular.
pub fn upstream_settings(broker: Broker) -> UpstreamSettings {
    let limits = super::subscribe_limits(broker);
    UpstreamSettings {
        broker,
        ws_url: "ws://127.0.0.1:9".into(),
        rest_url: "http://127.0.0.1:9".into(),
        connect_timeout_ms: 1_000,
        read_idle_timeout_ms: 5_000,
        backoff_initial_ms: 50,
        backoff_max_ms: 200,
        backoff_factor: 2.0,
        auth_retry_floor_ms: 60_000,
        throttled_retry_floor_ms: 120_000,
        fatal_retry_floor_ms: 600_000,
        stale_after_ms: 0,
        max_instruments_per_connection: limits.per_connection,
        max_connections: limits.connections,
        subscribe_flush_ms: 100,
        max_subscribe_messages_per_s: 10,
    }
}

pub fn change(i: Instrument, from: Option<Mode>, to: Option<Mode>) -> UpstreamChange {
    UpstreamChange {
        instrument: i,
        from,
        to,
    }
}

/// NIFTY, TCS and an MCX future with a rupee tick, listed on both brokers.
pub fn quote_instruments() -> Vec<Instrument> {
    let listed = |symbol: &str, segment, id, token, key: &str, tick| Instrument {
        kite_key: Arc::<str>::from(key),
        tick_size: tick,
        ..inst(symbol, segment, id, token)
    };
    vec![
        listed("NIFTY", Segment::IdxI, 13, 256_265, "NSE:NIFTY 50", 0.05),
        listed("TCS", Segment::NseEq, 11536, 2_953_217, "NSE:TCS", 0.05),
        listed(
            "CRUDEOIL",
            Segment::McxComm,
            467_013,
            60_297_479,
            "MCX:CRUDEOIL26DECFUT",
            1.0,
        ),
    ]
}

pub fn quote_batch(endpoint: QuoteEndpoint, symbols: &[&str]) -> QuoteBatch {
    QuoteBatch {
        endpoint,
        instruments: quote_instruments()
            .into_iter()
            .filter(|i| symbols.contains(&&*i.symbol))
            .map(Arc::new)
            .collect(),
    }
}

pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 3, 4, 0, 0)
        .single()
        .unwrap_or_default()
}

/// 2026-02-03 09:09:55 IST.
pub fn traded() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 3, 3, 39, 55)
        .single()
        .unwrap_or_default()
}

pub fn rest_update(symbol: &str, mode: Mode, ltp: f64) -> TickUpdate {
    TickUpdate {
        symbol: symbol.into(),
        mode: Some(mode),
        ltp: Some(ltp),
        received_time: received(),
        source: TickSource::Rest,
        ..TickUpdate::default()
    }
}

/// One REST answer conversion: row order is ignored, errors compare by their kind.
pub struct QuoteCase {
    pub name: &'static str,
    pub batch: QuoteBatch,
    pub status: u16,
    pub body: &'static str,
    pub want: Result<Converted, &'static str>,
}

pub fn check_quotes(
    cases: Vec<QuoteCase>,
    convert: impl Fn(
        &QuoteBatch,
        u16,
        &[u8],
        &InstrumentIndex,
        DateTime<Utc>,
    ) -> Result<Converted, RestError>,
) {
    let index = InstrumentIndex::build(quote_instruments()).unwrap_or_default();
    let by_symbol = |mut c: Converted| {
        c.updates.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        c
    };
    for c in cases {
        let got = convert(&c.batch, c.status, c.body.as_bytes(), &index, received());
        let got = got.map(by_symbol).map_err(|e| e.kind());
        assert_eq!(got, c.want.map(by_symbol), "{}", c.name);
    }
}

/// One environment for a broker's credential reader, and what it must give: the
/// credentials, or an error naming this variable.
pub struct EnvCase {
    pub name: &'static str,
    pub vars: &'static [(&'static str, &'static str)],
    pub want: Result<Credentials, &'static str>,
}

/// Runs `cases` through `credentials`; an error must name its variable and the fix.
pub fn check_env_cases(
    credentials: impl Fn(&dyn Fn(&str) -> Option<String>) -> Result<Credentials, AuthError>,
    cases: impl IntoIterator<Item = EnvCase>,
) {
    for c in cases {
        let env: HashMap<&str, &str> = c.vars.iter().copied().collect();
        let got = credentials(&|k| env.get(k).map(|v| v.to_string()));
        match (got, c.want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{}", c.name),
            (Err(e), Err(var)) => {
                let msg = e.to_string();
                assert!(msg.starts_with(var), "{}: {msg}", c.name);
                assert!(msg.contains("export"), "{}: names the fix: {msg}", c.name);
            }
            (got, want) => panic!("{}: got {got:?}, want {want:?}", c.name),
        }
    }
}

/// The value of header `name` on `call`.
pub fn header<'a>(call: &'a HttpCall, name: &str) -> Option<&'a str> {
    call.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}
