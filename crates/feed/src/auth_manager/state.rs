//! Credentials and token validity, without IO: the rules for reading credentials, the
//! checks before a profile request, and what the auth manager remembers. Which variables,
//! which request and how to read its answer are each broker's (`upstream::<broker>::auth`).

use chrono::{DateTime, Utc};

use super::messages::AuthStatus;
use crate::settings::{Broker, Credentials};
pub use crate::upstream::verdict::{AuthError, TokenStatus};
use crate::upstream::{self, ProfileRequest};

/// Cap on the profile response body we read; the real one is well under 1 KB.
pub const PROFILE_BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Credentials for `broker` from its environment variables (`DHAN_CLIENT_ID`/
/// `DHAN_ACCESS_TOKEN` or `KITE_API_KEY`/`KITE_ACCESS_TOKEN`). An empty variable counts
/// as missing.
pub fn credentials_from_env(broker: Broker) -> Result<Credentials, AuthError> {
    credentials_from(broker, |var| std::env::var(var).ok())
}

/// [`credentials_from_env`] over any lookup, so tests need not touch the process env.
pub fn credentials_from(
    broker: Broker,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, AuthError> {
    upstream::credentials_from(broker, &lookup)
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
    credentials.broker()
}

/// The broker's profile request for `credentials` (Dhan `GET /v2/profile`, Kite
/// `GET /user/profile`), once the credentials are known to fit the upstream and the URL
/// to parse.
pub fn profile_request(
    credentials: &Credentials,
    upstream: Broker,
    rest_url: &str,
) -> Result<ProfileRequest, AuthError> {
    let broker = credentials.broker();
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
    Ok(upstream::profile_request(credentials, base))
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
            expires_at: upstream::token_expiry(&credentials, now),
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
        self.expires_at = upstream::token_expiry(&credentials, now);
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
            broker: self.credentials.broker().as_str(),
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

    #[test]
    fn credentials_come_from_the_brokers_variables() {
        let text = "# today's\nexport KITE_API_KEY=key\nKITE_ACCESS_TOKEN='tok'\nDHAN_CLIENT_ID=1000000001\n";
        let cases = [
            ("kite from a file", Broker::Kite, Ok(kite())),
            ("dhan token missing", Broker::Dhan, Err("DHAN_ACCESS_TOKEN")),
        ];
        for (name, broker, want) in cases {
            let got = credentials_from_text(broker, text);
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(e), Err(var)) => assert!(e.to_string().starts_with(var), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn profile_requests_check_broker_and_url_first() {
        let req = profile_request(&dhan(), Broker::Dhan, "https://api.dhan.co/").expect("dhan");
        assert_eq!(req.url, "https://api.dhan.co/v2/profile");
        let req = profile_request(&kite(), Broker::Kite, "https://api.kite.trade").expect("kite");
        assert_eq!(req.url, "https://api.kite.trade/user/profile");

        assert!(matches!(
            profile_request(&kite(), Broker::Dhan, "https://api.dhan.co"),
            Err(AuthError::BrokerMismatch { .. })
        ));
        assert!(matches!(
            profile_request(&dhan(), Broker::Dhan, "not a url"),
            Err(AuthError::InvalidRestUrl { .. })
        ));
    }

    #[test]
    fn only_401_and_403_blame_the_token() {
        let cases = [
            ("ok", 200, true, TokenStatus::Valid),
            ("refused, expired", 401, true, TokenStatus::Expired),
            ("refused", 403, false, TokenStatus::Invalid),
            ("rate limited", 429, true, TokenStatus::Unknown),
            ("server error", 503, true, TokenStatus::Unknown),
        ];
        for (name, status, expired, want) in cases {
            assert_eq!(
                TokenStatus::from_profile(status, || expired),
                want,
                "{name}"
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
