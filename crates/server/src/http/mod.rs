//! The HTTP and WebSocket API: routes, shared state, and the server factory that takes a
//! bound listener so tests run the whole stack on port 0.

mod admin;
mod api;
mod chain;
mod dashboard;
mod levels;
mod quotes;
mod trading;

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::{web, App, HttpServer};
use mandi_runtime::supervisor::RuntimeHandle;
use tracing_actix_web::TracingLogger;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub runtime: RuntimeHandle,
    /// `MANDI_ADMIN_TOKEN`: when set, operator endpoints need it as a bearer token
    /// (and then also accept non-loopback callers, e.g. behind a proxy).
    pub admin_token: Option<String>,
}

/// Build the HTTP server on an already-bound listener. The runtime was started once,
/// before this, so every worker shares it.
pub fn build(
    listener: TcpListener,
    state: AppState,
    cors_origins: Vec<String>,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || {
        let mut cors = Cors::default()
            .allowed_methods(["GET", "POST", "DELETE"])
            .allow_any_header()
            .max_age(3600);
        for origin in &cors_origins {
            cors = cors.allowed_origin(origin);
        }
        App::new()
            .app_data(web::Data::new(state.clone()))
            .wrap(cors)
            .wrap(TracingLogger::default())
            .configure(dashboard::routes)
            .configure(api::routes)
            .configure(admin::routes)
            .configure(levels::routes)
            .configure(quotes::routes)
            .configure(trading::routes)
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(2)
    .listen(listener)?
    .run();
    Ok(server)
}
