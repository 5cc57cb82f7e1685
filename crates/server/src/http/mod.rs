//! The HTTP and WebSocket API: routes, shared state, and the server factory that takes a
//! bound listener so tests run the whole stack on port 0.

mod admin;
mod api;
mod candle_range;
mod chain;
mod chain_quotes;
mod dashboard;
mod instruments;
mod levels;
mod quotes;
pub mod standby;
mod trading;
pub mod trading_forward;
mod watchlists;
mod watchlists_shared;

use std::net::TcpListener;

use actix_cors::Cors;
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use mandi_runtime::supervisor::RuntimeHandle;
use tracing_actix_web::TracingLogger;

use crate::security::{self, Security};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub runtime: RuntimeHandle,
    /// What the option chain's implied volatilities and greeks assume.
    pub option_pricing: mandi_domain::options::OptionPricing,
    /// `store.data_dir`, where the dashboard's watchlists are kept (memory only when unset).
    pub data_dir: Option<std::path::PathBuf>,
    /// The recorded day being served (`mandi run --replay`), for `/health`.
    pub replay: Option<crate::replay::serve::ReplayInfo>,
}

impl AppState {
    /// A cluster node other than `cluster.trading_node` forwards the trading API to it.
    pub fn forwards_trading(&self) -> bool {
        self.runtime
            .cluster
            .as_ref()
            .is_some_and(|c| !c.backplane.settings.trades_here())
    }
}

/// Build the HTTP server on an already-bound listener. The runtime was started once,
/// before this, so every worker shares it.
pub fn build(
    listener: TcpListener,
    state: AppState,
    security: Arc<Security>,
    cors_origins: Vec<String>,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    let security = web::Data::from(security);
    let forwards_trading = state.forwards_trading();
    let watchlists = web::Data::new(watchlists::WatchlistStore::new(state.data_dir.as_deref()));
    let server = HttpServer::new(move || {
        let mut cors = Cors::default()
            .allowed_methods(["GET", "POST", "DELETE"])
            .allow_any_header()
            .max_age(3600);
        for origin in &cors_origins {
            cors = cors.allowed_origin(origin);
        }
        // Outermost first: CORS answers preflights, the guard decides (and drops forwarding
        // headers of untrusted peers), then the request span logs the real client.
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(security.clone())
            .app_data(watchlists.clone())
            .wrap(TracingLogger::default())
            .wrap(from_fn(security::guard))
            .wrap(cors)
            .configure(dashboard::routes)
            .configure(security::login_routes)
            .configure(api::routes)
            .configure(admin::routes)
            .configure(levels::routes)
            .configure(quotes::routes)
            .configure(|c| {
                if forwards_trading {
                    trading_forward::routes(c)
                } else {
                    trading::routes(c)
                }
            })
            .configure(watchlists::routes)
    })
    // Lets a WebSocket session drop its TCP connection even while actix-http waits to
    // flush to a client that stopped reading (see mandi_fanout::client_session).
    .on_connect(mandi_fanout::client_session::remember_connection)
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(2)
    .listen(listener)?
    .run();
    Ok(server)
}
