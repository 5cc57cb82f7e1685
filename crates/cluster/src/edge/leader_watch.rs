//! Whether the feed leader is still there, as an edge can tell without trusting any
//! clock but its own: the lease's revision must keep changing (the leader renews six
//! times per TTL). A revision unchanged for half the TTL, or no lease at all, while no
//! tick has come either, is a silent leader: the edge's clients hear the feed is
//! reconnecting instead of the dead leader's last `live`, until a leader renews again.
//! Pure: the caller reads the lease and passes the time.

use std::time::{Duration, Instant};

/// One read of the lease key.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseRead {
    Held {
        leader: String,
        revision: u64,
    },
    /// No key: it expired, nobody leads.
    Absent,
    /// NATS could not say (a JetStream re-election, a lost connection): no conclusion.
    Unknown,
}

/// What changed, for the edge to tell its clients.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaderChange {
    Silent {
        reason: String,
    },
    /// A leader renews again; `same`: the one that fell silent (its last status still
    /// stands), not a new one (whose status is on its way).
    Back {
        same: bool,
    },
}

#[derive(Debug)]
pub struct LeaderWatch {
    threshold: Duration,
    /// The revision last seen, and when it was first seen.
    seen: Option<(u64, Instant)>,
    leader: Option<String>,
    silent: bool,
    /// The leader when the silence began.
    silent_leader: Option<String>,
}

impl LeaderWatch {
    /// `lease_ttl`: `cluster.lease_ttl_ms`; silence is half of it without a renewal.
    pub fn new(lease_ttl: Duration) -> LeaderWatch {
        LeaderWatch {
            threshold: lease_ttl / 2,
            seen: None,
            leader: None,
            silent: false,
            silent_leader: None,
        }
    }

    /// How long without a renewal (or a tick) makes the leader silent.
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    pub fn is_silent(&self) -> bool {
        self.silent
    }

    /// Take one read made at `now`; `ticking` is whether a tick came from the backplane
    /// within the threshold (a leader whose lease writes stall still publishes ticks).
    pub fn observe(
        &mut self,
        read: LeaseRead,
        ticking: bool,
        now: Instant,
    ) -> Option<LeaderChange> {
        let quiet_for = match read {
            LeaseRead::Unknown => return None,
            LeaseRead::Absent => {
                self.seen = None;
                self.leader = None;
                None
            }
            LeaseRead::Held { leader, revision } => {
                self.leader = Some(leader);
                match self.seen {
                    Some((r, since)) if r == revision => Some(now.saturating_duration_since(since)),
                    _ => {
                        self.seen = Some((revision, now));
                        Some(Duration::ZERO)
                    }
                }
            }
        };
        let silent = !ticking && quiet_for.is_none_or(|q| q >= self.threshold);
        if silent == self.silent {
            return None;
        }
        self.silent = silent;
        if !silent {
            let same = self
                .silent_leader
                .take()
                .is_some_and(|l| Some(l) == self.leader);
            return Some(LeaderChange::Back { same });
        }
        self.silent_leader = self.leader.clone();
        Some({
            let reason = match (quiet_for, &self.leader) {
                (Some(q), Some(leader)) => format!(
                    "feed leader {leader} has not renewed its lease for {:.1} s: a standby takes over if it is gone; prices are the last received",
                    q.as_secs_f64()
                ),
                _ => "no feed leader holds the lease: a standby takes over within seconds; prices are the last received".to_string(),
            };
            LeaderChange::Silent { reason }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(revision: u64) -> LeaseRead {
        LeaseRead::Held {
            leader: "feed-a".into(),
            revision,
        }
    }

    #[test]
    fn a_lease_that_stops_changing_is_silence_and_a_renewal_ends_it() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut w = LeaderWatch::new(Duration::from_secs(3));
        assert_eq!(w.observe(held(1), false, at(0)), None, "a fresh lease");
        assert_eq!(w.observe(held(2), false, at(500)), None, "renewed");
        assert_eq!(
            w.observe(held(2), false, at(1900)),
            None,
            "1.4 s: under half the TTL"
        );
        match w.observe(held(2), false, at(2000)) {
            Some(LeaderChange::Silent { reason }) => {
                assert!(
                    reason.contains("feed-a") && reason.contains("1.5 s"),
                    "{reason}"
                )
            }
            other => panic!("expected silence, got {other:?}"),
        }
        assert!(w.is_silent());
        assert_eq!(w.observe(held(2), false, at(2500)), None, "said once");
        assert_eq!(
            w.observe(held(3), false, at(3000)),
            Some(LeaderChange::Back { same: true }),
            "the same leader renewed after all"
        );
    }

    #[test]
    fn ticks_or_an_unreadable_lease_are_not_silence_and_no_lease_is() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut w = LeaderWatch::new(Duration::from_secs(10));
        assert_eq!(w.observe(held(7), true, at(0)), None);
        // JetStream re-electing: the lease does not change, ticks still come.
        assert_eq!(w.observe(held(7), true, at(8000)), None);
        assert_eq!(w.observe(LeaseRead::Unknown, false, at(9000)), None);
        match w.observe(LeaseRead::Absent, false, at(9500)) {
            Some(LeaderChange::Silent { reason }) => {
                assert!(reason.contains("no feed leader"), "{reason}")
            }
            other => panic!("expected silence, got {other:?}"),
        }
        let new = LeaseRead::Held {
            leader: "feed-b".into(),
            revision: 1,
        };
        assert_eq!(
            w.observe(new, false, at(10_000)),
            Some(LeaderChange::Back { same: false }),
            "a new leader"
        );
    }
}
