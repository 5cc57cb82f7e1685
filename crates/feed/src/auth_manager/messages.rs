//! Messages the auth manager answers: credentials for the feed, the pre-flight token
//! check, auth-failure reports from the socket, and a token hot-swap.

use actix::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::state::{AuthError, TokenStatus};
use crate::settings::Credentials;

/// Query: the credentials to connect with right now (a hot-swapped token included).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Credentials")]
pub struct GetCredentials;

/// Query: check the token against the broker's REST profile endpoint before opening a
/// socket. A network failure answers `Ok(TokenStatus::Unknown)`, not an error: only the
/// broker saying "no" is an auth failure.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Result<TokenStatus, AuthError>")]
pub struct ValidateToken;

/// Feed → auth: the broker rejected the credentials on the socket (HTTP 403 on the
/// upgrade, Dhan disconnect 807–810). `reason` is operator-facing and never holds a token.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct ReportAuthFailure {
    pub reason: String,
}

/// Replace the credentials (a new daily token). The feed picks them up on its next
/// connect, because it asks for credentials before every attempt.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct SetCredentials {
    pub credentials: Credentials,
}

/// Check new credentials against the broker's profile endpoint and adopt them unless the
/// broker refuses them (a network failure adopts them: the socket attempt is the next test).
/// Answers with the verdict; the old credentials stay when it is a refusal.
#[derive(Message, Clone)]
#[rtype(result = "Result<TokenStatus, AuthError>")]
pub struct ReplaceCredentials {
    pub credentials: Credentials,
}

/// Query: what the auth manager knows, for `/health`.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "AuthStatus")]
pub struct GetAuthStatus;

/// The token's last known state. Never carries the token itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthStatus {
    pub broker: &'static str,
    pub token: TokenStatus,
    /// Auth failures since the last `Valid` check or credential swap; the trigger for a
    /// REST fallback after a few in a row.
    pub consecutive_failures: u32,
    pub last_failure: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// When the token stops working by the broker's rule (Kite 06:00 IST; Dhan JWT `exp`).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Tell these followers (the feed) to reconnect whenever a new token is adopted, from
/// `POST /api/auth/token` or the credentials file alike.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct NotifyOnNewToken {
    pub follower: actix::Recipient<TokenAdopted>,
}

/// Auth → followers: a new token was adopted; whatever uses the old one should start
/// again with it (the feed reconnects).
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct TokenAdopted {
    pub reason: String,
}

/// The scheduled pre-market check (08:50 IST): ask the broker about the token now and
/// log one line with the verdict and, if it is bad, the fix.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct CheckTokenNow;
