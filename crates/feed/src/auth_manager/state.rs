//! Credentials and token validity, without IO: reading credentials from the
//! environment, building the broker's profile request, and classifying its answer.

use chrono::{DateTime, Utc};
use mandi_protocol::kite::rest as kite_rest;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::messages::AuthStatus;
use crate::settings::{Broker, Credentials};

/// Cap on the profile response body we read; the real one is well under 1 KB.
pub const PROFILE_BODY_LIMIT_BYTES: usize = 64 * 1024;

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

const DHAN_FIX: &str = "export DHAN_CLIENT_ID and DHAN_ACCESS_TOKEN (generate the token on web.dhan.co), or run against the built-in simulator";
const KITE_FIX: &str = "export KITE_API_KEY and KITE_ACCESS_TOKEN (log in through Kite Connect to get today's token), or run against the built-in simulator";

/// Credentials for `broker` from `DHAN_CLIENT_ID`/`DHAN_ACCESS_TOKEN` or
/// `KITE_API_KEY`/`KITE_ACCESS_TOKEN`. An empty variable counts as missing.
pub fn credentials_from_env(broker: Broker) -> Result<Credentials, AuthError> {
    credentials_from(broker, |var| std::env::var(var).ok())
}

/// [`credentials_from_env`] over any lookup, so tests need not touch the process env.
pub fn credentials_from(
    broker: Broker,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, AuthError> {
    let get = |var: &'static str, fix: &'static str| {
        lookup(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(AuthError::MissingVariable { var, fix })
    };
    match broker {
        Broker::Dhan => Ok(Credentials::Dhan {
            client_id: get("DHAN_CLIENT_ID", DHAN_FIX)?,
            access_token: get("DHAN_ACCESS_TOKEN", DHAN_FIX)?,
        }),
        Broker::Kite => Ok(Credentials::Kite {
            api_key: get("KITE_API_KEY", KITE_FIX)?,
            access_token: get("KITE_ACCESS_TOKEN", KITE_FIX)?,
        }),
    }
}

/// Credentials from a `KEY=VALUE` file (the same variable names as the environment;
/// `#` comments, blank lines, an `export ` prefix and surrounding quotes are allowed).
pub fn credentials_from_text(broker: Broker, text: &str) -> Result<Credentials, AuthError> {
    let pairs: std::collections::HashMap<String, String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim().trim_matches('"').trim_matches('\'');
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect();
    credentials_from(broker, |var| pairs.get(var).cloned())
}

/// Which broker a set of credentials belongs to.
pub fn credentials_broker(credentials: &Credentials) -> Broker {
    match credentials {
        Credentials::Dhan { .. } => Broker::Dhan,
        Credentials::Kite { .. } => Broker::Kite,
    }
}

/// A ready-to-send profile request. No `Debug`: the headers hold the token.
pub struct ProfileRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Dhan `GET {rest_url}/v2/profile` with `access-token` and `client-id`; Kite
/// `GET {rest_url}/user/profile` with `X-Kite-Version: 3` and `Authorization: token k:t`.
pub fn profile_request(
    credentials: &Credentials,
    upstream: Broker,
    rest_url: &str,
) -> Result<ProfileRequest, AuthError> {
    let broker = credentials_broker(credentials);
    if broker != upstream {
        return Err(AuthError::BrokerMismatch {
            credentials: broker.as_str(),
            upstream: upstream.as_str(),
        });
    }
    let base = rest_url.trim_end_matches('/');
    if let Err(e) = url::Url::parse(base) {
        return Err(AuthError::InvalidRestUrl {
            url: rest_url.to_owned(),
            reason: e.to_string(),
        });
    }
    Ok(match credentials {
        Credentials::Dhan {
            client_id,
            access_token,
        } => ProfileRequest {
            url: format!("{base}/v2/profile"),
            headers: vec![
                ("access-token", access_token.clone()),
                ("client-id", client_id.clone()),
                ("accept", "application/json".to_owned()),
            ],
        },
        Credentials::Kite {
            api_key,
            access_token,
        } => ProfileRequest {
            url: format!("{base}/user/profile"),
            headers: vec![
                ("x-kite-version", kite_rest::API_VERSION.to_owned()),
                (
                    "authorization",
                    kite_rest::authorization(api_key, access_token),
                ),
            ],
        },
    })
}

/// Map the profile endpoint's answer to a verdict. Only 401/403 blame the token;
/// 429 and 5xx say nothing about it. "Expired" when the broker says so: Kite's
/// `TokenException` is how a daily session ends, Dhan names expiry in its message.
pub fn classify_profile(broker: Broker, status: u16, body: &[u8]) -> TokenStatus {
    match status {
        200..=299 => TokenStatus::Valid,
        401 | 403 => {
            let text = String::from_utf8_lossy(body).to_ascii_lowercase();
            let expired = match broker {
                Broker::Kite => text.contains("tokenexception") || text.contains("expired"),
                Broker::Dhan => text.contains("expired"),
            };
            if expired {
                TokenStatus::Expired
            } else {
                TokenStatus::Invalid
            }
        }
        _ => TokenStatus::Unknown,
    }
}

/// The auth manager's memory: current credentials and what the broker last said.
pub struct AuthState {
    credentials: Credentials,
    /// When the current token stops working by the broker's rule, if known.
    expires_at: Option<DateTime<Utc>>,
    token: TokenStatus,
    consecutive_failures: u32,
    last_failure: Option<String>,
    checked_at: Option<DateTime<Utc>>,
}

impl AuthState {
    pub fn new(credentials: Credentials, now: DateTime<Utc>) -> AuthState {
        AuthState {
            expires_at: super::expiry::token_expiry(&credentials, now),
            credentials,
            token: TokenStatus::Unknown,
            consecutive_failures: 0,
            last_failure: None,
            checked_at: None,
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// A fresh token starts with a clean slate: old failures were about the old one.
    pub fn set_credentials(&mut self, credentials: Credentials, now: DateTime<Utc>) {
        self.expires_at = super::expiry::token_expiry(&credentials, now);
        self.credentials = credentials;
        self.token = TokenStatus::Unknown;
        self.consecutive_failures = 0;
        self.last_failure = None;
        self.checked_at = None;
    }

    /// Record a profile check. `Unknown` keeps the previous verdict: a network blip
    /// proves nothing about the token.
    pub fn record_check(&mut self, status: TokenStatus, at: DateTime<Utc>) {
        self.checked_at = Some(at);
        match status {
            TokenStatus::Valid => {
                // The broker accepting a token past its computed expiry outranks the rule
                // (a simulator, a longer-lived token): forget the expiry, warn no more.
                if self.expires_at.is_some_and(|e| at >= e) {
                    self.expires_at = None;
                }
                self.token = TokenStatus::Valid;
                self.consecutive_failures = 0;
                self.last_failure = None;
            }
            TokenStatus::Expired | TokenStatus::Invalid => {
                self.token = status;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.last_failure = Some(format!("profile check: token {}", status.as_str()));
            }
            TokenStatus::Unknown => {}
        }
    }

    /// The socket refused the credentials. The token is suspect until a check says
    /// otherwise.
    pub fn record_failure(&mut self, reason: String) {
        if self.token != TokenStatus::Expired {
            self.token = TokenStatus::Invalid;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_failure = Some(reason);
    }

    pub fn status(&self) -> AuthStatus {
        AuthStatus {
            broker: credentials_broker(&self.credentials).as_str(),
            token: self.token,
            consecutive_failures: self.consecutive_failures,
            last_failure: self.last_failure.clone(),
            checked_at: self.checked_at,
            expires_at: self.expires_at,
        }
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// The broker's rule says the token has ended: mark it so until a new one arrives.
    /// Returns true the first time (the moment to warn).
    pub fn expiry_passed(&mut self, now: DateTime<Utc>) -> bool {
        let due = self.expires_at.is_some_and(|at| now >= at);
        if due && self.token != TokenStatus::Expired {
            self.token = TokenStatus::Expired;
            self.last_failure = Some("token passed its expiry time".into());
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn dhan() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt.a.b".into(),
        }
    }

    fn kite() -> Credentials {
        Credentials::Kite {
            api_key: "key".into(),
            access_token: "tok".into(),
        }
    }

    struct EnvCase {
        name: &'static str,
        broker: Broker,
        vars: &'static [(&'static str, &'static str)],
        want: Result<Credentials, &'static str>,
    }

    #[test]
    fn credentials_from_env_cases() {
        let cases = [
            EnvCase {
                name: "dhan complete",
                broker: Broker::Dhan,
                vars: &[
                    ("DHAN_CLIENT_ID", "1000000001"),
                    ("DHAN_ACCESS_TOKEN", "jwt.a.b"),
                ],
                want: Ok(dhan()),
            },
            EnvCase {
                name: "dhan token missing",
                broker: Broker::Dhan,
                vars: &[("DHAN_CLIENT_ID", "1000000001")],
                want: Err("DHAN_ACCESS_TOKEN"),
            },
            EnvCase {
                name: "dhan id empty counts as missing",
                broker: Broker::Dhan,
                vars: &[("DHAN_CLIENT_ID", "  "), ("DHAN_ACCESS_TOKEN", "x")],
                want: Err("DHAN_CLIENT_ID"),
            },
            EnvCase {
                name: "kite complete",
                broker: Broker::Kite,
                vars: &[("KITE_API_KEY", "key"), ("KITE_ACCESS_TOKEN", "tok")],
                want: Ok(kite()),
            },
            EnvCase {
                name: "kite key missing",
                broker: Broker::Kite,
                vars: &[("KITE_ACCESS_TOKEN", "tok")],
                want: Err("KITE_API_KEY"),
            },
        ];
        for c in cases {
            let env: HashMap<&str, &str> = c.vars.iter().copied().collect();
            let got = credentials_from(c.broker, |k| env.get(k).map(|v| v.to_string()));
            match (got, c.want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{}", c.name),
                (Err(e), Err(var)) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(var), "{}: {msg}", c.name);
                    assert!(msg.contains("export"), "{}: names the fix: {msg}", c.name);
                }
                (got, want) => panic!("{}: got {got:?}, want {want:?}", c.name),
            }
        }
    }

    #[test]
    fn profile_requests_per_broker() {
        let req = profile_request(&dhan(), Broker::Dhan, "https://api.dhan.co/").expect("dhan");
        assert_eq!(req.url, "https://api.dhan.co/v2/profile");
        assert!(req.headers.contains(&("access-token", "jwt.a.b".into())));
        assert!(req.headers.contains(&("client-id", "1000000001".into())));

        let req = profile_request(&kite(), Broker::Kite, "https://api.kite.trade").expect("kite");
        assert_eq!(req.url, "https://api.kite.trade/user/profile");
        assert!(req.headers.contains(&("x-kite-version", "3".into())));
        assert!(req
            .headers
            .contains(&("authorization", "token key:tok".into())));

        assert!(matches!(
            profile_request(&kite(), Broker::Dhan, "https://api.dhan.co"),
            Err(AuthError::BrokerMismatch { .. })
        ));
        assert!(matches!(
            profile_request(&dhan(), Broker::Dhan, "not a url"),
            Err(AuthError::InvalidRestUrl { .. })
        ));
    }

    struct ClassifyCase {
        name: &'static str,
        broker: Broker,
        status: u16,
        body: &'static str,
        want: TokenStatus,
    }

    #[test]
    fn classify_profile_cases() {
        let cases = [
            ClassifyCase {
                name: "ok",
                broker: Broker::Dhan,
                status: 200,
                body: "{}",
                want: TokenStatus::Valid,
            },
            ClassifyCase {
                name: "kite token exception",
                broker: Broker::Kite,
                status: 403,
                body: r#"{"status":"error","message":"Incorrect `api_key` or `access_token`.","error_type":"TokenException"}"#,
                want: TokenStatus::Expired,
            },
            ClassifyCase {
                name: "kite permission",
                broker: Broker::Kite,
                status: 403,
                body: r#"{"error_type":"PermissionException"}"#,
                want: TokenStatus::Invalid,
            },
            ClassifyCase {
                name: "dhan expired",
                broker: Broker::Dhan,
                status: 401,
                body: r#"{"errorType":"Invalid_Authentication","errorCode":"DH-901","errorMessage":"Access token is expired"}"#,
                want: TokenStatus::Expired,
            },
            ClassifyCase {
                name: "dhan invalid",
                broker: Broker::Dhan,
                status: 401,
                body: r#"{"errorCode":"DH-901","errorMessage":"Client ID or user generated access token is invalid"}"#,
                want: TokenStatus::Invalid,
            },
            ClassifyCase {
                name: "rate limited",
                broker: Broker::Kite,
                status: 429,
                body: "",
                want: TokenStatus::Unknown,
            },
            ClassifyCase {
                name: "server error",
                broker: Broker::Dhan,
                status: 503,
                body: "",
                want: TokenStatus::Unknown,
            },
        ];
        for c in cases {
            assert_eq!(
                classify_profile(c.broker, c.status, c.body.as_bytes()),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn state_tracks_failures_and_resets_on_swap() {
        let at = DateTime::<Utc>::default();
        let mut s = AuthState::new(dhan(), Utc::now());
        s.record_check(TokenStatus::Unknown, at);
        assert_eq!(s.status().token, TokenStatus::Unknown);
        s.record_failure("dhan disconnect 807".into());
        s.record_check(TokenStatus::Expired, at);
        assert_eq!(s.status().consecutive_failures, 2);
        assert_eq!(s.status().token, TokenStatus::Expired);
        s.record_check(TokenStatus::Unknown, at);
        assert_eq!(
            s.status().token,
            TokenStatus::Expired,
            "a network blip proves nothing"
        );

        s.set_credentials(dhan(), Utc::now());
        assert_eq!(s.status().consecutive_failures, 0);
        assert_eq!(s.status().token, TokenStatus::Unknown);

        s.record_failure("x".into());
        s.record_check(TokenStatus::Valid, at);
        assert_eq!(s.status().consecutive_failures, 0);
        assert_eq!(s.status().last_failure, None);
    }

    #[test]
    fn expiry_warns_once_and_a_later_valid_check_outranks_the_rule() {
        let adopted = DateTime::parse_from_rfc3339("2026-11-20T09:00:00+05:30")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut s = AuthState::new(kite(), adopted);
        let expiry = s.expires_at().unwrap_or_default();
        assert!(!s.expiry_passed(expiry - chrono::TimeDelta::seconds(1)));
        assert!(
            s.expiry_passed(expiry),
            "the first moment past expiry warns"
        );
        assert!(
            !s.expiry_passed(expiry + chrono::TimeDelta::seconds(1)),
            "only once"
        );
        assert_eq!(s.status().token, TokenStatus::Expired);
        s.record_check(TokenStatus::Valid, expiry + chrono::TimeDelta::seconds(2));
        assert!(!s.expiry_passed(expiry + chrono::TimeDelta::seconds(3)));
        assert_eq!(s.status().token, TokenStatus::Valid);
    }
}
