//! Why the upstream went away, classified once so the actor never string-matches an
//! error: which state the feed shows, the least time before the next attempt, whether
//! the token is to blame, and the one-line fix for the operator.

use std::time::Duration;

use mandi_protocol::dhan::DhanDisconnectReason;

use super::messages::FeedState;
use crate::auth_manager::TokenStatus;
use crate::settings::Broker;

/// The broker refused the credentials: retrying sooner cannot help and looks like a
/// storm from their side (the Kite 403 console spam).
pub const AUTH_RETRY_FLOOR: Duration = Duration::from_secs(60);
/// The broker is limiting us (Dhan 805, HTTP 429): give the other connection time to go.
pub const THROTTLED_RETRY_FLOOR: Duration = Duration::from_secs(120);
/// The account cannot use the feed (Dhan 806) or our config cannot work: keep probing
/// rarely so the feed comes back by itself once a human fixes the account.
pub const FATAL_RETRY_FLOOR: Duration = Duration::from_secs(600);

/// A close this soon after the upgrade, with no data yet, hints at the account.
pub const EARLY_CLOSE: Duration = Duration::from_secs(10);

/// The classes of failure; each maps to a state and a retry floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Refused, reset, closed, timed out, idle: plain exponential backoff.
    Network,
    /// The broker rejected the credentials (HTTP 401/403, Dhan 807–810, profile check).
    Auth,
    /// The broker is limiting us (Dhan 805, 804, HTTP 429, Dhan HTTP 400).
    Throttled,
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
            FailureKind::Network | FailureKind::Throttled if never_live => FeedState::Connecting,
            FailureKind::Network | FailureKind::Throttled => FeedState::Reconnecting,
            FailureKind::Auth => FeedState::LoginRequired,
            FailureKind::NotEntitled | FailureKind::Config => FeedState::Stopped,
        }
    }

    /// The least time before the next attempt, whatever the backoff says.
    pub fn retry_floor(self) -> Duration {
        match self {
            FailureKind::Network => Duration::ZERO,
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

const DHAN_TOKEN_FIX: &str =
    "generate a new access token on web.dhan.co and POST it to /api/auth/token (no restart needed)";
const DHAN_CLIENT_FIX: &str = "check DHAN_CLIENT_ID against the token's account";
const KITE_TOKEN_FIX: &str =
    "log in through Kite Connect for today's access token and POST it to /api/auth/token (tokens expire at 06:00 IST; no restart needed)";

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

    /// A Dhan code-50 disconnect packet. The protocol crate names the code; what to
    /// do about it (state, floor, fix) is runtime policy and lives here.
    pub fn dhan_disconnect(code: u16) -> Failure {
        use DhanDisconnectReason as R;
        let reason = R::from_code(code);
        let (kind, fix) = match reason {
            R::InstrumentLimit => (
                FailureKind::Throttled,
                Some("subscribe at most 5000 instruments per connection"),
            ),
            R::TooManyConnections => (
                FailureKind::Throttled,
                Some("another program holds this Dhan account's feed sockets (max 5): stop it"),
            ),
            R::DataPlanInactive => (
                FailureKind::NotEntitled,
                Some("activate the Data API plan on web.dhan.co; mandi retries every 10 minutes"),
            ),
            R::TokenExpired | R::AuthFailed | R::TokenInvalid => {
                (FailureKind::Auth, Some(DHAN_TOKEN_FIX))
            }
            R::ClientIdInvalid => (FailureKind::Auth, Some(DHAN_CLIENT_FIX)),
            R::InternalError | R::Other(_) => (FailureKind::Network, None),
        };
        let what = match reason {
            // The operator's question is "why no data", so say whose account it is.
            R::DataPlanInactive => "data APIs not subscribed on this Dhan account",
            other => other.description(),
        };
        Failure {
            kind,
            reason: format!("dhan disconnect {code}: {what}"),
            fix,
            rest_refused: false,
        }
    }

    /// The broker closed an open socket. Dhan answers a bad token or a missing Data API
    /// plan with a 101 and then an abrupt close (protocols.md A1), so a close soon after
    /// connecting, before any data, carries that hint. It stays a network failure: the
    /// REST pre-flight already vouched for the token, and the backoff grows anyway.
    pub fn closed(
        broker: Broker,
        detail: impl Into<String>,
        quiet_since_connect: Option<Duration>,
    ) -> Failure {
        let detail = detail.into();
        let early = quiet_since_connect.is_some_and(|d| d < EARLY_CLOSE);
        if broker == Broker::Dhan && early {
            return Failure {
                kind: FailureKind::Network,
                reason: format!("{detail} right after connecting, before any data"),
                fix: Some(
                    "check DHAN_ACCESS_TOKEN and that the Data API plan is active on web.dhan.co",
                ),
                rest_refused: false,
            };
        }
        Failure::network(detail)
    }

    /// The WebSocket upgrade answered with a non-101 HTTP status.
    pub fn upgrade_rejected(broker: Broker, status: u16) -> Failure {
        let b = broker.as_str();
        let (kind, what, fix) = match (broker, status) {
            (Broker::Kite, 401 | 403) => (
                FailureKind::Auth,
                "api key or access token rejected",
                Some(KITE_TOKEN_FIX),
            ),
            (Broker::Dhan, 401 | 403) => (
                FailureKind::Auth,
                "client id or access token rejected",
                Some(DHAN_TOKEN_FIX),
            ),
            (_, 429) => (
                FailureKind::Throttled,
                "too many connections or requests",
                Some("another program may be using this account's feed connections"),
            ),
            // Seen in the field when the account had no Data API plan while REST worked.
            (Broker::Dhan, 400) => (
                FailureKind::Throttled,
                "bad request",
                Some("usually the Data API plan is not active on this Dhan account"),
            ),
            _ => (FailureKind::Network, "upgrade refused", None),
        };
        Failure {
            kind,
            reason: format!("{b} websocket upgrade got HTTP {status}: {what}"),
            fix,
            rest_refused: false,
        }
    }

    /// The pre-flight REST profile check refused the token.
    pub fn token_rejected(broker: Broker, status: TokenStatus) -> Failure {
        Failure {
            kind: FailureKind::Auth,
            reason: format!(
                "{} profile check: access token {}",
                broker.as_str(),
                status.as_str()
            ),
            fix: Some(match broker {
                Broker::Dhan => DHAN_TOKEN_FIX,
                Broker::Kite => KITE_TOKEN_FIX,
            }),
            rest_refused: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                name: "807 expired",
                failure: Failure::dhan_disconnect(807),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "dhan disconnect 807: access token is expired",
            },
            TestCase {
                name: "808 auth",
                failure: Failure::dhan_disconnect(808),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "808",
            },
            TestCase {
                name: "809 auth",
                failure: Failure::dhan_disconnect(809),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "invalid",
            },
            TestCase {
                name: "810 client id",
                failure: Failure::dhan_disconnect(810),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "client id",
            },
            TestCase {
                name: "805 too many",
                failure: Failure::dhan_disconnect(805),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "too many requests or connections",
            },
            TestCase {
                name: "806 no data plan",
                failure: Failure::dhan_disconnect(806),
                kind: FailureKind::NotEntitled,
                state: FeedState::Stopped,
                reason_has: "data APIs not subscribed on this Dhan account",
            },
            TestCase {
                name: "800 retry",
                failure: Failure::dhan_disconnect(800),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "800",
            },
            TestCase {
                name: "unknown code retries",
                failure: Failure::dhan_disconnect(999),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "999",
            },
            TestCase {
                name: "kite 403",
                failure: Failure::upgrade_rejected(Broker::Kite, 403),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "HTTP 403",
            },
            TestCase {
                name: "429",
                failure: Failure::upgrade_rejected(Broker::Kite, 429),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 429",
            },
            TestCase {
                name: "dhan 400 hints at the plan",
                failure: Failure::upgrade_rejected(Broker::Dhan, 400),
                kind: FailureKind::Throttled,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 400",
            },
            TestCase {
                name: "502",
                failure: Failure::upgrade_rejected(Broker::Dhan, 502),
                kind: FailureKind::Network,
                state: FeedState::Reconnecting,
                reason_has: "HTTP 502",
            },
            TestCase {
                name: "profile expired",
                failure: Failure::token_rejected(Broker::Kite, TokenStatus::Expired),
                kind: FailureKind::Auth,
                state: FeedState::LoginRequired,
                reason_has: "token expired",
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
    fn floors_and_first_connect_state() {
        assert!(FailureKind::Auth.retry_floor() >= Duration::from_secs(60));
        assert!(FailureKind::Throttled.retry_floor() >= Duration::from_secs(60));
        assert_eq!(FailureKind::Network.retry_floor(), Duration::ZERO);
        assert_eq!(FailureKind::Network.state(true), FeedState::Connecting);
        assert_eq!(FailureKind::Auth.state(true), FeedState::LoginRequired);
        assert!(FailureKind::NotEntitled.is_fatal() && !FailureKind::Auth.is_fatal());
    }

    #[test]
    fn early_dhan_close_hints_at_the_account() {
        let early = Failure::closed(
            Broker::Dhan,
            "upstream closed the socket",
            Some(Duration::from_secs(1)),
        );
        assert!(early.reason.contains("before any data") && early.fix.is_some());
        assert_eq!(early.kind, FailureKind::Network);
        let late = Failure::closed(
            Broker::Dhan,
            "upstream closed the socket",
            Some(EARLY_CLOSE),
        );
        assert_eq!(late, Failure::network("upstream closed the socket"));
        let had_data = Failure::closed(Broker::Dhan, "upstream closed the socket", None);
        assert_eq!(had_data.fix, None);
        let kite = Failure::closed(Broker::Kite, "x", Some(Duration::ZERO));
        assert_eq!(kite.fix, None);
    }
}
