//! Dhan's ways of refusing us, mapped onto the feed's failure classes: the code-50
//! disconnect packet (protocols.md A3.8), the upgrade's HTTP statuses, and a close right
//! after the upgrade, which is how Dhan answers a bad token or a missing Data API plan.

use std::time::Duration;

use mandi_protocol::dhan::DhanDisconnectReason;

use super::BROKER;
use crate::upstream::TokenStatus;
use crate::upstream::{BrokerWait, Failure, FailureKind};

/// A close this soon after the upgrade, with no data yet, hints at the account.
pub const EARLY_CLOSE: Duration = Duration::from_secs(10);

const TOKEN_FIX: &str =
    "generate a new access token on web.dhan.co and POST it to /api/auth/token (no restart needed)";
const CLIENT_FIX: &str = "check DHAN_CLIENT_ID against the token's account";
const INSTRUMENTS_FIX: &str = "mandi keeps each connection within upstream.max_instruments_per_connection (Dhan allows 5000) and spreads the rest over upstream.max_connections; if Dhan refuses fewer on this account, lower upstream.max_instruments_per_connection";

/// A code-50 disconnect packet. The protocol crate names the code; what to do about it
/// (state, floor, fix) is runtime policy and lives here.
pub fn disconnect(code: u16) -> Failure {
    use DhanDisconnectReason as R;
    let reason = R::from_code(code);
    let (kind, fix) = match reason {
        R::InstrumentLimit => (FailureKind::TooManyInstruments, Some(INSTRUMENTS_FIX)),
        R::TooManyConnections => (
            FailureKind::Throttled,
            Some("another program holds this Dhan account's feed sockets (max 5): stop it"),
        ),
        R::DataPlanInactive => (
            FailureKind::NotEntitled,
            Some("activate the Data API plan on web.dhan.co; mandi keeps probing every upstream.fatal_retry_floor_ms (at most upstream.backoff_max_ms)"),
        ),
        R::TokenExpired | R::AuthFailed | R::TokenInvalid => (FailureKind::Auth, Some(TOKEN_FIX)),
        R::ClientIdInvalid => (FailureKind::Auth, Some(CLIENT_FIX)),
        R::InternalError | R::Other(_) => (FailureKind::Network, None),
    };
    let what = match reason {
        // The operator's question is "why no data", so say whose account it is.
        R::DataPlanInactive => "data APIs not subscribed on this Dhan account",
        R::InstrumentLimit => "too many instruments on one connection",
        other => other.description(),
    };
    // 805 is Dhan telling us to back off (more may get the account blocked): its wait
    // holds even past backoff_max_ms. Every other code waits within the cap.
    let broker_wait = match reason {
        R::TooManyConnections => BrokerWait::Unstated,
        _ => BrokerWait::None,
    };
    Failure {
        kind,
        reason: format!("dhan disconnect {code}: {what}"),
        fix,
        rest_refused: false,
        broker_wait,
    }
}

/// Dhan closed an open socket. It answers a bad token or a missing Data API plan with a
/// 101 and then an abrupt close (protocols.md A1), so a close soon after connecting,
/// before any data, carries that hint. It stays a network failure: the REST pre-flight
/// already vouched for the token, and the backoff grows anyway.
pub fn closed(detail: String, quiet_since_connect: Option<Duration>) -> Failure {
    if quiet_since_connect.is_some_and(|d| d < EARLY_CLOSE) {
        return Failure {
            kind: FailureKind::Network,
            reason: format!("{detail} right after connecting, before any data"),
            fix: Some(
                "check DHAN_ACCESS_TOKEN and that the Data API plan is active on web.dhan.co",
            ),
            rest_refused: false,
            broker_wait: BrokerWait::None,
        };
    }
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
            "client id or access token rejected",
            Some(TOKEN_FIX),
        ),
        // Seen in the field when the account had no Data API plan while REST worked. Not
        // a wait Dhan asked for: the throttled floor applies within backoff_max_ms, so the
        // socket is tried again soon after the account is fixed.
        400 => Failure::upgrade(
            broker,
            status,
            FailureKind::Throttled,
            "bad request",
            Some("usually the Data API plan is not active on this Dhan account"),
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
    fn only_805_is_a_wait_dhan_asked_for() {
        let cases = [
            (
                "805 too many connections",
                disconnect(805),
                BrokerWait::Unstated,
            ),
            (
                "804 too many instruments",
                disconnect(804),
                BrokerWait::None,
            ),
            ("806 no data plan", disconnect(806), BrokerWait::None),
            ("807 token expired", disconnect(807), BrokerWait::None),
            ("upgrade 400", upgrade_rejected(400), BrokerWait::None),
            ("upgrade 429", upgrade_rejected(429), BrokerWait::Unstated),
            ("upgrade 403", upgrade_rejected(403), BrokerWait::None),
        ];
        for (name, failure, wait) in cases {
            assert_eq!(failure.broker_wait, wait, "{name}");
        }
    }

    #[test]
    fn classification_cases() {
        let cases = [
            TestCase {
                name: "807 expired",
                failure: disconnect(807),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "dhan disconnect 807: access token is expired",
            },
            TestCase {
                name: "808 auth",
                failure: disconnect(808),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "808",
            },
            TestCase {
                name: "809 auth",
                failure: disconnect(809),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "invalid",
            },
            TestCase {
                name: "810 client id",
                failure: disconnect(810),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "client id",
            },
            TestCase {
                name: "804 too many instruments, not throttling",
                failure: disconnect(804),
                kind: FailureKind::TooManyInstruments,
                state: FeedState::Reconnecting,
                reason_has: "dhan disconnect 804: too many instruments on one connection",
            },
            TestCase {
                name: "805 too many",
                failure: disconnect(805),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "too many requests or connections",
            },
            TestCase {
                name: "806 no data plan",
                failure: disconnect(806),
                kind: FailureKind::NotEntitled,
                state: FeedState::Stopped,
                reason_has: "data APIs not subscribed on this Dhan account",
            },
            TestCase {
                name: "800 retry",
                failure: disconnect(800),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "800",
            },
            TestCase {
                name: "unknown code retries",
                failure: disconnect(999),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "999",
            },
            TestCase {
                name: "upgrade 403",
                failure: upgrade_rejected(403),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "dhan websocket upgrade got HTTP 403",
            },
            TestCase {
                name: "400 hints at the plan",
                failure: upgrade_rejected(400),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 400",
            },
            TestCase {
                name: "502",
                failure: upgrade_rejected(502),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 502",
            },
            TestCase {
                name: "profile invalid",
                failure: token_rejected(TokenStatus::Invalid),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "dhan profile check: access token invalid",
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
            if c.kind != FailureKind::Network {
                assert!(
                    c.failure.fix.is_some(),
                    "{}: every non-network failure names a fix",
                    c.name
                );
            }
        }
    }

    #[test]
    fn early_close_hints_at_the_account() {
        let closed_after = |quiet| closed("upstream closed the socket".into(), quiet);
        let early = closed_after(Some(Duration::from_secs(1)));
        assert!(early.reason.contains("before any data") && early.fix.is_some());
        assert_eq!(early.kind, FailureKind::Network);
        let late = closed_after(Some(EARLY_CLOSE));
        assert_eq!(late, Failure::network("upstream closed the socket"));
        let had_data = closed_after(None);
        assert_eq!(had_data.fix, None);
    }
}
