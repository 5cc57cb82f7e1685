//! `GET|POST|DELETE /admin/quotes` and `DELETE /admin/quotes/{symbol}`: quote pins over
//! HTTP. Every answer is the pins in force, keyed by symbol; the market clock has
//! applied the change (and published it) before the answer goes out.

use actix::Addr;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{lookup, named, parse, PinError, PinTable};
use crate::market::{ChangePins, MarketClock, PinChange};
use crate::state::SimState;

pub async fn list(state: web::Data<SimState>, clock: web::Data<Addr<MarketClock>>) -> HttpResponse {
    answer(&state, change(&clock, PinChange::List).await)
}

/// Merge the body's pins into the ones in force; a bad body changes nothing.
pub async fn pin(
    state: web::Data<SimState>,
    clock: web::Data<Addr<MarketClock>>,
    body: web::Bytes,
) -> HttpResponse {
    let pins = match parse(&body, &state.universe) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    tracing::info!(pins = ?named(&pins, &state.universe), "quotes pinned");
    answer(&state, change(&clock, PinChange::Pin(pins)).await)
}

pub async fn clear(
    state: web::Data<SimState>,
    clock: web::Data<Addr<MarketClock>>,
) -> HttpResponse {
    tracing::info!("every quote pin cleared");
    answer(&state, change(&clock, PinChange::UnpinAll).await)
}

/// Release one symbol's pin; a known symbol that is not pinned is not an error.
pub async fn unpin(
    state: web::Data<SimState>,
    clock: web::Data<Addr<MarketClock>>,
    symbol: web::Path<String>,
) -> HttpResponse {
    let idx = match lookup(&symbol, &state.universe) {
        Ok(i) => i,
        Err(e) => return bad_request(e),
    };
    tracing::info!(symbol = %symbol, "quote pin cleared");
    answer(&state, change(&clock, PinChange::Unpin(idx)).await)
}

/// Ask the clock; it only fails to answer once the simulator is stopping.
pub async fn change(clock: &Addr<MarketClock>, what: PinChange) -> Result<PinTable, PinError> {
    clock.send(ChangePins(what)).await.map_err(|e| PinError {
        field: String::new(),
        message: format!("the market clock is not running: {e}"),
    })
}

fn answer(state: &SimState, result: Result<PinTable, PinError>) -> HttpResponse {
    match result {
        Ok(table) => HttpResponse::Ok().json(named(&table, &state.universe)),
        Err(e) => HttpResponse::ServiceUnavailable().json(error_body(&e)),
    }
}

fn bad_request(e: PinError) -> HttpResponse {
    HttpResponse::BadRequest().json(error_body(&e))
}

/// The same envelope as `/admin/faults` errors.
fn error_body(e: &PinError) -> serde_json::Value {
    json!({ "status": "error", "field": e.field, "error": e.message })
}
