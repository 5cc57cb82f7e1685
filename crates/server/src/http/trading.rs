//! The paper-trading API for bots and the dashboard:
//! `GET /api/positions`, `GET /api/orders[?status=open]`, `GET /api/trades`,
//! `POST /api/orders`, `DELETE /api/orders/{id}`, `GET /api/bots`,
//! `GET /api/bots/events[?bot=..&limit=..]`, `POST /api/bots/{name}/exit`.
//! Order, fill and position updates are pushed on `/ws` (see docs/paper-trading.md).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use mandi_paper::{CancelError, LimitError, OrderId, OrderKind, OrderRequest, OrderStatus, Side};
use mandi_trading::paper_executor::{
    CancelOrder, CancelRefused, GetBotEvents, GetFills, GetOrders, GetPositions, PlaceError,
    PlaceOrder,
};
use mandi_trading::strategy_host::{ExitBot, GetBots, PauseBot};
use serde::Deserialize;

use super::api::unavailable;
use super::AppState;

/// Bot events answered at most.
const MAX_EVENTS: usize = 1000;

/// Every path `routes` serves; a node that does not trade forwards these (see
/// `trading_forward`).
pub const PATHS: [&str; 9] = [
    "/api/positions",
    "/api/orders",
    "/api/orders/{id}",
    "/api/trades",
    "/api/bots",
    "/api/bots/events",
    "/api/bots/{name}/exit",
    "/api/bots/{name}/pause",
    "/api/bots/{name}/resume",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/positions", web::get().to(positions))
        .route("/api/orders", web::get().to(orders))
        .route("/api/orders", web::post().to(place))
        .route("/api/orders/{id}", web::delete().to(cancel))
        .route("/api/trades", web::get().to(trades))
        .route("/api/bots", web::get().to(bots))
        .route("/api/bots/events", web::get().to(bot_events))
        .route("/api/bots/{name}/exit", web::post().to(exit_bot))
        .route("/api/bots/{name}/pause", web::post().to(pause_bot))
        .route("/api/bots/{name}/resume", web::post().to(resume_bot));
}

fn error(status: StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({"error": code, "message": message}))
}

async fn positions(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.executor.send(GetPositions).await {
        Ok(report) => HttpResponse::Ok().json(report),
        Err(e) => unavailable("paper executor", e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersQuery {
    status: Option<String>,
}

async fn orders(q: web::Query<OrdersQuery>, state: web::Data<AppState>) -> HttpResponse {
    let open_only = match q.status.as_deref() {
        None | Some("all") => false,
        Some("open") => true,
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_status",
                format!("status `{other}` is not known: use `open` or `all`"),
            )
        }
    };
    match state.runtime.executor.send(GetOrders { open_only }).await {
        Ok(orders) => HttpResponse::Ok().json(serde_json::json!({"orders": orders})),
        Err(e) => unavailable("paper executor", e),
    }
}

async fn trades(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.executor.send(GetFills).await {
        Ok(fills) => HttpResponse::Ok().json(serde_json::json!({"trades": fills})),
        Err(e) => unavailable("paper executor", e),
    }
}

/// `POST /api/orders` body. `type` is MARKET (default), LIMIT (needs `price`), SL (needs
/// `trigger_price` and `price`) or SL-M (needs `trigger_price`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    symbol: String,
    side: Side,
    lots: u32,
    #[serde(rename = "type", default)]
    order_type: Option<String>,
    price: Option<f64>,
    trigger_price: Option<f64>,
    tag: Option<String>,
    reason: Option<String>,
}

fn bad_order(message: String) -> HttpResponse {
    error(StatusCode::BAD_REQUEST, "bad_order", message)
}

fn order_request(o: NewOrder) -> Result<(String, OrderRequest), String> {
    let need = |v: Option<f64>, key: &str, kind: &str| {
        v.ok_or_else(|| format!("`{key}` is required for a {kind} order"))
    };
    let kind_name = o
        .order_type
        .as_deref()
        .unwrap_or("MARKET")
        .to_ascii_uppercase();
    let kind = match kind_name.as_str() {
        "MARKET" => OrderKind::Market,
        "LIMIT" => OrderKind::Limit {
            price: need(o.price, "price", "LIMIT")?,
        },
        "SL" | "STOP_LOSS" => OrderKind::StopLoss {
            trigger_price: need(o.trigger_price, "trigger_price", "SL")?,
            price: need(o.price, "price", "SL")?,
        },
        "SL-M" | "SL_M" | "STOP_LOSS_MARKET" => OrderKind::StopLossMarket {
            trigger_price: need(o.trigger_price, "trigger_price", "SL-M")?,
        },
        other => {
            return Err(format!(
                "`type` {other} is not known: use MARKET, LIMIT, SL or SL-M"
            ))
        }
    };
    let tag = o.tag.unwrap_or_else(|| "api".into());
    // `<bot>#<n>` tags are the bots' order keys; an external order must not look like one.
    // Lengths, lots and prices are the executor's limits (`limit_refused`).
    if tag.contains('#') {
        return Err("`tag` must not contain `#`: `<bot>#<n>` is the bots' own form".into());
    }
    Ok((
        o.symbol,
        OrderRequest {
            side: o.side,
            kind,
            lots: o.lots,
            tag,
            reason: o.reason.unwrap_or_else(|| "external".into()),
        },
    ))
}

async fn place(body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let parsed: NewOrder = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(e) => return bad_order(format!("order body: {e}")),
    };
    let (symbol, request) = match order_request(parsed) {
        Ok(r) => r,
        Err(message) => return bad_order(message),
    };
    let msg = PlaceOrder {
        symbol: symbol.as_str().into(),
        request,
        quote: None,
    };
    match state.runtime.executor.send(msg).await {
        Ok(Ok(outcome)) if outcome.order.status == OrderStatus::Rejected => {
            HttpResponse::UnprocessableEntity().json(outcome)
        }
        Ok(Ok(outcome)) => HttpResponse::Created().json(outcome),
        Ok(Err(PlaceError::OutOfLimits(e))) => limit_refused(&e),
        Ok(Err(e @ PlaceError::JournalUnavailable(_))) => journal_unavailable(e.to_string()),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, "order_refused", e.to_string()),
        Err(e) => unavailable("paper executor", e),
    }
}

/// `400 {"error":"reason_too_long","field":"reason","limit":256,"message":..}`: the
/// limit's own code, the body key, and the limit's figures (`limit`, `tick_size`,
/// `last_price`, `limit_pct`, as the limit has them).
fn limit_refused(e: &LimitError) -> HttpResponse {
    let mut body = serde_json::to_value(e).unwrap_or_default();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("code");
        fields.insert("error".into(), e.code().into());
        fields.insert("field".into(), e.field().key().into());
        fields.insert("message".into(), e.to_string().into());
    }
    HttpResponse::BadRequest().json(body)
}

/// `503 {"error":"journal_unavailable",..}`: nothing was applied; the caller may retry.
fn journal_unavailable(message: String) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(serde_json::json!({"error": "journal_unavailable", "message": message}))
}

async fn cancel(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let raw = path.into_inner();
    let Some(id) = parse_order_id(&raw) else {
        return bad_order(format!(
            "order id `{raw}` is not an order id: use the number or `PF-000001`"
        ));
    };
    match state
        .runtime
        .executor
        .send(CancelOrder { order_id: id })
        .await
    {
        Ok(Ok(order)) => HttpResponse::Ok().json(serde_json::json!({"order": order})),
        Ok(Err(CancelRefused::Book(e @ CancelError::UnknownOrder(_)))) => {
            error(StatusCode::NOT_FOUND, "unknown_order", e.to_string())
        }
        Ok(Err(CancelRefused::Book(e))) => error(StatusCode::CONFLICT, "not_open", e.to_string()),
        Ok(Err(e @ CancelRefused::JournalUnavailable(_))) => journal_unavailable(e.to_string()),
        Err(e) => unavailable("paper executor", e),
    }
}

/// `17` or `PF-000017`.
fn parse_order_id(raw: &str) -> Option<OrderId> {
    raw.trim_start_matches("PF-")
        .parse::<u64>()
        .ok()
        .map(OrderId)
}

async fn bots(state: web::Data<AppState>) -> HttpResponse {
    match state.runtime.strategies.send(GetBots).await {
        Ok(bots) => HttpResponse::Ok().json(serde_json::json!({"bots": bots})),
        Err(e) => unavailable("strategy host", e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    bot: Option<String>,
    limit: Option<usize>,
}

async fn bot_events(q: web::Query<EventsQuery>, state: web::Data<AppState>) -> HttpResponse {
    let msg = GetBotEvents {
        bot: q.bot.clone(),
        limit: q.limit.unwrap_or(100).clamp(1, MAX_EVENTS),
    };
    match state.runtime.executor.send(msg).await {
        Ok(events) => HttpResponse::Ok().json(serde_json::json!({"events": events})),
        Err(e) => unavailable("paper executor", e),
    }
}

async fn exit_bot(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let name = path.into_inner();
    match state
        .runtime
        .strategies
        .send(ExitBot { name: name.clone() })
        .await
    {
        Ok(true) => HttpResponse::Accepted()
            .json(serde_json::json!({"status": "exit requested", "bot": name})),
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "unknown_bot",
            format!("no bot is named `{name}`: see GET /api/bots"),
        ),
        Err(e) => unavailable("strategy host", e),
    }
}

async fn pause_bot(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    set_paused(path.into_inner(), true, &state).await
}

async fn resume_bot(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    set_paused(path.into_inner(), false, &state).await
}

/// Pause: the bot takes no new entries (its position, if any, is still managed).
async fn set_paused(name: String, paused: bool, state: &AppState) -> HttpResponse {
    let msg = PauseBot {
        name: name.clone(),
        paused,
    };
    match state.runtime.strategies.send(msg).await {
        Ok(true) => HttpResponse::Ok().json(serde_json::json!({"bot": name, "paused": paused})),
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "unknown_bot",
            format!("no bot is named `{name}`: see GET /api/bots"),
        ),
        Err(e) => unavailable("strategy host", e),
    }
}
