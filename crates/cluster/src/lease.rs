//! The feed leader's lease: one key in a bucket whose entries expire after the TTL.
//! A node takes it with create-if-absent, keeps it with revision-checked updates three
//! times per TTL, and fences itself (closes every broker connection) once two thirds of
//! the TTL have passed since the last renewal it sent that the server accepted — before
//! the server lets the key expire and a standby may create it. A renewal refused for its
//! revision means another node holds the lease: fence at once.

use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use bytes::Bytes;

use crate::settings::{ClusterSettings, LEADER_KEY};

/// Why a leader must fence itself now, if it must.
pub fn fence_reason(since_renewal: Duration, ttl: Duration) -> Option<String> {
    let limit = ttl * 2 / 3;
    (since_renewal >= limit).then(|| {
        format!(
            "lease not renewed for {} ms (limit {} ms of a {} ms TTL): the process was frozen or NATS was unreachable",
            since_renewal.as_millis(),
            limit.as_millis(),
            ttl.as_millis()
        )
    })
}

/// Wait until this node holds the lease; returns the revision to renew from. Calls
/// `standby` with the holder's name each time a try finds the lease held.
pub async fn acquire(
    kv: &kv::Store,
    settings: &ClusterSettings,
    mut standby: impl FnMut(Option<String>),
) -> u64 {
    // Polled at a sixth of the TTL: a takeover comes at most that late after expiry.
    let poll = (settings.lease_ttl() / 6).max(Duration::from_millis(50));
    loop {
        match kv
            .create(LEADER_KEY, Bytes::from(settings.node.clone()))
            .await
        {
            Ok(revision) => return revision,
            Err(_) => {
                let holder = kv
                    .get(LEADER_KEY)
                    .await
                    .ok()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(&v).into_owned());
                standby(holder);
            }
        }
        tokio::time::sleep(poll).await;
    }
}

/// Keep the lease until it is lost; returns why. The caller fences itself at once.
pub async fn hold(kv: &kv::Store, settings: &ClusterSettings, mut revision: u64) -> String {
    let (ttl, every) = (settings.lease_ttl(), settings.lease_renew());
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        // Checked before trying: a process resumed after a freeze must not renew a lease
        // a standby may already hold (the renewal would fail anyway; fencing must not
        // wait for the answer).
        if let Some(reason) = fence_reason(renewed.elapsed(), ttl) {
            return reason;
        }
        let sent = Instant::now();
        let attempt = tokio::time::timeout(
            every,
            kv.update(LEADER_KEY, Bytes::from(settings.node.clone()), revision),
        )
        .await;
        match attempt {
            Ok(Ok(next)) => {
                revision = next;
                renewed = sent;
            }
            Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                return format!("another node holds the lease ({e})");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "lease renewal failed; retrying"),
            Err(_) => tracing::warn!(
                timeout_ms = every.as_millis() as u64,
                "lease renewal unanswered; retrying"
            ),
        }
        if let Some(reason) = fence_reason(renewed.elapsed(), ttl) {
            return reason;
        }
    }
}

/// The lease holder and how long ago it renewed, as any node sees it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LeaseView {
    pub leader: Option<String>,
    pub lease_age_ms: Option<u64>,
    pub revision: Option<u64>,
}

/// Read the lease; `None` fields when nobody holds it (or NATS cannot say).
pub async fn view(kv: &kv::Store) -> LeaseView {
    match kv.entry(LEADER_KEY).await {
        Ok(Some(e)) if e.operation == kv::Operation::Put => {
            let renewed_ns = e.created.unix_timestamp_nanos();
            let now_ns = chrono::Utc::now()
                .timestamp_nanos_opt()
                .map(i128::from)
                .unwrap_or(renewed_ns);
            LeaseView {
                leader: Some(String::from_utf8_lossy(&e.value).into_owned()),
                lease_age_ms: Some(((now_ns - renewed_ns).max(0) / 1_000_000) as u64),
                revision: Some(e.revision),
            }
        }
        _ => LeaseView::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leader_fences_itself_before_the_lease_can_expire() {
        let ttl = Duration::from_millis(3000);
        for (case, since, fences) in [
            ("just renewed", 0, false),
            ("one renewal missed", 1999, false),
            ("two renewals missed", 2000, true),
            ("frozen past the TTL", 10_000, true),
        ] {
            assert_eq!(
                fence_reason(Duration::from_millis(since), ttl).is_some(),
                fences,
                "{case}"
            );
        }
    }
}
