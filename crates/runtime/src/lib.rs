//! mandi's actors and their wiring. Who sends what to whom:
//!
//! ```text
//!  AuthManager ──credentials──▶ FeedConnection ◀──ApplyUpstreamChanges/Replay── SubscriptionRegistry
//!                                   │  TicksReceived (one per frame)                 ▲ Subscribe/Release
//!                                   ▼                                                │
//!                               PriceStore ──TicksPublished──▶ Broadcaster ──bytes──▶ ClientSession (per socket)
//!                                   ▲ GetSnapshot                 │ FeedStatusChanged ◀── FeedConnection
//!  RestFallback: follows the registry's set like the feed; while the socket is down it polls
//!    REST quotes (≤ 1/s) into PriceStore and tells Broadcaster (FallbackStatusChanged).
//!  MarketClock: IST timetable → InstrumentDirectory (08:35 master refresh), AuthManager (08:50
//!    check), FeedConnection (08:55), PriceStore and PaperExecutor (end of day).
//!  InstrumentDirectory: SharedIndex, read by every actor above; a master reload swaps it whole.
//!  RuntimeSupervisor: starts them in order, once, outside the HTTP server factory, each under
//!    panic-safe supervision (`supervisor::start_resilient`).
//! ```

pub mod auth_manager;
pub mod broadcaster;
pub mod client_protocol;
pub mod client_session;
pub mod clock;
pub mod feed_connection;
pub mod instrument_directory;
pub mod journal;
pub mod market_clock;
pub mod paper_executor;
pub mod price_store;
pub mod rest_fallback;
pub mod settings;
pub mod strategy_host;
pub mod strategy_runner;
pub mod subscription_registry;
pub mod supervisor;
