//! `GET /api/quotes?symbols=NIFTY,NIFTY-Dec2026-24750-CE`: the last tick of each symbol,
//! in the keys a Dhan bot reads from its tick cache (`ltp`, `bid_price`, `ask_price`,
//! `bid_qty`, `ask_qty`, `volume`, `oi`, `last_update`, `security_id`), with its age; a
//! side of the book the feed did not send (LTP mode, an index) is `null`, not `0.0`. It
//! is served from the price store, never from the broker, so a bot that polls it every
//! second per position causes no "Too many requests".

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use mandi_fanout::price_store::GetSnapshot;
use serde::Deserialize;

use super::api::unavailable;
use super::AppState;

/// Symbols per request, as many as one Dhan REST quote call takes.
const MAX_SYMBOLS: usize = 1000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/quotes", web::get().to(quotes));
}

#[derive(Deserialize)]
struct QuotesQuery {
    /// Comma-separated.
    symbols: String,
}

async fn quotes(
    q: Result<web::Query<QuotesQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let wanted: Vec<&str> = match &q {
        Ok(q) => q
            .symbols
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        Err(_) => Vec::new(),
    };
    if wanted.is_empty() || wanted.len() > MAX_SYMBOLS {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "error": "bad_request",
            "message": format!("give 1 to {MAX_SYMBOLS} symbols: ?symbols=NIFTY,NIFTY-Dec2026-24750-CE"),
        }));
    }
    let index = state.runtime.index.load();
    let (known, unknown): (Vec<_>, Vec<_>) = wanted
        .iter()
        .map(|s| (*s, index.resolve(s).cloned()))
        .partition(|(_, inst)| inst.is_some());
    let known: Vec<_> = known.into_iter().filter_map(|(_, inst)| inst).collect();
    let ticks = match state
        .runtime
        .price_store
        .send(GetSnapshot {
            symbols: known.iter().map(|i| i.symbol.clone()).collect(),
        })
        .await
    {
        Ok(ticks) => ticks,
        Err(e) => return unavailable("price store", e),
    };
    let now = Utc::now();
    let mut quotes = serde_json::Map::new();
    let mut missing: Vec<Arc<str>> = Vec::new();
    for inst in &known {
        match ticks.iter().find(|t| t.symbol == inst.symbol) {
            Some(t) => {
                quotes.insert(
                    inst.symbol.to_string(),
                    serde_json::json!({
                        "security_id": inst.security_id,
                        "exchange_segment": inst.segment,
                        "ltp": t.ltp,
                        "bid_price": side(t.bid, t.bid_qty).map(|(p, _)| p),
                        "ask_price": side(t.ask, t.ask_qty).map(|(p, _)| p),
                        "bid_qty": side(t.bid, t.bid_qty).map(|(_, q)| q),
                        "ask_qty": side(t.ask, t.ask_qty).map(|(_, q)| q),
                        "volume": t.volume,
                        "oi": t.oi,
                        "last_update": t.received_time,
                        "age_ms": (now - t.received_time).num_milliseconds().max(0),
                        "source": t.source,
                    }),
                );
            }
            None => missing.push(inst.symbol.clone()),
        }
    }
    HttpResponse::Ok().json(serde_json::json!({
        "quotes": quotes,
        // Known, but no tick yet: subscribe them on /ws (or hold a position) first.
        "missing": missing,
        "unknown": unknown.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
    }))
}

/// One side of the book as `(price, qty)`, or `None` when the feed sent none: a price of
/// 0 is the tick's "absent", never a real bid or ask.
pub(crate) fn side(price: f64, qty: u32) -> Option<(f64, u32)> {
    (price.is_finite() && price > 0.0).then_some((price, qty))
}

#[cfg(test)]
mod tests {
    use super::side;

    #[test]
    fn absent_sides_are_none() {
        let cases = [
            ("ltp mode, no depth", 0.0, 0, None),
            ("a real bid", 101.5, 75, Some((101.5, 75))),
            ("a price with no size yet", 101.5, 0, Some((101.5, 0))),
            ("garbage", f64::NAN, 3, None),
        ];
        for (name, price, qty, want) in cases {
            assert_eq!(side(price, qty), want, "{name}");
        }
    }
}
