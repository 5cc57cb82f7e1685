//! What the broker says about credentials, in the feed's own terms: the token's status
//! from a profile check, and why credentials could not be read. Below the actors that use
//! them (the auth manager, the feed), so each broker's module can produce them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What the broker's REST profile endpoint says about the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Valid,
    Expired,
    Invalid,
    /// Not checked yet, or the check could not reach a verdict (network, 5xx, 429).
    Unknown,
}

impl TokenStatus {
    /// Whether the broker positively refused the token (the feed must not connect).
    pub fn is_rejected(self) -> bool {
        matches!(self, TokenStatus::Expired | TokenStatus::Invalid)
    }

    /// The verdict of a profile answer with HTTP `status`. Only 401/403 blame the token;
    /// 429 and 5xx say nothing about it. `expired` reads the body, in the broker's terms,
    /// only when the token is blamed.
    pub fn from_profile(status: u16, expired: impl FnOnce() -> bool) -> TokenStatus {
        match status {
            200..=299 => TokenStatus::Valid,
            401 | 403 => {
                if expired() {
                    TokenStatus::Expired
                } else {
                    TokenStatus::Invalid
                }
            }
            _ => TokenStatus::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Valid => "valid",
            TokenStatus::Expired => "expired",
            TokenStatus::Invalid => "invalid",
            TokenStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    #[error("{var} is not set: {fix}")]
    MissingVariable {
        var: &'static str,
        fix: &'static str,
    },
    #[error("credentials are for {credentials} but the upstream broker is {upstream}: set the credentials of the configured broker")]
    BrokerMismatch {
        credentials: &'static str,
        upstream: &'static str,
    },
    #[error("invalid REST url {url:?}: {reason}")]
    InvalidRestUrl { url: String, reason: String },
}

/// One credential variable: trimmed, and an empty one counts as missing (`fix` says how
/// to set it).
pub fn required_var(
    lookup: &dyn Fn(&str) -> Option<String>,
    var: &'static str,
    fix: &'static str,
) -> Result<String, AuthError> {
    lookup(var)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or(AuthError::MissingVariable { var, fix })
}
