//! Composition: the embedded simulator (when enabled), the runtime, and the HTTP server,
//! started in that order from one validated config. In a cluster (`cluster.role`), NATS
//! comes first (`crate::cluster`): an edge starts no simulator and no broker side; a feed
//! node waits for the leader lease before it starts anything that talks to the broker,
//! and exits (the service manager restarts it as a standby) the moment it loses the
//! lease.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::Context as _;
use mandi_cluster::Role;
use mandi_fanout::price_store::PersistNow;
use mandi_feed::auth_manager::{credentials_from_env, credentials_from_text};
use mandi_runtime::settings::{Credentials, RuntimeSettings, TradingSettings};
use mandi_runtime::supervisor::{RuntimeHandle, RuntimeSupervisor, Side};
use mandi_simulator::{
    DerivativeSettings, SimClock, SimCredentials, SimInstrument, SimSettings, SimulatorHandle,
};
use mandi_trading::clock::Clock;

use crate::config::MandiConfig;
use crate::http::{self, AppState};

/// Credentials the embedded simulator accepts. They open nothing but the loopback simulator.
pub const SIM_DHAN_CLIENT_ID: &str = "1000000001";
pub const SIM_DHAN_TOKEN: &str = "sim-dhan-token";
pub const SIM_KITE_API_KEY: &str = "sim_api_key";
pub const SIM_KITE_TOKEN: &str = "sim-kite-token";

/// The exit status of a feed node that lost the lease: every broker socket closes with
/// the process, before a standby may open its own.
pub const EXIT_FENCED: i32 = 75;

/// Everything `mandi run` started.
pub struct RunningApp {
    pub addr: SocketAddr,
    pub runtime: RuntimeHandle,
    pub simulator: Option<SimulatorHandle>,
    server: actix_web::dev::ServerHandle,
    task: actix_rt::task::JoinHandle<std::io::Result<()>>,
}

impl RunningApp {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Wait until the HTTP server stops by itself (it only does on a fatal error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await.context("http server task")??;
        Ok(())
    }

    /// The graceful end of `mandi run` (SIGTERM, Ctrl-C): the price snapshot is written
    /// first, then the HTTP server stops taking connections and closes the open ones, then
    /// the simulator. The journal needs nothing: every call was committed before it was
    /// answered.
    pub async fn shutdown(self) {
        let persisted = self
            .runtime
            .price_store
            .send(PersistNow {
                reason: "shutting down".into(),
            })
            .await;
        if persisted.is_err() {
            tracing::warn!("price store did not answer; the last periodic snapshot stands");
        }
        // An edge deletes its interest key: the leader releases what only its clients
        // held now, not after `cluster.interest_ttl_ms`.
        if let Some(uplink) = &self.runtime.uplink {
            match uplink.send(mandi_cluster::edge::messages::LeaveCluster).await {
                Ok(Ok(())) => tracing::info!("left the cluster: interest key deleted"),
                Ok(Err(e)) => tracing::warn!(error = e, "interest key not deleted; it expires after cluster.interest_ttl_ms"),
                Err(_) => tracing::warn!("cluster uplink did not answer; the interest key expires after cluster.interest_ttl_ms"),
            }
        }
        self.stop().await;
    }

    /// Stop the server and the simulator; used by tests and on shutdown.
    pub async fn stop(self) {
        // WebSocket clients hear 1001 (going away) and their sessions end, so the graceful
        // stop below does not wait out its timeout on them.
        let _ = self
            .runtime
            .broadcaster
            .send(mandi_fanout::broadcaster::CloseSessions)
            .await;
        self.server.stop(true).await;
        if let Some(sim) = self.simulator {
            sim.stop().await;
        }
    }
}

/// The simulator settings this config describes.
pub fn sim_settings(cfg: &MandiConfig) -> SimSettings {
    let universe = cfg
        .instruments()
        .into_iter()
        .zip(&cfg.instruments)
        .map(|(instrument, entry)| SimInstrument {
            instrument,
            start_price: entry.sim_price,
        })
        .collect();
    let s = &cfg.simulator;
    SimSettings {
        seed: s.seed,
        tick_interval_ms: s.tick_interval_ms,
        volatility_annual: s.volatility_annual.clone(),
        intraday_profile: s.intraday_profile,
        kite_heartbeat_interval_ms: s.kite_heartbeat_interval_ms,
        dhan_ping_interval_ms: s.dhan_ping_interval_ms,
        // The expiry calendar starts from today's IST date when the simulator starts.
        derivatives: DerivativeSettings {
            enabled: s.derivatives_enabled,
            risk_free_rate_annual: s.risk_free_rate_annual,
            index_strikes_each_side: s.index_option_strikes_each_side,
            stock_strikes_each_side: s.stock_option_strikes_each_side,
            start_date: None,
        },
        credentials: SimCredentials {
            dhan_client_id: SIM_DHAN_CLIENT_ID.into(),
            dhan_access_token: SIM_DHAN_TOKEN.into(),
            kite_api_key: SIM_KITE_API_KEY.into(),
            kite_access_token: SIM_KITE_TOKEN.into(),
        },
        universe,
        clock: SimClock::default(),
        replay: mandi_simulator::SimReplay::default(),
    }
}

/// Start simulator (if enabled), runtime and HTTP server. Must run inside an actix System.
pub async fn start(
    cfg: MandiConfig,
    listener: TcpListener,
    workers: usize,
) -> anyhow::Result<RunningApp> {
    start_with_clock(cfg, listener, workers, None).await
}

/// [`start`] on a clock of the caller's: the embedded simulator stamps its quotes with it
/// and the paper account and bots run on it, so a scripted scenario sets the time of day
/// (09:15 IST, then 15:15) whatever the wall clock says. `None` is the wall clock.
pub async fn start_with_clock(
    cfg: MandiConfig,
    listener: TcpListener,
    workers: usize,
    clock: Option<Clock>,
) -> anyhow::Result<RunningApp> {
    start_inner(cfg, listener, workers, clock, None).await
}

/// [`start`] serving a recorded day (`mandi run --replay`): the embedded simulator plays
/// it out and everything runs on its clock.
pub async fn start_replay(
    cfg: MandiConfig,
    listener: TcpListener,
    workers: usize,
    served: crate::replay::serve::Served,
) -> anyhow::Result<RunningApp> {
    let clock = Some(served.info.clock.clone());
    start_inner(cfg, listener, workers, clock, Some(served)).await
}

async fn start_inner(
    cfg: MandiConfig,
    listener: TcpListener,
    workers: usize,
    clock: Option<Clock>,
    served: Option<crate::replay::serve::Served>,
) -> anyhow::Result<RunningApp> {
    if served.is_some() && (cfg.cluster.role() != Role::Standalone || !cfg.simulator.enabled) {
        anyhow::bail!("--replay serves a recording from the embedded simulator: run it standalone (cluster.role = \"standalone\")");
    }
    let replay_info = served.as_ref().map(|s| s.info.clone());
    let replay_info_for_start = replay_info.clone();
    // Refused before anything starts: a public bind without keys, bad keys, bad proxies.
    let security = Arc::new(cfg.security(|v| std::env::var(v).ok())?);
    if security.policy.keys.is_empty() {
        tracing::info!(
            "no API keys (MANDI_API_KEYS): serving direct local connections only, as every caller may trade"
        );
    } else {
        tracing::info!(
            keys = security.policy.keys.len(),
            "API keys required on /ws, /ws/prices, /prices and /api/*"
        );
    }
    let broker = cfg.broker();
    let role = cfg.cluster.role();
    let side = match role {
        Role::Standalone => Side::Standalone,
        Role::Feed | Role::Edge => crate::cluster::join(&cfg, &listener).await?,
    };
    // In a cluster, login sessions and watchlists are shared by every node over NATS.
    if let Side::Leader(node) | Side::Edge(node) = &side {
        let _ = security
            .shared
            .set(crate::security::shared::Shared(node.backplane.clone()));
        actix_rt::spawn(crate::security::shared::follow_logouts(security.clone()));
    }
    let edge = matches!(side, Side::Edge(_));
    if edge && cfg.simulator.enabled {
        tracing::info!(
            "edge: the embedded simulator is not started (the feed leader holds the broker side)"
        );
    }
    let (simulator, credentials, sim_urls) = if edge {
        // An edge never opens a broker connection, whatever its environment holds: it
        // is given no credentials at all.
        let none = match broker {
            mandi_runtime::settings::Broker::Dhan => Credentials::Dhan {
                client_id: String::new(),
                access_token: String::new(),
            },
            mandi_runtime::settings::Broker::Kite => Credentials::Kite {
                api_key: String::new(),
                access_token: String::new(),
            },
        };
        (None, none, None)
    } else if cfg.simulator.enabled {
        let sim_listener =
            TcpListener::bind(("127.0.0.1", cfg.simulator.port)).with_context(|| {
                format!(
                    "simulator.port {} is not free on 127.0.0.1",
                    cfg.simulator.port
                )
            })?;
        let mut sim_cfg = sim_settings(&cfg);
        if let Some(clock) = &clock {
            sim_cfg.clock = SimClock(clock.clone());
        }
        if let Some(served) = &served {
            sim_cfg.replay = served.frames.clone();
            tracing::info!(
                input = served.info.input,
                from = %served.info.first,
                to = %served.info.last,
                speed = served.info.speed,
                "serving a recorded day: the simulator plays it out on its feed sockets"
            );
        }
        let sim = mandi_simulator::start(sim_cfg, sim_listener)
            .context("starting the embedded simulator")?;
        let creds = match broker {
            mandi_runtime::settings::Broker::Dhan => Credentials::Dhan {
                client_id: SIM_DHAN_CLIENT_ID.into(),
                access_token: SIM_DHAN_TOKEN.into(),
            },
            mandi_runtime::settings::Broker::Kite => Credentials::Kite {
                api_key: SIM_KITE_API_KEY.into(),
                access_token: SIM_KITE_TOKEN.into(),
            },
        };
        let urls = (sim.ws_url(), sim.rest_url());
        tracing::info!(addr = %sim.addr(), broker = broker.as_str(), "embedded broker simulator started");
        (Some(sim), creds, Some(urls))
    } else {
        let creds = match cfg.credentials_file() {
            // The watched file, when configured and readable, is where new tokens land.
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "upstream.credentials_file {} is not readable",
                        path.display()
                    )
                })?;
                credentials_from_text(broker, &text).map_err(|e| {
                    anyhow::anyhow!("upstream.credentials_file {}: {e}", path.display())
                })?
            }
            _ => credentials_from_env(broker).map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        (None, creds, None)
    };
    let settings = RuntimeSettings {
        upstream: cfg.upstream_settings(sim_urls),
        credentials,
        broadcast: cfg.broadcast_settings(),
        store: cfg.store_settings(),
        instruments: cfg.instruments(),
        continuous: cfg.continuous_futures(),
        default_symbols: cfg
            .prices
            .symbols
            .iter()
            .map(|s| Arc::from(s.as_str()))
            .collect(),
        credentials_file: cfg.credentials_file(),
        rest_fallback: cfg.rest_fallback.clone(),
        history: cfg.history.clone(),
        trading: TradingSettings {
            clock,
            ..cfg.trading_settings().map_err(|e| anyhow::anyhow!("{e}"))?
        },
        recorder: cfg.recorder_settings(),
    };
    let sim_rest = simulator.as_ref().map(|s| s.rest_url());
    // Continuous futures resolve for the runtime's date (a scripted clock's in tests).
    let today = settings
        .trading
        .clock
        .as_ref()
        .map_or_else(chrono::Utc::now, |c| c())
        .with_timezone(&mandi_domain::time::IST)
        .date_naive();
    // An edge loads the feed leader's master: its copy is brought up to date first.
    let shared_master = crate::cluster::copy_leader_master(
        &cfg,
        broker,
        sim_rest.as_deref(),
        &settings.credentials,
        &side,
    )
    .await;
    let master = crate::master::first_load(
        &cfg,
        broker,
        sim_rest.as_deref(),
        &settings.credentials,
        today,
    )
    .await;
    let runtime = RuntimeSupervisor::start_as(settings, cfg.calendar(), master, side)?;
    let addr = listener.local_addr()?;
    let state = AppState {
        runtime: runtime.clone(),
        option_pricing: cfg.option_chain.clone(),
        data_dir: cfg.store_settings().data_dir,
        replay: replay_info,
    };
    crate::cluster::start_tasks(&state, broker, role, shared_master);
    let server = http::build(
        listener,
        state,
        security,
        cfg.server.cors_origins.clone(),
        workers,
    )?;
    let handle = server.handle();
    let task = actix_rt::spawn(server);
    if let Some(info) = &replay_info_for_start {
        info.start_now();
    }
    Ok(RunningApp {
        addr,
        runtime,
        simulator,
        server: handle,
        task,
    })
}
