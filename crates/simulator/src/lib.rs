//! mandi-simulator: a stand-in for Dhan v2 and Zerodha Kite v3 that speaks their
//! WebSocket feeds and REST APIs byte for byte on loopback (protocols.md PART D).
//!
//! ```text
//! MarketClock ──(every tick_interval_ms)── steps PriceModels, re-prices DerivedModels
//!      │                                    from their underlyings ──▶ SimState.snapshot
//!      └── MarketTicked ──▶ DhanSession / KiteSession ──▶ binary frames to clients
//! HTTP: GET / (Dhan or Kite upgrade) · /v2/* (Dhan REST) · /user, /quote* (Kite REST)
//!       · /instruments, /api-data/api-scrip-master.csv (instrument masters, see master/)
//!       · /admin/counters · /admin/drop · /admin/faults (fault switches, see faults/)
//! ```

mod admin;
mod common;
mod counters;
mod dhan;
mod faults;
mod http;
mod kite;
mod limits;
mod market;
mod master;
mod sessions;
mod settings;
mod state;
mod timefmt;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use chrono::Utc;

pub use counters::{
    BrokerCounters, ConnectionSubscriptions, CountersSnapshot, DhanSubscription, KiteSubscription,
};
pub use faults::Faults;
pub use settings::{DerivativeSettings, SimCredentials, SimInstrument, SimSettings};

use market::{MarketClock, StopClock};
use state::SimState;

/// A running simulator. Dropping it leaves the server running until its actix
/// System ends; call [`SimulatorHandle::stop`] to stop it earlier.
pub struct SimulatorHandle {
    addr: SocketAddr,
    server: ServerHandle,
    clock: Addr<MarketClock>,
    state: Arc<SimState>,
}

impl SimulatorHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:PORT`, the feed root for both brokers.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT`, the REST root for both brokers (Dhan under `/v2`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same data as `GET /admin/counters`.
    pub fn counters(&self) -> CountersSnapshot {
        self.state.counters_snapshot(Instant::now())
    }

    /// Stop serving (open connections are cut) and stop the market clock.
    pub async fn stop(self) {
        self.server.stop(false).await;
        self.clock.do_send(StopClock);
        self.state.faults.stop_driver();
        tracing::info!(addr = %self.addr, "simulator stopped");
    }
}

/// Start the simulator on `listener`. Must be called inside a running actix System
/// (the market clock runs on the caller's arbiter; HTTP on one worker thread).
pub fn start(settings: SimSettings, listener: TcpListener) -> std::io::Result<SimulatorHandle> {
    let addr = listener.local_addr()?;
    let now = Utc::now();
    let (universe, models) = market::build(&settings, now);
    let first = models.snapshot(now);
    let state = Arc::new(SimState::new(settings, universe, first));
    let clock = MarketClock::new(models, state.clone()).start();
    state
        .faults
        .set_driver(faults::driver::FaultDriver::new(state.clone()).start());

    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(faults::rest::rest_faults))
            // Outermost, so quote requests are counted on arrival, faults or not.
            .wrap(actix_web::middleware::from_fn(http::count_quote_requests))
            .configure(http::routes)
    })
    .workers(1)
    .disable_signals()
    // A finished feed session drops its TCP connection at once instead of lingering
    // for the default second: `/admin/drop` must look like a network cut.
    .client_disconnect_timeout(Duration::ZERO)
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    tracing::info!(addr = %addr, instruments = state.universe.len(), "simulator listening");
    Ok(SimulatorHandle {
        addr,
        server: handle,
        clock,
        state,
    })
}
