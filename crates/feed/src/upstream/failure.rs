//! Why the upstream went away, classified once so the actor never string-matches an
//! error: which state the feed shows, the least time before the next attempt, whether
//! the token is to blame, and the one-line fix for the operator. Each broker's module
//! (`upstream::<broker>::failure`) maps its own codes and statuses onto these classes.

use std::time::Duration;

use mandi_domain::FeedState;

use super::verdict::TokenStatus;

/// The broker refused the credentials: retrying sooner cannot help and looks like a
/// storm from their side (the Kite 403 console spam).
pub const AUTH_RETRY_FLOOR: Duration = Duration::from_secs(60);
/// The broker is limiting us (Dhan 805, HTTP 429): give the other connection time to go.
pub const THROTTLED_RETRY_FLOOR: Duration = Duration::from_secs(120);
/// The account cannot use the feed (Dhan 806) or our config cannot work: keep probing
/// rarely so the feed comes back by itself once a human fixes the account.
pub const FATAL_RETRY_FLOOR: Duration = Duration::from_secs(600);

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

    /// The least time before the next attempt, whatever the backoff says.
    pub fn retry_floor(self) -> Duration {
        match self {
            FailureKind::Network | FailureKind::TooManyInstruments => Duration::ZERO,
            FailureKind::Auth => AUTH_RETRY_FLOOR,
            FailureKind::Throttled => THROTTLED_RETRY_FLOOR,
            FailureKind::NotEntitled | FailureKind::Config => FATAL_RETRY_FLOOR,
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
}

impl Failure {
    pub fn network(reason: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Network,
            reason: reason.into(),
            fix: None,
            rest_refused: false,
        }
    }

    pub fn config(reason: impl Into<String>, fix: &'static str) -> Failure {
        Failure {
            kind: FailureKind::Config,
            reason: reason.into(),
            fix: Some(fix),
            rest_refused: false,
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
        }
    }

    /// An upgrade status no broker rule covers: 429 means throttling from any broker;
    /// anything else is treated like a network failure.
    pub fn upgrade_refused(broker: &str, status: u16) -> Failure {
        match status {
            429 => Failure::upgrade(
                broker,
                status,
                FailureKind::Throttled,
                "too many connections or requests",
                Some("another program may be using this account's feed connections"),
            ),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_and_first_connect_state() {
        assert!(FailureKind::Auth.retry_floor() >= Duration::from_secs(60));
        assert!(FailureKind::Throttled.retry_floor() >= Duration::from_secs(60));
        assert_eq!(FailureKind::Network.retry_floor(), Duration::ZERO);
        assert_eq!(
            FailureKind::TooManyInstruments.retry_floor(),
            Duration::ZERO,
            "too many instruments is not throttling: no 120 s wait"
        );
        assert!(!FailureKind::TooManyInstruments.is_fatal());
        assert_eq!(FailureKind::Network.state(true), FeedState::Connecting);
        assert_eq!(FailureKind::Auth.state(true), FeedState::LoginRequired);
        assert!(FailureKind::NotEntitled.is_fatal() && !FailureKind::Auth.is_fatal());
    }

    #[test]
    fn statuses_no_broker_rule_covers() {
        let cases = [
            ("429 throttles", 429, FailureKind::Throttled, true),
            ("502 is the network", 502, FailureKind::Network, false),
        ];
        for (name, status, kind, has_fix) in cases {
            let f = Failure::upgrade_refused("dhan", status);
            assert_eq!((f.kind, f.fix.is_some()), (kind, has_fix), "{name}");
            assert!(
                f.reason.contains(&format!("HTTP {status}")),
                "{name}: {}",
                f.reason
            );
        }
    }
}
