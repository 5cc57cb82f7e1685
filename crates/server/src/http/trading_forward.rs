//! The trading API in a cluster. Only `cluster.trading_node` runs the paper account and
//! the bots; on every other node the trading paths ([`super::trading::PATHS`]) are
//! forwarded to it over NATS after this node's access guard has passed the caller, and
//! its answer comes back as it gave it. On the trading node, [`serve`] answers those
//! calls through the very handlers of its own HTTP API, so both ways behave alike.

use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_service::{IntoServiceFactory, Service, ServiceFactory};
use actix_web::dev::AppConfig;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse};
use mandi_cluster::trading::api::{self, ApiRequest, ApiResponse};
use mandi_cluster::ClusterNode;

use super::{trading, AppState};

/// At most one warning per this many seconds while the trading node does not answer;
/// each caller still gets the reason in its answer.
const WARN_EVERY_S: i64 = 60;
static LAST_WARNED: AtomicI64 = AtomicI64::new(0);

/// Every trading path, any method: the trading node decides (405 and 404 included).
pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in trading::PATHS {
        cfg.route(path, web::route().to(forward));
    }
}

async fn forward(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let Some(node) = state.runtime.cluster.as_ref() else {
        return unavailable("this node is not in a cluster; nothing to forward to");
    };
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "error": "bad_body",
            "message": "the body is not UTF-8 text: the trading API takes JSON",
        }));
    };
    let call = ApiRequest {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        content_type: req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    };
    match api::forward(&node.backplane, &node.trading, &call).await {
        Ok(answer) => respond(answer),
        Err(e) => {
            let now = chrono::Utc::now().timestamp();
            let last = LAST_WARNED.load(Ordering::Relaxed);
            if now - last >= WARN_EVERY_S
                && LAST_WARNED
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                tracing::warn!(path = call.path, reason = %e, "trading API not forwarded");
            }
            unavailable(&e.to_string())
        }
    }
}

fn unavailable(message: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(serde_json::json!({
        "error": "trading_unavailable",
        "message": message,
    }))
}

fn respond(answer: ApiResponse) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HttpResponse::build(status);
    if let Some(ct) = answer.content_type {
        out.content_type(ct);
    }
    out.body(answer.body)
}

/// On the trading node: answer the other nodes' forwarded calls until NATS drops the
/// subscription. The calls run through an in-process copy of the trading routes over
/// the same runtime; the access guard already ran on the node the client called.
pub async fn serve(state: AppState, node: ClusterNode) -> anyhow::Result<()> {
    let app = App::new()
        .app_data(web::Data::new(state))
        .configure(trading::routes);
    let service = app
        .into_factory()
        .new_service(AppConfig::default())
        .await
        .map_err(|()| anyhow::anyhow!("the trading routes did not start"))?;
    let service = Rc::new(service);
    mandi_cluster::trading::api::serve(node.backplane.clone(), node.trading.clone(), {
        move |call| {
            let service = service.clone();
            async move { dispatch(service.as_ref(), call).await }
        }
    })
    .await;
    Ok(())
}

/// One forwarded call through `service`, answered as the HTTP API would answer it.
async fn dispatch<S>(service: &S, call: ApiRequest) -> ApiResponse
where
    S: Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let Ok(method) = Method::from_bytes(call.method.as_bytes()) else {
        return ApiResponse::error(
            400,
            "bad_method",
            &format!("`{}` is not an HTTP method", call.method),
        );
    };
    let target = if call.query.is_empty() {
        call.path.clone()
    } else {
        format!("{}?{}", call.path, call.query)
    };
    let Ok(uri) = target.parse() else {
        return ApiResponse::error(400, "bad_path", &format!("`{target}` is not a path"));
    };
    let body = web::Bytes::from(call.body.into_bytes());
    let length = body.len();
    let mut request = actix_http::Request::with_payload(actix_http::Payload::from(body));
    {
        let head = request.head_mut();
        head.method = method;
        head.uri = uri;
        if let Some(ct) = call
            .content_type
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            head.headers.insert(CONTENT_TYPE, ct);
        }
        head.headers.insert(
            actix_web::http::header::CONTENT_LENGTH,
            HeaderValue::from(length),
        );
    }
    let response = match service.call(request).await {
        Ok(response) => response.into_parts().1,
        Err(e) => e.error_response(),
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match actix_web::body::to_bytes(response.into_body()).await {
        Ok(bytes) => ApiResponse {
            status,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        },
        Err(_) => ApiResponse::error(
            500,
            "unreadable_answer",
            "the trading API's answer could not be read",
        ),
    }
}
