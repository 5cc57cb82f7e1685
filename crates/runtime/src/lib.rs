//! mandi's wiring: the supervisor starts the broker side (`mandi-feed`), the client side
//! (`mandi-fanout`) and the trading side (`mandi-trading`) in order and connects them
//! across the backplane; the market clock drives the IST timetable; the settings gather
//! each side's own. Who sends what to whom:
//!
//! ```text
//!  AuthManager ──credentials──▶ FeedConnection × shards ◀──ApplyUpstreamChanges/Replay── SubscriptionRegistry
//!                                   │  TicksReceived (one per frame)  ShardStatusChanged ──▶ ▲ Subscribe/Release
//!                                   ▼                                                      │ (backplane Interest)
//!                               PriceStore ──TicksPublished──▶ Broadcaster ──bytes──▶ ClientSession (per socket)
//!                                   │ TicksPublished             ▲ FeedStatusChanged (from the registry: one
//!                                   │                            │ state for all shards), FallbackStatusChanged
//!                                   ▼                            │ TradingUpdate
//!                    StrategyHost → StrategyRunner ──orders──▶ PaperExecutor ──▶ Journal (SQLite)
//!  RestFallback: follows the registry's set like the feed; while the socket is down it polls
//!    REST quotes (≤ 1/s) into PriceStore and tells Broadcaster (FallbackStatusChanged).
//!  MarketClock: IST timetable → InstrumentDirectory (08:35 master refresh), AuthManager (08:50
//!    check), every FeedConnection (08:55), PriceStore and PaperExecutor (end of day).
//!  InstrumentDirectory: SharedIndex, read by every actor above; a master reload swaps it whole.
//!    Each load resolves the continuous futures for the day; a roll (ContractsRolled) goes to
//!    SubscriptionRegistry (moves the upstream subscription) and Broadcaster (contract_rolled).
//!  RuntimeSupervisor: starts them in order, once, outside the HTTP server factory, each under
//!    panic-safe supervision (`mandi_supervision::start_resilient`).
//! ```

pub mod market_clock;
pub mod settings;
pub mod supervisor;
