//! The shape of mandi's configuration, mirroring `config/default.toml` key for key.
//! `deny_unknown_fields` everywhere: a misspelt key stops start-up instead of being ignored.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MandiConfig {
    pub server: ServerSection,
    pub upstream: UpstreamSection,
    pub simulator: SimulatorSection,
    pub broadcast: BroadcastSection,
    pub store: StoreSection,
    #[serde(default)]
    pub market: MarketSection,
    /// Same keys as the runtime's settings; defaults apply to keys left out.
    #[serde(default)]
    pub master: MasterSection,
    #[serde(default)]
    pub rest_fallback: mandi_feed::rest_fallback::RestFallbackSettings,
    /// The broker's history (the feed crate's keys).
    #[serde(default)]
    pub history: mandi_feed::history_fetcher::HistorySettings,
    /// The paper account: fill model and Indian charges (the paper crate's keys).
    #[serde(default)]
    pub paper: mandi_paper::PaperSettings,
    #[serde(default)]
    pub strategies: StrategiesSection,
    /// Every upstream frame to `<store.data_dir>/recordings/<IST date>/` (`mandi replay`).
    #[serde(default)]
    pub recorder: RecorderSection,
    /// This node's role in a cluster over NATS; standalone by default.
    #[serde(default)]
    pub cluster: super::ClusterSection,
    pub prices: PricesSection,
    /// What the option chain's implied volatilities and greeks assume.
    #[serde(default)]
    pub option_chain: mandi_domain::options::OptionPricing,
    pub instruments: Vec<InstrumentEntry>,
    /// Every path key as written and as resolved, with the layer that set it; filled by
    /// the loader, never read from a file.
    #[serde(skip)]
    pub resolved_paths: Vec<super::paths::ResolvedPath>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub host: String,
    pub port: u16,
    pub cors_origins: Vec<String>,
    pub log_filter: String,
    /// Origins whose pages may use the sockets and change state; empty = our own.
    pub allowed_origins: Vec<String>,
    /// `Host` values served; empty = any with API keys, loopback names without.
    pub allowed_hosts: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client in logs.
    pub trusted_proxies: Vec<String>,
    /// A file of API keys (one a line), besides `MANDI_API_KEYS`.
    pub api_keys_file: String,
    /// How long a browser login lasts.
    pub session_ttl_hours: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSection {
    pub broker: String,
    pub ws_url: String,
    pub rest_url: String,
    pub connect_timeout_ms: u64,
    pub read_idle_timeout_ms: u64,
    pub backoff_initial_ms: u64,
    pub backoff_factor: f64,
    pub backoff_max_ms: u64,
    /// Least waits per failure class, capped by `backoff_max_ms` unless the broker
    /// asked for the wait (Dhan 805, HTTP 429).
    pub auth_retry_floor_ms: u64,
    pub throttled_retry_floor_ms: u64,
    pub fatal_retry_floor_ms: u64,
    pub stale_after_ms: u64,
    pub credentials_file: String,
    /// 0 = the broker's own limit (dhan 5, kite 3).
    pub max_connections: usize,
    /// 0 = the broker's own limit (dhan 5000, kite 3000).
    pub max_instruments_per_connection: usize,
    pub subscribe_flush_ms: u64,
    pub max_subscribe_messages_per_s: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSection {
    pub enabled: bool,
    pub port: u16,
    pub seed: u64,
    pub tick_interval_ms: u64,
    /// Activity shaped by each exchange's session (`true`) or flat all day.
    pub intraday_profile: bool,
    /// Annualised volatility by instrument symbol, over the simulator's built-in
    /// figures; also the Black-Scholes volatility of the options on it.
    #[serde(default)]
    pub volatility_annual: std::collections::BTreeMap<String, f64>,
    /// Retired (a per-step figure); kept only so an old config is refused with the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatility: Option<f64>,
    pub kite_heartbeat_interval_ms: u64,
    pub dhan_ping_interval_ms: u64,
    pub derivatives_enabled: bool,
    /// Retired: options are priced with their underlying's `volatility_annual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_volatility_annual: Option<f64>,
    pub risk_free_rate_annual: f64,
    pub index_option_strikes_each_side: u32,
    pub stock_option_strikes_each_side: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastSection {
    pub max_symbols_per_client: usize,
    pub max_queued_bytes: usize,
    pub drain_deadline_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub prices_push_interval_ms: u64,
    pub instrument_quiet_after_ms: u64,
    pub instrument_stale_after_ms: u64,
    pub feed_quiet_after_s: u64,
    pub feed_stale_after_s: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    pub data_dir: String,
    pub persist_interval_ms: u64,
}

/// `[recorder]`: see `config/default.toml` and docs/backtesting.md.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecorderSection {
    pub enabled: bool,
    pub queue_frames: usize,
    pub flush_interval_ms: u64,
    pub retention_days: u32,
    pub retention_bytes: u64,
}

impl Default for RecorderSection {
    fn default() -> Self {
        RecorderSection {
            enabled: true,
            queue_frames: 65_536,
            flush_interval_ms: 1000,
            retention_days: 30,
            retention_bytes: 20 << 30,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSection {
    pub always_open: Option<bool>,
    #[serde(default)]
    pub holidays: mandi_domain::HolidayLists,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PricesSection {
    pub symbols: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentEntry {
    pub symbol: String,
    pub exchange: String,
    pub segment: String,
    pub security_id: u32,
    pub kite_token: u32,
    pub kite_key: String,
    pub tick_size: f64,
    pub lot_size: u32,
    pub sim_price: f64,
    /// The underlying (as the master spells it) whose nearest future this entry stands
    /// for, e.g. `CRUDEOIL`; the ids above are the contract used until the master names
    /// one. Unset = the entry is the contract its ids name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<String>,
    /// Trading days before expiry a continuous entry moves to the next month; default
    /// `DEFAULT_ROLL_DAYS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_days_before_expiry: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StrategiesSection {
    /// Directory of `*.toml` bot files, watched for edits. Empty = no bots.
    pub dir: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MasterSection {
    pub source: String,
    /// Where the broker's official master is fetched from; empty = the broker's own URL.
    #[serde(default)]
    pub broker_url: String,
    /// A cached download younger than this is loaded at start without downloading.
    pub max_age_hours: u64,
    /// One whole download, request to last byte.
    pub download_timeout_s: u64,
}
