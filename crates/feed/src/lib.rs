//! The broker side of mandi: the actors that hold the upstream connection and everything
//! it needs. Who sends what to whom:
//!
//! ```text
//!  AuthManager ──credentials, TokenAdopted──▶ FeedConnection × N ◀── ApplyUpstreamChanges / ReplaySubscriptions ── SubscriptionRegistry
//!                                              (one per shard)   ── ShardStatusChanged ──────────────────────────▶ (shards the set,
//!                                                  │                                                                gathers changes,
//!                                                  │ TicksReceived (backplane, out)      FeedStatusChanged (one      one state for all)
//!                                                  ▼                                     state, backplane, out) ◀──┘  ▲ Subscribe / Release /
//!                                           the fan-out side                                                         │ ReleaseAll (backplane, in)
//!                                                                                            the fan-out and trading sides
//!  RestFallback: follows the registry's set like the feed; while the socket is down it polls REST
//!    quotes (≤ 1/s) and publishes them as TicksReceived, and FallbackStatusChanged.
//!  InstrumentDirectory: loads the master into the SharedIndex every actor reads.
//!  HistoryFetcher: asks the broker's historical REST API (paced, the REST fallback's
//!    client) at start and at each exchange open, and publishes HistoryLoaded.
//!  upstream: not an actor; the one place that knows each broker (dhan/, kite/), called
//!    by all of the above instead of matching on `Broker` themselves.
//! ```
//!
//! Nothing here names an actor of the fan-out or trading side: what crosses is in
//! `backplane`, and the supervisor connects the two sides.

pub mod auth_manager;
pub mod backplane;
pub mod feed_connection;
pub mod history_fetcher;
pub mod instrument_directory;
pub mod rest_fallback;
pub mod settings;
pub mod subscription_registry;
pub mod upstream;
