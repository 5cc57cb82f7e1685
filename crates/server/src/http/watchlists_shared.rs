//! The dashboard's watchlists in a cluster: one key per owner in the NATS watchlists
//! bucket instead of a file on one edge, so a browser finds its lists on whichever edge
//! nginx sends it to. The same validation, and the same bound on owners, as the files.

use std::time::Duration;

use actix_web::web::Bytes;
use mandi_cluster::Backplane;

use super::watchlists::{validate, SaveError, WatchlistError, Watchlists, MAX_OWNERS};

/// The longest a request waits on the bucket.
const WAIT: Duration = Duration::from_secs(2);

fn unreachable(what: &str) -> std::io::Error {
    std::io::Error::other(format!("the watchlists bucket on NATS {what}"))
}

/// The owner's lists; none yet is an empty document.
pub async fn load(backplane: &Backplane, owner: &str) -> Result<Watchlists, std::io::Error> {
    let got = tokio::time::timeout(WAIT, backplane.watchlists.get(owner))
        .await
        .map_err(|_| unreachable("did not answer"))?
        .map_err(|e| unreachable(&format!("refused the read: {e}")))?;
    Ok(match got {
        Some(bytes) => serde_json::from_slice::<Watchlists>(&bytes)
            .ok()
            .and_then(|doc| validate(doc).ok())
            .unwrap_or_default(),
        None => Watchlists::default(),
    })
}

/// Store a validated document; a new owner past [`MAX_OWNERS`] is refused.
pub async fn save(backplane: &Backplane, owner: &str, doc: &Watchlists) -> Result<(), SaveError> {
    let kv = &backplane.watchlists;
    let work = async {
        let known = kv
            .get(owner)
            .await
            .map_err(|e| unreachable(&e.to_string()))?
            .is_some();
        if !known {
            let status = kv.status().await.map_err(|e| unreachable(&e.to_string()))?;
            if status.values() >= MAX_OWNERS as u64 {
                return Err(SaveError::Refused(WatchlistError::TooManyOwners));
            }
        }
        let value = Bytes::from(serde_json::to_vec(doc).unwrap_or_default());
        kv.put(owner, value)
            .await
            .map_err(|e| unreachable(&format!("refused the write: {e}")))?;
        Ok(())
    };
    tokio::time::timeout(WAIT, work)
        .await
        .map_err(|_| SaveError::Io(unreachable("did not answer")))?
}
