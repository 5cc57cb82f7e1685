//! Dhan v2 REST (protocols.md A5): `GET /v2/profile`, `GET /v2/fundlimit` and
//! `POST /v2/marketfeed/{ltp,ohlc,quote}`, with Dhan's error bodies and the quote
//! APIs' 1 request/second limit.

use std::time::Instant;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{Instrument, Segment};
use serde_json::{json, Map, Value};

use crate::counters::BrokerTally;
use crate::limits::DHAN_REST_MAX_IDS;
use crate::market::{circuit_limits, Quote};
use crate::sessions::Broker;
use crate::state::SimState;
use crate::timefmt;

pub async fn profile(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    let now = Utc::now();
    HttpResponse::Ok().json(json!({
        "dhanClientId": state.settings.credentials.dhan_client_id,
        "tokenValidity": timefmt::dhan_validity(now + Duration::hours(24)),
        "activeSegment": "Equity, Derivative, Currency, Commodity",
        "ddpi": "Active",
        "mtf": "Active",
        "dataPlan": "Active",
        "dataValidity": timefmt::dhan_data_validity(now + Duration::days(30)),
    }))
}

pub async fn fund_limit(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    // The misspellings are Dhan's own, on the wire.
    HttpResponse::Ok().json(json!({
        "dhanClientId": state.settings.credentials.dhan_client_id,
        "availabelBalance": 1_000_000.0,
        "sodLimit": 1_000_000.0,
        "collateralAmount": 0.0,
        "receiveableAmount": 0.0,
        "utilizedAmount": 0.0,
        "blockedPayoutAmount": 0.0,
        "withdrawableBalance": 1_000_000.0,
    }))
}

/// `POST /v2/marketfeed/{kind}`, body `{"NSE_EQ":[2885],"IDX_I":[13],"dhanClientId":".."}`.
pub async fn marketfeed(
    req: HttpRequest,
    kind: web::Path<String>,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    if let Some(denied) = auth_denial(&req, &state) {
        return denied;
    }
    let kind = kind.into_inner();
    if !matches!(kind.as_str(), "ltp" | "ohlc" | "quote") {
        return HttpResponse::NotFound().finish();
    }
    let tally = &state.counters.dhan;
    if !state.dhan_quote_limit.try_admit(Instant::now()) {
        BrokerTally::bump(&tally.limit_violations, 1);
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate_Limit",
            "DH-904",
            "Too many requests: quote APIs allow 1 request per second",
        );
    }
    let wanted = match requested_ids(&body) {
        Ok(w) => w,
        Err(msg) => return error(StatusCode::BAD_REQUEST, "Input_Exception", "DH-905", &msg),
    };
    let count: usize = wanted.iter().map(|(_, ids)| ids.len()).sum();
    if count > DHAN_REST_MAX_IDS {
        BrokerTally::bump(&tally.limit_violations, 1);
        let msg = format!("{count} instruments requested, at most {DHAN_REST_MAX_IDS} allowed");
        return error(StatusCode::BAD_REQUEST, "Input_Exception", "DH-905", &msg);
    }
    let market = state.snapshot();
    let mut data = Map::new();
    for (seg, ids) in wanted {
        let mut rows = Map::new();
        for id in ids {
            let Some(idx) = state.universe.by_dhan(seg, id) else {
                BrokerTally::bump(&tally.unknown_instruments, 1);
                continue;
            };
            if let (Some(i), Some(q)) = (state.universe.get(idx), market.quote(idx)) {
                rows.insert(id.to_string(), entry(&kind, i, q));
            }
        }
        if !rows.is_empty() {
            data.insert(seg.as_str().to_string(), Value::Object(rows));
        }
    }
    HttpResponse::Ok().json(json!({ "data": data, "status": "success" }))
}

/// `Some(401 response)` unless the token matches, and so does the client id (`client-id`, or `dhanClientId` as
/// `DhanLogin.user_profile` sends it). Every call counts as a REST request.
pub(crate) fn auth_denial(req: &HttpRequest, state: &SimState) -> Option<HttpResponse> {
    state.counters.record_rest(Broker::Dhan, Instant::now());
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let creds = &state.settings.credentials;
    let client = header("client-id").or_else(|| header("dhanClientId"));
    let faults = state.faults.current();
    let token_ok = header("access-token")
        .is_some_and(|t| faults.rest_token_valid(Utc::now(), t, &creds.dhan_access_token));
    if token_ok && client == Some(creds.dhan_client_id.as_str()) {
        return None;
    }
    BrokerTally::bump(&state.counters.dhan.auth_failures, 1);
    Some(error(
        StatusCode::UNAUTHORIZED,
        "Invalid_Authentication",
        "DH-901",
        "Client ID or user generated access token is invalid or expired.",
    ))
}

pub(crate) fn error(
    status: StatusCode,
    error_type: &str,
    code: &str,
    message: &str,
) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "errorType": error_type,
        "errorCode": code,
        "errorMessage": message,
    }))
}

/// Segment keys with integer (or string) ids; other keys such as `dhanClientId` are ignored.
fn requested_ids(body: &[u8]) -> Result<Vec<(Segment, Vec<u32>)>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let Value::Object(map) = value else {
        return Err("body must be a JSON object".into());
    };
    let mut out = Vec::new();
    for (key, v) in map {
        let Some(seg) = Segment::parse(&key) else {
            continue;
        };
        let Value::Array(items) = v else {
            return Err(format!("{key} must be a list of security ids"));
        };
        let ids = items
            .iter()
            .map(|item| match item {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| format!("{key} holds an invalid security id"))?;
        out.push((seg, ids));
    }
    Ok(out)
}

fn entry(kind: &str, i: &Instrument, q: &Quote) -> Value {
    let ohlc = json!({ "open": q.open, "close": q.prev_close, "high": q.high, "low": q.low });
    match kind {
        "ltp" => json!({ "last_price": q.ltp }),
        "ohlc" => json!({ "last_price": q.ltp, "ohlc": ohlc }),
        _ => {
            let side = |bid: bool| -> Vec<Value> {
                q.depth
                    .iter()
                    .map(|d| match bid {
                        true => json!({ "quantity": d.bid_qty, "orders": d.bid_orders, "price": d.bid_price }),
                        false => json!({ "quantity": d.ask_qty, "orders": d.ask_orders, "price": d.ask_price }),
                    })
                    .collect()
            };
            let (lower, upper) = circuit_limits(i, q);
            let traded = i.is_index() || q.volume > 0;
            json!({
                "average_price": q.avg_price,
                "buy_quantity": q.total_buy_qty,
                "sell_quantity": q.total_sell_qty,
                "depth": { "buy": side(true), "sell": side(false) },
                "last_price": q.ltp,
                "last_quantity": q.last_qty,
                "last_trade_time": if traded { timefmt::dhan_trade_time(q.last_trade_time) } else { "01/01/1980 00:00:00".to_string() },
                "lower_circuit_limit": lower,
                "upper_circuit_limit": upper,
                "net_change": round_to_tick(q.ltp - q.prev_close, 0.01),
                "ohlc": ohlc,
                "oi": q.oi,
                "oi_day_high": q.oi_day_high,
                "oi_day_low": q.oi_day_low,
                "volume": q.volume,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_tolerates_client_id_and_string_ids() {
        let body = br#"{"NSE_EQ":[2885],"IDX_I":["13"],"dhanClientId":"1000000001"}"#;
        let mut got = requested_ids(body).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            vec![(Segment::IdxI, vec![13]), (Segment::NseEq, vec![2885])]
        );
        assert!(requested_ids(br#"{"NSE_EQ":[true]}"#).is_err());
        assert!(requested_ids(b"[1,2]").is_err());
    }
}
