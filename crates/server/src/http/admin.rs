//! Operator endpoints: token hot-swap, instrument master reload, actor crash drills and
//! Prometheus metrics. `POST /api/auth/token`, `POST /api/admin/master/reload` and
//! `POST /api/admin/crash/{actor}` change what the runtime does, so they answer only to a
//! direct local connection (no proxy headers), or to a bearer token equal to
//! `MANDI_ADMIN_TOKEN` when that is set (see `crate::security`).

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use mandi_feed::auth_manager::{GetCredentials, ReplaceCredentials};
use mandi_feed::instrument_directory::{GetMasterStatus, ReloadError, ReloadMaster};
use mandi_runtime::settings::Credentials;
use mandi_runtime::supervisor::{CrashActor, CrashKind};
use serde::Deserialize;

use super::AppState;
use crate::security::{Access, Security};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/auth/token", web::post().to(replace_token))
        .route("/api/admin/crash/{actor}", web::post().to(crash_actor))
        .route("/api/admin/master/reload", web::post().to(reload_master))
        .route("/metrics", web::get().to(metrics));
}

/// A new daily token; the id fields are optional (they rarely change).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    access_token: String,
    client_id: Option<String>,
    api_key: Option<String>,
}

/// The guard middleware (`crate::security`) decided this request is an operator's; checked
/// here again so a route mounted without the guard is closed, not open.
fn allowed(req: &HttpRequest) -> bool {
    req.extensions().get::<Access>() == Some(&Access::Admin)
}

async fn replace_token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    if !allowed(&req) {
        return forbidden("token changes");
    }
    let body: TokenBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "error": "bad_json",
                "message": format!("{e}; expected {{\"access_token\":\"..\"}} (optionally client_id or api_key)"),
            }))
        }
    };
    let rt = &state.runtime;
    let Ok(current) = rt.auth.send(GetCredentials).await else {
        return busy();
    };
    let credentials = match current {
        Credentials::Dhan { client_id, .. } => Credentials::Dhan {
            client_id: body.client_id.unwrap_or(client_id),
            access_token: body.access_token,
        },
        Credentials::Kite { api_key, .. } => Credentials::Kite {
            api_key: body.api_key.unwrap_or(api_key),
            access_token: body.access_token,
        },
    };
    match rt.auth.send(ReplaceCredentials { credentials }).await {
        // The auth manager tells the feed to reconnect with the adopted token.
        Ok(Ok(status)) if !status.is_rejected() => HttpResponse::Ok()
            .json(serde_json::json!({"status": "accepted", "token_status": status})),
        Ok(Ok(status)) => HttpResponse::UnprocessableEntity().json(serde_json::json!({
            "status": "rejected",
            "token_status": status,
            "message": "the broker refused this token; the previous one is still in use",
        })),
        Ok(Err(e)) => HttpResponse::BadRequest()
            .json(serde_json::json!({"error": "bad_credentials", "message": e.to_string()})),
        Err(_) => busy(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadQuery {
    /// Download even when the cached copy is still fresh.
    force: Option<bool>,
}

/// Load the instrument master again now (after a failed 08:35 refresh, or when the
/// broker lists a contract mid-day). Answers when the new index is in use, or why the
/// old one still is.
async fn reload_master(
    req: HttpRequest,
    query: web::Query<ReloadQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    if !allowed(&req) {
        return forbidden("master reloads");
    }
    let msg = ReloadMaster {
        force_download: query.force.unwrap_or(true),
    };
    let rt = &state.runtime;
    let result = match rt.directory.send(msg).await {
        Ok(result) => result,
        Err(e) => return super::api::unavailable("instrument directory", e),
    };
    let status = rt.directory.send(GetMasterStatus).await.ok();
    match result {
        Ok(report) => HttpResponse::Ok()
            .json(serde_json::json!({"status": "loaded", "report": report, "master": status})),
        Err(ReloadError::NotConfigured) => HttpResponse::Conflict().json(serde_json::json!({
            "error": "no_master",
            "message": "no instrument master is configured; set master.source",
        })),
        Err(ReloadError::InProgress) => HttpResponse::Conflict().json(serde_json::json!({
            "error": "in_progress",
            "message": "a master reload is already running; GET /health shows master.reloading",
        })),
        Err(e) => HttpResponse::BadGateway().json(serde_json::json!({
            "error": "reload_failed",
            "message": match e {
                ReloadError::CacheInUse { .. } => e.to_string(),
                e => format!("{e}; the previous index is still in use"),
            },
            "master": status,
        })),
    }
}

fn forbidden(what: &str) -> HttpResponse {
    HttpResponse::Forbidden().json(serde_json::json!({
        "error": "forbidden",
        "message": format!("{what} are accepted from 127.0.0.1, or with Authorization: Bearer $MANDI_ADMIN_TOKEN"),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrashQuery {
    kind: Option<CrashKind>,
}

/// The actor names `/health` reports under `actors`.
const CRASHABLE: [&str; 7] = [
    "auth_manager",
    "broadcaster",
    "feed_connection",
    "instrument_directory",
    "market_clock",
    "price_store",
    "subscription_registry",
];

/// A drill: crash one actor (`?kind=panic`, the default, or `?kind=stop`) and watch
/// supervision bring it back with its state; `/health` counts the restart.
async fn crash_actor(
    req: HttpRequest,
    actor: web::Path<String>,
    query: web::Query<CrashQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    if !allowed(&req) {
        return forbidden("crash drills");
    }
    let msg = CrashActor {
        kind: query.kind.unwrap_or(CrashKind::Panic),
    };
    let rt = &state.runtime;
    match actor.as_str() {
        "auth_manager" => rt.auth.do_send(msg),
        "broadcaster" => rt.broadcaster.do_send(msg),
        // A cluster edge has no feed connection.
        "feed_connection" if !rt.feeds.is_empty() => rt.feeds[0].do_send(msg),
        "instrument_directory" => rt.directory.do_send(msg),
        "market_clock" => rt.clock.do_send(msg),
        "price_store" => rt.price_store.do_send(msg),
        "subscription_registry" => rt.registry.do_send(msg),
        other => {
            return HttpResponse::NotFound().json(serde_json::json!({
                "error": "unknown_actor",
                "message": format!("no actor {other:?}; one of {}", CRASHABLE.join(", ")),
            }))
        }
    }
    HttpResponse::Accepted().json(
        serde_json::json!({"status": "crash requested", "actor": actor.as_str(), "kind": msg.kind}),
    )
}

/// Unlabelled series: name, type, help, value.
fn push_rows<'a>(
    out: &mut String,
    rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str, f64)>,
) {
    for (name, kind, help, value) in rows {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    }
}

/// The cluster series of a feed or edge node (`/health` → `cluster`); absent standalone.
/// A figure nobody has yet (no leader, no tick received) is -1.
fn cluster_rows(out: &mut String, c: &mandi_cluster::ClusterReport) {
    let secs = |ms: Option<f64>| ms.map_or(-1.0, |m| m / 1000.0);
    let t = &c.trading;
    let rows: [(&str, &str, &str, f64); 14] = [
        (
            "mandi_cluster_nats_connected",
            "gauge",
            "1 while this node's NATS connection is up",
            f64::from(u8::from(c.nats_connected)),
        ),
        (
            "mandi_cluster_is_leader",
            "gauge",
            "1 on the feed node holding the lease (and the broker connections)",
            f64::from(u8::from(c.is_leader)),
        ),
        (
            "mandi_cluster_lease_age_seconds",
            "gauge",
            "seconds since the leader last renewed its lease (-1: no leader)",
            secs(c.lease.lease_age_ms.map(|ms| ms as f64)),
        ),
        (
            "mandi_cluster_interest_keys",
            "gauge",
            "edges whose client interest this node holds (an edge: its own key)",
            c.interest_keys.len() as f64,
        ),
        (
            "mandi_cluster_ticks_published_total",
            "counter",
            "ticks the leader published on the backplane",
            c.ticks_published as f64,
        ),
        (
            "mandi_cluster_ticks_dropped_total",
            "counter",
            "ticks the leader could not publish",
            c.ticks_dropped as f64,
        ),
        (
            "mandi_cluster_ticks_received_total",
            "counter",
            "ticks this edge took off the backplane",
            c.ticks_received as f64,
        ),
        (
            "mandi_cluster_decode_errors_total",
            "counter",
            "backplane messages this node could not decode",
            c.decode_errors as f64,
        ),
        (
            "mandi_cluster_backplane_lag_seconds",
            "gauge",
            "the last tick's time from the leader's publish to this edge (-1: none yet)",
            secs(c.backplane_lag_ms),
        ),
        (
            "mandi_cluster_backplane_lag_max_seconds",
            "gauge",
            "the longest publish-to-edge time since start (-1: none yet)",
            secs(c.backplane_lag_max_ms),
        ),
        (
            "mandi_cluster_trading_here",
            "gauge",
            "1 on the edge that runs the paper account and the bots (cluster.trading_node)",
            f64::from(u8::from(t.here)),
        ),
        (
            "mandi_cluster_trading_api_forwarded_total",
            "counter",
            "trading API calls this node sent to the trading node",
            t.api_forwarded as f64,
        ),
        (
            "mandi_cluster_trading_api_failed_total",
            "counter",
            "forwarded trading API calls the trading node did not answer",
            t.api_failed as f64,
        ),
        (
            "mandi_cluster_trading_updates_dropped_total",
            "counter",
            "trading updates the trading node could not publish",
            t.updates_dropped as f64,
        ),
    ];
    push_rows(out, rows);
    // Role, node and leader as labels of a constant 1, the usual shape for such facts.
    let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    out.push_str(&format!(
        "# HELP mandi_cluster_info this node's role and name and the leader it sees\n# TYPE mandi_cluster_info gauge\nmandi_cluster_info{{role=\"{}\",node=\"{}\",leader=\"{}\"}} 1\n",
        c.role,
        label(&c.node),
        label(c.lease.leader.as_deref().unwrap_or(""))
    ));
}

fn busy() -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(serde_json::json!({
        "error": "unavailable",
        "message": "auth manager is restarting; retry in a second",
    }))
}

async fn metrics(state: web::Data<AppState>, security: web::Data<Security>) -> HttpResponse {
    let Ok(h) = state.runtime.health().await else {
        return busy();
    };
    let live = u8::from(h.feed.state == mandi_feed::feed_connection::messages::FeedState::Live);
    let rows: [(&str, &str, &str, f64); 22] = [
        (
            "mandi_feed_live",
            "gauge",
            "1 while the upstream socket is live",
            f64::from(live),
        ),
        (
            "mandi_feed_connects_total",
            "counter",
            "upstream connections opened",
            h.feed.connects as f64,
        ),
        (
            "mandi_feed_frames_total",
            "counter",
            "upstream frames received",
            h.feed.frames as f64,
        ),
        (
            "mandi_feed_packets_total",
            "counter",
            "upstream packets decoded",
            h.feed.packets as f64,
        ),
        (
            "mandi_feed_decode_errors_total",
            "counter",
            "malformed upstream frames",
            h.feed.decode_errors as f64,
        ),
        (
            "mandi_feed_dropped_frames_total",
            "counter",
            "frames dropped because the price store was full",
            h.feed.dropped_frames as f64,
        ),
        (
            "mandi_recorder_frames_total",
            "counter",
            "upstream frames queued for the recording",
            h.recorder.frames as f64,
        ),
        (
            "mandi_recorder_dropped_frames_total",
            "counter",
            "upstream frames not recorded because the recorder's queue was full",
            h.recorder.dropped as f64,
        ),
        (
            "mandi_recorder_bytes_written_total",
            "counter",
            "bytes written to recording files",
            h.recorder.bytes_written as f64,
        ),
        (
            "mandi_recorder_write_errors_total",
            "counter",
            "recording files that could not be opened, written or flushed",
            h.recorder.write_errors as f64,
        ),
        (
            "mandi_feed_consecutive_failures",
            "gauge",
            "failed attempts since the last healthy connection",
            f64::from(h.feed.consecutive_failures),
        ),
        (
            "mandi_feed_subscribed_instruments",
            "gauge",
            "instruments the upstream carries",
            h.feed.subscribed as f64,
        ),
        (
            "mandi_upstream_connections_in_use",
            "gauge",
            "upstream connections carrying instruments (the first is always in use)",
            h.upstream.connections_in_use as f64,
        ),
        (
            "mandi_upstream_instruments",
            "gauge",
            "instruments the upstream connections carry together",
            h.upstream.instruments as f64,
        ),
        (
            "mandi_upstream_capacity_instruments",
            "gauge",
            "instruments the upstream may carry (connections x per connection)",
            h.upstream.capacity as f64,
        ),
        (
            "mandi_upstream_refused_symbols_total",
            "counter",
            "symbols refused with capacity_reached: every connection was full",
            h.upstream.refused_total as f64,
        ),
        (
            "mandi_ticks_in_total",
            "counter",
            "ticks published to the broadcaster",
            h.broadcast.ticks_in as f64,
        ),
        (
            "mandi_client_wakeups_total",
            "counter",
            "session outbox wake-ups",
            h.broadcast.wakeups as f64,
        ),
        (
            "mandi_clients",
            "gauge",
            "connected /ws clients",
            h.clients as f64,
        ),
        (
            "mandi_prices_clients",
            "gauge",
            "connected /ws/prices clients",
            h.prices_clients as f64,
        ),
        (
            "mandi_slow_clients_closed_total",
            "counter",
            "clients closed for falling behind",
            h.broadcast.slow_clients_closed as f64,
        ),
        (
            "mandi_last_tick_age_seconds",
            "gauge",
            "seconds since the last tick (-1: none yet)",
            h.last_tick_age_s.unwrap_or(-1.0),
        ),
    ];
    let paper = &h.paper;
    let journal = paper.journal.clone().unwrap_or_default();
    let paper_rows: [(&str, &str, &str, f64); 8] = [
        (
            "mandi_paper_orders_total",
            "counter",
            "paper orders placed, rejected ones included",
            paper.orders as f64,
        ),
        (
            "mandi_paper_fills_total",
            "counter",
            "paper fills",
            paper.fills as f64,
        ),
        (
            "mandi_paper_refused_by_limits_total",
            "counter",
            "paper orders refused by the order limits (400)",
            paper.refused_by_limits as f64,
        ),
        (
            "mandi_paper_streaming_instruments",
            "gauge",
            "instruments the paper account keeps streaming",
            paper.streaming as f64,
        ),
        (
            "mandi_journal_calls_total",
            "counter",
            "paper journal calls run on its thread",
            journal.calls as f64,
        ),
        (
            "mandi_journal_errors_total",
            "counter",
            "paper journal calls that failed; an order among them was refused with 503",
            journal.errors as f64,
        ),
        (
            "mandi_journal_pending",
            "gauge",
            "paper journal calls queued or running",
            journal.pending as f64,
        ),
        (
            "mandi_journal_slowest_call_seconds",
            "gauge",
            "the slowest paper journal call since start",
            journal.slowest_call_ms / 1000.0,
        ),
    ];
    let mut out = String::with_capacity(4096);
    push_rows(&mut out, rows.into_iter().chain(paper_rows));
    if let Some(c) = &h.cluster {
        cluster_rows(&mut out, c);
    }
    out.push_str("# HELP mandi_actor_restarts_total actor restarts by supervision (the feed restarts on every reconnect)\n# TYPE mandi_actor_restarts_total counter\n");
    for (actor, count) in &h.actors {
        out.push_str(&format!(
            "mandi_actor_restarts_total{{actor=\"{actor}\"}} {}\n",
            count.restarts
        ));
    }
    out.push_str("# HELP mandi_actor_panics_total actor panics caught and restarted\n# TYPE mandi_actor_panics_total counter\n");
    for (actor, count) in &h.actors {
        out.push_str(&format!(
            "mandi_actor_panics_total{{actor=\"{actor}\"}} {}\n",
            count.panics
        ));
    }
    out.push_str("# HELP mandi_http_refused_total requests refused before any handler, by code (docs/security.md)\n# TYPE mandi_http_refused_total counter\n");
    for (code, count) in security.refused() {
        out.push_str(&format!(
            "mandi_http_refused_total{{code=\"{code}\"}} {count}\n"
        ));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
