//! Composition: the embedded simulator (when enabled), the runtime, and the HTTP server,
//! started in that order from one validated config. In a cluster (`cluster.role`), NATS
//! comes first: an edge starts no simulator and no broker side; a feed node waits for
//! the leader lease before it starts anything that talks to the broker, and exits (the
//! service manager restarts it as a standby) the moment it loses the lease.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::Context as _;
use mandi_cluster::{ClusterNode, Role};
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

/// Wait for the leader lease, then keep it in the background; losing it ends the
/// process (see [`EXIT_FENCED`]). While another node leads, this one answers `/health`
/// as a standby on `listener`; the full server takes the socket once it leads.
async fn lead(backplane: mandi_cluster::Backplane, listener: &TcpListener) -> Side {
    let settings = backplane.settings.clone();
    let mut last_holder = None;
    let mut standby = None;
    // While it waits, this node answers the leader's pings (see `liveness`).
    let witness = actix_rt::spawn(mandi_cluster::liveness::answer_as_standby(
        backplane.clone(),
    ));
    let revision = mandi_cluster::lease::acquire(&backplane, |holder| {
        if standby.is_none() {
            match http::standby::start(listener, backplane.clone()) {
                Ok(handle) => standby = Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "standby: /health not served until this node leads")
                }
            }
        }
        if holder != last_holder {
            tracing::info!(
                node = settings.node,
                leader = holder.as_deref().unwrap_or("(expiring)"),
                "feed standby: another node holds the lease; waiting"
            );
            last_holder = holder;
        }
    })
    .await;
    witness.abort();
    if let Some(handle) = standby {
        handle.stop(false).await;
    }
    tracing::info!(
        node = settings.node,
        revision,
        "feed leader: holding the lease; opening the broker connections"
    );
    let (kv, bp) = (backplane.lease.clone(), backplane.clone());
    actix_rt::spawn(async move {
        use mandi_cluster::liveness;
        // Lost by a failed renewal, by NATS out of reach for too long, by pings this node
        // can no longer answer (standbys would take it for dead), or on the losing side
        // of a NATS partition.
        let reason = tokio::select! {
            r = mandi_cluster::lease::hold(&kv, &settings, revision) => r,
            r = liveness::answer_pings(bp.clone()) => r,
            r = liveness::watch_link(bp.connected.clone()) => r,
            r = liveness::guard_isolation(bp.clone()) => r,
        };
        tracing::error!(node = settings.node, reason, "lost the feed lease: closing every broker connection by exiting; the service manager restarts this node as a standby");
        std::process::exit(EXIT_FENCED);
    });
    Side::Leader(ClusterNode::new(backplane, true))
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
        Role::Feed | Role::Edge => {
            let settings = cfg.cluster.settings();
            if role == Role::Feed && settings.node == settings.trading_node {
                anyhow::bail!(
                    "cluster.trading_node names {:?}, a feed node: trading runs on an edge, which stays up across feed failovers; name an edge's cluster.node",
                    settings.node
                );
            }
            if settings.trading_node.is_empty() {
                tracing::warn!("cluster.trading_node is empty: no node runs the paper account or the bots, and the trading API answers 503; set it to one edge's cluster.node");
            }
            let backplane = mandi_cluster::connect(&settings).await?;
            tracing::info!(
                role = role.as_str(),
                node = settings.node,
                nats = settings.nats_url,
                "joined the cluster backplane"
            );
            if role == Role::Edge {
                Side::Edge(ClusterNode::new(backplane, false))
            } else {
                lead(backplane, &listener).await
            }
        }
    };
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
    let cluster = match &side {
        Side::Leader(node) | Side::Edge(node) => Some(node.backplane.clone()),
        Side::Standalone => None,
    };
    let shared_master =
        crate::master::master_settings(&cfg, broker, sim_rest.as_deref(), &settings.credentials)
            .filter(|m| m.provider == mandi_feed::instrument_directory::MasterProvider::Cluster)
            .map(|_| crate::master::cluster_copy(&cfg, broker));
    if let (Some(copy), Some(backplane)) = (&shared_master, &cluster) {
        let fetched = tokio::time::timeout(
            std::time::Duration::from_secs(15),
            mandi_cluster::master::fetch_to(backplane, broker.as_str(), copy),
        )
        .await;
        match fetched {
            Ok(Ok(true)) => tracing::info!(copy = %copy.display(), "the feed leader's instrument master copied"),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = e, "the feed leader's instrument master not copied; it loads when the leader shares it again"),
            Err(_) => tracing::warn!("the feed leader's instrument master not copied within 15 s; it loads when the leader shares it again"),
        }
    }
    let master = crate::master::first_load(
        &cfg,
        broker,
        sim_rest.as_deref(),
        &settings.credentials,
        today,
    )
    .await;
    let runtime = RuntimeSupervisor::start_as(settings, cfg.calendar(), master, side)?;
    match (&cluster, shared_master) {
        (Some(backplane), Some(copy)) => {
            actix_rt::spawn(mandi_cluster::master::follow(
                backplane.clone(),
                broker.as_str().to_string(),
                copy,
                runtime.directory.clone(),
            ));
        }
        (Some(backplane), None) if role == Role::Feed => {
            actix_rt::spawn(mandi_cluster::master::share(
                backplane.clone(),
                runtime.directory.clone(),
            ));
        }
        _ => {}
    }
    let addr = listener.local_addr()?;
    let state = AppState {
        runtime: runtime.clone(),
        option_pricing: cfg.option_chain.clone(),
        data_dir: cfg.store_settings().data_dir,
        replay: replay_info,
    };
    if let Some(node) = runtime
        .cluster
        .as_ref()
        .filter(|c| c.backplane.settings.trades_here())
    {
        let (state, node) = (state.clone(), node.clone());
        actix_rt::spawn(async move {
            if let Err(e) = http::trading_forward::serve(state, node).await {
                tracing::error!(error = %e, "the other nodes' trading API is not served here");
            }
        });
    }
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
