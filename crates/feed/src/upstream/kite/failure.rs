//! Kite's ways of refusing us, mapped onto the feed's failure classes: the upgrade's
//! HTTP statuses (a 403 is the daily token ending, protocols.md B1) and the profile
//! check. A Kite close carries no hint beyond what it says.

use std::time::Duration;

use super::BROKER;
use crate::upstream::TokenStatus;
use crate::upstream::{Failure, FailureKind};

const TOKEN_FIX: &str =
    "log in through Kite Connect for today's access token and POST it to /api/auth/token (tokens expire at 06:00 IST; no restart needed)";

/// Kite closed an open socket: a plain network failure.
pub fn closed(detail: String, _quiet_since_connect: Option<Duration>) -> Failure {
    Failure::network(detail)
}

/// The upgrade answered `status` instead of 101.
pub fn upgrade_rejected(status: u16) -> Failure {
    let broker = BROKER.as_str();
    match status {
        401 | 403 => Failure::upgrade(
            broker,
            status,
            FailureKind::Auth,
            "api key or access token rejected",
            Some(TOKEN_FIX),
        ),
        other => Failure::upgrade_refused(broker, other),
    }
}

/// The pre-flight profile check refused the token.
pub fn token_rejected(status: TokenStatus) -> Failure {
    Failure::token_rejected(BROKER.as_str(), status, TOKEN_FIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandi_domain::FeedState;

    struct TestCase {
        name: &'static str,
        failure: Failure,
        kind: FailureKind,
        state: FeedState,
        reason_has: &'static str,
    }

    #[test]
    fn classification_cases() {
        let cases = [
            TestCase {
                name: "403",
                failure: upgrade_rejected(403),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "HTTP 403",
            },
            TestCase {
                name: "429",
                failure: upgrade_rejected(429),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 429",
            },
            TestCase {
                name: "profile expired",
                failure: token_rejected(TokenStatus::Expired),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "token expired",
            },
            TestCase {
                name: "an early close is only a close",
                failure: closed("x".into(), Some(Duration::ZERO)),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "x",
            },
        ];
        for c in cases {
            assert_eq!(c.failure.kind, c.kind, "{}", c.name);
            assert_eq!(c.failure.kind.state(false), c.state, "{}", c.name);
            assert!(
                c.failure.reason.contains(c.reason_has),
                "{}: {}",
                c.name,
                c.failure.reason
            );
            assert_eq!(
                c.failure.fix.is_some(),
                c.kind != FailureKind::Network,
                "{}: a fix for every non-network failure, none for a close",
                c.name
            );
        }
    }
}
