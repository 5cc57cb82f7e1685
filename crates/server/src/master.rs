//! The instrument master at start-up: fetched from the embedded simulator, the broker's
//! URL or a file (`master.source`), merged with the configured instruments, and handed to
//! the runtime. A master that cannot be had or is refused leaves the configured
//! instruments alone, with one warning naming the fix.

use std::time::Duration;

use mandi_protocol::master::MasterThresholds;
use mandi_runtime::instrument_directory::{load_master, InstrumentIndex, MasterKind};
use mandi_runtime::settings::{Broker, Credentials};

use crate::config::MandiConfig;

/// The broker's own master URLs (`master.source = "broker"`).
const DHAN_MASTER_URL: &str = "https://images.dhan.co/api-data/api-scrip-master.csv";
const KITE_MASTER_URL: &str = "https://api.kite.trade/instruments";
/// Dhan's compact master is tens of MB; refuse anything absurd before parsing.
const MAX_MASTER_BYTES: usize = 256 * 1024 * 1024;
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Where `master.source` points, resolved against the simulator's REST base.
fn resolve(cfg: &MandiConfig, broker: Broker, sim_rest: Option<&str>) -> Option<String> {
    let source = cfg.master.source.trim();
    match (source, sim_rest) {
        ("", Some(sim)) => Some(match broker {
            Broker::Dhan => format!("{sim}/api-data/api-scrip-master.csv"),
            Broker::Kite => format!("{sim}/instruments"),
        }),
        ("", None) => None,
        ("broker", _) => Some(
            match broker {
                Broker::Dhan => DHAN_MASTER_URL,
                Broker::Kite => KITE_MASTER_URL,
            }
            .to_string(),
        ),
        (other, _) => Some(other.to_string()),
    }
}

/// The merged index, or None (configured instruments only) when no master is configured
/// or it could not be loaded.
pub async fn load_index(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
) -> Option<InstrumentIndex> {
    let source = resolve(cfg, broker, sim_rest)?;
    let kind = match broker {
        Broker::Dhan => MasterKind::Dhan,
        Broker::Kite => MasterKind::Kite,
    };
    let bytes = if source.starts_with("http://") || source.starts_with("https://") {
        match download(&source, credentials).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(source = %source, error = %e, fix = "check master.source and the network; running on the configured instruments", "instrument master not downloaded");
                return None;
            }
        }
    } else {
        match std::fs::read(&source) {
            Ok(b) => b.into(),
            Err(e) => {
                tracing::warn!(source = %source, error = %e, fix = "check master.source points at a readable CSV; running on the configured instruments", "instrument master not read");
                return None;
            }
        }
    };
    let started = std::time::Instant::now();
    match load_master(
        &bytes[..],
        kind,
        cfg.instruments(),
        &MasterThresholds::default(),
    ) {
        Ok((index, report)) => {
            tracing::info!(
                source = %source,
                instruments = index.len(),
                rows = report.master.rows,
                rejected = report.master.rejected,
                took_ms = started.elapsed().as_millis() as u64,
                "instrument master loaded"
            );
            Some(index)
        }
        Err(e) => {
            tracing::warn!(source = %source, error = %e, fix = "the file was refused as a whole; running on the configured instruments", "instrument master refused");
            None
        }
    }
}

async fn download(url: &str, credentials: &Credentials) -> Result<bytes::Bytes, String> {
    let client = awc::Client::builder()
        .max_http_version(awc::http::Version::HTTP_11)
        .timeout(DOWNLOAD_TIMEOUT)
        .finish();
    let mut req = client.get(url);
    // Kite serves its dump only to an authenticated client; Dhan's file is public.
    if let Credentials::Kite {
        api_key,
        access_token,
    } = credentials
    {
        req = req
            .insert_header(("X-Kite-Version", "3"))
            .insert_header(("Authorization", format!("token {api_key}:{access_token}")));
    }
    let mut resp = req.send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    resp.body()
        .limit(MAX_MASTER_BYTES)
        .await
        .map_err(|e| e.to_string())
}
