//! `RuntimeSupervisor`: starts the actors once, in dependency order (auth → instruments →
//! registry → broadcaster → paper executor → strategy host → price store → REST
//! fallback → history fetcher → feed connections (one per upstream shard) → market clock),
//! each under panic-safe supervision, wires them, and keeps the addresses. Started outside
//! `HttpServer::new`, so every HTTP worker shares one runtime.

mod messages;
mod state;

use std::sync::Arc;

use actix::Addr;
use chrono::Utc;
use mandi_domain::MarketCalendar;

pub use mandi_supervision::{start_resilient, ActorRestarts, CrashActor, CrashKind, RestartCount};
pub use messages::StartError;
pub use state::{
    combined_feed, grade, upstream_report, ConnectionReport, HealthReport, UpstreamReport,
};

use crate::market_clock::MarketClock;
use crate::settings::RuntimeSettings;
use mandi_fanout::broadcaster::{Broadcaster, GetBroadcastStats, GetInstrumentHealth};
use mandi_fanout::price_store::{GetPriceStoreStats, PriceStore};
use mandi_feed::auth_manager::{AuthManager, NotifyOnNewToken};
use mandi_feed::backplane::Interest;
use mandi_feed::feed_connection::messages::GetFeedHealth;
use mandi_feed::feed_connection::FeedConnection;
use mandi_feed::history_fetcher::{GetHistoryStatus, HistoryFetcher};
use mandi_feed::instrument_directory::{
    FollowRolls, InstrumentDirectory, InstrumentIndex, MasterSettings, ReloadError, Reloaded,
    SharedIndex, Today,
};
use mandi_feed::rest_fallback::{GetFallbackStatus, RestFallback};
use mandi_feed::subscription_registry::{
    AttachFeed, AttachShard, FollowFeedStatus, GetUpstreamCapacity, Subscribe, SubscriptionRegistry,
};
use mandi_feed::upstream::limits_in_force;
use mandi_recording::{MasterRows, Recorder, RecorderSettings};
use mandi_trading::paper_executor::{PaperExecutor, PaperHealth};
use mandi_trading::strategy_host::StrategyHost;
use mandi_trading::strategy_runner::RunnerDeps;

/// The subscriber name under which the runtime holds the `/prices` set.
pub const RUNTIME_SUBSCRIBER: &str = "runtime:prices";

/// Each upstream connection's actor name in `/health` → `actors`; the first keeps the
/// name it had before sharding. As many as the most connections any broker allows.
pub const FEED_ACTORS: [&str; 5] = [
    "feed_connection",
    "feed_connection_1",
    "feed_connection_2",
    "feed_connection_3",
    "feed_connection_4",
];

/// Addresses of the running actors, cheap to clone into HTTP handlers.
#[derive(Clone)]
pub struct RuntimeHandle {
    pub settings: Arc<RuntimeSettings>,
    /// The index every actor reads; a master reload swaps it for all of them at once.
    pub index: SharedIndex,
    pub directory: Addr<InstrumentDirectory>,
    pub registry: Addr<SubscriptionRegistry>,
    pub broadcaster: Addr<Broadcaster>,
    pub price_store: Addr<PriceStore>,
    pub auth: Addr<AuthManager>,
    /// The first upstream connection (always open); `feeds[0]`.
    pub feed: Addr<FeedConnection>,
    /// Every upstream connection, by shard number; those past the first open only while
    /// the registry gives them instruments.
    pub feeds: Vec<Addr<FeedConnection>>,
    pub calendar: Arc<MarketCalendar>,
    /// Restarts per actor, for `/health` and `/metrics`.
    pub restarts: Arc<ActorRestarts>,
    pub clock: Addr<MarketClock>,
    pub fallback: Addr<RestFallback>,
    /// The broker's history: levels on day one, older days for `/api/candles`.
    pub history: Addr<HistoryFetcher>,
    pub executor: Addr<PaperExecutor>,
    /// The paper account's figures and its journal's, read without asking the executor
    /// (which may be waiting on the journal).
    pub paper: PaperHealth,
    pub strategies: Addr<StrategyHost>,
    /// The frame recorder's handle (its counters for `/health`); None when off.
    pub recorder: Option<Recorder>,
}

pub struct RuntimeSupervisor;

/// The broker master the instrument directory keeps current: where it comes from, and
/// the first load, which the caller tries before start so the first subscriptions can
/// name option contracts.
pub struct MasterPlan {
    pub settings: MasterSettings,
    /// An error: the first load failed (reported in `/health`); the configured
    /// instruments serve until the 08:35 IST refresh or a `ReloadMaster` brings a master.
    pub loaded: Result<Reloaded, ReloadError>,
}

impl RuntimeSupervisor {
    /// Start everything. Must run inside an actix `System`.
    pub fn start(
        settings: RuntimeSettings,
        calendar: MarketCalendar,
    ) -> Result<RuntimeHandle, StartError> {
        Self::start_with_master(settings, calendar, None)
    }

    /// Start with a broker instrument master merged under the configured instruments
    /// (option contracts then subscribe like any instrument), re-downloaded before each
    /// day's open.
    pub fn start_with_master(
        settings: RuntimeSettings,
        calendar: MarketCalendar,
        master: Option<MasterPlan>,
    ) -> Result<RuntimeHandle, StartError> {
        let calendar = Arc::new(calendar);
        let config_only = Arc::new(InstrumentIndex::build(settings.instruments.clone())?);
        // The `/prices` symbols are configured instruments, so the config alone decides,
        // before any actor starts.
        for s in &settings.default_symbols {
            if config_only.by_symbol(s).is_none() {
                return Err(StartError::UnknownDefaultSymbol(s.to_string()));
            }
        }
        let index = SharedIndex::new(config_only);
        let restarts = Arc::new(ActorRestarts::default());
        let recorder = settings
            .recorder
            .clone()
            .and_then(|s| start_recorder(s, &index, settings.trading.clock.clone()));
        // Every long-lived actor runs under panic-safe supervision: a stop or a panic
        // restarts the same actor value behind the same address, so nobody re-wires.
        let auth = {
            let (credentials, upstream) = (settings.credentials.clone(), settings.upstream.clone());
            let file = settings.credentials_file.clone();
            start_resilient("auth_manager", restarts.clone(), move |_| {
                let auth = AuthManager::new(credentials, upstream);
                match file {
                    Some(path) => auth.with_credentials_file(path),
                    None => auth,
                }
            })
        };
        let trading_clock = settings
            .trading
            .clock
            .clone()
            .unwrap_or_else(mandi_trading::clock::system_clock);
        let directory = {
            let (index, config, auth) = (index.clone(), settings.instruments.clone(), auth.clone());
            let continuous = settings.continuous.clone();
            // Continuous futures resolve for the runtime's own date (a test's clock).
            let today: Today = {
                let clock = trading_clock.clone();
                Arc::new(move || clock().with_timezone(&mandi_domain::time::IST).date_naive())
            };
            // Runs now, inside `start_resilient`: a master loaded before start is in the
            // shared index before any other actor reads it.
            start_resilient(
                "instrument_directory",
                restarts.clone(),
                move |_| match master {
                    Some(MasterPlan { settings, loaded }) => {
                        InstrumentDirectory::with_master(index, config, settings)
                            .with_auth(auth)
                            .with_today(today)
                            .with_continuous(continuous)
                            .with_loaded(loaded)
                    }
                    None => InstrumentDirectory::over(index)
                        .with_today(today)
                        .with_continuous(continuous),
                },
            )
        };
        let limits = limits_in_force(&settings.upstream);
        let registry = {
            let (index, flush_ms) = (index.clone(), settings.upstream.subscribe_flush_ms);
            start_resilient("subscription_registry", restarts.clone(), move |_| {
                SubscriptionRegistry::new(index, limits, flush_ms)
            })
        };
        // What the client and trading sides see of the registry: the backplane's interest
        // messages, never its address.
        let interest = Interest::new(&registry);
        let broadcaster = {
            let (broadcast, index, registry) =
                (settings.broadcast.clone(), index.clone(), interest.clone());
            let (symbols, broker) = (
                settings.default_symbols.clone(),
                settings.upstream.broker.as_str(),
            );
            let calendar = calendar.clone();
            start_resilient("broadcaster", restarts.clone(), move |_| {
                Broadcaster::new(broadcast, index, registry, symbols, broker, calendar)
            })
        };
        let paper_health = PaperHealth::default();
        let executor = {
            let t = &settings.trading;
            let (paper, journal, index) = (t.paper.clone(), t.journal_path.clone(), index.clone());
            let (registry, updates) = (interest.clone(), vec![broadcaster.clone().recipient()]);
            let (clock, health) = (trading_clock.clone(), paper_health.clone());
            let calendar = calendar.clone();
            start_resilient("paper_executor", restarts.clone(), move |_| {
                PaperExecutor::new(paper, journal, index, clock)
                    .with_registry(registry)
                    .with_updates(updates)
                    .with_health(health)
                    .with_calendar(calendar.clone())
            })
        };
        let strategies = {
            let deps = RunnerDeps {
                executor: executor.clone(),
                registry: Some(interest.clone()),
                index: index.clone(),
                clock: trading_clock.clone(),
                journal_path: settings.trading.journal_path.clone(),
                updates: vec![broadcaster.clone().recipient()],
            };
            let (dir, files) = (
                settings.trading.strategies_dir.clone(),
                settings.trading.strategies.clone(),
            );
            let r = restarts.clone();
            start_resilient("strategy_host", restarts.clone(), move |_| {
                StrategyHost::new(dir, files, deps, r)
            })
        };
        let price_store = {
            let (subscribers, store) = (
                vec![
                    broadcaster.clone().recipient(),
                    executor.clone().recipient(),
                    strategies.clone().recipient(),
                ],
                settings.store.clone(),
            );
            start_resilient("price_store", restarts.clone(), move |_| {
                PriceStore::new(subscribers, store)
            })
        };
        // Started before the feed, so it hears the feed's very first status.
        let fallback = {
            let (fb, upstream, index, auth) = (
                settings.rest_fallback.clone(),
                settings.upstream.clone(),
                index.clone(),
                auth.clone(),
            );
            let ticks = price_store.clone().recipient();
            let status = vec![broadcaster.clone().recipient()];
            let recorder = recorder.clone();
            start_resilient("rest_fallback", restarts.clone(), move |_| {
                RestFallback::new(fb, upstream, index, auth, ticks, status)
                    .with_recorder(recorder.clone())
            })
        };
        // Asks the broker's history at once; the levels appear when it answers, start-up
        // never waits for it.
        let history = {
            let (hs, upstream, auth) = (
                settings.history.clone(),
                settings.upstream.clone(),
                auth.clone(),
            );
            let (calendar, instruments) = (calendar.clone(), settings.instruments.clone());
            let data_dir = settings.store.data_dir.clone();
            let store = price_store.clone().recipient();
            start_resilient("history_fetcher", restarts.clone(), move |_| {
                HistoryFetcher::new(
                    hs,
                    upstream,
                    auth,
                    calendar,
                    &instruments,
                    data_dir.as_deref(),
                    store,
                )
            })
        };
        // One actor per upstream connection the broker allows (or fewer, configured),
        // each with its own socket and its share of the set. Each also stops itself on
        // every lost socket: a reconnect is a restart with its state — backoff, attempt
        // count, set — intact. They report to the registry, which replays each one's
        // share and tells the client side one state for all.
        let feeds: Vec<Addr<FeedConnection>> = (0..limits.connections.min(FEED_ACTORS.len()))
            .map(|shard| {
                let (upstream, index, auth) =
                    (settings.upstream.clone(), index.clone(), auth.clone());
                let calendar = calendar.clone();
                let ticks = price_store.clone().recipient();
                let status = registry.clone().recipient();
                let recorder = recorder.clone();
                start_resilient(FEED_ACTORS[shard], restarts.clone(), move |_| {
                    FeedConnection::new(upstream, index, auth, ticks, Vec::new())
                        .with_calendar(calendar)
                        .with_recorder(recorder)
                        .as_shard(shard, status)
                })
            })
            .collect();
        let feed = feeds[0].clone();
        let clock = {
            let schedule = mandi_domain::DailySchedule::new((*calendar).clone());
            let (auth, feeds, store) = (auth.clone(), feeds.clone(), price_store.clone());
            let (fb, paper, directory) = (fallback.clone(), executor.clone(), directory.clone());
            let history = history.clone();
            start_resilient("market_clock", restarts.clone(), move |_| {
                MarketClock::new(schedule, auth, feeds, store, fb)
                    .with_paper(paper)
                    .with_directory(directory)
                    .with_history(history)
            })
        };
        for follower in [
            broadcaster.clone().recipient(),
            fallback.clone().recipient(),
        ] {
            registry.do_send(FollowFeedStatus { follower });
        }
        // A rolled continuous future moves its upstream subscription and is told to clients.
        for follower in [
            registry.clone().recipient(),
            broadcaster.clone().recipient(),
        ] {
            directory.do_send(FollowRolls { follower });
        }
        for (shard, feed) in feeds.iter().enumerate() {
            auth.do_send(NotifyOnNewToken {
                follower: feed.clone().recipient(),
            });
            registry.do_send(AttachShard {
                shard,
                changes: feed.clone().recipient(),
                replay: feed.clone().recipient(),
            });
        }
        registry.do_send(AttachFeed {
            changes: fallback.clone().recipient(),
            replay: fallback.clone().recipient(),
        });
        if !settings.default_symbols.is_empty() {
            registry.do_send(Subscribe {
                subscriber: RUNTIME_SUBSCRIBER.into(),
                symbols: settings.default_symbols.clone(),
                mode: mandi_domain::Mode::Ltp,
            });
        }
        tracing::info!(
            broker = settings.upstream.broker.as_str(),
            instruments = index.load().len(),
            upstream_connections = limits.connections,
            per_connection = limits.per_connection,
            "runtime started"
        );
        Ok(RuntimeHandle {
            settings: Arc::new(settings),
            index,
            directory,
            registry,
            broadcaster,
            price_store,
            auth,
            feed,
            feeds,
            calendar,
            restarts,
            clock,
            fallback,
            history,
            executor,
            paper: paper_health,
            strategies,
            recorder,
        })
    }
}

/// Starts the frame recorder; a recorder that cannot start is logged and left off, the
/// feed runs without it.
fn start_recorder(
    settings: RecorderSettings,
    index: &SharedIndex,
    clock: Option<mandi_trading::clock::Clock>,
) -> Option<Recorder> {
    let root = settings.root.clone();
    let index = index.clone();
    // The rows in force when each file opens: the whole index, master included.
    let master: MasterRows =
        Arc::new(move || index.load().all().iter().map(|i| (**i).clone()).collect());
    match Recorder::start(settings, master) {
        // A scripted clock (tests, scenarios) stamps the frames: the replay then runs on
        // the time the bots saw. Live, the clock is the wall clock either way.
        Ok(r) => Some(match clock {
            Some(c) => r.with_clock(c),
            None => r,
        }),
        Err(e) => {
            tracing::warn!(dir = %root.display(), error = %e, "recorder not started: frames are not recorded — check store.data_dir is writable, or set recorder.enabled = false");
            None
        }
    }
}

impl RuntimeHandle {
    /// Gather `/health` from the actors. An actor that does not answer is a failure in
    /// itself, reported as such rather than hidden.
    pub async fn health(&self) -> Result<HealthReport, actix::MailboxError> {
        // The registry first: a connection reports its state to the registry before it
        // restarts and schedules its next attempt, so the connections asked after it are
        // at least as far along as the state it tells.
        let capacity = self.registry.send(GetUpstreamCapacity).await?;
        let mut shards = Vec::with_capacity(self.feeds.len());
        for feed in &self.feeds {
            shards.push(feed.send(GetFeedHealth).await?);
        }
        let upstream = upstream_report(&capacity, &shards);
        let feed = match combined_feed(&capacity, &shards) {
            Some(feed) => feed,
            None => self.feed.send(GetFeedHealth).await?,
        };
        let store = self.price_store.send(GetPriceStoreStats).await?;
        let broadcast = self.broadcaster.send(GetBroadcastStats).await?;
        let instruments = self.broadcaster.send(GetInstrumentHealth).await?;
        let next_job = self.clock.send(crate::market_clock::GetNextJob).await?;
        let auth = self
            .auth
            .send(mandi_feed::auth_manager::GetAuthStatus)
            .await?;
        let rest_fallback = self.fallback.send(GetFallbackStatus).await?;
        let history = self.history.send(GetHistoryStatus).await?;
        let master = self
            .directory
            .send(mandi_feed::instrument_directory::GetMasterStatus)
            .await?;
        let now = Utc::now();
        let market_open = self.calendar.any_open(now);
        let last_tick_age_s = store
            .last_update_at
            .map(|t| mandi_domain::time::seconds_since(t, now));
        Ok(HealthReport {
            status: grade(feed.state, broadcast.feed_quality),
            // Refused polling serves nothing: not "using" it (clients hear login_required).
            using_rest_fallback: rest_fallback.active
                && rest_fallback.refused.is_none()
                && feed.state != mandi_feed::feed_connection::messages::FeedState::Live,
            last_tick_age_s,
            clients: broadcast.clients,
            prices_clients: broadcast.prices_clients,
            feed,
            upstream,
            store,
            broadcast,
            market_open,
            actors: self.restarts.snapshot(),
            instruments,
            next_job,
            auth,
            rest_fallback,
            master,
            history,
            paper: self.paper.report(),
            recorder: self
                .recorder
                .as_ref()
                .map(Recorder::stats)
                .unwrap_or_default(),
            timestamp: now,
        })
    }
}
