//! The route table. Both brokers' feeds share `GET /`: a query with `api_key` is a
//! Kite ticker connection, anything else is Dhan.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::faults::FaultKind;

use crate::state::SimState;
use crate::{admin, dhan, kite};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(feed))
        .route("/v2/profile", web::get().to(dhan::rest::profile))
        .route("/v2/fundlimit", web::get().to(dhan::rest::fund_limit))
        .route(
            "/v2/marketfeed/{kind}",
            web::post().to(dhan::rest::marketfeed),
        )
        .route("/user/profile", web::get().to(kite::rest::profile))
        .route("/quote", web::get().to(kite::rest::quote_full))
        .route("/quote/ltp", web::get().to(kite::rest::quote_ltp))
        .route("/quote/ohlc", web::get().to(kite::rest::quote_ohlc))
        .route("/instruments", web::get().to(kite::rest::instruments))
        .route("/admin/counters", web::get().to(admin::counters))
        .route("/admin/drop", web::post().to(admin::drop_connections))
        .route("/admin/faults", web::get().to(admin::get_faults))
        .route("/admin/faults", web::post().to(admin::set_faults))
        .route("/admin/faults", web::delete().to(admin::clear_faults));
}

async fn feed(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<SimState>,
) -> actix_web::Result<HttpResponse> {
    if let Some(status) = state.faults.current().refuse_upgrade_status {
        state.faults.bump(FaultKind::RefuseUpgrade);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        tracing::info!(status = status.as_u16(), "fault: feed upgrade refused");
        return Ok(HttpResponse::build(status).json(json!({
            "status": "error",
            "message": "feed upgrade refused (fault switch)",
        })));
    }
    let is_kite =
        url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "api_key");
    if is_kite {
        kite::ws::upgrade(req, stream, state).await
    } else {
        dhan::ws::upgrade(req, stream, state).await
    }
}
