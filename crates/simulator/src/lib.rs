//! mandi-simulator: a stand-in for Dhan v2 and Zerodha Kite v3 that speaks their
//! WebSocket feeds and REST APIs byte for byte on loopback (protocols.md PART D).
//!
//! ```text
//! MarketClock ──(every tick_interval_ms)── steps PriceModels, re-prices DerivedModels
//!      │                                    from their underlyings ──▶ SimState.snapshot
//!      └── MarketTicked ──▶ DhanSession / KiteSession ──▶ binary frames to clients
//! HTTP: GET / (Dhan or Kite upgrade) · /v2/* (Dhan REST, charts) · /user, /quote*,
//!       /instruments/historical (Kite REST)
//!       · /instruments, /api-data/api-scrip-master.csv (instrument masters, see master/)
//!       · /admin/counters · /admin/drop · /admin/faults (fault switches, see faults/)
//!       · /admin/quotes (quote pins, see pins/: applied by the MarketClock)
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
mod pins;
pub mod record_day;
mod sessions;
mod settings;
mod state;
mod timefmt;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

pub use counters::{
    BrokerCounters, ConnectionSubscriptions, CountersSnapshot, DhanSubscription, KiteSubscription,
};
pub use faults::Faults;
pub use pins::{PinError, QuotePin};
pub use settings::{
    DerivativeSettings, SimClock, SimCredentials, SimInstrument, SimReplay, SimSettings,
};

use market::{MarketClock, PinChange, StopClock};
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

    /// The previous close the feeds send for `symbol` (a configured instrument or a
    /// generated contract): yesterday's close of its price path.
    pub fn prev_close(&self, symbol: &str) -> Option<f64> {
        let idx = pins::lookup(symbol, &self.state.universe).ok()?;
        self.state.snapshot().quote(idx).map(|q| q.prev_close)
    }

    /// The same data as `GET /admin/counters`.
    pub fn counters(&self) -> CountersSnapshot {
        self.state.counters_snapshot(Instant::now())
    }

    /// Pin quotes as `POST /admin/quotes` does (same validation, all or nothing; a pin
    /// replaces the symbol's old one) and answer the pins in force, keyed by symbol.
    /// Applied before this returns: the next packet and REST quote carry them.
    pub async fn pin_quotes<S: AsRef<str>>(
        &self,
        pins: impl IntoIterator<Item = (S, QuotePin)>,
    ) -> Result<BTreeMap<String, QuotePin>, PinError> {
        let table = pins::resolve_all(pins, &self.state.universe)?;
        self.change_pins(PinChange::Pin(table)).await
    }

    /// Release one symbol's pin (`DELETE /admin/quotes/{symbol}`).
    pub async fn unpin_quote(&self, symbol: &str) -> Result<BTreeMap<String, QuotePin>, PinError> {
        let idx = pins::lookup(symbol, &self.state.universe)?;
        self.change_pins(PinChange::Unpin(idx)).await
    }

    /// Release every pin (`DELETE /admin/quotes`).
    pub async fn clear_pins(&self) -> Result<BTreeMap<String, QuotePin>, PinError> {
        self.change_pins(PinChange::UnpinAll).await
    }

    /// The pins in force (`GET /admin/quotes`).
    pub async fn pins(&self) -> Result<BTreeMap<String, QuotePin>, PinError> {
        self.change_pins(PinChange::List).await
    }

    async fn change_pins(&self, what: PinChange) -> Result<BTreeMap<String, QuotePin>, PinError> {
        let table = pins::admin::change(&self.clock, what).await?;
        Ok(pins::named(&table, &self.state.universe))
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
    let now = settings.clock.now();
    let (universe, models) = market::build(&settings, now);
    let first = models.snapshot(now);
    let state = Arc::new(SimState::new(settings, universe, first));
    let clock = MarketClock::new(models, state.clone()).start();
    state
        .faults
        .set_driver(faults::driver::FaultDriver::new(state.clone()).start());

    let data = web::Data::from(state.clone());
    // The pin handlers hand their changes to the clock, which owns the prices.
    let clock_data = web::Data::new(clock.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(clock_data.clone())
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
