//! Test and drill hooks: `GET /admin/counters` and `POST /admin/drop`.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::sessions::SessionControl;
use crate::state::SimState;

pub async fn counters(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.counters.snapshot(&state.sessions, Instant::now()))
}

/// Close every feed connection of both brokers without a close frame, as a network
/// failure would; clients are expected to reconnect and resubscribe.
pub async fn drop_connections(state: web::Data<SimState>) -> HttpResponse {
    let sessions = state.sessions.control_recipients();
    let dropped = sessions.len();
    for s in sessions {
        s.do_send(SessionControl::Drop);
    }
    tracing::info!(dropped, "admin dropped every feed connection");
    HttpResponse::Ok().json(json!({ "dropped": dropped }))
}
