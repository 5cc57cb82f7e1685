//! Fetching a master from the broker: a cached copy in the data directory, reused while
//! fresh, replaced atomically (temp file + rename), and fallen back on when the download
//! fails.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use serde::Serialize;
use thiserror::Error;

use mandi_instruments::MasterKind;

// Each broker's master URL and download headers live with the broker; these names stay
// for callers. `kite_headers` answers every broker's headers (none for Dhan).
pub use crate::upstream::dhan::master::{
    COMPACT_URL as DHAN_COMPACT_URL, DETAILED_URL as DHAN_DETAILED_URL,
};
pub use crate::upstream::kite::master::INSTRUMENTS_URL as KITE_INSTRUMENTS_URL;
pub use crate::upstream::master_headers as kite_headers;

/// Where a master comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum MasterSource {
    /// A file on disk, read as is: no cache, no download.
    File(PathBuf),
    /// The broker's URL, cached in the data directory. `headers` go on the request
    /// (Kite's endpoint may want `X-Kite-Version` and the session's `Authorization`).
    Url {
        url: String,
        headers: Vec<(String, String)>,
    },
}

impl MasterSource {
    /// The path or URL, for status and logs (header values left out).
    pub fn describe(&self) -> String {
        match self {
            MasterSource::File(path) => path.display().to_string(),
            MasterSource::Url { url, .. } => url.clone(),
        }
    }
}

impl MasterSource {
    /// The same source with these request headers (a URL's; a file has none).
    pub fn with_headers(self, headers: Vec<(String, String)>) -> MasterSource {
        match self {
            MasterSource::Url { url, .. } => MasterSource::Url { url, headers },
            file => file,
        }
    }
}

impl fmt::Debug for MasterSource {
    // Header values may hold a session token: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterSource::File(path) => f.debug_tuple("File").field(path).finish(),
            MasterSource::Url { url, headers } => f
                .debug_struct("Url")
                .field("url", url)
                .field(
                    "headers",
                    &headers.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

/// How the file that was loaded was obtained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MasterOrigin {
    /// `MasterSource::File`.
    File,
    /// The cached copy, still younger than the allowed age.
    FreshCache,
    /// Downloaded just now.
    Downloaded,
    /// The cached copy, because the download failed or was refused.
    StaleCache { download_error: String },
}

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("master download failed: {0}")]
    Request(String),
    #[error("master download answered HTTP {status}")]
    Status { status: u16 },
    #[error("master download took longer than {timeout_ms} ms")]
    Timeout { timeout_ms: u64 },
    #[error("master download passed {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("writing the master to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl FetchError {
    /// Worth trying again later (the broker or network may recover).
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Request(_) | FetchError::Timeout { .. } => true,
            FetchError::Status { status } => *status >= 500 || *status == 429,
            FetchError::TooLarge { .. } | FetchError::Write { .. } => false,
        }
    }
}

/// Limits for one download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadLimits {
    /// The whole download, headers to last byte.
    pub timeout: Duration,
    pub max_bytes: u64,
}

/// The cached copy of a `kind` master in `data_dir`.
pub fn cache_path(data_dir: &Path, kind: MasterKind) -> PathBuf {
    data_dir.join(format!("{}-master.csv", kind.as_str()))
}

/// Where a fresh download waits until it has loaded cleanly; only then does it replace
/// the cache, so a bad download never overwrites a good copy.
pub fn download_path(data_dir: &Path, kind: MasterKind) -> PathBuf {
    data_dir.join(format!("{}-master.download.csv", kind.as_str()))
}

/// True when `path` exists, is not empty, and was written no more than `max_age`
/// before `now` (a modification time in the future counts as fresh).
pub fn is_cache_fresh(path: &Path, max_age: Duration, now: SystemTime) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if meta.len() == 0 {
        return false;
    }
    match meta.modified().map(|modified| now.duration_since(modified)) {
        Ok(Ok(age)) => age <= max_age,
        // Written "after" now: the clock moved back; the copy is as new as it gets.
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

/// GETs `url` into `dest`, replacing it atomically: bytes go to a sibling temp file,
/// which is synced and renamed over `dest` only once complete. Returns the byte count.
pub async fn download_to(
    url: &str,
    headers: &[(String, String)],
    dest: &Path,
    limits: DownloadLimits,
) -> Result<u64, FetchError> {
    let temp = temp_sibling(dest);
    let result = tokio::time::timeout(
        limits.timeout,
        stream_to(url, headers, &temp, limits.max_bytes),
    )
    .await;
    let result = match result {
        Ok(Ok(bytes)) => {
            fs::rename(&temp, dest)
                .map(|()| bytes)
                .map_err(|source| FetchError::Write {
                    path: dest.to_path_buf(),
                    source,
                })
        }
        Ok(Err(err)) => Err(err),
        Err(_) => Err(FetchError::Timeout {
            timeout_ms: limits.timeout.as_millis() as u64,
        }),
    };
    if result.is_err() {
        // Best effort: a leftover temp file is overwritten by the next attempt anyway.
        let _ = fs::remove_file(&temp);
    }
    result
}

async fn stream_to(
    url: &str,
    headers: &[(String, String)],
    temp: &Path,
    max_bytes: u64,
) -> Result<u64, FetchError> {
    let client = awc::Client::builder()
        .max_http_version(awc::http::Version::HTTP_11)
        // The outer timeout bounds the whole download; this one only the response head.
        .timeout(Duration::from_secs(60))
        .finish();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.insert_header((name.as_str(), value.as_str()));
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| FetchError::Request(e.to_string()))?;
    if !response.status().is_success() {
        return Err(FetchError::Status {
            status: response.status().as_u16(),
        });
    }
    let write_err = |source| FetchError::Write {
        path: temp.to_path_buf(),
        source,
    };
    let mut file = File::create(temp).map_err(write_err)?;
    let mut written: u64 = 0;
    // Chunks are written as they arrive, so a large master never sits whole in memory.
    while let Some(chunk) = response.next().await {
        let chunk = chunk.map_err(|e| FetchError::Request(e.to_string()))?;
        written += chunk.len() as u64;
        if written > max_bytes {
            return Err(FetchError::TooLarge {
                limit_bytes: max_bytes,
            });
        }
        file.write_all(&chunk).map_err(write_err)?;
    }
    file.sync_all().map_err(write_err)?;
    Ok(written)
}

fn temp_sibling(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}.part", std::process::id()));
    dest.with_file_name(name)
}

#[cfg(test)]
mod tests;
