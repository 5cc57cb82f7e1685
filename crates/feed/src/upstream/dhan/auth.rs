//! Dhan credentials and token checks (protocols.md A5, A7): the two environment
//! variables, the `GET /v2/profile` pre-flight and its verdict, and when a token ends
//! (its JWT `exp` claim).

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::settings::Credentials;
use crate::upstream::verdict::{required_var, AuthError, TokenStatus};
use crate::upstream::ProfileRequest;

const CREDENTIALS_FIX: &str = "export DHAN_CLIENT_ID and DHAN_ACCESS_TOKEN (generate the token on web.dhan.co), or run against the built-in simulator";

/// `DHAN_CLIENT_ID` and `DHAN_ACCESS_TOKEN` through `lookup`.
pub fn credentials(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, AuthError> {
    Ok(Credentials::Dhan {
        client_id: required_var(lookup, "DHAN_CLIENT_ID", CREDENTIALS_FIX)?,
        access_token: required_var(lookup, "DHAN_ACCESS_TOKEN", CREDENTIALS_FIX)?,
    })
}

/// `GET {base}/v2/profile` with `access-token` and `client-id`.
pub fn profile_request(base: &str, client_id: &str, access_token: &str) -> ProfileRequest {
    ProfileRequest {
        url: format!("{base}/v2/profile"),
        headers: vec![
            ("access-token", access_token.to_owned()),
            ("client-id", client_id.to_owned()),
            ("accept", "application/json".to_owned()),
        ],
    }
}

/// The profile answer's verdict: Dhan names expiry in its error message.
pub fn classify_profile(status: u16, body: &[u8]) -> TokenStatus {
    TokenStatus::from_profile(status, || {
        String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains("expired")
    })
}

/// The `exp` claim (seconds since the epoch) of the JWT access token, read without
/// verifying it: it only serves to warn before Dhan refuses the token, never to trust it.
pub fn token_expiry(access_token: &str) -> Option<DateTime<Utc>> {
    let payload = access_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::fixtures::{check_env_cases, EnvCase};

    #[test]
    fn credentials_from_env_cases() {
        let complete = Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt.a.b".into(),
        };
        let cases = [
            EnvCase {
                name: "complete",
                vars: &[
                    ("DHAN_CLIENT_ID", "1000000001"),
                    ("DHAN_ACCESS_TOKEN", "jwt.a.b"),
                ],
                want: Ok(complete),
            },
            EnvCase {
                name: "token missing",
                vars: &[("DHAN_CLIENT_ID", "1000000001")],
                want: Err("DHAN_ACCESS_TOKEN"),
            },
            EnvCase {
                name: "id empty counts as missing",
                vars: &[("DHAN_CLIENT_ID", "  "), ("DHAN_ACCESS_TOKEN", "x")],
                want: Err("DHAN_CLIENT_ID"),
            },
        ];
        check_env_cases(credentials, cases);
    }

    #[test]
    fn profile_request_carries_both_ids() {
        let req = profile_request("https://api.dhan.co", "1000000001", "jwt.a.b");
        assert_eq!(req.url, "https://api.dhan.co/v2/profile");
        assert!(req.headers.contains(&("access-token", "jwt.a.b".into())));
        assert!(req.headers.contains(&("client-id", "1000000001".into())));
    }

    #[test]
    fn classify_profile_cases() {
        let cases = [
            ("ok", 200, "{}", TokenStatus::Valid),
            (
                "expired",
                401,
                r#"{"errorType":"Invalid_Authentication","errorCode":"DH-901","errorMessage":"Access token is expired"}"#,
                TokenStatus::Expired,
            ),
            (
                "invalid",
                401,
                r#"{"errorCode":"DH-901","errorMessage":"Client ID or user generated access token is invalid"}"#,
                TokenStatus::Invalid,
            ),
            ("server error", 503, "", TokenStatus::Unknown),
        ];
        for (name, status, body, want) in cases {
            assert_eq!(classify_profile(status, body.as_bytes()), want, "{name}");
        }
    }

    #[test]
    fn expiry_comes_from_the_jwt_exp_claim() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"dhan","exp":1795000000,"dhanClientId":"1"}"#);
        let token = format!("eyJhbGciOiJIUzUxMiJ9.{payload}.sig");
        let cases = [
            (
                "a JWT",
                token.as_str(),
                DateTime::from_timestamp(1_795_000_000, 0),
            ),
            ("not a JWT", "not-a-jwt", None),
            ("payload not base64", "a.%%%.c", None),
        ];
        for (name, token, want) in cases {
            assert_eq!(token_expiry(token), want, "{name}");
        }
    }
}
