//! Instrument search and option chains over the instrument master:
//! `GET /api/instruments/search?q=NIFTY&limit=20` and
//! `GET /api/option-chain?underlying=NIFTY&exchange=NSE&expiry=2026-12-01&strikes=10`
//! (`&quotes=true` adds each leg's live quote, implied volatility and greeks, and the
//! put-call ratio).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use mandi_domain::{Exchange, Instrument, OptionType};
use mandi_fanout::price_store::GetSnapshot;
use serde::Deserialize;

use super::chain_quotes::{leg_quote, put_call_ratio, ChainContext};
use super::AppState;

/// Search results are capped here whatever `limit` asks.
const MAX_SEARCH_RESULTS: usize = 200;
/// Strikes each side of the ATM one, at most.
const MAX_CHAIN_STRIKES: usize = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/instruments/search", web::get().to(search))
        .route("/api/option-chain", web::get().to(option_chain));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

fn describe(i: &Instrument) -> serde_json::Value {
    serde_json::json!({
        "symbol": i.symbol,
        "exchange": i.exchange,
        "segment": i.segment,
        "security_id": i.security_id,
        "kite_token": i.kite_token,
        "kite_key": i.kite_key,
        "lot_size": i.lot_size,
        "tick_size": i.tick_size,
        "derivative": i.derivative,
    })
}

fn bad_request(code: &str, message: String) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({"error": code, "message": message}))
}

async fn search(q: web::Query<SearchQuery>, state: web::Data<AppState>) -> HttpResponse {
    let limit = q.limit.unwrap_or(20).clamp(1, MAX_SEARCH_RESULTS);
    let hits: Vec<serde_json::Value> = state
        .runtime
        .index
        .load()
        .search(q.q.trim(), limit)
        .into_iter()
        .map(|hit| {
            let mut v = describe(&hit.instrument);
            v["display_name"] = serde_json::json!(hit.display_name);
            // The broker's own name for it, which search and orders also accept.
            v["broker_symbol"] = serde_json::json!(hit.broker_symbol);
            v
        })
        .collect();
    HttpResponse::Ok().json(serde_json::json!({"query": q.q, "count": hits.len(), "results": hits}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainQuery {
    underlying: String,
    exchange: Option<Exchange>,
    expiry: Option<NaiveDate>,
    /// Strikes each side of the ATM one.
    strikes: Option<usize>,
    /// Underlying price for the ATM; defaults to its last tick.
    price: Option<f64>,
    /// Add each leg's live quote, implied volatility and greeks.
    #[serde(default)]
    quotes: bool,
}

async fn option_chain(q: web::Query<ChainQuery>, state: web::Data<AppState>) -> HttpResponse {
    let rt = &state.runtime;
    // One index for the whole answer, even if a master reload swaps it meanwhile.
    let index = rt.index.load();
    let exchange = q.exchange.unwrap_or(Exchange::Nse);
    let today = Utc::now()
        .with_timezone(&mandi_domain::time::IST)
        .date_naive();
    let expiries = index.expiries(&q.underlying, exchange);
    if expiries.is_empty() {
        return bad_request(
            "no_options",
            format!(
                "no options on {} at {exchange:?}; check the underlying and exchange (SENSEX options are BSE)",
                q.underlying
            ),
        );
    }
    let Some(expiry) = q
        .expiry
        .or_else(|| index.next_expiry(&q.underlying, exchange, today))
    else {
        return bad_request("no_expiry", "every listed expiry is in the past".into());
    };
    if !expiries.contains(&expiry) {
        return bad_request(
            "unknown_expiry",
            format!("{expiry} is not listed; listed: {expiries:?}"),
        );
    }
    let price = match q.price {
        Some(p) if p.is_finite() && p > 0.0 => Some(p),
        Some(_) => return bad_request("bad_price", "price must be a positive number".into()),
        None => rt
            .price_store
            .send(GetSnapshot {
                symbols: vec![q.underlying.as_str().into()],
            })
            .await
            .ok()
            .and_then(|ticks| ticks.first().map(|t| t.ltp))
            .filter(|p| *p > 0.0),
    };
    let Some(price) = price else {
        return bad_request(
            "no_price",
            format!(
                "no price for {} yet; pass price=.. or subscribe the underlying",
                q.underlying
            ),
        );
    };
    let n = q.strikes.unwrap_or(10).min(MAX_CHAIN_STRIKES);
    let chain = index.option_chain(&q.underlying, exchange, expiry, price, n);
    // One snapshot for every leg, so the answer is one moment of the market.
    let ticks: HashMap<Arc<str>, mandi_domain::Tick> = if q.quotes {
        let symbols = chain
            .iter()
            .flat_map(|row| [&row.call, &row.put])
            .flatten()
            .map(|i| i.symbol.clone())
            .chain(std::iter::once(Arc::from(q.underlying.as_str())))
            .collect();
        rt.price_store
            .send(GetSnapshot { symbols })
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.symbol.clone(), t))
            .collect()
    } else {
        HashMap::new()
    };
    let cx = ChainContext {
        exchange,
        expiry,
        // The underlying of the same moment as the legs, unless the caller set a price.
        underlying_price: q
            .price
            .or_else(|| ticks.get(q.underlying.as_str()).map(|t| t.ltp))
            .filter(|p| *p > 0.0)
            .unwrap_or(price),
        now: Utc::now(),
        pricing: &state.option_pricing,
        ticks: &ticks,
    };
    let leg = |i: Option<&Instrument>, kind: OptionType, strike: f64| {
        i.map(|i| {
            let mut v = describe(i);
            if q.quotes {
                v["quote"] = leg_quote(&i.symbol, kind, strike, &cx);
            }
            v
        })
    };
    let rows: Vec<serde_json::Value> = chain
        .iter()
        .map(|row| {
            serde_json::json!({
                "strike": row.strike,
                "call": leg(row.call.as_deref(), OptionType::Call, row.strike),
                "put": leg(row.put.as_deref(), OptionType::Put, row.strike),
            })
        })
        .collect();
    let pcr = if q.quotes {
        put_call_ratio(&rows)
    } else {
        None
    };
    HttpResponse::Ok().json(serde_json::json!({
        "underlying": q.underlying,
        "exchange": exchange,
        "expiry": expiry,
        "expiries": expiries,
        "underlying_price": price,
        "atm_strike": index.atm_strike(&q.underlying, exchange, expiry, price),
        "put_call_ratio": pcr,
        "rows": rows,
    }))
}
