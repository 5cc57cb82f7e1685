//! JSON endpoints and the two WebSocket upgrades.

use actix_web::{web, HttpRequest, HttpResponse};
use mandi_fanout::broadcaster::{GetPricesPayload, SessionKind};
use mandi_fanout::client_session::ClientSession;
use mandi_feed::subscription_registry::GetActiveSubscriptions;

use super::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(ws_ticks))
        .route("/ws/prices", web::get().to(ws_prices))
        .route("/prices", web::get().to(prices))
        .route("/health", web::get().to(health))
        .route(
            "/api/instruments",
            web::get().to(super::instruments::instruments),
        )
        .route(
            "/api/subscriptions/active",
            web::get().to(active_subscriptions),
        )
        // The broking terminal's path, kept so its clients work unchanged.
        .route(
            "/api/v2/subscriptions/active",
            web::get().to(active_subscriptions),
        )
        .configure(super::chain::routes);
}

async fn ws_ticks(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    session(SessionKind::Ticks, req, stream, &state)
}

async fn ws_prices(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    session(SessionKind::Prices, req, stream, &state)
}

fn session(
    kind: SessionKind,
    req: HttpRequest,
    stream: web::Payload,
    state: &AppState,
) -> actix_web::Result<HttpResponse> {
    ClientSession::start(
        kind,
        &req,
        stream,
        state.runtime.broadcaster.clone(),
        &state.runtime.settings.broadcast,
    )
}

async fn prices(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.broadcaster.send(GetPricesPayload).await {
        Ok(payload) => HttpResponse::Ok().json(payload),
        Err(e) => unavailable("broadcaster", e),
    }
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.health().await {
        Ok(report) => match &state.replay {
            None => HttpResponse::Ok().json(report),
            Some(replay) => {
                let mut body = serde_json::to_value(report).unwrap_or_default();
                body["replay"] = replay.view();
                HttpResponse::Ok().json(body)
            }
        },
        Err(e) => unavailable("runtime", e),
    }
}

async fn active_subscriptions(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.registry.send(GetActiveSubscriptions).await {
        Ok(active) => HttpResponse::Ok().json(serde_json::json!({
            "count": active.len(),
            "subscriptions": active,
        })),
        Err(e) => unavailable("subscription registry", e),
    }
}

pub(super) fn unavailable(what: &str, e: actix::MailboxError) -> HttpResponse {
    tracing::warn!(actor = what, error = %e, "actor did not answer; it is being restarted");
    HttpResponse::ServiceUnavailable().json(serde_json::json!({
        "error": "unavailable",
        "message": format!("{what} is restarting; retry in a second"),
    }))
}
