//! Shared by the runtime's actor tests: a stand-in broker HTTP server on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

/// Serve `routes` with `state` as app data on 127.0.0.1, port 0, one worker; stop it with
/// the returned handle.
pub fn serve<T: Send + Sync + 'static>(
    state: Arc<T>,
    routes: fn(&mut web::ServiceConfig),
) -> (SocketAddr, ServerHandle) {
    let data = web::Data::from(state);
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", 0))
        .expect("bind loopback");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (addr, handle)
}
