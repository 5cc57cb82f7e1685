//! Login sessions across the edges of a cluster. A browser logs in on one edge and its
//! next request may reach another (nginx spreads them): each session is also written to
//! the NATS sessions bucket, and an edge that does not know a session cookie looks it up
//! there once and keeps it. The bucket's key is the SHA-256 of the session id, never the
//! id, and its value names only the scope, the key's fingerprint and the expiry. NATS is
//! the cluster's own network: whoever may write to it may log in anywhere.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv::Operation;
use futures_util::StreamExt;

use actix_web::web::Bytes;
use chrono::Utc;
use mandi_cluster::Backplane;
use serde::{Deserialize, Serialize};

use super::keys::Scope;
use super::Security;

/// The longest a request waits on the bucket: past it the session counts as unknown here.
const LOOKUP_WAIT: Duration = Duration::from_millis(500);

/// The cluster's shared state, once this node has joined it.
pub struct Shared(pub Backplane);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Shared")
            .field(&self.0.settings.node)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct SharedSession {
    scope: String,
    owner: String,
    /// Seconds since the epoch.
    expires: i64,
}

/// The bucket's key for a session: SHA-256 of its id, so reading the bucket gives no id
/// and no cookie that would match one.
fn key(id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("s-{hex}")
}

/// Write a session just opened here.
pub async fn publish(shared: &Shared, id: &str, scope: Scope, owner: &str, ttl: Duration) {
    let entry = SharedSession {
        scope: scope.as_str().into(),
        owner: owner.into(),
        expires: Utc::now().timestamp() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
    };
    let Ok(value) = serde_json::to_vec(&entry) else {
        return;
    };
    let put = shared.0.sessions.put(key(id), Bytes::from(value));
    if !matches!(tokio::time::timeout(LOOKUP_WAIT, put).await, Ok(Ok(_))) {
        tracing::warn!("login session not shared over NATS: the other edges will ask this browser to log in again");
    }
}

/// A session another edge opened: looked up, kept here, and its scope returned.
pub async fn adopt(security: &Security, shared: &Shared, id: &str) -> Option<Scope> {
    let got = tokio::time::timeout(LOOKUP_WAIT, shared.0.sessions.get(key(id))).await;
    let value = got.ok()?.ok()??;
    let entry: SharedSession = serde_json::from_slice(&value).ok()?;
    let left = entry.expires - Utc::now().timestamp();
    let scope = match entry.scope.as_str() {
        "read" => Scope::Read,
        "trade" => Scope::Trade,
        _ => return None,
    };
    if left <= 0 {
        return None;
    }
    let now = Instant::now();
    let expires = now + Duration::from_secs(u64::try_from(left).unwrap_or(0));
    security
        .sessions
        .adopt(id, scope, entry.owner, now, expires);
    Some(scope)
}

/// Forget a session logged out here, everywhere.
pub async fn forget(shared: &Shared, id: &str) {
    let _ = tokio::time::timeout(LOOKUP_WAIT, shared.0.sessions.delete(key(id))).await;
}

/// A session logged out on any node is forgotten on this one too (until then it would
/// live here to its expiry). Runs for as long as the process.
pub async fn follow_logouts(security: Arc<Security>) {
    let Some(shared) = security.shared.get() else {
        return;
    };
    loop {
        let mut watch = match shared.0.sessions.watch(">").await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot follow logouts on NATS; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        while let Some(Ok(entry)) = watch.next().await {
            if matches!(entry.operation, Operation::Delete | Operation::Purge) {
                security.sessions.close_where(|id| key(id) == entry.key);
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
