//! Why the upstream went away, classified once so the actor never string-matches an
//! error: which state the feed shows, the least time before the next attempt, whether
//! the token is to blame, and the one-line fix for the operator. Each broker's module
//! (`upstream::<broker>::failure`) maps its own codes and statuses onto these classes.

use std::time::Duration;

use mandi_domain::FeedState;

use super::verdict::TokenStatus;

/// The least wait before the next attempt for each failure class that has one
/// (`upstream.*_retry_floor_ms`). Every floor is capped by `upstream.backoff_max_ms`, so
/// the operator's ceiling holds, unless the broker itself asked for the wait
/// ([`BrokerWait`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryFloors {
    /// The broker refused the credentials: retrying sooner cannot help and looks like a
    /// storm from their side (the Kite 403 console spam).
    pub auth: Duration,
    /// The broker is limiting us (Dhan 805, HTTP 429) or answered the upgrade with an
    /// HTTP 400: give the other connection time to go.
    pub throttled: Duration,
    /// The account cannot use the feed (Dhan 806) or our config cannot work: keep probing
    /// rarely so the feed comes back by itself once a human fixes the account.
    pub fatal: Duration,
}

impl Default for RetryFloors {
    /// The values `config/default.toml` ships.
    fn default() -> RetryFloors {
        RetryFloors {
            auth: Duration::from_secs(60),
            throttled: Duration::from_secs(120),
            fatal: Duration::from_secs(600),
        }
    }
}

/// Whether the broker itself asked us to wait, which is the one thing allowed to hold a
/// retry past `upstream.backoff_max_ms`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BrokerWait {
    /// Nothing said: backoff with the class's floor, within `backoff_max_ms`.
    #[default]
    None,
    /// The broker told us to hold off without saying how long (Dhan 805, an HTTP 429
    /// without `Retry-After`): the class's floor, even above `backoff_max_ms`.
    Unstated,
    /// The broker named the wait (an HTTP 429 `Retry-After`): at least that long.
    Stated(Duration),
}

/// The classes of failure; each maps to a state and a retry floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Refused, reset, closed, timed out, idle: plain exponential backoff.
    Network,
    /// The broker rejected the credentials (HTTP 401/403, Dhan 807–810, profile check).
    Auth,
    /// The broker is limiting us (Dhan 805, HTTP 429, Dhan HTTP 400).
    Throttled,
    /// The broker refused the number of instruments on one connection (Dhan 804). Not
    /// throttling: waiting longer does not help, fewer instruments per connection does.
    /// Plain backoff, so a limit lowered in the config (or the broker's change of heart)
    /// is tried soon.
    TooManyInstruments,
    /// The account cannot use the feed (Dhan 806).
    NotEntitled,
    /// Our own configuration cannot work (credentials for the other broker, bad URL).
    Config,
}

impl FailureKind {
    /// The state clients see while we wait. `never_live` keeps a feed that has not yet
    /// connected once in `Connecting` for plain network failures.
    pub fn state(self, never_live: bool) -> FeedState {
        match self {
            FailureKind::Network | FailureKind::Throttled | FailureKind::TooManyInstruments
                if never_live =>
            {
                FeedState::Connecting
            }
            FailureKind::Network | FailureKind::Throttled | FailureKind::TooManyInstruments => {
                FeedState::Reconnecting
            }
            FailureKind::Auth => FeedState::LoginRequired,
            FailureKind::NotEntitled | FailureKind::Config => FeedState::Stopped,
        }
    }

    /// The least time before the next attempt, before the `backoff_max_ms` cap.
    pub fn retry_floor(self, floors: &RetryFloors) -> Duration {
        match self {
            FailureKind::Network | FailureKind::TooManyInstruments => Duration::ZERO,
            FailureKind::Auth => floors.auth,
            FailureKind::Throttled => floors.throttled,
            FailureKind::NotEntitled | FailureKind::Config => floors.fatal,
        }
    }

    /// The auth manager must hear about it.
    pub fn is_auth(self) -> bool {
        self == FailureKind::Auth
    }

    /// Needs a human; retrying is only a slow probe.
    pub fn is_fatal(self) -> bool {
        matches!(self, FailureKind::NotEntitled | FailureKind::Config)
    }
}

/// One classified failure. `reason` is operator-facing and never holds a token.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
    pub fix: Option<&'static str>,
    /// The broker's REST API refused the token too (the pre-flight check), so polling
    /// REST in the meantime would only collect more refusals.
    pub rest_refused: bool,
    /// Whether the broker asked for the wait (then it may exceed `backoff_max_ms`).
    pub broker_wait: BrokerWait,
}

impl Failure {
    /// The wait before the next attempt: the exponential `backoff` raised to the class's
    /// floor, both within `cap` (`backoff_max_ms`), unless the broker asked for longer.
    pub fn retry_delay(&self, backoff: Duration, floors: &RetryFloors, cap: Duration) -> Duration {
        let ours = backoff.max(self.kind.retry_floor(floors)).min(cap);
        match self.broker_wait {
            BrokerWait::None => ours,
            BrokerWait::Unstated => ours.max(self.kind.retry_floor(floors)),
            BrokerWait::Stated(wait) => ours.max(wait),
        }
    }

    /// The same failure, with the broker's own word on how long to wait.
    pub fn with_broker_wait(mut self, wait: BrokerWait) -> Failure {
        self.broker_wait = wait;
        self
    }

    pub fn network(reason: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Network,
            reason: reason.into(),
            fix: None,
            rest_refused: false,
            broker_wait: BrokerWait::None,
        }
    }

    pub fn config(reason: impl Into<String>, fix: &'static str) -> Failure {
        Failure {
            kind: FailureKind::Config,
            reason: reason.into(),
            fix: Some(fix),
            rest_refused: false,
            broker_wait: BrokerWait::None,
        }
    }

    /// The WebSocket upgrade answered with a non-101 HTTP status the broker's module
    /// has a verdict on.
    pub fn upgrade(
        broker: &str,
        status: u16,
        kind: FailureKind,
        what: &str,
        fix: Option<&'static str>,
    ) -> Failure {
        Failure {
            kind,
            reason: format!("{broker} websocket upgrade got HTTP {status}: {what}"),
            fix,
            rest_refused: false,
            broker_wait: BrokerWait::None,
        }
    }

    /// An upgrade status no broker rule covers: 429 means throttling from any broker, and
    /// is the broker asking us to wait (the upgrade's answer reaches us without its
    /// headers, so no `Retry-After`: the throttled floor stands in for it); anything else
    /// is treated like a network failure.
    pub fn upgrade_refused(broker: &str, status: u16) -> Failure {
        match status {
            429 => Failure::upgrade(
                broker,
                status,
                FailureKind::Throttled,
                "too many connections or requests",
                Some("another program may be using this account's feed connections"),
            )
            .with_broker_wait(BrokerWait::Unstated),
            _ => Failure::upgrade(
                broker,
                status,
                FailureKind::Network,
                "upgrade refused",
                None,
            ),
        }
    }

    /// The pre-flight REST profile check refused the token; `fix` is the broker's way
    /// to get a new one.
    pub fn token_rejected(broker: &str, status: TokenStatus, fix: &'static str) -> Failure {
        Failure {
            kind: FailureKind::Auth,
            reason: format!("{broker} profile check: access token {}", status.as_str()),
            fix: Some(fix),
            rest_refused: true,
            broker_wait: BrokerWait::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_and_first_connect_state() {
        let floors = RetryFloors::default();
        assert_eq!(FailureKind::Auth.retry_floor(&floors), floors.auth);
        assert_eq!(
            FailureKind::Throttled.retry_floor(&floors),
            floors.throttled
        );
        assert_eq!(FailureKind::Config.retry_floor(&floors), floors.fatal);
        assert_eq!(FailureKind::Network.retry_floor(&floors), Duration::ZERO);
        assert_eq!(
            FailureKind::TooManyInstruments.retry_floor(&floors),
            Duration::ZERO,
            "too many instruments is not throttling: no throttled wait"
        );
        assert!(!FailureKind::TooManyInstruments.is_fatal());
        assert_eq!(FailureKind::Network.state(true), FeedState::Connecting);
        assert_eq!(FailureKind::Auth.state(true), FeedState::LoginRequired);
        assert!(FailureKind::NotEntitled.is_fatal() && !FailureKind::Auth.is_fatal());
    }

    struct DelayCase {
        name: &'static str,
        kind: FailureKind,
        broker_wait: BrokerWait,
        backoff_ms: u64,
        cap_ms: u64,
        want_ms: u64,
    }

    #[test]
    fn retry_delay_floor_and_cap() {
        // Floors of 60 s (auth), 120 s (throttled), 600 s (fatal).
        let floors = RetryFloors::default();
        let cases = [
            DelayCase {
                name: "network: the backoff as is",
                kind: FailureKind::Network,
                broker_wait: BrokerWait::None,
                backoff_ms: 2_000,
                cap_ms: 60_000,
                want_ms: 2_000,
            },
            DelayCase {
                name: "auth: raised to its floor",
                kind: FailureKind::Auth,
                broker_wait: BrokerWait::None,
                backoff_ms: 500,
                cap_ms: 300_000,
                want_ms: 60_000,
            },
            DelayCase {
                name: "auth: floor capped by backoff_max_ms",
                kind: FailureKind::Auth,
                broker_wait: BrokerWait::None,
                backoff_ms: 500,
                cap_ms: 5_000,
                want_ms: 5_000,
            },
            DelayCase {
                name: "throttled HTTP 400: 120 s floor within a 60 s cap",
                kind: FailureKind::Throttled,
                broker_wait: BrokerWait::None,
                backoff_ms: 500,
                cap_ms: 60_000,
                want_ms: 60_000,
            },
            DelayCase {
                name: "fatal: floor capped",
                kind: FailureKind::NotEntitled,
                broker_wait: BrokerWait::None,
                backoff_ms: 30_000,
                cap_ms: 60_000,
                want_ms: 60_000,
            },
            DelayCase {
                name: "fatal: floor below a raised cap",
                kind: FailureKind::Config,
                broker_wait: BrokerWait::None,
                backoff_ms: 30_000,
                cap_ms: 900_000,
                want_ms: 600_000,
            },
            DelayCase {
                name: "backoff above the floor wins",
                kind: FailureKind::Auth,
                broker_wait: BrokerWait::None,
                backoff_ms: 90_000,
                cap_ms: 120_000,
                want_ms: 90_000,
            },
            DelayCase {
                name: "dhan 805: the broker asked, floor beats the cap",
                kind: FailureKind::Throttled,
                broker_wait: BrokerWait::Unstated,
                backoff_ms: 500,
                cap_ms: 60_000,
                want_ms: 120_000,
            },
            DelayCase {
                name: "Retry-After longer than the cap",
                kind: FailureKind::Throttled,
                broker_wait: BrokerWait::Stated(Duration::from_secs(300)),
                backoff_ms: 500,
                cap_ms: 60_000,
                want_ms: 300_000,
            },
            DelayCase {
                name: "Retry-After shorter than our capped floor",
                kind: FailureKind::Throttled,
                broker_wait: BrokerWait::Stated(Duration::from_secs(5)),
                backoff_ms: 500,
                cap_ms: 60_000,
                want_ms: 60_000,
            },
        ];
        for c in cases {
            let failure = Failure {
                kind: c.kind,
                reason: String::new(),
                fix: None,
                rest_refused: false,
                broker_wait: c.broker_wait,
            };
            let got = failure.retry_delay(
                Duration::from_millis(c.backoff_ms),
                &floors,
                Duration::from_millis(c.cap_ms),
            );
            assert_eq!(got, Duration::from_millis(c.want_ms), "{}", c.name);
        }
    }

    #[test]
    fn statuses_no_broker_rule_covers() {
        let cases = [
            (
                "429 throttles, the broker's asking",
                429,
                FailureKind::Throttled,
                true,
                BrokerWait::Unstated,
            ),
            (
                "502 is the network",
                502,
                FailureKind::Network,
                false,
                BrokerWait::None,
            ),
        ];
        for (name, status, kind, has_fix, wait) in cases {
            let f = Failure::upgrade_refused("dhan", status);
            assert_eq!(
                (f.kind, f.fix.is_some(), f.broker_wait),
                (kind, has_fix, wait),
                "{name}"
            );
            assert!(
                f.reason.contains(&format!("HTTP {status}")),
                "{name}: {}",
                f.reason
            );
        }
    }
}
