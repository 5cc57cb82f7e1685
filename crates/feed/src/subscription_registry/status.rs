//! One feed state for clients out of several connections' states: live when every
//! needed connection (the first, and any other that carries instruments) is live;
//! otherwise the state of the needed connection in the worst trouble, its reason prefixed
//! with which connection it is when more than one is in use. A connection reports every
//! change itself, going idle included (as connecting), so a connection coming back into
//! use counts as connecting until its new socket is live, and one that never went idle
//! (emptied and refilled within one flush window) keeps its live socket and state.

use chrono::{DateTime, Utc};
use mandi_domain::FeedState;

use crate::backplane::FeedStatusChanged;

/// The last state each connection reported, and what clients were last told.
#[derive(Clone, Debug)]
pub struct StatusBoard {
    shards: Vec<Option<FeedStatusChanged>>,
    published: Option<FeedStatusChanged>,
}

impl StatusBoard {
    pub fn new(connections: usize) -> StatusBoard {
        StatusBoard {
            shards: vec![None; connections.max(1)],
            published: None,
        }
    }

    /// A connection reported.
    pub fn report(&mut self, shard: usize, status: FeedStatusChanged) {
        if let Some(slot) = self.shards.get_mut(shard) {
            *slot = Some(status);
        }
    }

    /// Whether any connection in use has reported yet (before that, clients know nothing
    /// new: an idle one saying so is not news).
    pub fn has_reports(&self, needed: &[bool]) -> bool {
        self.shards
            .iter()
            .zip(needed)
            .any(|(status, needed)| *needed && status.is_some())
    }

    /// The state for clients given which connections are needed, stamped `at`.
    pub fn aggregate(&self, needed: &[bool], at: DateTime<Utc>) -> FeedStatusChanged {
        let in_use = needed.iter().filter(|n| **n).count();
        let worst = self
            .shards
            .iter()
            .enumerate()
            .filter(|(shard, _)| needed.get(*shard).copied().unwrap_or(false))
            .map(|(shard, status)| (shard, status.as_ref()))
            .filter(|(_, status)| !status.is_some_and(|s| s.state == FeedState::Live))
            .max_by_key(|(shard, status)| (severity(*status), std::cmp::Reverse(*shard)));
        match worst {
            None => FeedStatusChanged {
                state: FeedState::Live,
                reason: None,
                consecutive_failures: 0,
                rest_refused: false,
                at,
            },
            Some((shard, status)) => {
                let (state, reason, failures, rest_refused) = match status {
                    Some(s) => (
                        s.state,
                        s.reason.clone(),
                        s.consecutive_failures,
                        s.rest_refused,
                    ),
                    None => (FeedState::Connecting, None, 0, false),
                };
                let reason = if in_use > 1 {
                    let what = reason.unwrap_or_else(|| state.as_str().to_string());
                    Some(format!("upstream shard {shard} of {in_use} in use: {what}"))
                } else {
                    reason
                };
                FeedStatusChanged {
                    state,
                    reason,
                    consecutive_failures: failures,
                    rest_refused,
                    at,
                }
            }
        }
    }

    /// The aggregate, when it differs from what clients were last told (the stamp aside).
    pub fn publishable(&mut self, needed: &[bool], at: DateTime<Utc>) -> Option<FeedStatusChanged> {
        let now = self.aggregate(needed, at);
        let same = self.published.as_ref().is_some_and(|last| {
            (
                last.state,
                &last.reason,
                last.consecutive_failures,
                last.rest_refused,
            ) == (
                now.state,
                &now.reason,
                now.consecutive_failures,
                now.rest_refused,
            )
        });
        if same {
            return None;
        }
        self.published = Some(now.clone());
        Some(now)
    }

    /// What clients were last told, if anything.
    pub fn published(&self) -> Option<&FeedStatusChanged> {
        self.published.as_ref()
    }

    /// The last report of each connection, for `/health`.
    pub fn shard_state(&self, shard: usize) -> Option<&FeedStatusChanged> {
        self.shards.get(shard).and_then(Option::as_ref)
    }
}

/// Which trouble clients hear of first: a token to replace, an account to fix, then a
/// socket that dropped, then one still opening.
fn severity(status: Option<&FeedStatusChanged>) -> u8 {
    match status.map(|s| s.state) {
        Some(FeedState::LoginRequired) => 4,
        Some(FeedState::Stopped) => 3,
        Some(FeedState::Reconnecting) => 2,
        Some(FeedState::Connecting) | None => 1,
        Some(FeedState::Live) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: FeedState, reason: Option<&str>) -> FeedStatusChanged {
        FeedStatusChanged {
            state,
            reason: reason.map(String::from),
            consecutive_failures: u32::from(state != FeedState::Live),
            rest_refused: false,
            at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    struct TestCase {
        name: &'static str,
        reports: Vec<(usize, FeedStatusChanged)>,
        needed: &'static [bool],
        want: FeedState,
        reason: Option<&'static str>,
    }

    #[test]
    fn one_state_out_of_several() {
        use FeedState::*;
        let live = || status(Live, None);
        let cases = [
            TestCase {
                name: "one connection: its state and reason as they are",
                reports: vec![(0, status(Reconnecting, Some("closed")))],
                needed: &[true, false],
                want: Reconnecting,
                reason: Some("closed"),
            },
            TestCase {
                name: "every needed one live",
                reports: vec![(0, live()), (1, live())],
                needed: &[true, true, false],
                want: Live,
                reason: None,
            },
            TestCase {
                name: "an idle one's old state does not count",
                reports: vec![(0, live()), (1, status(Reconnecting, Some("closed")))],
                needed: &[true, false],
                want: Live,
                reason: None,
            },
            TestCase {
                name: "a needed one that has not reported is connecting",
                reports: vec![(0, live())],
                needed: &[true, true],
                want: Connecting,
                reason: Some("upstream shard 1 of 2 in use: connecting"),
            },
            TestCase {
                name: "the worst trouble wins and names its connection",
                reports: vec![
                    (0, status(Reconnecting, Some("closed"))),
                    (1, live()),
                    (2, status(LoginRequired, Some("dhan disconnect 807"))),
                ],
                needed: &[true, true, true],
                want: LoginRequired,
                reason: Some("upstream shard 2 of 3 in use: dhan disconnect 807"),
            },
            TestCase {
                name: "equal trouble: the lowest connection",
                reports: vec![
                    (0, live()),
                    (1, status(Reconnecting, Some("one"))),
                    (2, status(Reconnecting, Some("two"))),
                ],
                needed: &[true, true, true],
                want: Reconnecting,
                reason: Some("upstream shard 1 of 3 in use: one"),
            },
        ];
        for c in cases {
            let mut board = StatusBoard::new(c.needed.len());
            for (shard, s) in c.reports {
                board.report(shard, s);
            }
            let got = board.aggregate(c.needed, DateTime::<Utc>::UNIX_EPOCH);
            assert_eq!(got.state, c.want, "{}", c.name);
            assert_eq!(got.reason.as_deref(), c.reason, "{}", c.name);
        }
    }

    #[test]
    fn published_once_per_change_and_again_when_an_idle_connection_comes_back() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut board = StatusBoard::new(2);
        board.report(1, status(FeedState::Connecting, Some("idle")));
        assert!(
            !board.has_reports(&[true, false]),
            "only an idle one said anything"
        );
        board.report(0, status(FeedState::Live, None));
        board.report(1, status(FeedState::Live, None));
        let first = board.publishable(&[true, true], at);
        assert_eq!(first.map(|s| s.state), Some(FeedState::Live));
        assert_eq!(board.publishable(&[true, true], at), None, "nothing new");
        // Connection 1 went idle (its report says so); not in use, it does not count.
        board.report(1, status(FeedState::Connecting, Some("idle")));
        assert_eq!(board.publishable(&[true, false], at), None, "still live");
        // In use again: connecting until its new socket says live.
        let reopening = board.publishable(&[true, true], at);
        assert_eq!(reopening.map(|s| s.state), Some(FeedState::Connecting));
        board.report(1, status(FeedState::Live, None));
        let back = board.publishable(&[true, true], at);
        assert_eq!(back.map(|s| s.state), Some(FeedState::Live));
        assert_eq!(board.published().map(|s| s.state), Some(FeedState::Live));
    }
}
