//! Kite v3 historical REST, from the simulator's price paths (configured instruments):
//! `GET /instruments/historical/{token}/{interval}?from=..&to=..` with `interval` one of
//! `minute`, `3minute`, `5minute`, `10minute`, `15minute`, `30minute`, `60minute`, `day`
//! and IST `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD`) bounds, both included.
//!
//! Answer: `{"status":"success","data":{"candles":[["2026-11-24T09:15:00+0530",
//! 25760.05,25771.4,25751.2,25766.0,0]]}}`.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use mandi_domain::time::IST;
use serde_json::{json, Value};

use super::rest::{auth_denial, error_body, ErrorKind};
use crate::market::history::History;
use crate::state::SimState;

pub async fn historical(
    req: HttpRequest,
    path: web::Path<(u32, String)>,
    state: web::Data<SimState>,
) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    let (token, interval) = path.into_inner();
    match candles(&req, token, &interval, &state) {
        Ok(rows) => {
            HttpResponse::Ok().json(json!({ "status": "success", "data": { "candles": rows } }))
        }
        Err(msg) => {
            HttpResponse::build(StatusCode::BAD_REQUEST).json(error_body(ErrorKind::Input(msg)))
        }
    }
}

fn candles(
    req: &HttpRequest,
    token: u32,
    interval: &str,
    state: &SimState,
) -> Result<Vec<Value>, String> {
    let configured = state
        .universe
        .by_kite_token(token)
        .and_then(|idx| state.settings.universe.get(idx))
        .ok_or_else(|| format!("invalid token {token}"))?;
    let (mut from, mut to) = (None, None);
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match &*k {
            "from" => from = Some(v.into_owned()),
            "to" => to = Some(v.into_owned()),
            _ => {}
        }
    }
    let from = from
        .as_deref()
        .and_then(ist_date_time)
        .ok_or("invalid from date")?;
    let to = to
        .as_deref()
        .and_then(ist_date_time)
        .ok_or("invalid to date")?;
    let mut history = History::new(&state.settings, configured);
    let now = state.settings.clock.now();
    let bars = if interval == "day" {
        let date = |t: DateTime<Utc>| t.with_timezone(&IST).date_naive();
        history.daily(date(from), date(to), now)
    } else {
        let minutes = match interval {
            "minute" => 1,
            "3minute" => 3,
            "5minute" => 5,
            "10minute" => 10,
            "15minute" => 15,
            "30minute" => 30,
            "60minute" => 60,
            _ => return Err(format!("invalid interval {interval}")),
        };
        // `to` is included: a bar starting at it is served.
        history.intraday(from, to + Duration::seconds(1), minutes, now)
    }
    .map_err(|e| e.to_string())?;
    Ok(bars
        .iter()
        .map(|b| {
            let at = b
                .start
                .with_timezone(&IST)
                .format("%Y-%m-%dT%H:%M:%S%z")
                .to_string();
            json!([at, b.open, b.high, b.low, b.close, b.volume])
        })
        .collect())
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
