//! The instrument master at start-up: where `master.source` points (the embedded
//! simulator, the broker's URL, or a file), loaded once before the runtime starts (from a
//! fresh cached copy when there is one) and handed to the instrument directory, which
//! downloads it again before each day's open. A master that cannot be had or is refused
//! leaves the configured instruments, with one warning naming the fix.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use mandi_feed::instrument_directory::download::{DHAN_COMPACT_URL, KITE_INSTRUMENTS_URL};
use mandi_feed::instrument_directory::{
    kite_headers, load_now, MasterKind, MasterOrigin, MasterSettings, MasterSource,
};
use mandi_protocol::master::MasterThresholds;
use mandi_runtime::settings::{Broker, Credentials};
use mandi_runtime::supervisor::MasterPlan;

use crate::config::MandiConfig;

/// Where `master.source` points, resolved against the simulator's REST base, and whether
/// that is the embedded simulator (whose master follows today's date: never cached).
fn resolve(cfg: &MandiConfig, broker: Broker, sim_rest: Option<&str>) -> Option<(String, bool)> {
    let source = cfg.master.source.trim();
    match (source, sim_rest) {
        ("", Some(sim)) => Some((
            match broker {
                Broker::Dhan => format!("{sim}/api-data/api-scrip-master.csv"),
                Broker::Kite => format!("{sim}/instruments"),
            },
            true,
        )),
        ("", None) => None,
        ("broker", _) => Some((
            match broker {
                // The broker's own files (`master.source = "broker"`).
                Broker::Dhan => DHAN_COMPACT_URL,
                Broker::Kite => KITE_INSTRUMENTS_URL,
            }
            .to_string(),
            false,
        )),
        (other, _) => Some((other.to_string(), false)),
    }
}

/// How the instrument directory gets this config's master, or None when none is
/// configured.
pub fn master_settings(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
) -> Option<MasterSettings> {
    let (source, embedded) = resolve(cfg, broker, sim_rest)?;
    let kind = match broker {
        Broker::Dhan => MasterKind::Dhan,
        Broker::Kite => MasterKind::Kite,
    };
    let source = if source.starts_with("http://") || source.starts_with("https://") {
        MasterSource::Url {
            url: source,
            // Kite serves its dump only to an authenticated client; Dhan's file is public.
            headers: kite_headers(credentials),
        }
    } else {
        MasterSource::File(PathBuf::from(source))
    };
    let data_dir = cfg.store_settings().data_dir;
    Some(MasterSettings {
        kind,
        source,
        // The simulator's master is generated for today and costs milliseconds: a copy on
        // disk could only be out of date.
        data_dir: if embedded { None } else { data_dir },
        max_age_s: cfg.master.max_age_hours.saturating_mul(3600),
        download_timeout_ms: cfg.master.download_timeout_s.saturating_mul(1000),
        thresholds: MasterThresholds::default(),
    })
}

/// The master plan for the runtime: the settings, and the first load when it worked.
pub async fn first_load(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
) -> Option<MasterPlan> {
    let settings = master_settings(cfg, broker, sim_rest, credentials)?;
    let started = Instant::now();
    let described = settings.source.describe();
    let loaded = match load_now(
        &settings,
        Arc::new(cfg.instruments()),
        false,
        SystemTime::now(),
        None,
    )
    .await
    {
        Ok(loaded) => {
            // The directory logs the load itself as it installs it; only a fallback to the
            // cache needs the operator's attention.
            if let MasterOrigin::StaleCache { download_error } = &loaded.origin {
                tracing::warn!(
                    source = %described,
                    error = %download_error,
                    cached = %loaded.path.display(),
                    fix = "check master.source and the network; the cached copy may lack today's contracts",
                    "instrument master not downloaded; loaded the cached copy"
                );
            }
            tracing::debug!(
                took_ms = started.elapsed().as_millis() as u64,
                "first master load"
            );
            Ok(loaded)
        }
        Err(e) => {
            tracing::warn!(source = %described, error = %e, fix = "check master.source (a reachable URL or a readable CSV in the broker's format); running on the configured instruments until the 08:35 IST refresh or POST /api/admin/master/reload", "instrument master not loaded");
            Err(e)
        }
    };
    Some(MasterPlan { settings, loaded })
}
