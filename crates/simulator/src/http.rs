//! The route table, and the middleware that counts quote REST calls on arrival. Both
//! brokers' feeds share `GET /`: a query with `api_key` is a Kite ticker connection,
//! anything else is Dhan.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use serde_json::json;

use crate::faults::FaultKind;
use crate::sessions::Broker;
use crate::state::SimState;
use crate::{admin, dhan, kite, master, pins};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(feed))
        .route("/v2/profile", web::get().to(dhan::rest::profile))
        .route("/v2/fundlimit", web::get().to(dhan::rest::fund_limit))
        .route(
            "/v2/marketfeed/{kind}",
            web::post().to(dhan::rest::marketfeed),
        )
        .route(
            "/v2/charts/historical",
            web::post().to(dhan::history::historical),
        )
        .route(
            "/v2/charts/intraday",
            web::post().to(dhan::history::intraday),
        )
        .route("/user/profile", web::get().to(kite::rest::profile))
        .route("/quote", web::get().to(kite::rest::quote_full))
        .route("/quote/ltp", web::get().to(kite::rest::quote_ltp))
        .route("/quote/ohlc", web::get().to(kite::rest::quote_ohlc))
        .route("/instruments", web::get().to(kite::rest::instruments))
        .route(
            "/instruments/historical/{token}/{interval}",
            web::get().to(kite::history::historical),
        )
        .route(
            "/instruments/{exchange}",
            web::get().to(kite::rest::instruments_of),
        )
        .route(
            master::DHAN_SCRIP_MASTER_PATH,
            web::get().to(master::dhan_scrip_master),
        )
        .route("/admin/counters", web::get().to(admin::counters))
        .route("/admin/drop", web::post().to(admin::drop_connections))
        .route("/admin/faults", web::get().to(admin::get_faults))
        .route("/admin/faults", web::post().to(admin::set_faults))
        .route("/admin/faults", web::delete().to(admin::clear_faults))
        .route("/admin/quotes", web::get().to(pins::admin::list))
        .route("/admin/quotes", web::post().to(pins::admin::pin))
        .route("/admin/quotes", web::delete().to(pins::admin::clear))
        .route(
            "/admin/quotes/{symbol}",
            web::delete().to(pins::admin::unpin),
        );
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

/// Count every quote REST call as it arrives, before auth, rate limits or fault
/// switches answer it, so `rest_quote_max_per_second` is what the client sent.
pub async fn count_quote_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(broker) = quote_broker(req.path()) {
        if let Some(state) = req.app_data::<web::Data<SimState>>() {
            state.counters.record_quote(broker, Instant::now());
        }
    }
    next.call(req).await
}

/// Dhan `/v2/marketfeed/*`, Kite `/quote` and `/quote/*`.
fn quote_broker(path: &str) -> Option<Broker> {
    if path.starts_with("/v2/marketfeed/") {
        Some(Broker::Dhan)
    } else if path == "/quote" || path.starts_with("/quote/") {
        Some(Broker::Kite)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_paths() {
        for (path, want) in [
            ("/v2/marketfeed/ltp", Some(Broker::Dhan)),
            ("/v2/marketfeed/quote", Some(Broker::Dhan)),
            ("/v2/profile", None),
            ("/quote", Some(Broker::Kite)),
            ("/quote/ltp", Some(Broker::Kite)),
            ("/quotes", None),
            ("/instruments", None),
            ("/api-data/api-scrip-master.csv", None),
        ] {
            assert_eq!(quote_broker(path), want, "{path}");
        }
    }
}
