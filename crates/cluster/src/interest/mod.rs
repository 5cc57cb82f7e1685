//! The leader's side of the edges' interest: it watches the interest bucket (every key's
//! last value first, then each change) and turns each edge's set into registry messages,
//! one subscriber per edge, so the registry holds the union with its own ref-counting,
//! batching, sharding and broker limits. An edge whose key is not renewed within the TTL
//! is released; a new leader starts from every key still in the bucket.

pub mod state;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::kv::Operation;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use mandi_feed::backplane::Interest;

use crate::link::Backplane;
use state::{Action, EdgeInterest, InterestTable};

/// The edges the leader currently holds interest for, for `/health`.
pub type EdgeList = Arc<Mutex<Vec<String>>>;

/// Follow the interest bucket into `registry` for as long as the system runs.
pub fn follow(backplane: Backplane, registry: Interest, edges: EdgeList) {
    actix::spawn(async move {
        let mut table = InterestTable::default();
        let ttl = backplane.settings.interest_ttl();
        let ttl_chrono = chrono::Duration::milliseconds(ttl.as_millis() as i64);
        let mut sweep = tokio::time::interval((ttl / 6).max(Duration::from_millis(100)));
        loop {
            let mut watch = match backplane.interest.watch_with_history(">").await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the interest bucket; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            loop {
                tokio::select! {
                    entry = watch.next() => {
                        let Some(Ok(entry)) = entry else {
                            tracing::warn!("interest watch ended (NATS reconnecting?); watching again");
                            break;
                        };
                        let actions = match entry.operation {
                            Operation::Put => match serde_json::from_slice::<EdgeInterest>(&entry.value) {
                                Ok(interest) => table.put(&entry.key, interest, entry_time(&entry)),
                                Err(e) => {
                                    tracing::warn!(edge = entry.key, error = %e, "unreadable interest key ignored; is every node the same mandi version?");
                                    Vec::new()
                                }
                            },
                            Operation::Delete | Operation::Purge => {
                                tracing::info!(edge = entry.key, "edge left; releasing its interest");
                                table.remove(&entry.key)
                            }
                        };
                        apply(&registry, actions);
                    }
                    _ = sweep.tick() => {
                        for (edge, action) in table.expire(Utc::now(), ttl_chrono) {
                            tracing::warn!(edge, ttl_ms = ttl.as_millis() as u64, "edge interest expired (edge gone?); releasing what it held");
                            apply(&registry, vec![action]);
                        }
                    }
                }
                if let Ok(mut list) = edges.lock() {
                    *list = table.edges();
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

fn apply(registry: &Interest, actions: Vec<Action>) {
    for a in actions {
        match a {
            Action::Subscribe(m) => registry.subscribe(m),
            Action::Release(m) => registry.release(m),
            Action::ReleaseAll(m) => registry.release_all(m),
        }
    }
}

/// When the edge last wrote its key, by the server's clock: a new leader replaying old
/// keys must not take them as fresh.
fn entry_time(entry: &async_nats::jetstream::kv::Entry) -> DateTime<Utc> {
    let nanos = entry.created.unix_timestamp_nanos();
    i64::try_from(nanos)
        .map(DateTime::from_timestamp_nanos)
        .unwrap_or_else(|_| Utc::now())
}
