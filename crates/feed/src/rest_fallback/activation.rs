//! When REST polling takes over from the socket and when it hands back, decided from
//! the feed's status reports and how long it has not been live. Pure.

use std::time::{Duration, Instant};

use crate::feed_connection::messages::FeedState;

/// A takeover or a hand-back, with its cause in operator words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    Activate { cause: String },
    Deactivate { cause: String },
}

/// The triggers, as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Triggers {
    pub enabled: bool,
    /// Take over after this many failed attempts in a row; `None` turns it off.
    pub after_failures: Option<u32>,
    /// Take over when the feed has not been live for this long; `None` turns it off.
    pub after_down: Option<Duration>,
}

/// The feed as last reported, and whether polling has taken over.
#[derive(Clone, Debug)]
pub struct Activation {
    triggers: Triggers,
    feed: FeedState,
    feed_reason: Option<String>,
    /// Since when the feed has not been live; `None` while it is. Starts at construction,
    /// so a feed that never comes up at all counts as down from the start.
    down_since: Option<Instant>,
    active: bool,
    /// The last feed status said REST refuses the token: do not take over on time either.
    rest_refused: bool,
}

impl Activation {
    pub fn new(triggers: Triggers, now: Instant) -> Activation {
        Activation {
            triggers,
            feed: FeedState::Connecting,
            feed_reason: None,
            down_since: Some(now),
            active: false,
            rest_refused: false,
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    pub fn feed(&self) -> FeedState {
        self.feed
    }

    /// The feed reported a state. `Live` hands back at once; `LoginRequired` and
    /// `Stopped` take over at once (the socket will not come back by itself); other states
    /// take over once the failures in a row reach the threshold. Never while the broker's
    /// REST API refuses the token too (`rest_refused`): polling would only be refused.
    pub fn on_feed_status(
        &mut self,
        state: FeedState,
        reason: Option<&str>,
        failures: u32,
        rest_refused: bool,
        now: Instant,
    ) -> Option<Transition> {
        // A refusal holds while the feed stays at login_required: only new credentials
        // (the feed leaves that state) can change REST's answer, and a later failure that
        // did not ask REST again (an 808 at the next attempt) must not restart polling
        // that would be refused, claiming "REST fallback" to clients in between.
        let still_refused =
            self.rest_refused && self.feed == FeedState::LoginRequired && state == self.feed;
        self.feed = state;
        self.feed_reason = reason.map(str::to_owned);
        self.rest_refused = rest_refused || still_refused;
        if self.rest_refused {
            return self.deactivate("the broker's REST API refuses the token too".into());
        }
        if state == FeedState::Live {
            self.down_since = None;
            return self.deactivate("websocket live again".into());
        }
        self.down_since.get_or_insert(now);
        if !self.triggers.enabled || self.active {
            return None;
        }
        let cause = match state {
            FeedState::LoginRequired | FeedState::Stopped => {
                Some(reason.map_or_else(|| format!("feed {}", state.as_str()), str::to_owned))
            }
            _ if self.triggers.after_failures.is_some_and(|n| failures >= n) => Some(format!(
                "{failures} failed connection attempts in a row{}",
                self.last_reason(", last: ")
            )),
            _ => None,
        };
        cause.map(|cause| self.activate(cause))
    }

    /// The timer's question: has the feed been down for long enough?
    pub fn check(&mut self, now: Instant) -> Option<Transition> {
        let (Some(after), Some(since)) = (self.triggers.after_down, self.down_since) else {
            return None;
        };
        if !self.triggers.enabled
            || self.active
            || self.rest_refused
            || now.saturating_duration_since(since) < after
        {
            return None;
        }
        let cause = format!(
            "not live for {} s ({}{})",
            after.as_secs_f64(),
            self.feed.as_str(),
            self.last_reason(": ")
        );
        Some(self.activate(cause))
    }

    fn activate(&mut self, cause: String) -> Transition {
        self.active = true;
        Transition::Activate { cause }
    }

    fn deactivate(&mut self, cause: String) -> Option<Transition> {
        if !self.active {
            return None;
        }
        self.active = false;
        Some(Transition::Deactivate { cause })
    }

    fn last_reason(&self, prefix: &str) -> String {
        self.feed_reason
            .as_deref()
            .map(|r| format!("{prefix}{r}"))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Step {
        /// (ms, state, failures, reason)
        Feed(u64, FeedState, u32, Option<&'static str>),
        /// (ms, state): a status saying REST refuses the token too.
        Refused(u64, FeedState),
        /// The timer, at ms.
        Check(u64),
    }

    struct TestCase {
        name: &'static str,
        triggers: Triggers,
        steps: Vec<Step>,
        /// (step index, active after it, cause contains)
        want: Vec<(usize, bool, &'static str)>,
    }

    const DEFAULT: Triggers = Triggers {
        enabled: true,
        after_failures: Some(3),
        after_down: Some(Duration::from_millis(5000)),
    };

    #[test]
    fn takeover_and_handback() {
        use FeedState::*;
        use Step::*;
        let cases = [
            TestCase {
                name: "login required takes over at once, with the feed's reason",
                triggers: DEFAULT,
                steps: vec![Feed(
                    0,
                    LoginRequired,
                    1,
                    Some("dhan disconnect 807: access token expired"),
                )],
                want: vec![(0, true, "dhan disconnect 807: access token expired")],
            },
            TestCase {
                name: "stopped takes over at once, even without a reason",
                triggers: DEFAULT,
                steps: vec![Feed(0, Stopped, 1, None)],
                want: vec![(0, true, "feed stopped")],
            },
            TestCase {
                name: "the third failure in a row takes over",
                triggers: DEFAULT,
                steps: vec![
                    Feed(0, Reconnecting, 1, Some("refused")),
                    Feed(1000, Reconnecting, 2, Some("refused")),
                    Check(1500),
                    Feed(2000, Reconnecting, 3, Some("refused")),
                ],
                want: vec![(
                    3,
                    true,
                    "3 failed connection attempts in a row, last: refused",
                )],
            },
            TestCase {
                name: "not live for after_down takes over on the timer",
                triggers: DEFAULT,
                steps: vec![
                    Feed(0, Reconnecting, 1, Some("reset")),
                    Check(4999),
                    Check(5000),
                ],
                want: vec![(2, true, "not live for 5 s (reconnecting: reset)")],
            },
            TestCase {
                name: "a feed never live since start counts as down from start",
                triggers: DEFAULT,
                steps: vec![Check(4000), Feed(4500, Connecting, 1, None), Check(5000)],
                want: vec![(2, true, "not live for 5 s (connecting)")],
            },
            TestCase {
                name: "live hands back at once",
                triggers: DEFAULT,
                steps: vec![Feed(0, LoginRequired, 1, None), Feed(100, Live, 0, None)],
                want: vec![
                    (0, true, "feed login_required"),
                    (1, false, "websocket live again"),
                ],
            },
            TestCase {
                name: "live before the deadline restarts the clock",
                triggers: DEFAULT,
                steps: vec![
                    Feed(0, Reconnecting, 1, None),
                    Feed(3000, Live, 0, None),
                    Feed(4000, Reconnecting, 1, None),
                    Check(5000),
                    Check(8999),
                    Check(9000),
                ],
                want: vec![(5, true, "not live for 5 s")],
            },
            TestCase {
                name: "no second takeover while active, one hand-back",
                triggers: DEFAULT,
                steps: vec![
                    Feed(0, LoginRequired, 1, None),
                    Feed(10, Reconnecting, 4, None),
                    Check(10_000),
                    Feed(20_000, Live, 0, None),
                    Feed(20_001, Live, 0, None),
                ],
                want: vec![(0, true, ""), (3, false, "")],
            },
            TestCase {
                name: "disabled never takes over",
                triggers: Triggers {
                    enabled: false,
                    ..DEFAULT
                },
                steps: vec![
                    Feed(0, LoginRequired, 9, None),
                    Check(60_000),
                    Feed(60_001, Live, 0, None),
                ],
                want: vec![],
            },
            TestCase {
                name: "zeroed triggers are off; login required still takes over",
                triggers: Triggers {
                    enabled: true,
                    after_failures: None,
                    after_down: None,
                },
                steps: vec![
                    Feed(0, Reconnecting, 50, None),
                    Check(600_000),
                    Feed(600_001, LoginRequired, 51, None),
                ],
                want: vec![(2, true, "feed login_required")],
            },
            TestCase {
                name: "REST refused at login required holds until the feed leaves that state",
                triggers: DEFAULT,
                steps: vec![
                    Feed(0, LoginRequired, 1, Some("807")),
                    Refused(10, LoginRequired),
                    // The next attempt fails without asking REST again.
                    Feed(2000, LoginRequired, 2, Some("808")),
                    Check(10_000),
                    // New credentials: the feed connects again, and fails.
                    Feed(20_000, Reconnecting, 1, Some("reset")),
                    Check(30_000),
                ],
                want: vec![
                    (0, true, "807"),
                    (1, false, "refuses the token too"),
                    (5, true, "not live for 5 s"),
                ],
            },
            TestCase {
                name: "live while polling is off says nothing",
                triggers: DEFAULT,
                steps: vec![Feed(0, Live, 0, None), Check(10_000)],
                want: vec![],
            },
        ];
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for c in cases {
            let mut a = Activation::new(c.triggers, t0);
            let mut got = Vec::new();
            for (i, step) in c.steps.iter().enumerate() {
                let t = match step {
                    Feed(ms, state, failures, reason) => {
                        a.on_feed_status(*state, *reason, *failures, false, at(*ms))
                    }
                    Refused(ms, state) => a.on_feed_status(*state, None, 1, true, at(*ms)),
                    Check(ms) => a.check(at(*ms)),
                };
                if let Some(t) = t {
                    got.push((i, t));
                }
            }
            assert_eq!(got.len(), c.want.len(), "{}: {got:?}", c.name);
            for ((i, t), (want_i, want_active, want_cause)) in got.iter().zip(&c.want) {
                let (active, cause) = match t {
                    Transition::Activate { cause } => (true, cause),
                    Transition::Deactivate { cause } => (false, cause),
                };
                assert_eq!((*i, active), (*want_i, *want_active), "{}: {got:?}", c.name);
                assert!(cause.contains(want_cause), "{}: cause {cause:?}", c.name);
            }
        }
    }
}
