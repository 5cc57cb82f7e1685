//! The feed leader's instrument master, shared with the edges over a NATS object store
//! (`<prefix>_master`, object `master-<kind>`). The leader downloads the broker's file
//! (Kite's needs its session, which an edge never has); each edge keeps a copy of the very
//! file the leader loaded and its directory loads that, so every node knows the same
//! contracts under the same ids.
//! - [`share`], on the leader: each time its directory swaps in a master, the file goes up;
//! - [`fetch_to`], on an edge at start: the current file, if the leader has shared one;
//! - [`follow`], on an edge: each new file, written beside the old and loaded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix::Addr;
use futures_util::StreamExt;
use mandi_feed::instrument_directory::{GetMasterStatus, InstrumentDirectory, ReloadMaster};
use tokio::io::AsyncWriteExt;

use crate::link::Backplane;

/// How often the leader looks for a newly loaded master (the daily refresh, a reload).
const SHARE_EVERY: Duration = Duration::from_secs(10);

/// The object a `kind` (`dhan`, `kite`) master is kept under.
pub fn object_name(kind: &str) -> String {
    format!("master-{kind}")
}

/// On the leader: put each master its directory loads into the object store.
pub async fn share(backplane: Backplane, directory: Addr<InstrumentDirectory>) {
    let mut shared_at = None;
    let mut said_unshareable = false;
    let mut every = tokio::time::interval(SHARE_EVERY);
    loop {
        every.tick().await;
        let Ok(status) = directory.send(GetMasterStatus).await else {
            continue;
        };
        let (Some(kind), Some(loaded_at)) = (status.kind, status.loaded_at) else {
            continue;
        };
        if shared_at == Some(loaded_at) {
            continue;
        }
        let Some(path) = status.path.filter(|p| Path::new(p).exists()) else {
            if !said_unshareable {
                tracing::warn!("the instrument master is not shared with the edges: it was downloaded into no cache; set store.data_dir on feed nodes");
                said_unshareable = true;
            }
            continue;
        };
        let name = object_name(kind.as_str());
        let put = async {
            let mut file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| e.to_string())?;
            backplane
                .master
                .put(name.as_str(), &mut file)
                .await
                .map_err(|e| e.to_string())
        };
        match put.await {
            Ok(info) => {
                tracing::info!(
                    object = name,
                    bytes = info.size,
                    "instrument master shared with the edges"
                );
                shared_at = Some(loaded_at);
            }
            Err(e) => tracing::warn!(
                object = name,
                error = e,
                "instrument master not shared; trying again in 10 s"
            ),
        }
    }
}

/// On an edge: write the leader's current master to `to` (through a temporary file, so
/// a reader never sees half of it). Returns the copy's id (the object's nuid), or `None`
/// when the leader has shared none yet.
pub async fn fetch_to(
    backplane: &Backplane,
    kind: &str,
    to: &Path,
) -> Result<Option<String>, String> {
    let name = object_name(kind);
    let mut object = match backplane.master.get(name.as_str()).await {
        Ok(object) => object,
        Err(e) if e.kind() == async_nats::jetstream::object_store::GetErrorKind::NotFound => {
            return Ok(None)
        }
        Err(e) => return Err(e.to_string()),
    };
    let nuid = object.info.nuid.clone();
    let partial = partial_path(to);
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    tokio::io::copy(&mut object, &mut file)
        .await
        .map_err(|e| format!("reading {name}: {e}"))?;
    file.flush().await.map_err(|e| e.to_string())?;
    drop(file);
    tokio::fs::rename(&partial, to)
        .await
        .map_err(|e| format!("{}: {e}", to.display()))?;
    Ok(Some(nuid))
}

fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    to.with_file_name(name)
}

/// On an edge: each master the leader shares after the copy `have` (its id, from
/// [`fetch_to`]) is written to `to` and loaded by `directory` (whose source is that file).
/// The watch starts from the object's last version, so one shared between the copy and
/// the watch is not missed.
pub async fn follow(
    backplane: Backplane,
    kind: String,
    to: PathBuf,
    mut have: Option<String>,
    directory: Addr<InstrumentDirectory>,
) {
    let name = object_name(&kind);
    loop {
        let mut watch = match backplane.master.watch_with_history().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the shared instrument master; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        while let Some(Ok(info)) = watch.next().await {
            if info.name != name || info.deleted || have.as_deref() == Some(info.nuid.as_str()) {
                continue;
            }
            match fetch_to(&backplane, &kind, &to).await {
                Ok(Some(nuid)) => {
                    have = Some(nuid);
                    match directory.send(ReloadMaster { force_download: true }).await {
                        Ok(Ok(_)) => tracing::info!(object = name, "the leader's new instrument master loaded"),
                        Ok(Err(e)) => tracing::warn!(object = name, error = %e, "the leader's new instrument master was refused; the current one stays"),
                        Err(_) => tracing::warn!("instrument directory did not answer; the new master loads at the next change"),
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    object = name,
                    error = e,
                    "the leader's new instrument master could not be copied; the current one stays"
                ),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
