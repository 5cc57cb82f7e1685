//! The feed leader's lease: one key in a bucket whose entries expire after the TTL.
//! A node takes it with create-if-absent, keeps it with revision-checked updates six
//! times per TTL (a failed one retried every 250 ms), and fences itself (closes every
//! broker connection) once the TTL less a margin ([`fence_limit`]) has passed since the
//! last renewal it sent that the server accepted — before the server lets the key expire
//! and a standby may create it. A renewal refused for its revision means another node
//! holds the lease: fence at once. A standby does not wait for the TTL when the leader
//! is certainly dead (see `liveness`).

use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use bytes::Bytes;

use crate::link::Backplane;
use crate::liveness::{self, DeathWatch};
use crate::settings::{ClusterSettings, LEADER_KEY};

/// How soon a failed renewal is tried again. JetStream answers "no stream" for the few
/// seconds it takes to re-elect the bucket's leader after a NATS server is lost; waiting a
/// whole renewal interval between tries would spend the lease's margin on one retry.
const RETRY: Duration = Duration::from_millis(250);

/// How long after its last accepted renewal a leader may go on: the TTL less a margin
/// of a tenth of it, at least a second, and never more than two thirds of it for short
/// TTLs. The server expires the key a TTL after it stored the renewal, which is after the
/// leader sent it, so the leader is gone at least the margin before any standby can
/// create the key.
pub fn fence_limit(ttl: Duration) -> Duration {
    let margin = (ttl / 10).max(Duration::from_secs(1));
    ttl.saturating_sub(margin).max(ttl * 2 / 3)
}

/// Why a leader must fence itself now, if it must.
pub fn fence_reason(since_renewal: Duration, ttl: Duration) -> Option<String> {
    let limit = fence_limit(ttl);
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
/// `standby` with the holder's name each time a try finds the lease held. A holder
/// whose pings NATS has refused for [`liveness::DEAD_AFTER`] is dead: the lease is taken
/// over from its last revision at once, rather than after it expires.
pub async fn acquire(backplane: &Backplane, mut standby: impl FnMut(Option<String>)) -> u64 {
    let (kv, settings) = (&backplane.lease, &backplane.settings);
    // Polled at a sixth of the TTL, at least twice a second: a takeover comes at most that
    // late after expiry, or after the leader's death is certain.
    let poll =
        (settings.lease_ttl() / 6).clamp(Duration::from_millis(50), Duration::from_millis(500));
    let mut death = DeathWatch::default();
    loop {
        match kv
            .create(LEADER_KEY, Bytes::from(settings.node.clone()))
            .await
        {
            Ok(revision) => return revision,
            Err(_) => {
                let held = kv
                    .entry(LEADER_KEY)
                    .await
                    .ok()
                    .flatten()
                    .filter(|e| e.operation == kv::Operation::Put);
                let holder = held
                    .as_ref()
                    .map(|e| String::from_utf8_lossy(&e.value).into_owned());
                if let Some(entry) = &held {
                    let ping = liveness::ping(backplane).await;
                    if death.observe(ping, Instant::now()) {
                        let taken = kv
                            .update(
                                LEADER_KEY,
                                Bytes::from(settings.node.clone()),
                                entry.revision,
                            )
                            .await;
                        if let Ok(revision) = taken {
                            tracing::warn!(
                                dead = holder.as_deref().unwrap_or(""),
                                "the feed leader's pings were refused for 2.5 s (its process is gone, or it is cut off): lease taken over without waiting for it to expire"
                            );
                            return revision;
                        }
                    }
                }
                standby(holder);
            }
        }
        tokio::time::sleep(poll).await;
    }
}

/// Keep the lease until it is lost; returns why. The caller fences itself at once.
pub async fn hold(kv: &kv::Store, settings: &ClusterSettings, mut revision: u64) -> String {
    let (ttl, every) = (settings.lease_ttl(), settings.lease_renew());
    let limit = fence_limit(ttl);
    let mut renewed = Instant::now();
    let mut pause = every;
    // The first failure of a run of them, for one warning and one recovery line.
    let mut failing_since: Option<Instant> = None;
    loop {
        tokio::time::sleep(pause).await;
        pause = every;
        // Checked before trying: a process resumed after a freeze must not renew a lease
        // a standby may already hold (the renewal would fail anyway; fencing must not
        // wait for the answer).
        if let Some(reason) = fence_reason(renewed.elapsed(), ttl) {
            return reason;
        }
        let sent = Instant::now();
        // An unanswered renewal may not hold the fence check past the limit.
        let wait = every.min(limit.saturating_sub(renewed.elapsed()));
        let attempt = tokio::time::timeout(
            wait,
            kv.update(LEADER_KEY, Bytes::from(settings.node.clone()), revision),
        )
        .await;
        let failure = match attempt {
            Ok(Ok(next)) => {
                revision = next;
                renewed = sent;
                if let Some(since) = failing_since.take() {
                    tracing::info!(
                        failing_ms = since.elapsed().as_millis() as u64,
                        "lease renewed again"
                    );
                }
                None
            }
            Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                return format!("another node holds the lease ({e})");
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {} ms", wait.as_millis())),
        };
        if let Some(error) = failure {
            if failing_since.is_none() {
                failing_since = Some(sent);
                tracing::warn!(
                    error,
                    fence_in_ms = limit.saturating_sub(renewed.elapsed()).as_millis() as u64,
                    "lease renewal failing; retrying every 250 ms (JetStream may be electing a leader after a NATS server's loss); the node fences itself if it cannot renew in time"
                );
            }
            pause = RETRY.min(every);
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
        for (case, ttl, since, fences) in [
            ("3 s: just renewed", 3000, 0, false),
            ("3 s: a second margin leaves two thirds", 3000, 1999, false),
            ("3 s: at two thirds", 3000, 2000, true),
            ("3 s: frozen past the TTL", 3000, 10_000, true),
            (
                "10 s: a second before expiry is still in time",
                10_000,
                8999,
                false,
            ),
            ("10 s: fenced a second before expiry", 10_000, 9000, true),
            ("30 s: a tenth of the TTL as margin", 30_000, 27_000, true),
            ("1 s: never under two thirds", 1000, 666, false),
        ] {
            let ttl = Duration::from_millis(ttl);
            assert_eq!(
                fence_reason(Duration::from_millis(since), ttl).is_some(),
                fences,
                "{case}"
            );
        }
    }
}
