//! Telling a dead feed leader from a slow one in about two seconds, without waiting for
//! its lease to expire. The leader answers pings on `<prefix>.leader.ping` (core NATS);
//! NATS itself answers "no responders" once no connection subscribes the subject — the
//! leader's process is gone (its socket closed) or it has lost NATS. Two rules make a
//! standby's takeover on that answer safe:
//! - a standby takes over only after "no responders" on every ping for [`DEAD_AFTER`],
//!   and only by a revision-checked update of the dead leader's last lease revision (a
//!   leader that renewed meanwhile makes it fail);
//! - a leader that has lost its NATS connection for [`LINK_FENCE_AFTER`] (shorter)
//!   fences itself, so a leader still alive behind a lost connection is gone before any
//!   standby acts.
//!
//! A leader that is frozen, or cut off without its sockets closing, leaves its
//! subscription in place: pings go unanswered rather than refused, and the lease's TTL
//! decides as before. So does a NATS server's loss: the leader is back on another server
//! within a quarter of a second, long before [`DEAD_AFTER`].

use std::time::{Duration, Instant};

use async_nats::RequestErrorKind;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::link::Backplane;

/// "No responders" on every ping for this long: the leader is dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(2);
/// A leader without NATS for this long fences itself (before [`DEAD_AFTER`]).
pub const LINK_FENCE_AFTER: Duration = Duration::from_millis(1500);
/// How long a ping waits for its answer.
pub const PING_WAIT: Duration = Duration::from_millis(500);

/// What one ping of the leader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    Answered,
    /// NATS said nobody subscribes the subject.
    NoResponders,
    /// No answer in time, or NATS could not be asked: no conclusion.
    Unanswered,
}

/// A standby's view of the leader's pings.
#[derive(Debug, Default)]
pub struct DeathWatch {
    refused_since: Option<Instant>,
}

impl DeathWatch {
    /// Take one ping made at `now`; true once every ping for [`DEAD_AFTER`] was refused.
    pub fn observe(&mut self, ping: Ping, now: Instant) -> bool {
        match ping {
            Ping::NoResponders => {
                let since = *self.refused_since.get_or_insert(now);
                now.saturating_duration_since(since) >= DEAD_AFTER
            }
            Ping::Answered | Ping::Unanswered => {
                self.refused_since = None;
                false
            }
        }
    }
}

/// Ping the leader once.
pub async fn ping(backplane: &Backplane) -> Ping {
    let subject = backplane.settings.leader_ping_subject();
    let asked = backplane.client.request(subject, Bytes::new());
    match tokio::time::timeout(PING_WAIT, asked).await {
        Ok(Ok(_)) => Ping::Answered,
        Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => Ping::NoResponders,
        _ => Ping::Unanswered,
    }
}

/// On the leader: answer every ping with this node's name, for as long as NATS keeps the
/// subscription. Returns (a reason to fence) only if the subscription cannot be made or
/// ends: a leader nobody can ping would look dead to every standby.
pub async fn answer_pings(backplane: Backplane) -> String {
    let subject = backplane.settings.leader_ping_subject();
    let mut sub = match backplane.client.subscribe(subject.clone()).await {
        Ok(sub) => sub,
        Err(e) => return format!("cannot answer the leader's pings on {subject}: {e}"),
    };
    let name = Bytes::from(backplane.settings.node.clone());
    while let Some(msg) = sub.next().await {
        if let Some(reply) = msg.reply {
            let _ = backplane.client.publish(reply, name.clone()).await;
        }
    }
    format!("the subscription to {subject} ended")
}

/// On the leader: returns (a reason to fence) once the NATS connection has been down for
/// [`LINK_FENCE_AFTER`] without coming back.
pub async fn watch_link(mut connected: watch::Receiver<bool>) -> String {
    loop {
        while *connected.borrow_and_update() {
            if connected.changed().await.is_err() {
                return "the NATS connection's state is no longer reported".into();
            }
        }
        let down = Instant::now();
        loop {
            match tokio::time::timeout_at(
                (down + LINK_FENCE_AFTER).into(),
                connected.changed(),
            )
            .await
            {
                Err(_) => {
                    return format!(
                        "NATS unreachable for {} ms: a standby may take over once the leader's pings go unanswered",
                        down.elapsed().as_millis()
                    )
                }
                Ok(Err(_)) => return "the NATS connection's state is no longer reported".into(),
                Ok(Ok(())) if *connected.borrow_and_update() => break,
                Ok(Ok(())) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_for_two_seconds_running_make_a_leader_dead() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut w = DeathWatch::default();
        assert!(!w.observe(Ping::NoResponders, at(0)));
        assert!(!w.observe(Ping::NoResponders, at(1900)));
        // A leader reconnecting to another NATS server answers again: start over.
        assert!(!w.observe(Ping::Answered, at(2000)));
        assert!(!w.observe(Ping::NoResponders, at(2100)));
        assert!(
            !w.observe(Ping::Unanswered, at(3000)),
            "a frozen leader: no verdict"
        );
        assert!(!w.observe(Ping::NoResponders, at(3100)));
        assert!(!w.observe(Ping::NoResponders, at(5000)));
        assert!(w.observe(Ping::NoResponders, at(5100)), "refused for 2 s");
    }

    #[test]
    fn a_leader_fences_on_a_lost_link_before_a_standby_may_call_it_dead() {
        assert!(LINK_FENCE_AFTER + PING_WAIT / 2 <= DEAD_AFTER);
    }

    #[actix_rt::test]
    async fn a_link_down_past_the_limit_is_a_reason_to_fence() {
        let (tx, rx) = watch::channel(true);
        let fence = tokio::spawn(watch_link(rx));
        let down = Instant::now();
        tx.send_replace(false);
        let reason = tokio::time::timeout(Duration::from_secs(5), fence)
            .await
            .expect("fenced in time")
            .expect("the watch ran");
        assert!(down.elapsed() >= LINK_FENCE_AFTER, "{:?}", down.elapsed());
        assert!(reason.contains("NATS unreachable"), "{reason}");
    }
}
