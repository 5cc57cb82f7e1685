//! Dhan v2 historical REST, from the simulator's price paths (configured instruments):
//! `POST /v2/charts/historical` (daily bars, `toDate` not included) and
//! `POST /v2/charts/intraday` (`interval` 1, 5, 15, 25 or 60 minutes, IST date-times).
//!
//! Request: `{"securityId":"13","exchangeSegment":"IDX_I","instrument":"INDEX",
//! "expiryCode":0,"oi":false,"fromDate":"2026-11-20","toDate":"2026-11-24"}`; answer:
//! `{"open":[..],"high":[..],"low":[..],"close":[..],"volume":[..],"timestamp":[..]}`
//! with timestamps in Unix seconds.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use mandi_domain::time::IST;
use mandi_domain::{Candle, Segment};
use serde::Deserialize;
use serde_json::{json, Value};

use super::rest::{auth_denial, error};
use crate::market::history::History;
use crate::state::SimState;

/// The fields both chart requests carry; `securityId` is a string on Dhan's wire.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChartRequest {
    security_id: Value,
    exchange_segment: String,
    from_date: String,
    to_date: String,
    #[serde(default)]
    interval: Option<Value>,
}

pub async fn historical(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    chart(&req, &body, &state, false)
}

pub async fn intraday(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    chart(&req, &body, &state, true)
}

fn chart(req: &HttpRequest, body: &[u8], state: &SimState, intraday: bool) -> HttpResponse {
    if let Some(denied) = auth_denial(req, state) {
        return denied;
    }
    match bars(body, state, intraday) {
        Ok(bars) => HttpResponse::Ok().json(columns(&bars)),
        Err(msg) => error(StatusCode::BAD_REQUEST, "Input_Exception", "DH-905", &msg),
    }
}

fn bars(body: &[u8], state: &SimState, intraday: bool) -> Result<Vec<Candle>, String> {
    let r: ChartRequest =
        serde_json::from_slice(body).map_err(|e| format!("invalid request body: {e}"))?;
    let segment = Segment::parse(&r.exchange_segment)
        .ok_or_else(|| format!("unknown exchangeSegment {}", r.exchange_segment))?;
    let id = match &r.security_id {
        Value::String(s) => s.trim().parse::<u32>().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
    .ok_or("securityId must be a security id")?;
    let configured = state
        .universe
        .by_dhan(segment, id)
        .and_then(|idx| state.settings.universe.get(idx))
        .ok_or_else(|| format!("no history for {} {id}", r.exchange_segment))?;
    let mut history = History::new(&state.settings, configured);
    let now = state.settings.clock.now();
    let result = if intraday {
        let interval = match &r.interval {
            Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        }
        .filter(|i| [1, 5, 15, 25, 60].contains(i))
        .ok_or("interval must be 1, 5, 15, 25 or 60")?;
        let from = ist_date_time(&r.from_date).ok_or("fromDate must be YYYY-MM-DD HH:MM:SS")?;
        let to = ist_date_time(&r.to_date).ok_or("toDate must be YYYY-MM-DD HH:MM:SS")?;
        history.intraday(from, to, interval, now)
    } else {
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let from = date(&r.from_date).ok_or("fromDate must be YYYY-MM-DD")?;
        let to = date(&r.to_date).ok_or("toDate must be YYYY-MM-DD")?;
        // Dhan's toDate is not included.
        history.daily(from, to - Duration::days(1), now)
    };
    result.map_err(|e| e.to_string())
}

/// An IST wall-clock `YYYY-MM-DD HH:MM:SS` (or a bare date, at midnight).
fn ist_date_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })?;
    local
        .and_local_timezone(IST)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Dhan's column-per-field shape.
fn columns(bars: &[Candle]) -> Value {
    json!({
        "open": bars.iter().map(|b| b.open).collect::<Vec<_>>(),
        "high": bars.iter().map(|b| b.high).collect::<Vec<_>>(),
        "low": bars.iter().map(|b| b.low).collect::<Vec<_>>(),
        "close": bars.iter().map(|b| b.close).collect::<Vec<_>>(),
        "volume": bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
        "timestamp": bars.iter().map(|b| b.start.timestamp()).collect::<Vec<_>>(),
    })
}
