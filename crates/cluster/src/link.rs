//! The connection to NATS and the key-value buckets every node opens: ticks (the last
//! tick per instrument, and the subjects ticks travel on), status, the leader lease and
//! the edges' interest; the browsers' sessions and watchlists, which every edge shares;
//! and the object store of the leader's instrument master. The connection reconnects by
//! itself; its state is watched so an edge can tell its clients when the backplane is
//! gone.

use std::time::Duration;

use async_nats::jetstream::{self, kv, object_store};
use async_nats::{Client, ConnectOptions, ServerAddr};
use tokio::sync::watch;

use crate::settings::ClusterSettings;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cluster.nats_url {url:?} is not a NATS address ({reason}): use nats://HOST:PORT, comma-separated for several servers")]
    Url { url: String, reason: String },
    #[error("cannot reach NATS at {url}: {reason} — start nats-server (with -js) or fix cluster.nats_url")]
    Connect { url: String, reason: String },
    #[error("NATS at {url} has no JetStream for bucket {bucket}: {reason} — start nats-server with -js (JetStream), version 2.9 or later")]
    Bucket {
        url: String,
        bucket: String,
        reason: String,
    },
}

/// This node's link to the backplane.
#[derive(Clone)]
pub struct Backplane {
    pub settings: ClusterSettings,
    pub client: Client,
    pub ticks: kv::Store,
    pub status: kv::Store,
    pub lease: kv::Store,
    pub interest: kv::Store,
    /// Browser login sessions and watchlists, shared by the edges.
    pub sessions: kv::Store,
    pub watchlists: kv::Store,
    /// The leader's instrument master file, for the edges.
    pub master: object_store::ObjectStore,
    /// True while the NATS connection is up.
    pub connected: watch::Receiver<bool>,
}

/// Parse `cluster.nats_url` (one address or several, comma-separated).
pub fn server_addrs(url: &str) -> Result<Vec<ServerAddr>, LinkError> {
    url.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ServerAddr>().map_err(|e| LinkError::Url {
                url: url.into(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(LinkError::Url {
                    url: url.into(),
                    reason: "empty".into(),
                })
            } else {
                Ok(v)
            }
        })
}

/// Connect and open (or create) the buckets. Fails once, with the reason and the fix;
/// after that the client reconnects by itself for ever.
pub async fn connect(settings: &ClusterSettings) -> Result<Backplane, LinkError> {
    let addrs = server_addrs(&settings.nats_url)?;
    let (tx, connected) = watch::channel(false);
    let node = settings.node.clone();
    let first = tx.clone();
    let client = ConnectOptions::new()
        .name(format!("mandi-{}-{}", settings.role.as_str(), settings.node))
        // Short: a dead server must not hold the reconnect (the leader fences itself after
        // `liveness::LINK_FENCE_AFTER` without NATS); a LAN connects in milliseconds.
        .connection_timeout(Duration::from_millis(500))
        // A server lost in a cluster of three: reconnect to another at once, then
        // every 250 ms, so the tick gap stays well under two seconds.
        .reconnect_delay_callback(|attempt| Duration::from_millis((attempt as u64 * 50).min(250)))
        .event_callback(move |event| {
            let tx = tx.clone();
            let node = node.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tx.send_replace(true);
                        tracing::info!(node, "NATS connected");
                    }
                    async_nats::Event::Disconnected => {
                        tx.send_replace(false);
                        tracing::warn!(
                            node,
                            "NATS connection lost; reconnecting (check nats-server and cluster.nats_url)"
                        );
                    }
                    other => tracing::debug!(node, event = %other, "NATS event"),
                }
            }
        })
        .connect(addrs)
        .await
        .map_err(|e| LinkError::Connect {
            url: settings.nats_url.clone(),
            reason: e.to_string(),
        })?;
    // The callback reports only later changes; the first connection is up now.
    first.send_replace(true);
    let js = jetstream::new(client.clone());
    let open = |bucket: String, max_age: Duration| {
        let js = js.clone();
        let replicas = settings.kv_replicas.max(1);
        let url = settings.nats_url.clone();
        async move {
            // The bucket's stream made here, as a key-value bucket's is made, rather than
            // through `create_key_value`, whose account query 2.9 servers answer in a form
            // this client does not read.
            let config = jetstream::stream::Config {
                name: format!("KV_{bucket}"),
                subjects: vec![format!("$KV.{bucket}.>")],
                max_messages_per_subject: 1,
                max_age,
                // Deduplication is not used; its window may not exceed the age limit.
                duplicate_window: if max_age.is_zero() {
                    Duration::from_secs(120)
                } else {
                    max_age.min(Duration::from_secs(120))
                },
                storage: jetstream::stream::StorageType::Memory,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                num_replicas: replicas,
                discard: jetstream::stream::DiscardPolicy::New,
                ..Default::default()
            };
            let bad = |reason: String| LinkError::Bucket {
                url: url.clone(),
                bucket: bucket.clone(),
                reason,
            };
            js.get_or_create_stream(config)
                .await
                .map_err(|e| bad(e.to_string()))?;
            js.get_key_value(&bucket)
                .await
                .map_err(|e| bad(e.to_string()))
        }
    };
    let ticks = open(settings.ticks_bucket(), Duration::ZERO).await?;
    let status = open(settings.status_bucket(), Duration::ZERO).await?;
    let lease = open(settings.lease_bucket(), settings.lease_ttl()).await?;
    let interest = open(settings.interest_bucket(), settings.interest_ttl()).await?;
    // Each session carries its own expiry; the bucket drops entries past the longest a
    // session may live (`server.session_ttl_hours` ≤ 720), so logins never pile up.
    let sessions = open(settings.sessions_bucket(), Duration::from_secs(31 * 86_400)).await?;
    let watchlists = open(settings.watchlists_bucket(), Duration::ZERO).await?;
    let bucket = settings.master_bucket();
    let master = match js.get_object_store(&bucket).await {
        Ok(store) => store,
        Err(_) => js
            .create_object_store(object_store::Config {
                bucket: bucket.clone(),
                description: Some("the feed leader's instrument master".into()),
                storage: jetstream::stream::StorageType::Memory,
                num_replicas: settings.kv_replicas.max(1),
                ..Default::default()
            })
            .await
            .map_err(|e| LinkError::Bucket {
                url: settings.nats_url.clone(),
                bucket,
                reason: e.to_string(),
            })?,
    };
    let backplane = Backplane {
        settings: settings.clone(),
        client,
        ticks,
        status,
        lease,
        interest,
        sessions,
        watchlists,
        master,
        connected,
    };
    Ok(backplane)
}

impl Backplane {
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nats_urls_parse_or_name_the_key() {
        for (case, url, servers) in [
            ("one", "nats://127.0.0.1:4222", Some(1)),
            (
                "three",
                "nats://a:4222, nats://b:4222,nats://c:4222",
                Some(3),
            ),
            ("empty", "", None),
            ("not a url", "nats://host:notaport", None),
        ] {
            match (server_addrs(url), servers) {
                (Ok(v), Some(n)) => assert_eq!(v.len(), n, "{case}"),
                (Err(e), None) => {
                    assert!(e.to_string().contains("cluster.nats_url"), "{case}: {e}")
                }
                (got, want) => panic!("{case}: got {:?}, want {want:?}", got.map(|v| v.len())),
            }
        }
    }
}
