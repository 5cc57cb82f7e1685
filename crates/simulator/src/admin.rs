//! Test and drill hooks: `GET /admin/counters`, `POST /admin/drop`, and the fault
//! switches `GET|POST|DELETE /admin/faults` (see `faults/`).

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::faults::{FaultKind, Faults};
use crate::sessions::SessionControl;
use crate::state::SimState;

pub async fn counters(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.counters_snapshot(Instant::now()))
}

/// Close every feed connection of both brokers without a close frame, as a network
/// failure would; clients are expected to reconnect and resubscribe.
pub async fn drop_connections(state: web::Data<SimState>) -> HttpResponse {
    let dropped = state.sessions.broadcast(SessionControl::Drop);
    tracing::info!(dropped, "admin dropped every feed connection");
    HttpResponse::Ok().json(json!({ "dropped": dropped }))
}

pub async fn get_faults(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults.current())
}

/// Merge the body's switches into the current ones and answer with the result.
/// `abrupt_close` acts at once (like `POST /admin/drop`) and is not kept.
pub async fn set_faults(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let patch = match Faults::parse(&body) {
        Ok(p) => p,
        Err(e) => {
            return HttpResponse::BadRequest().json(json!({
                "status": "error",
                "field": e.field,
                "error": e.message,
            }))
        }
    };
    let abrupt = patch.abrupt_close == Some(true);
    let current = state.faults.merge(patch);
    tracing::info!(faults = ?current, "fault switches set");
    // Token switches may have invalidated open sessions right now.
    state.sessions.broadcast(SessionControl::RecheckToken);
    state.faults.notify_driver();
    if abrupt {
        let dropped = state.sessions.broadcast(SessionControl::Drop);
        state.faults.bump(FaultKind::AbruptClose);
        tracing::info!(dropped, "fault: abrupt close");
    }
    HttpResponse::Ok().json(current)
}

pub async fn clear_faults(state: web::Data<SimState>) -> HttpResponse {
    state.faults.clear();
    state.faults.notify_driver();
    tracing::info!("fault switches cleared");
    HttpResponse::Ok().json(state.faults.current())
}
