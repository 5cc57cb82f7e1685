//! Chart data: `GET /api/candles?symbol=NIFTY&interval=5&from=2026-11-20&to=2026-11-24`
//! (bars aligned to the exchange's session open; older days from the broker's history,
//! kept once fetched) and `GET /api/levels?symbol=NIFTY` (pivots, CPR, previous day, today).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use chrono::{Days, Utc};
use mandi_domain::candles::{aggregate, ist_date, parse_interval, session_open_ist, INTERVALS_MIN};
use mandi_domain::levels::day_levels;
use mandi_domain::DayLevels;
use mandi_domain::{Candle, Instrument};
use mandi_fanout::price_store::{GetCandles, GetLevelsInput};
use mandi_feed::history_fetcher::GetDayCandles;
use serde::{Deserialize, Serialize};

use super::api::unavailable;
use super::candle_range::{parse_range, CandleRange};
use super::AppState;

/// How long `/api/candles` waits for older days from the broker (queued behind the
/// start-up fetch at 3 requests a second, then one request).
const OLDER_DAYS_WAIT: Duration = Duration::from_secs(30);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/candles", web::get().to(candles))
        .route("/api/levels", web::get().to(levels));
}

#[derive(Deserialize)]
struct CandlesQuery {
    symbol: String,
    /// Minutes, one of `INTERVALS_MIN`; kept as text so a bad value gets our own 400.
    interval: Option<String>,
    /// IST dates, both included; text for the same reason.
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
struct LevelsQuery {
    symbol: String,
}

/// `/api/levels`: the symbol, then the day levels' fields.
#[derive(Serialize)]
struct LevelsResponse {
    symbol: Arc<str>,
    #[serde(flatten)]
    levels: DayLevels,
}

async fn candles(
    q: Result<web::Query<CandlesQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let q = match q {
        Ok(q) => q,
        Err(e) => return bad_query(&e, "symbol=NIFTY&interval=5&from=2026-11-20&to=2026-11-24"),
    };
    let interval = match q.interval.as_deref().map(parse_interval).transpose() {
        Ok(m) => m.unwrap_or(1),
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "error": "bad_interval",
                "parameter": "interval",
                "valid": INTERVALS_MIN,
                "message": e.to_string(),
            }))
        }
    };
    let today = ist_date(Utc::now());
    let range = match parse_range(q.from.as_deref(), q.to.as_deref(), today) {
        Ok(range) => range,
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "error": "bad_range",
                "parameter": e.parameter(),
                "message": e.to_string(),
            }))
        }
    };
    let Some(inst) = state.runtime.index.load().resolve(&q.symbol).cloned() else {
        return unknown_symbol(&q.symbol);
    };
    let minutes = match range {
        None => live_minutes(&state, &inst, None).await,
        Some(range) => days(&state, &inst, range, today).await,
    };
    let minutes = match minutes {
        Ok(minutes) => minutes,
        Err(response) => return response,
    };
    let mut body = serde_json::json!({
        "symbol": inst.symbol,
        "interval": format!("{interval}m"),
        "candles": aggregate(&minutes, interval, session_open_ist(inst.exchange)),
    });
    if let Some(range) = range {
        body["from"] = range.from.to_string().into();
        body["to"] = range.to.to_string().into();
    }
    HttpResponse::Ok().json(body)
}

/// The price store's minutes; with `only_today`, those of that IST day.
async fn live_minutes(
    state: &AppState,
    inst: &Instrument,
    only_today: Option<chrono::NaiveDate>,
) -> Result<Vec<Candle>, HttpResponse> {
    let symbol = inst.symbol.clone();
    match state.runtime.price_store.send(GetCandles { symbol }).await {
        Ok(mut minutes) => {
            if let Some(today) = only_today {
                minutes.retain(|c| ist_date(c.start) == today);
            }
            Ok(minutes)
        }
        Err(e) => Err(unavailable("price store", e)),
    }
}

/// The minutes of `range`: days before today from the history fetcher (stored, or
/// fetched once), today's from the price store.
async fn days(
    state: &AppState,
    inst: &Arc<Instrument>,
    range: CandleRange,
    today: chrono::NaiveDate,
) -> Result<Vec<Candle>, HttpResponse> {
    let mut minutes = Vec::new();
    if range.from < today {
        let asked = GetDayCandles {
            instrument: inst.clone(),
            from: range.from,
            to: range
                .to
                .min(today.checked_sub_days(Days::new(1)).unwrap_or(today)),
        };
        let answer = state
            .runtime
            .history
            .send(asked)
            .timeout(OLDER_DAYS_WAIT)
            .await;
        match answer {
            Ok(Ok(older)) => minutes = older,
            Ok(Err(e)) => {
                return Err(HttpResponse::BadGateway().json(serde_json::json!({
                    "error": "history_unavailable",
                    "message": e.to_string(),
                })))
            }
            Err(e) => return Err(unavailable("history fetcher", e)),
        }
    }
    if range.to >= today {
        minutes.extend(live_minutes(state, inst, Some(today)).await?);
    }
    Ok(minutes)
}

async fn levels(
    q: Result<web::Query<LevelsQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let q = match q {
        Ok(q) => q,
        Err(e) => return bad_query(&e, "symbol=NIFTY"),
    };
    let Some(inst) = state.runtime.index.load().resolve(&q.symbol).cloned() else {
        return unknown_symbol(&q.symbol);
    };
    let input = match state
        .runtime
        .price_store
        .send(GetLevelsInput {
            symbol: inst.symbol.clone(),
        })
        .await
    {
        Ok(input) => input,
        Err(e) => return unavailable("price store", e),
    };
    HttpResponse::Ok().json(LevelsResponse {
        symbol: inst.symbol.clone(),
        levels: day_levels(
            Utc::now(),
            input.previous_day.as_ref(),
            &input.candles,
            input.tick.as_ref().map(|t| t.prev_close),
        ),
    })
}

/// A missing or malformed query parameter: serde's message names it.
fn bad_query(e: &actix_web::Error, example: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({
        "error": "bad_request",
        "message": format!("{e}; expected ?{example}"),
    }))
}

fn unknown_symbol(symbol: &str) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "error": "unknown_symbol",
        "message": format!("{symbol} is not a known instrument; GET /api/instruments lists them"),
    }))
}
