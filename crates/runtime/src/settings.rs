//! Typed runtime settings. The server builds these from the layered config files and
//! validates them; the actors only ever see these plain structs.

use std::sync::Arc;

use mandi_domain::Instrument;
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
    /// Live socket, instruments in session, yet no market data for this long: the feed
    /// is stale (connected but mute) and is replaced. 0 turns the check off.
    pub stale_after_ms: u64,
}

/// Client-facing fan-out limits.
#[derive(Clone, Debug)]
pub struct BroadcastSettings {
    pub max_symbols_per_client: usize,
    /// Per-session bound on queued bytes; a client past it is closed.
    pub max_queued_bytes: usize,
    pub heartbeat_interval_ms: u64,
    pub prices_push_interval_ms: u64,
    /// An instrument that has not ticked for this long (in its session) is `quiet`.
    pub instrument_quiet_after_ms: u64,
    /// ... and for this long `stale`: bots must not trade on it.
    pub instrument_stale_after_ms: u64,
}

/// Where the price store keeps its snapshot; `data_dir: None` keeps nothing on disk.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    pub data_dir: Option<std::path::PathBuf>,
    pub persist_interval_ms: u64,
}

/// Everything the runtime needs to start.
#[derive(Clone, Debug)]
pub struct RuntimeSettings {
    pub upstream: UpstreamSettings,
    pub credentials: Credentials,
    pub broadcast: BroadcastSettings,
    pub store: StoreSettings,
    pub instruments: Vec<Instrument>,
    /// Instruments subscribed at start on behalf of the runtime itself (the `/prices` set).
    pub default_symbols: Vec<Arc<str>>,
    /// Watched for a new token (KEY=VALUE lines); None = environment only.
    pub credentials_file: Option<std::path::PathBuf>,
    /// When and how fast to poll REST quotes while the socket is down.
    pub rest_fallback: crate::rest_fallback::RestFallbackSettings,
    /// The paper account, its journal, and the bots.
    pub trading: TradingSettings,
}

/// The paper account and the strategy bots.
#[derive(Clone, Default)]
pub struct TradingSettings {
    pub paper: mandi_paper::PaperSettings,
    /// The SQLite journal; `None` keeps the account in memory (nothing survives a restart).
    pub journal_path: Option<std::path::PathBuf>,
    /// Watched for strategy files (`*.toml`): edits reload, new files start bots.
    pub strategies_dir: Option<std::path::PathBuf>,
    /// The strategy files found and validated at start.
    pub strategies: Vec<crate::strategy_host::StrategyFile>,
    /// The time the paper account and the bots run on; `None` is the wall clock. A
    /// scripted scenario shares one clock with the simulator that stamps its quotes.
    pub clock: Option<crate::clock::Clock>,
}

impl std::fmt::Debug for TradingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradingSettings")
            .field("paper", &self.paper)
            .field("journal_path", &self.journal_path)
            .field("strategies_dir", &self.strategies_dir)
            .field("strategies", &self.strategies)
            .field("clock", &self.clock.as_ref().map(|c| c()))
            .finish()
    }
}
