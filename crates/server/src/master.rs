//! The instrument master at start-up: where `master.source` points (the embedded
//! simulator while it runs, else the broker's official file, or a URL or file the
//! operator names), loaded once before the runtime starts (from a fresh cached copy when
//! there is one) and handed to the instrument directory, which downloads it again before
//! each day's open. A master that cannot be had or is refused leaves the configured
//! instruments, with one warning naming the fix.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use chrono::NaiveDate;
use mandi_feed::instrument_directory::download::{DHAN_COMPACT_URL, KITE_INSTRUMENTS_URL};
use mandi_feed::instrument_directory::{
    kite_headers, load_now, MasterKind, MasterOrigin, MasterProvider, MasterSettings, MasterSource,
};
use mandi_instruments::Continuity;
use mandi_protocol::master::MasterThresholds;
use mandi_runtime::settings::{Broker, Credentials};
use mandi_runtime::supervisor::MasterPlan;

use crate::config::MandiConfig;

/// `master.source` for no master at all: the configured instruments only.
pub const NO_MASTER: &str = "none";

/// Where `master.source` points, resolved against the simulator's REST base, and who
/// publishes it. Empty means the embedded simulator's master while it runs, and the
/// broker's official one (as `"broker"`) otherwise: a real account needs its derivatives.
/// `None` for `"none"`.
fn resolve(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
) -> Option<(String, MasterProvider)> {
    let source = cfg.master.source.trim();
    let edge = cfg.cluster.role() == mandi_cluster::Role::Edge;
    Some(match (source, sim_rest) {
        // The operator wants the configured instruments only.
        (NO_MASTER, _) => return None,
        // An edge loads the copy of the leader's own file (Kite's needs a session an edge
        // never has, and every node must know the same contracts).
        ("" | "broker" | CLUSTER_MASTER, _) if edge => (
            cluster_copy(cfg, broker).display().to_string(),
            MasterProvider::Cluster,
        ),
        ("", Some(sim)) => (
            match broker {
                Broker::Dhan => format!("{sim}/api-data/api-scrip-master.csv"),
                Broker::Kite => format!("{sim}/instruments"),
            },
            MasterProvider::Simulator,
        ),
        ("" | "broker", _) => (official_url(cfg, broker), MasterProvider::Broker),
        (other, _) => (other.to_string(), MasterProvider::Configured),
    })
}

/// `master.source` on an edge for the feed leader's master (also what `""` and
/// `"broker"` mean there).
pub const CLUSTER_MASTER: &str = "cluster";

/// Where an edge keeps its copy of the leader's master: the data directory, or the
/// system's temporary one.
pub fn cluster_copy(cfg: &MandiConfig, broker: Broker) -> PathBuf {
    let name = format!("cluster-master-{}.csv", broker.as_str());
    match cfg.store_settings().data_dir {
        Some(dir) => dir.join(name),
        None => std::env::temp_dir().join(format!("mandi-{}-{name}", std::process::id())),
    }
}

/// The broker's own master: Dhan's compact CSV (public) or Kite's instruments dump
/// (authenticated), unless `master.broker_url` names a mirror of it.
fn official_url(cfg: &MandiConfig, broker: Broker) -> String {
    let mirror = cfg.master.broker_url.trim();
    if !mirror.is_empty() {
        return mirror.to_string();
    }
    match broker {
        Broker::Dhan => DHAN_COMPACT_URL,
        Broker::Kite => KITE_INSTRUMENTS_URL,
    }
    .to_string()
}

/// How the instrument directory gets this config's master: the simulator's, the
/// broker's, or the operator's; `None` only for `master.source = "none"`.
pub fn master_settings(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
) -> Option<MasterSettings> {
    let (source, provider) = resolve(cfg, broker, sim_rest)?;
    // The simulator's master is generated for today and costs milliseconds, and an edge's
    // copy of the leader's is a file already: no cache of either.
    let uncached = matches!(
        provider,
        MasterProvider::Simulator | MasterProvider::Cluster
    );
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
        provider,
        data_dir: if uncached { None } else { data_dir },
        max_age_s: cfg.master.max_age_hours.saturating_mul(3600),
        download_timeout_ms: cfg.master.download_timeout_s.saturating_mul(1000),
        thresholds: MasterThresholds::default(),
    })
}

/// The master plan for the runtime: the settings, and the first load when it worked, its
/// continuous entries resolved for `today` (IST).
pub async fn first_load(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
    today: NaiveDate,
) -> Option<MasterPlan> {
    let settings = master_settings(cfg, broker, sim_rest, credentials)?;
    let started = Instant::now();
    let described = settings.source.describe();
    let provider = settings.provider;
    let continuity = Continuity {
        specs: cfg.continuous_futures(),
        today: Some(today),
    };
    let loaded = match load_now(
        &settings,
        Arc::new(cfg.instruments()),
        continuity,
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
            if provider == MasterProvider::Cluster {
                tracing::info!(copy = %described, "the feed leader has not shared its instrument master yet: the configured instruments serve until it does, then the master loads by itself");
                return Some(MasterPlan {
                    settings,
                    loaded: Err(e),
                });
            }
            let fix = match provider {
                MasterProvider::Broker => "check the network (and, for Kite, the access token), or set master.source to a reachable URL or a CSV in the broker's format; running on the configured instruments, with no derivatives, until the 08:35 IST refresh or POST /api/admin/master/reload",
                _ => "check master.source (a reachable URL or a readable CSV in the broker's format); running on the configured instruments until the 08:35 IST refresh or POST /api/admin/master/reload",
            };
            tracing::warn!(source = %described, provider = ?provider, error = %e, fix, "instrument master not loaded");
            Err(e)
        }
    };
    Some(MasterPlan { settings, loaded })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct SourceCase {
        name: &'static str,
        env: &'static [(&'static str, &'static str)],
        simulator: bool,
        /// `None`: no master.
        want: Option<(&'static str, MasterProvider)>,
    }

    #[test]
    fn the_master_by_default_and_on_request() {
        let cases = [
            SourceCase {
                name: "simulator on: its master",
                env: &[],
                simulator: true,
                want: Some((
                    "http://127.0.0.1:9/api-data/api-scrip-master.csv",
                    MasterProvider::Simulator,
                )),
            },
            SourceCase {
                name: "simulator off, dhan: the official compact CSV",
                env: &[("MANDI__SIMULATOR__ENABLED", "false")],
                simulator: false,
                want: Some((DHAN_COMPACT_URL, MasterProvider::Broker)),
            },
            SourceCase {
                name: "simulator off, kite: the instruments dump",
                env: &[
                    ("MANDI__SIMULATOR__ENABLED", "false"),
                    ("MANDI__UPSTREAM__BROKER", "kite"),
                ],
                simulator: false,
                want: Some((KITE_INSTRUMENTS_URL, MasterProvider::Broker)),
            },
            SourceCase {
                name: "\"broker\" with the simulator on",
                env: &[("MANDI__MASTER__SOURCE", "broker")],
                simulator: true,
                want: Some((DHAN_COMPACT_URL, MasterProvider::Broker)),
            },
            SourceCase {
                name: "a mirror of the broker's file",
                env: &[
                    ("MANDI__SIMULATOR__ENABLED", "false"),
                    (
                        "MANDI__MASTER__BROKER_URL",
                        "http://mirror.example/dhan.csv",
                    ),
                ],
                simulator: false,
                want: Some(("http://mirror.example/dhan.csv", MasterProvider::Broker)),
            },
            SourceCase {
                name: "an operator's URL",
                env: &[("MANDI__MASTER__SOURCE", "http://files.example/m.csv")],
                simulator: false,
                want: Some(("http://files.example/m.csv", MasterProvider::Configured)),
            },
            SourceCase {
                name: "none: configured instruments only",
                env: &[
                    ("MANDI__SIMULATOR__ENABLED", "false"),
                    ("MANDI__MASTER__SOURCE", "none"),
                ],
                simulator: false,
                want: None,
            },
        ];
        for c in cases {
            let env = c.env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            let cfg = crate::config::load(None, env).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            let sim = c.simulator.then_some("http://127.0.0.1:9");
            let got = resolve(&cfg, cfg.broker(), sim);
            let got = got.as_ref().map(|(s, p)| (s.as_str(), *p));
            assert_eq!(got, c.want, "{}", c.name);
        }
    }
}
