//! Shared by the quote-pin tests: a simulator whose contracts are listed from a fixed
//! day, the pins they script, `/admin/quotes` calls, and the ids of the pinned option.

use awc::http::StatusCode;
use chrono::NaiveDate;
use mandi_domain::Segment;
use mandi_simulator::{DerivativeSettings, SimSettings, SimulatorHandle};
use serde_json::{json, Value};

use super::{admin_request, settings, within};

pub const RELIANCE: (Segment, u32) = (Segment::NseEq, 2885);
pub const RELIANCE_TOKEN: u32 = 738_561;
pub const NIFTY: (Segment, u32) = (Segment::IdxI, 13);
pub const NIFTY_TOKEN: u32 = 256_265;
/// The December 25750 NIFTY call under its three names: mandi symbol, Kite key.
pub const CALL: &str = "NIFTY-Dec2026-25750-CE";
pub const CALL_KEY: &str = "NFO:NIFTY26DEC25750CE";

/// What a client must see for a pinned instrument.
pub struct Want {
    pub ltp: f64,
    pub bid: f64,
    pub ask: f64,
    pub bid_qty: Option<u32>,
    pub ask_qty: Option<u32>,
}

pub const RELIANCE_PIN: Want = Want {
    ltp: 1500.0,
    bid: 1499.9,
    ask: 1500.2,
    bid_qty: Some(1234),
    ask_qty: Some(567),
};

/// Far above anything the model prices this call at, so leaving the pin shows.
pub const CALL_PIN: Want = Want {
    ltp: 5000.5,
    bid: 5000.45,
    ask: 5000.55,
    bid_qty: None,
    ask_qty: None,
};

/// The body that pins both: RELIANCE in full, the call by its last price alone.
pub fn pins_body() -> Value {
    json!({
        "RELIANCE": {"ltp": 1500.0, "bid": 1499.9, "ask": 1500.2, "bid_qty": 1234, "ask_qty": 567},
        CALL: {"ltp": 5000.5},
    })
}

/// The contracts of 22 November 2026, so the call exists whatever today is.
pub fn fixed_day() -> SimSettings {
    SimSettings {
        derivatives: DerivativeSettings {
            start_date: NaiveDate::from_ymd_opt(2026, 11, 22),
            ..DerivativeSettings::default()
        },
        ..settings()
    }
}

/// [`fixed_day`] with a clock that never ticks during a test: whatever a client sees
/// was applied by the pin call itself, before it answered.
pub fn frozen_day() -> SimSettings {
    SimSettings {
        tick_interval_ms: 3_600_000,
        ..fixed_day()
    }
}

/// `method` on `/admin/quotes{suffix}`.
pub async fn admin_quotes(
    sim: &SimulatorHandle,
    method: &str,
    suffix: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    admin_request(sim, &format!("/admin/quotes{suffix}"), method, body).await
}

pub async fn pin(sim: &SimulatorHandle, body: Value) -> Value {
    let (status, answer) = admin_quotes(sim, "POST", "", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// The call's Dhan security id from the scrip master; its Kite token is `id << 8 | 2`.
pub async fn call_id(sim: &SimulatorHandle) -> u32 {
    let body = within("dhan master", async {
        let url = format!("{}/api-data/api-scrip-master.csv", sim.rest_url());
        let mut resp = awc::Client::new().get(url).send().await.expect("sent");
        resp.body().limit(64 << 20).await.expect("body")
    })
    .await;
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let headers = reader.headers().expect("header row").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (symbol, id) = (col("SEM_TRADING_SYMBOL"), col("SEM_SMST_SECURITY_ID"));
    reader
        .records()
        .map(|r| r.expect("row parses"))
        .find(|r| &r[symbol] == CALL)
        .map(|r| r[id].parse().expect("numeric id"))
        .unwrap_or_else(|| panic!("{CALL} is listed"))
}

/// NFO token of an NSE F&O security id.
pub fn nfo_token(id: u32) -> u32 {
    id << 8 | 2
}

/// Deeper levels stay behind the pinned best one: bids below the pinned bid (or
/// empty), asks above the pinned ask, a tick apart or more. Levels are
/// `(bid, bid_qty, ask, ask_qty)` in rupees.
pub fn assert_book_behind(name: &str, want: &Want, levels: &[(f64, u32, f64, u32)]) {
    for (n, pair) in levels.windows(2).enumerate() {
        let (inner, outer) = (pair[0], pair[1]);
        assert!(
            outer.1 == 0 || (outer.0 < inner.0 && outer.0 < want.bid),
            "{name} bid level {}: {levels:?}",
            n + 2
        );
        assert!(
            outer.2 > inner.2 && outer.2 > want.ask,
            "{name} ask level {}: {levels:?}",
            n + 2
        );
    }
}
