//! mandi's configuration: schema, layered loading, validation, and the translation into
//! the runtime's and simulator's plain settings.

mod access;
mod cluster;
mod load;
mod paths;
mod schema;
mod validate;

use std::sync::Arc;

use mandi_domain::{Exchange, Instrument, Segment};
use mandi_feed::instrument_directory::ContinuousFuture;
use mandi_runtime::settings::{
    BroadcastSettings, Broker, StoreSettings, TradingSettings, UpstreamSettings,
};

pub use access::{ADMIN_TOKEN_VAR, API_KEYS_VAR};
pub use cluster::ClusterSection;
pub use load::{load, load_in, EMBEDDED_DEFAULT};
pub use paths::{PathOrigin, ResolvedPath, EMBEDDED_DEFAULT_DIR};
pub use schema::*;

/// A configuration problem: which key, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("config key `{key}`: {problem} — fix: {fix}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// Wrap an error of the `config` crate (parse errors, unknown fields, wrong types),
    /// keeping the key it names.
    fn from_source(e: config::ConfigError) -> Self {
        let text = e.to_string();
        let key = text
            .split("for key `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("(file)")
            .to_string();
        let fix = if text.contains("unknown field") {
            "remove or correct the key; config/default.toml documents every valid key"
        } else {
            "correct the value's type or syntax; config/default.toml shows each key's form"
        };
        ConfigError::new(key, text, fix)
    }
}

impl MandiConfig {
    pub fn broker(&self) -> Broker {
        match self.upstream.broker.as_str() {
            "kite" => Broker::Kite,
            _ => Broker::Dhan,
        }
    }

    /// `upstream.credentials_file`, if set.
    pub fn credentials_file(&self) -> Option<std::path::PathBuf> {
        let path = self.upstream.credentials_file.trim();
        (!path.is_empty()).then(|| std::path::PathBuf::from(path))
    }

    /// `market.always_open`, defaulting to whether the simulator is on.
    pub fn always_open(&self) -> bool {
        self.market.always_open.unwrap_or(self.simulator.enabled)
    }

    /// The IST market calendar this config describes.
    pub fn calendar(&self) -> mandi_domain::MarketCalendar {
        mandi_domain::MarketCalendar::new(mandi_domain::CalendarSettings {
            holidays: self.market.holidays.clone(),
            always_open: self.always_open(),
        })
    }

    /// Upstream settings; `sim` overrides the URLs with the embedded simulator's.
    pub fn upstream_settings(&self, sim: Option<(String, String)>) -> UpstreamSettings {
        let broker = self.broker();
        let up = &self.upstream;
        let (default_ws, default_rest) = match broker {
            Broker::Dhan => ("wss://api-feed.dhan.co", "https://api.dhan.co"),
            Broker::Kite => ("wss://ws.kite.trade", "https://api.kite.trade"),
        };
        let pick = |v: &str, d: &str| {
            if v.is_empty() {
                d.to_string()
            } else {
                v.to_string()
            }
        };
        let (ws_url, rest_url) = sim.unwrap_or_else(|| {
            (
                pick(&up.ws_url, default_ws),
                pick(&up.rest_url, default_rest),
            )
        });
        let read_idle_timeout_ms = match (up.read_idle_timeout_ms, broker) {
            (0, Broker::Kite) => 5_000,
            (0, Broker::Dhan) => 40_000,
            (v, _) => v,
        };
        let limits = mandi_feed::upstream::subscribe_limits(broker);
        let or_broker = |v: usize, broker_max: usize| if v == 0 { broker_max } else { v };
        UpstreamSettings {
            broker,
            ws_url,
            rest_url,
            connect_timeout_ms: up.connect_timeout_ms,
            read_idle_timeout_ms,
            backoff_initial_ms: up.backoff_initial_ms,
            backoff_max_ms: up.backoff_max_ms,
            backoff_factor: up.backoff_factor,
            auth_retry_floor_ms: up.auth_retry_floor_ms,
            throttled_retry_floor_ms: up.throttled_retry_floor_ms,
            fatal_retry_floor_ms: up.fatal_retry_floor_ms,
            stale_after_ms: up.stale_after_ms,
            max_instruments_per_connection: or_broker(
                up.max_instruments_per_connection,
                limits.per_connection,
            ),
            max_connections: or_broker(up.max_connections, limits.connections),
            subscribe_flush_ms: up.subscribe_flush_ms,
            max_subscribe_messages_per_s: up.max_subscribe_messages_per_s,
        }
    }

    pub fn broadcast_settings(&self) -> BroadcastSettings {
        let b = &self.broadcast;
        BroadcastSettings {
            max_symbols_per_client: b.max_symbols_per_client,
            max_queued_bytes: b.max_queued_bytes,
            drain_deadline_ms: b.drain_deadline_ms,
            heartbeat_interval_ms: b.heartbeat_interval_ms,
            prices_push_interval_ms: b.prices_push_interval_ms,
            instrument_quiet_after_ms: b.instrument_quiet_after_ms,
            instrument_stale_after_ms: b.instrument_stale_after_ms,
            feed_quiet_after_s: b.feed_quiet_after_s,
            feed_stale_after_s: b.feed_stale_after_s,
        }
    }

    /// The recorder's settings; `None` when it is off or nothing is kept on disk
    /// (`store.data_dir` empty).
    pub fn recorder_settings(&self) -> Option<mandi_recording::RecorderSettings> {
        let r = &self.recorder;
        let dir = self.store_settings().data_dir?;
        r.enabled.then(|| mandi_recording::RecorderSettings {
            root: dir.join("recordings"),
            broker: self.broker().as_str().to_string(),
            source: "live".into(),
            queue_frames: r.queue_frames,
            flush_interval_ms: r.flush_interval_ms,
            retention_days: r.retention_days,
            retention_bytes: r.retention_bytes,
        })
    }

    pub fn store_settings(&self) -> StoreSettings {
        let dir = self.store.data_dir.trim();
        StoreSettings {
            data_dir: (!dir.is_empty()).then(|| std::path::PathBuf::from(dir)),
            persist_interval_ms: self.store.persist_interval_ms,
        }
    }

    /// Why `strategies.dir` starts no bot, when it starts none (`None` when it holds at
    /// least one `*.toml`). Logged once at start and printed by `mandi check-config`, so
    /// zero bots is never silent.
    pub fn strategies_dir_note(&self) -> Option<StrategiesDirNote> {
        let dir = self.strategies.dir.trim();
        if dir.is_empty() {
            return Some(StrategiesDirNote::Unset);
        }
        let path = std::path::PathBuf::from(dir);
        if !path.is_dir() {
            return Some(StrategiesDirNote::Missing(path));
        }
        mandi_trading::strategy_host::list_files(&path)
            .is_empty()
            .then_some(StrategiesDirNote::Empty(path))
    }

    /// The paper account and its journal (`<store.data_dir>/paper-journal.sqlite`; no
    /// data dir keeps it in memory), with the strategy files of `strategies.dir` loaded
    /// and validated: a bad file stops start-up naming the file and the key.
    pub fn trading_settings(
        &self,
    ) -> Result<TradingSettings, mandi_trading::strategy_host::StrategyFileError> {
        let dir = self.strategies.dir.trim();
        let strategies_dir = (!dir.is_empty()).then(|| std::path::PathBuf::from(dir));
        let strategies = match &strategies_dir {
            Some(d) => mandi_trading::strategy_host::load_dir(d)?,
            None => Vec::new(),
        };
        if let Some(note) = self.strategies_dir_note() {
            note.log();
        }
        Ok(TradingSettings {
            paper: self.paper.clone(),
            journal_path: self
                .store_settings()
                .data_dir
                .map(|d| d.join(mandi_trading::journal::JOURNAL_FILE)),
            strategies_dir,
            strategies,
            clock: None,
        })
    }

    /// The instruments as domain values (validated already, so parsing cannot fail).
    pub fn instruments(&self) -> Vec<Instrument> {
        self.instruments
            .iter()
            .map(|e| Instrument {
                symbol: Arc::from(e.symbol.as_str()),
                exchange: exchange_of(&e.exchange),
                segment: Segment::parse(&e.segment).unwrap_or(Segment::NseEq),
                security_id: e.security_id,
                kite_token: e.kite_token,
                kite_key: Arc::from(e.kite_key.as_str()),
                tick_size: e.tick_size,
                lot_size: e.lot_size,
                derivative: None,
            })
            .collect()
    }
}

/// Trading days before expiry a continuous future rolls when the config does not say.
/// In the last sessions of a month volume and open interest move to the next one (and
/// MCX raises margins on the expiring contract), so two keeps the series on the liquid
/// contract while the near month stays in force for almost all its life.
pub const DEFAULT_ROLL_DAYS: u32 = 2;

impl MandiConfig {
    /// The `[[instruments]]` entries declared `continuous`, with their exchange's holidays.
    pub fn continuous_futures(&self) -> Vec<ContinuousFuture> {
        self.instruments
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let underlying = e.continuous.as_deref()?.trim();
                let exchange = exchange_of(&e.exchange);
                let h = &self.market.holidays;
                Some(ContinuousFuture {
                    symbol: Arc::from(e.symbol.as_str()),
                    underlying: Arc::from(underlying),
                    exchange,
                    roll_days_before_expiry: e.roll_days_before_expiry.unwrap_or(DEFAULT_ROLL_DAYS),
                    holidays: match exchange {
                        Exchange::Nse => h.nse.clone(),
                        Exchange::Bse => h.bse.clone(),
                        Exchange::Mcx => h.mcx.clone(),
                    },
                    config_key: Arc::from(format!("instruments[{i}].continuous")),
                })
            })
            .collect()
    }
}

fn exchange_of(name: &str) -> Exchange {
    match name {
        "BSE" => Exchange::Bse,
        "MCX" => Exchange::Mcx,
        _ => Exchange::Nse,
    }
}

/// Why the strategies directory starts no bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategiesDirNote {
    /// `strategies.dir = ""`: no bots, on purpose.
    Unset,
    /// The directory does not exist (often a relative path read from the wrong place).
    Missing(std::path::PathBuf),
    /// It exists and holds no `*.toml`.
    Empty(std::path::PathBuf),
}

impl StrategiesDirNote {
    /// The one log line; a missing directory is a warning, the others are information.
    pub fn log(&self) {
        match self {
            StrategiesDirNote::Unset => {
                tracing::info!("strategies.dir is empty: no bots run")
            }
            StrategiesDirNote::Missing(dir) => tracing::warn!(
                dir = %dir.display(),
                fix = "create the directory, or set strategies.dir (a relative path is from the directory of the config file that sets it, or from the working directory in MANDI__STRATEGIES__DIR)",
                "strategies directory not found: no bots run"
            ),
            StrategiesDirNote::Empty(dir) => tracing::info!(
                dir = %dir.display(),
                "strategies directory holds no *.toml file: no bots run until one is added"
            ),
        }
    }
}

impl std::fmt::Display for StrategiesDirNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StrategiesDirNote::Unset => f.write_str("strategies.dir is empty: no bots"),
            StrategiesDirNote::Missing(d) => {
                write!(
                    f,
                    "strategies directory {} does not exist: no bots",
                    d.display()
                )
            }
            StrategiesDirNote::Empty(d) => {
                write!(
                    f,
                    "strategies directory {} holds no *.toml: no bots",
                    d.display()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
