//! What a feed standby serves while it waits for the lease: `/health` (its role, the
//! leader it waits on and how fresh that leader's lease is) so operators and load
//! balancers can tell a standby from a dead node, and a 503 naming the leader for
//! everything else. It runs on a copy of the node's listener and stops the moment the node
//! leads; the full server then takes the same socket.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use mandi_cluster::Backplane;
use serde_json::json;

/// The standby's `/health`: 200 with `status: "standby"` (a healthy standby is ready for
/// its job, which is waiting).
async fn health(backplane: web::Data<Backplane>) -> HttpResponse {
    let lease = mandi_cluster::lease::view(&backplane.lease).await;
    let s = &backplane.settings;
    HttpResponse::Ok().json(json!({
        "status": "standby",
        "cluster": {
            "role": s.role.as_str(),
            "node": s.node,
            "nats_connected": backplane.is_connected(),
            "is_leader": false,
            "leader": lease.leader,
            "lease_age_ms": lease.lease_age_ms,
            "revision": lease.revision,
        },
    }))
}

async fn not_yet(backplane: web::Data<Backplane>) -> HttpResponse {
    let lease = mandi_cluster::lease::view(&backplane.lease).await;
    let leader = lease.leader.unwrap_or_else(|| "(none yet)".into());
    HttpResponse::ServiceUnavailable().json(json!({
        "error": "standby",
        "message": format!(
            "this feed node is a standby and serves only /health until it leads; the leader is {leader}: use the edges"
        ),
    }))
}

/// Serves `/health` on a copy of `listener` until the returned handle is stopped.
pub fn start(listener: &TcpListener, backplane: Backplane) -> std::io::Result<ServerHandle> {
    let copy = listener.try_clone()?;
    let data = web::Data::new(backplane);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/health", web::get().to(health))
            .default_service(web::to(not_yet))
    })
    .workers(1)
    .disable_signals()
    .listen(copy)?
    .run();
    let handle = server.handle();
    actix_rt::spawn(server);
    Ok(handle)
}
