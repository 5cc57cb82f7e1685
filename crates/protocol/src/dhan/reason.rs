//! Meaning and classification of Dhan disconnect reason codes (annexure numbering, which
//! protocols.md prefers over the official client's inconsistent 808/809 texts).

use std::fmt;

use super::packet::{DhanDisconnect, DhanDisconnectReason};

impl DhanDisconnectReason {
    /// The reason for a wire code; unknown codes are kept as `Other`.
    pub fn from_code(code: u16) -> Self {
        match code {
            800 => DhanDisconnectReason::InternalError,
            804 => DhanDisconnectReason::InstrumentLimit,
            805 => DhanDisconnectReason::TooManyConnections,
            806 => DhanDisconnectReason::DataPlanInactive,
            807 => DhanDisconnectReason::TokenExpired,
            808 => DhanDisconnectReason::AuthFailed,
            809 => DhanDisconnectReason::TokenInvalid,
            810 => DhanDisconnectReason::ClientIdInvalid,
            other => DhanDisconnectReason::Other(other),
        }
    }

    /// The wire code (inverse of `from_code`).
    pub fn code(self) -> u16 {
        match self {
            DhanDisconnectReason::InternalError => 800,
            DhanDisconnectReason::InstrumentLimit => 804,
            DhanDisconnectReason::TooManyConnections => 805,
            DhanDisconnectReason::DataPlanInactive => 806,
            DhanDisconnectReason::TokenExpired => 807,
            DhanDisconnectReason::AuthFailed => 808,
            DhanDisconnectReason::TokenInvalid => 809,
            DhanDisconnectReason::ClientIdInvalid => 810,
            DhanDisconnectReason::Other(code) => code,
        }
    }

    /// The annexure's meaning, for logs and the status page.
    pub fn description(self) -> &'static str {
        match self {
            DhanDisconnectReason::InternalError => "internal server error",
            DhanDisconnectReason::InstrumentLimit => {
                "requested number of instruments exceeds limit"
            }
            DhanDisconnectReason::TooManyConnections => "too many requests or connections",
            DhanDisconnectReason::DataPlanInactive => "data APIs not subscribed",
            DhanDisconnectReason::TokenExpired => "access token is expired",
            DhanDisconnectReason::AuthFailed => {
                "authentication failed: client id or access token invalid"
            }
            DhanDisconnectReason::TokenInvalid => "access token is invalid",
            DhanDisconnectReason::ClientIdInvalid => "client id is invalid",
            DhanDisconnectReason::Other(_) => "unknown disconnect reason",
        }
    }

    /// 807..=810: the credentials are bad; the runtime must re-authenticate, not just
    /// reconnect.
    pub fn is_auth(self) -> bool {
        matches!(
            self,
            DhanDisconnectReason::TokenExpired
                | DhanDisconnectReason::AuthFailed
                | DhanDisconnectReason::TokenInvalid
                | DhanDisconnectReason::ClientIdInvalid
        )
    }

    /// Reconnecting with the same credentials and account cannot succeed: an auth failure
    /// or a missing data plan (806). Everything else is worth a backed-off retry.
    pub fn is_fatal(self) -> bool {
        self.is_auth() || self == DhanDisconnectReason::DataPlanInactive
    }
}

impl From<u16> for DhanDisconnectReason {
    fn from(code: u16) -> Self {
        DhanDisconnectReason::from_code(code)
    }
}

impl fmt::Display for DhanDisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

impl DhanDisconnect {
    /// The classified reason behind the raw `reason` code.
    pub fn reason_kind(&self) -> DhanDisconnectReason {
        DhanDisconnectReason::from_code(self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        code: u16,
        reason: DhanDisconnectReason,
        is_auth: bool,
        is_fatal: bool,
    }

    #[test]
    fn annexure_codes_classify() {
        use DhanDisconnectReason::*;
        let cases = [
            TestCase {
                code: 800,
                reason: InternalError,
                is_auth: false,
                is_fatal: false,
            },
            TestCase {
                code: 804,
                reason: InstrumentLimit,
                is_auth: false,
                is_fatal: false,
            },
            TestCase {
                code: 805,
                reason: TooManyConnections,
                is_auth: false,
                is_fatal: false,
            },
            TestCase {
                code: 806,
                reason: DataPlanInactive,
                is_auth: false,
                is_fatal: true,
            },
            TestCase {
                code: 807,
                reason: TokenExpired,
                is_auth: true,
                is_fatal: true,
            },
            TestCase {
                code: 808,
                reason: AuthFailed,
                is_auth: true,
                is_fatal: true,
            },
            TestCase {
                code: 809,
                reason: TokenInvalid,
                is_auth: true,
                is_fatal: true,
            },
            TestCase {
                code: 810,
                reason: ClientIdInvalid,
                is_auth: true,
                is_fatal: true,
            },
            TestCase {
                code: 811,
                reason: Other(811),
                is_auth: false,
                is_fatal: false,
            },
            TestCase {
                code: 0,
                reason: Other(0),
                is_auth: false,
                is_fatal: false,
            },
        ];
        for case in cases {
            let got = DhanDisconnectReason::from_code(case.code);
            assert_eq!(got, case.reason, "code {}", case.code);
            assert_eq!(got.code(), case.code, "code {} round trip", case.code);
            assert_eq!(got.is_auth(), case.is_auth, "code {} is_auth", case.code);
            assert_eq!(got.is_fatal(), case.is_fatal, "code {} is_fatal", case.code);
            assert!(
                !got.description().is_empty(),
                "code {} description",
                case.code
            );
        }
    }

    #[test]
    fn display_names_code_and_meaning() {
        let text = DhanDisconnectReason::from(807).to_string();
        assert_eq!(text, "access token is expired (807)");
    }
}
