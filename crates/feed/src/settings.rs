//! The broker side's settings: which broker, where to reach it, and the credentials.
//! The server builds these from the layered config files and validates them.

use serde::{Deserialize, Serialize};

/// Which broker protocol the upstream speaks (the real broker or the simulator alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Broker {
    Dhan,
    Kite,
}

impl Broker {
    pub fn as_str(self) -> &'static str {
        match self {
            Broker::Dhan => "dhan",
            Broker::Kite => "kite",
        }
    }
}

/// Broker credentials. `Debug` is hand-written so a token can never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Dhan {
        client_id: String,
        access_token: String,
    },
    Kite {
        api_key: String,
        access_token: String,
    },
}

impl Credentials {
    /// Which broker these credentials belong to.
    pub fn broker(&self) -> Broker {
        match self {
            Credentials::Dhan { .. } => Broker::Dhan,
            Credentials::Kite { .. } => Broker::Kite,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Dhan { client_id, .. } => f
                .debug_struct("Dhan")
                .field("client_id", client_id)
                .field("access_token", &"<redacted>")
                .finish(),
            Credentials::Kite { api_key, .. } => f
                .debug_struct("Kite")
                .field("api_key", api_key)
                .field("access_token", &"<redacted>")
                .finish(),
        }
    }
}

/// Where and how to reach the upstream broker.
#[derive(Clone, Debug)]
pub struct UpstreamSettings {
    pub broker: Broker,
    /// e.g. `wss://api-feed.dhan.co` or `ws://127.0.0.1:PORT` for the simulator.
    pub ws_url: String,
    /// e.g. `https://api.dhan.co` (the `/v2/...` paths are appended) or `https://api.kite.trade`.
    pub rest_url: String,
    pub connect_timeout_ms: u64,
    /// No frame at all (heartbeats included) for this long means the socket is dead.
    pub read_idle_timeout_ms: u64,
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    pub backoff_factor: f64,
    /// The least wait after the broker refused the credentials (retrying sooner only
    /// collects refusals). Capped by `backoff_max_ms`.
    pub auth_retry_floor_ms: u64,
    /// The least wait after throttling (an HTTP 400 or 429 at the upgrade, Dhan 805).
    /// Capped by `backoff_max_ms`, except after a 429 or a Dhan 805: there the broker
    /// asked for the wait and it holds.
    pub throttled_retry_floor_ms: u64,
    /// The least wait when the account cannot use the feed (Dhan 806) or the config
    /// cannot work: a slow probe until a human fixes it. Capped by `backoff_max_ms`.
    pub fatal_retry_floor_ms: u64,
    /// Live socket, instruments in session, yet no market data for this long: the feed
    /// is stale (connected but mute) and is replaced. 0 turns the check off.
    pub stale_after_ms: u64,
    /// Instruments one upstream connection carries at most; the broker's own limit
    /// (`upstream::subscribe_limits`) caps it.
    pub max_instruments_per_connection: usize,
    /// Upstream connections opened at most, each with its own share of the instruments;
    /// the broker's own limit caps it. The first is always open, the others only while
    /// they carry instruments.
    pub max_connections: usize,
    /// Interest changes are gathered this long before the upstream hears of them, so a
    /// subscribe and its unsubscribe within one window never reach the broker.
    pub subscribe_flush_ms: u64,
    /// Subscribe, unsubscribe and mode messages one connection sends per second at most
    /// (a burst of as many, then paced). A fresh socket's first replay is not paced.
    pub max_subscribe_messages_per_s: u32,
}
