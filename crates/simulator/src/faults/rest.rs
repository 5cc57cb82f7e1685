//! The REST side of the fault switches: a middleware in front of every broker REST
//! route that applies `rest_delay_ms` and `rest_fail_status` with the broker's own
//! error envelope. Feed upgrades (`/`) and `/admin/*` pass straight through.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use super::FaultKind;
use crate::sessions::Broker;
use crate::state::SimState;
use crate::{dhan, kite};

pub async fn rest_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = req.path();
    let broker = if path == "/" || path.starts_with("/admin") {
        None
    } else if path.starts_with("/v2/") || path.starts_with("/api-data/") {
        Some(Broker::Dhan)
    } else {
        Some(Broker::Kite)
    };
    let state = req.app_data::<web::Data<SimState>>().cloned();
    let (Some(broker), Some(state)) = (broker, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let faults = state.faults.current();
    if let Some(ms) = faults.rest_delay_ms {
        state.faults.bump(FaultKind::RestDelay);
        actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
    }
    let Some(code) = faults.rest_fail_status else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // The handler never runs, so count the call here.
    state.counters.record_rest(broker, Instant::now());
    state.faults.bump(FaultKind::RestFail);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(req.into_response(failure(broker, status)))
}

fn failure(broker: Broker, status: StatusCode) -> HttpResponse {
    match broker {
        Broker::Dhan => {
            let (error_type, code, message) = match status.as_u16() {
                401 => (
                    "Invalid_Authentication",
                    "DH-901",
                    "Client ID or user generated access token is invalid or expired.",
                ),
                403 => (
                    "Invalid_Access",
                    "DH-902",
                    "User has not subscribed to Data APIs or does not have access.",
                ),
                429 => ("Rate_Limit", "DH-904", "Too many requests"),
                500..=599 => ("Internal_Server_Error", "DH-908", "Internal server error"),
                _ => ("Others", "DH-910", "Request failed"),
            };
            dhan::rest::error(status, error_type, code, message)
        }
        Broker::Kite => {
            let (error_type, message) = match status.as_u16() {
                401 | 403 => ("TokenException", "Incorrect `api_key` or `access_token`."),
                429 => ("NetworkException", "Too many requests"),
                _ => ("GeneralException", "Request failed"),
            };
            HttpResponse::build(status).json(kite::rest::envelope(error_type, message))
        }
    }
}
