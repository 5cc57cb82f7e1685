//! Telling a dead feed leader from a slow one in a few seconds, without waiting for its
//! lease to expire. The leader answers pings on `<prefix>.leader.ping` (core NATS); NATS
//! itself answers "no responders" once no connection subscribes the subject: the leader's
//! process is gone (its socket closed), it has lost NATS, or a partition of the NATS
//! cluster has put it out of reach. Three rules make a standby's takeover on that answer
//! safe:
//! - a standby takes over only after "no responders" on every ping for [`DEAD_AFTER`],
//!   and only by a revision-checked update of the leader's last lease revision (a leader
//!   that renewed meanwhile makes it fail; a minority side of a partition cannot write);
//! - a leader without its NATS connection for [`LINK_FENCE_AFTER`] fences itself;
//! - a leader fences itself when the standbys, which it saw before, have been out of its
//!   reach for [`ISOLATED_AFTER`] and a write through the lease bucket's quorum fails too:
//!   it is on the wrong side of a partition, where the standby calls it dead. A standby
//!   that merely died leaves the quorum answering, and the leader carries on.
//!
//! Both fences come before [`DEAD_AFTER`]. A leader that is frozen, or cut off without its
//! sockets closing, leaves its subscription in place: pings go unanswered rather than
//! refused, and the lease's TTL decides as before. So does a NATS server's loss: the
//! leader is back on another server within a quarter of a second.

use std::time::{Duration, Instant};

use async_nats::RequestErrorKind;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::link::Backplane;

/// "No responders" on every ping for this long: the leader is dead.
pub const DEAD_AFTER: Duration = Duration::from_millis(2500);
/// A leader without NATS for this long fences itself.
pub const LINK_FENCE_AFTER: Duration = Duration::from_millis(1500);
/// A leader that has not reached a standby for this long checks the lease's quorum.
pub const ISOLATED_AFTER: Duration = Duration::from_millis(1500);
/// How long a ping waits for its answer.
pub const PING_WAIT: Duration = Duration::from_millis(200);
/// How often the leader pings the standbys.
const GUARD_EVERY: Duration = Duration::from_millis(200);
/// How long the leader's quorum write may take before it counts as failed.
const QUORUM_WAIT: Duration = Duration::from_millis(300);

/// What one ping found.
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

/// The leader's view of the standbys' answers.
#[derive(Debug, Default)]
pub struct WitnessWatch {
    /// A standby has answered since the last time the quorum said all was well.
    armed: bool,
    refused_since: Option<Instant>,
}

impl WitnessWatch {
    /// Take one ping of the standbys made at `now`; true when the leader must check the
    /// quorum: a standby it reached before has been refused for [`ISOLATED_AFTER`].
    pub fn observe(&mut self, ping: Ping, now: Instant) -> bool {
        match ping {
            Ping::Answered => {
                self.armed = true;
                self.refused_since = None;
                false
            }
            Ping::NoResponders if self.armed => {
                let since = *self.refused_since.get_or_insert(now);
                now.saturating_duration_since(since) >= ISOLATED_AFTER
            }
            Ping::NoResponders => false,
            // Somebody subscribes but was slow (a frozen standby): not a partition.
            Ping::Unanswered => {
                self.refused_since = None;
                false
            }
        }
    }

    /// The quorum answered: the standbys are gone, not this node. Wait for one to answer
    /// again before judging anew.
    pub fn standbys_gone(&mut self) {
        self.armed = false;
        self.refused_since = None;
    }
}

async fn ping_subject(backplane: &Backplane, subject: String) -> Ping {
    let asked = backplane.client.request(subject, Bytes::new());
    match tokio::time::timeout(PING_WAIT, asked).await {
        Ok(Ok(_)) => Ping::Answered,
        Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => Ping::NoResponders,
        _ => Ping::Unanswered,
    }
}

/// Ping the leader once.
pub async fn ping(backplane: &Backplane) -> Ping {
    ping_subject(backplane, backplane.settings.leader_ping_subject()).await
}

/// Answer every message on `subject` with this node's name, for as long as NATS keeps
/// the subscription; returns why it stopped.
async fn answer(backplane: &Backplane, subject: String) -> String {
    let mut sub = match backplane.client.subscribe(subject.clone()).await {
        Ok(sub) => sub,
        Err(e) => return format!("cannot answer pings on {subject}: {e}"),
    };
    let name = Bytes::from(backplane.settings.node.clone());
    while let Some(msg) = sub.next().await {
        if let Some(reply) = msg.reply {
            let _ = backplane.client.publish(reply, name.clone()).await;
        }
    }
    format!("the subscription to {subject} ended")
}

/// On the leader: answer the standbys' pings. Returns (a reason to fence) only if the
/// subscription cannot be made or ends: a leader nobody can ping looks dead.
pub async fn answer_pings(backplane: Backplane) -> String {
    let subject = backplane.settings.leader_ping_subject();
    answer(&backplane, subject).await
}

/// On a standby: answer the leader's pings, so it knows it is on the standbys' side of
/// any partition. Runs until the task is dropped (when this node leads).
pub async fn answer_as_standby(backplane: Backplane) {
    let subject = backplane.settings.standby_ping_subject();
    let why = answer(&backplane, subject).await;
    tracing::warn!(
        reason = why,
        "this standby no longer answers the leader's pings"
    );
}

/// On the leader: returns (a reason to fence) once the standbys it reached have been
/// refused for [`ISOLATED_AFTER`] and a write through the lease bucket's quorum fails.
pub async fn guard_isolation(backplane: Backplane) -> String {
    let mut watch = WitnessWatch::default();
    let subject = backplane.settings.standby_ping_subject();
    let probe_key = format!("probe-{}", backplane.settings.node);
    let mut every = tokio::time::interval(GUARD_EVERY);
    loop {
        every.tick().await;
        let ping = ping_subject(&backplane, subject.clone()).await;
        if !watch.observe(ping, Instant::now()) {
            continue;
        }
        let write = backplane
            .lease
            .put(probe_key.as_str(), Bytes::from_static(b"1"));
        match tokio::time::timeout(QUORUM_WAIT, write).await {
            Ok(Ok(_)) => {
                tracing::warn!("no feed standby answers, but the lease's quorum does: the standby is gone, not this node; carrying on");
                watch.standbys_gone();
            }
            _ => {
                return format!(
                    "cut off from the feed standbys for {} ms and from the lease's quorum: on the losing side of a NATS partition, where a standby takes over",
                    ISOLATED_AFTER.as_millis()
                )
            }
        }
    }
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
            match tokio::time::timeout_at((down + LINK_FENCE_AFTER).into(), connected.changed())
                .await
            {
                Err(_) => {
                    return format!(
                        "NATS unreachable for {} ms: a standby may take over once the leader's pings are refused",
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

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn only_refusals_for_the_whole_window_make_a_leader_dead() {
        let t0 = Instant::now();
        let mut w = DeathWatch::default();
        assert!(!w.observe(Ping::NoResponders, at(t0, 0)));
        assert!(!w.observe(Ping::NoResponders, at(t0, 2400)));
        // A leader reconnecting to another NATS server answers again: start over.
        assert!(!w.observe(Ping::Answered, at(t0, 2500)));
        assert!(!w.observe(Ping::NoResponders, at(t0, 2600)));
        assert!(
            !w.observe(Ping::Unanswered, at(t0, 3000)),
            "a frozen leader: no verdict"
        );
        assert!(!w.observe(Ping::NoResponders, at(t0, 3100)));
        assert!(!w.observe(Ping::NoResponders, at(t0, 5500)));
        assert!(
            w.observe(Ping::NoResponders, at(t0, 5600)),
            "refused for 2.5 s"
        );
    }

    #[test]
    fn a_leader_checks_the_quorum_only_after_losing_standbys_it_had() {
        let t0 = Instant::now();
        let mut w = WitnessWatch::default();
        assert!(
            !w.observe(Ping::NoResponders, at(t0, 0)),
            "no standby yet: nothing to lose"
        );
        assert!(!w.observe(Ping::NoResponders, at(t0, 5000)));
        assert!(!w.observe(Ping::Answered, at(t0, 5200)));
        assert!(!w.observe(Ping::NoResponders, at(t0, 5400)));
        assert!(!w.observe(Ping::Unanswered, at(t0, 6000)), "a slow standby");
        assert!(!w.observe(Ping::NoResponders, at(t0, 6200)));
        assert!(
            w.observe(Ping::NoResponders, at(t0, 7700)),
            "refused for 1.5 s"
        );
        w.standbys_gone();
        assert!(
            !w.observe(Ping::NoResponders, at(t0, 9000)),
            "the quorum said the standby died: quiet until one answers again"
        );
    }

    #[test]
    fn a_leader_fences_before_a_standby_may_call_it_dead() {
        // The isolation fence: the window, a ping interval, a ping's wait and the quorum
        // write; the link fence: its window and the watch's wake-up.
        assert!(ISOLATED_AFTER + GUARD_EVERY + PING_WAIT + QUORUM_WAIT < DEAD_AFTER);
        assert!(LINK_FENCE_AFTER + GUARD_EVERY < DEAD_AFTER);
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
