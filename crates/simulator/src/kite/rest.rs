//! Kite v3 REST (protocols.md B5): `GET /user/profile`, `/quote/ltp`, `/quote/ohlc`,
//! `/quote` and `/instruments[/{exchange}]` (built in `master/`), with Kite's error
//! envelope and the 1 request/second quote limit.

use std::time::Instant;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use mandi_domain::time::round_to_tick;
use mandi_domain::Instrument;
use serde_json::{json, Map, Value};

use crate::counters::BrokerTally;
use crate::limits::{KITE_REST_MAX_LTP_KEYS, KITE_REST_MAX_QUOTE_KEYS};
use crate::market::{circuit_limits, Quote};
use crate::master;
use crate::sessions::Broker;
use crate::state::SimState;
use crate::timefmt;

/// The Kite error envelopes the simulator produces.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorKind {
    /// 403: bad or expired api key / access token.
    Token,
    /// 429 on the quote APIs.
    RateLimit,
    /// 429 on a WebSocket upgrade past 3 connections per api key.
    TooManyConnections,
    /// 400.
    Input(String),
}

/// `{"status":"error","message":..,"data":null,"error_type":..}`.
pub fn error_body(kind: ErrorKind) -> Value {
    let (error_type, message) = match kind {
        ErrorKind::Token => (
            "TokenException",
            "Incorrect `api_key` or `access_token`.".to_string(),
        ),
        ErrorKind::RateLimit => ("NetworkException", "Too many requests".to_string()),
        ErrorKind::TooManyConnections => (
            "NetworkException",
            "Too many connections for this api_key".to_string(),
        ),
        ErrorKind::Input(m) => ("InputException", m),
    };
    envelope(error_type, &message)
}

/// Kite's error envelope with any type and message.
pub fn envelope(error_type: &str, message: &str) -> Value {
    json!({ "status": "error", "message": message, "data": null, "error_type": error_type })
}

/// Which of the three quote endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuoteKind {
    Ltp,
    Ohlc,
    Full,
}

pub async fn profile(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    HttpResponse::Ok().json(json!({ "status": "success", "data": {
        "user_id": "SIM001",
        "user_type": "individual",
        "email": "simulator@example.invalid",
        "user_name": "Mandi Simulator",
        "user_shortname": "Mandi",
        "broker": "ZERODHA",
        "exchanges": ["NSE", "BSE", "NFO", "BFO", "CDS", "MCX"],
        "products": ["CNC", "NRML", "MIS"],
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "avatar_url": null,
        "meta": { "demat_consent": "physical" },
    }}))
}

pub async fn quote_ltp(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    quote(req, state, QuoteKind::Ltp)
}

pub async fn quote_ohlc(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    quote(req, state, QuoteKind::Ohlc)
}

pub async fn quote_full(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    quote(req, state, QuoteKind::Full)
}

/// `GET /instruments`: the whole universe in Kite's CSV layout (not gzipped).
pub async fn instruments(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    instruments_csv(&req, &state, None)
}

/// `GET /instruments/{exchange}`: one exchange's rows (`NSE`, `BSE`, `NFO`, `BFO`, `MCX`).
pub async fn instruments_of(
    req: HttpRequest,
    exchange: web::Path<String>,
    state: web::Data<SimState>,
) -> HttpResponse {
    instruments_csv(&req, &state, Some(&exchange))
}

fn instruments_csv(req: &HttpRequest, state: &SimState, exchange: Option<&str>) -> HttpResponse {
    if let Some(denied) = auth_denial(req, state) {
        return denied;
    }
    state.counters.record_master_download(Broker::Kite);
    master::csv_response(state.masters.kite(exchange))
}

fn quote(req: HttpRequest, state: web::Data<SimState>, kind: QuoteKind) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    let tally = &state.counters.kite;
    if !state.kite_quote_limit.try_admit(Instant::now()) {
        BrokerTally::bump(&tally.limit_violations, 1);
        return HttpResponse::TooManyRequests().json(error_body(ErrorKind::RateLimit));
    }
    let keys: Vec<String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "i")
        .map(|(_, v)| v.into_owned())
        .collect();
    let max = if kind == QuoteKind::Full {
        KITE_REST_MAX_QUOTE_KEYS
    } else {
        KITE_REST_MAX_LTP_KEYS
    };
    if keys.len() > max {
        BrokerTally::bump(&tally.limit_violations, 1);
        let msg = format!(
            "{} instruments requested, at most {max} allowed",
            keys.len()
        );
        return HttpResponse::BadRequest().json(error_body(ErrorKind::Input(msg)));
    }
    let market = state.snapshot();
    let mut data = Map::new();
    for key in keys {
        // Unknown keys are simply missing from `data`, as on Kite.
        let Some(idx) = state.universe.by_kite_key(&key) else {
            BrokerTally::bump(&tally.unknown_instruments, 1);
            continue;
        };
        if let (Some(i), Some(q)) = (state.universe.get(idx), market.quote(idx)) {
            data.insert(key, entry(kind, i, q));
        }
    }
    HttpResponse::Ok().json(json!({ "status": "success", "data": data }))
}

/// `Some(403 response)` unless `Authorization: token <api_key>:<access_token>` matches. Every call counts as a REST request.
pub(crate) fn auth_denial(req: &HttpRequest, state: &SimState) -> Option<HttpResponse> {
    state.counters.record_rest(Broker::Kite, Instant::now());
    let creds = &state.settings.credentials;
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("token "))
        .and_then(|v| v.trim().split_once(':'));
    let faults = state.faults.current();
    let valid = presented.is_some_and(|(key, token)| {
        key == creds.kite_api_key
            && faults.rest_token_valid(Utc::now(), token, &creds.kite_access_token)
    });
    if valid {
        return None;
    }
    BrokerTally::bump(&state.counters.kite.auth_failures, 1);
    Some(HttpResponse::build(StatusCode::FORBIDDEN).json(error_body(ErrorKind::Token)))
}

fn entry(kind: QuoteKind, i: &Instrument, q: &Quote) -> Value {
    let ohlc = json!({ "open": q.open, "high": q.high, "low": q.low, "close": q.prev_close });
    match kind {
        QuoteKind::Ltp => json!({ "instrument_token": i.kite_token, "last_price": q.ltp }),
        QuoteKind::Ohlc => {
            json!({ "instrument_token": i.kite_token, "last_price": q.ltp, "ohlc": ohlc })
        }
        QuoteKind::Full => {
            let buy: Vec<Value> = q
                .depth
                .iter()
                .map(|d| json!({ "price": d.bid_price, "quantity": d.bid_qty, "orders": d.bid_orders }))
                .collect();
            let sell: Vec<Value> = q
                .depth
                .iter()
                .map(|d| json!({ "price": d.ask_price, "quantity": d.ask_qty, "orders": d.ask_orders }))
                .collect();
            let (lower, upper) = circuit_limits(i, q);
            json!({
                "instrument_token": i.kite_token,
                "timestamp": timefmt::kite_time(Utc::now()),
                "last_trade_time": timefmt::kite_time(q.last_trade_time),
                "last_price": q.ltp,
                "last_quantity": q.last_qty,
                "buy_quantity": q.total_buy_qty,
                "sell_quantity": q.total_sell_qty,
                "volume": q.volume,
                "average_price": q.avg_price,
                "oi": q.oi,
                "oi_day_high": q.oi_day_high,
                "oi_day_low": q.oi_day_low,
                "net_change": round_to_tick(q.ltp - q.prev_close, 0.01),
                "lower_circuit_limit": lower,
                "upper_circuit_limit": upper,
                "ohlc": ohlc,
                "depth": { "buy": buy, "sell": sell },
            })
        }
    }
}
