//! Chart data: `GET /api/candles?symbol=NIFTY&interval=5` (bars aligned to the exchange's
//! session open) and `GET /api/levels?symbol=NIFTY` (pivots, CPR, previous day, today).

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use mandi_domain::candles::{aggregate, parse_interval, session_open_ist, INTERVALS_MIN};
use mandi_domain::levels::day_levels;
use mandi_domain::DayLevels;
use mandi_fanout::price_store::{GetCandles, GetLevelsInput};
use serde::{Deserialize, Serialize};

use super::api::unavailable;
use super::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/candles", web::get().to(candles))
        .route("/api/levels", web::get().to(levels));
}

#[derive(Deserialize)]
struct CandlesQuery {
    symbol: String,
    /// Minutes, one of `INTERVALS_MIN`; kept as text so a bad value gets our own 400.
    interval: Option<String>,
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
        Err(e) => return bad_query(&e, "symbol=NIFTY&interval=5"),
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
    let Some(inst) = state.runtime.index.load().resolve(&q.symbol).cloned() else {
        return unknown_symbol(&q.symbol);
    };
    match state
        .runtime
        .price_store
        .send(GetCandles {
            symbol: inst.symbol.clone(),
        })
        .await
    {
        Ok(minutes) => HttpResponse::Ok().json(serde_json::json!({
            "symbol": inst.symbol,
            "interval": format!("{interval}m"),
            "candles": aggregate(&minutes, interval, session_open_ist(inst.exchange)),
        })),
        Err(e) => unavailable("price store", e),
    }
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
