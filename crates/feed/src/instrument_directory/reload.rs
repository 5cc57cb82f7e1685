//! One master reload, in two halves: `fetch` (async: choose the fresh cache, else
//! download, else fall back to the stale cache) and `load_fetched` (blocking: parse and
//! build aside; a refused download falls back to the cache, a loaded one becomes it),
//! joined by `load_now`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mandi_domain::Instrument;
use mandi_protocol::master::MasterThresholds;

use super::download::{self, DownloadLimits, FetchError, MasterOrigin, MasterSource};
use super::{InstrumentIndex, ReloadError};
use mandi_instruments::{load_master_file_with, Continuity, LoadError, LoadReport, MasterKind};

/// Downloads kept in no cache so far in this process: names their temporary files.
static NO_CACHE_DOWNLOADS: AtomicU64 = AtomicU64::new(0);

/// Who publishes the master in use: the broker's official file (`master.source =
/// "broker"`, and the default with the simulator off), the embedded simulator's, a URL
/// or file the operator named, or (on a cluster edge) the feed leader's, shared over NATS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterProvider {
    Broker,
    Simulator,
    #[default]
    Configured,
    Cluster,
}

/// How the directory gets its broker master.
#[derive(Clone, Debug)]
pub struct MasterSettings {
    pub kind: MasterKind,
    pub source: MasterSource,
    /// Who publishes `source`, for `/health` (the URL alone may be a mirror).
    pub provider: MasterProvider,
    /// Holds the cached copy of a downloaded master. `None` keeps no cache: each
    /// download goes to a temporary file, removed once loaded.
    pub data_dir: Option<PathBuf>,
    /// A cached copy younger than this is used without downloading. Kite regenerates its
    /// dump daily; Dhan its master about as often.
    pub max_age_s: u64,
    pub download_timeout_ms: u64,
    pub thresholds: MasterThresholds,
}

impl MasterSettings {
    fn limits(&self) -> DownloadLimits {
        DownloadLimits {
            timeout: Duration::from_millis(self.download_timeout_ms.max(1)),
            max_bytes: self.thresholds.max_bytes,
        }
    }
}

/// The file chosen to load, and what to do once it loads.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub candidate: PathBuf,
    pub origin: MasterOrigin,
    /// For a fresh download: the cache it replaces once it has loaded cleanly.
    pub promote_to: Option<PathBuf>,
}

/// A new index, built aside, ready to swap in.
#[derive(Debug)]
pub struct Reloaded {
    pub index: InstrumentIndex,
    pub report: LoadReport,
    pub origin: MasterOrigin,
    /// The file the index was built from.
    pub path: PathBuf,
}

/// Picks the file to load. `now` decides the cache's freshness; `force_download` skips
/// a fresh cache.
pub async fn fetch(
    settings: &MasterSettings,
    force_download: bool,
    now: SystemTime,
) -> Result<Fetched, FetchError> {
    let (url, headers) = match &settings.source {
        MasterSource::File(path) => {
            return Ok(Fetched {
                candidate: path.clone(),
                origin: MasterOrigin::File,
                promote_to: None,
            })
        }
        MasterSource::Url { url, headers } => (url, headers),
    };
    let Some(data_dir) = &settings.data_dir else {
        // Unique per download: several runtimes in one process (tests) must not share it.
        let seq = NO_CACHE_DOWNLOADS.fetch_add(1, Ordering::Relaxed);
        let target = std::env::temp_dir().join(format!(
            "mandi-{}-{seq}-{}-master.download.csv",
            std::process::id(),
            settings.kind.as_str()
        ));
        let bytes = download::download_to(url, headers, &target, settings.limits()).await?;
        tracing::debug!(url = %url, bytes, "master downloaded (no cache kept)");
        return Ok(Fetched {
            candidate: target,
            origin: MasterOrigin::Downloaded,
            promote_to: None,
        });
    };
    let cache = download::cache_path(data_dir, settings.kind);
    let max_age = Duration::from_secs(settings.max_age_s);
    if !force_download && download::is_cache_fresh(&cache, max_age, now) {
        return Ok(Fetched {
            candidate: cache,
            origin: MasterOrigin::FreshCache,
            promote_to: None,
        });
    }
    let target = download::download_path(data_dir, settings.kind);
    let downloaded = match fs::create_dir_all(data_dir) {
        Ok(()) => download::download_to(url, headers, &target, settings.limits()).await,
        Err(source) => Err(FetchError::Write {
            path: data_dir.clone(),
            source,
        }),
    };
    match downloaded {
        Ok(bytes) => {
            tracing::debug!(url = %url, bytes, "master downloaded");
            Ok(Fetched {
                candidate: target,
                origin: MasterOrigin::Downloaded,
                promote_to: Some(cache),
            })
        }
        Err(err) if has_content(&cache) => {
            // The caller reports it once, with the stale-cache origin.
            tracing::debug!(url = %url, error = %err, "master download failed; using the cached copy");
            Ok(Fetched {
                candidate: cache,
                origin: MasterOrigin::StaleCache {
                    download_error: err.to_string(),
                },
                promote_to: None,
            })
        }
        Err(err) => Err(err),
    }
}

/// Loads the fetched file into a new index. A fresh download that loads becomes the
/// cache; one that is refused is set aside for the cached copy, if there is one.
pub fn load_fetched(
    fetched: Fetched,
    settings: &MasterSettings,
    config: &[Instrument],
    continuity: &Continuity,
) -> Result<Reloaded, LoadError> {
    let load = |path: &Path| {
        load_master_file_with(
            path,
            settings.kind,
            config.to_vec(),
            continuity,
            &settings.thresholds,
        )
    };
    match (load(&fetched.candidate), fetched.promote_to) {
        (Ok((index, report)), Some(cache)) => {
            let path = match fs::rename(&fetched.candidate, &cache) {
                Ok(()) => cache,
                Err(error) => {
                    tracing::warn!(error = %error, "could not keep the downloaded master as the cache");
                    fetched.candidate
                }
            };
            Ok(Reloaded {
                index,
                report,
                origin: fetched.origin,
                path,
            })
        }
        (Ok((index, report)), None) => {
            if fetched.origin == MasterOrigin::Downloaded {
                // A download with no cache to become: nothing will read it again.
                let _ = fs::remove_file(&fetched.candidate);
            }
            Ok(Reloaded {
                index,
                report,
                origin: fetched.origin,
                path: fetched.candidate,
            })
        }
        (Err(refused), Some(cache)) if has_content(&cache) => {
            // The caller reports it once, with the stale-cache origin.
            tracing::debug!(error = %refused, "downloaded master refused; loading the cached copy");
            match load(&cache) {
                Ok((index, report)) => Ok(Reloaded {
                    index,
                    report,
                    origin: MasterOrigin::StaleCache {
                        download_error: format!("downloaded master refused: {refused}"),
                    },
                    path: cache,
                }),
                // The download's refusal is the one worth reporting.
                Err(_) => Err(refused),
            }
        }
        (Err(err), promote_to) => {
            if promote_to.is_none() && fetched.origin == MasterOrigin::Downloaded {
                let _ = fs::remove_file(&fetched.candidate);
            }
            Err(err)
        }
    }
}

/// The file the index in use was built from, and when it was swapped in.
#[derive(Clone, Debug)]
pub struct InUse {
    pub path: PathBuf,
    pub loaded_at: SystemTime,
}

/// One whole reload: fetch (`now` judges the cache's age), then parse and build off the
/// async thread, continuous entries resolved for `continuity`'s date. The caller swaps the index in; on any error it keeps its own. A failed
/// download whose fallback is the very cache `in_use` was built from, unchanged since, is
/// `ReloadError::CacheInUse`: parsing it again would rebuild the same index.
pub async fn load_now(
    settings: &MasterSettings,
    config: Arc<Vec<Instrument>>,
    continuity: Continuity,
    force_download: bool,
    now: SystemTime,
    in_use: Option<InUse>,
) -> Result<Reloaded, ReloadError> {
    let fetched = fetch(settings, force_download, now).await?;
    if let (MasterOrigin::StaleCache { download_error }, Some(in_use)) = (&fetched.origin, in_use) {
        let unchanged = fs::metadata(&fetched.candidate)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified <= in_use.loaded_at);
        if fetched.candidate == in_use.path && unchanged {
            return Err(ReloadError::CacheInUse {
                download_error: download_error.clone(),
            });
        }
    }
    let settings = settings.clone();
    // Parsing and indexing take up to about half a second.
    let built =
        tokio::task::spawn_blocking(move || load_fetched(fetched, &settings, &config, &continuity))
            .await
            .map_err(|_| ReloadError::Worker)?;
    Ok(built?)
}

fn has_content(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() > 0)
}
