//! Kite credentials and token checks (protocols.md B5, B7): the two environment
//! variables, the `GET /user/profile` pre-flight and its verdict, and when a token ends
//! (06:00 IST the next morning, by regulation).

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use mandi_domain::time::IST;
use mandi_protocol::kite::rest as kite_rest;

use crate::settings::Credentials;
use crate::upstream::verdict::{required_var, AuthError, TokenStatus};
use crate::upstream::ProfileRequest;

const CREDENTIALS_FIX: &str = "export KITE_API_KEY and KITE_ACCESS_TOKEN (log in through Kite Connect to get today's token), or run against the built-in simulator";

/// Kite's daily cut-off, IST.
const EXPIRY_IST: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(t) => t,
    None => panic!("invalid time literal"),
};

/// `KITE_API_KEY` and `KITE_ACCESS_TOKEN` through `lookup`.
pub fn credentials(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, AuthError> {
    Ok(Credentials::Kite {
        api_key: required_var(lookup, "KITE_API_KEY", CREDENTIALS_FIX)?,
        access_token: required_var(lookup, "KITE_ACCESS_TOKEN", CREDENTIALS_FIX)?,
    })
}

/// `GET {base}/user/profile` with `X-Kite-Version: 3` and `Authorization: token k:t`.
pub fn profile_request(base: &str, api_key: &str, access_token: &str) -> ProfileRequest {
    ProfileRequest {
        url: format!("{base}/user/profile"),
        headers: vec![
            ("x-kite-version", kite_rest::API_VERSION.to_owned()),
            (
                "authorization",
                kite_rest::authorization(api_key, access_token),
            ),
        ],
    }
}

/// The profile answer's verdict: a `TokenException` is how a daily session ends.
pub fn classify_profile(status: u16, body: &[u8]) -> TokenStatus {
    TokenStatus::from_profile(status, || {
        let text = String::from_utf8_lossy(body).to_ascii_lowercase();
        text.contains("tokenexception") || text.contains("expired")
    })
}

/// A token adopted at `adopted_at` ends at the first 06:00 IST strictly after it (it
/// cannot be older than the last 06:00).
pub fn token_expiry(adopted_at: DateTime<Utc>) -> DateTime<Utc> {
    let local = adopted_at.with_timezone(&IST);
    let today = local.date_naive().and_time(EXPIRY_IST);
    let candidate = if local.naive_local() < today {
        today
    } else {
        today + TimeDelta::days(1)
    };
    // IST has no daylight saving, so every wall-clock time maps to one instant.
    candidate
        .and_local_timezone(IST)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(adopted_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::fixtures::{check_env_cases, EnvCase};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn credentials_from_env_cases() {
        let complete = Credentials::Kite {
            api_key: "key".into(),
            access_token: "tok".into(),
        };
        let cases = [
            EnvCase {
                name: "complete",
                vars: &[("KITE_API_KEY", "key"), ("KITE_ACCESS_TOKEN", "tok")],
                want: Ok(complete),
            },
            EnvCase {
                name: "key missing",
                vars: &[("KITE_ACCESS_TOKEN", "tok")],
                want: Err("KITE_API_KEY"),
            },
        ];
        check_env_cases(credentials, cases);
    }

    #[test]
    fn profile_request_carries_the_session() {
        let req = profile_request("https://api.kite.trade", "key", "tok");
        assert_eq!(req.url, "https://api.kite.trade/user/profile");
        assert!(req.headers.contains(&("x-kite-version", "3".into())));
        assert!(req
            .headers
            .contains(&("authorization", "token key:tok".into())));
    }

    #[test]
    fn classify_profile_cases() {
        let cases = [
            (
                "token exception",
                403,
                r#"{"status":"error","message":"Incorrect `api_key` or `access_token`.","error_type":"TokenException"}"#,
                TokenStatus::Expired,
            ),
            (
                "permission",
                403,
                r#"{"error_type":"PermissionException"}"#,
                TokenStatus::Invalid,
            ),
            ("rate limited", 429, "", TokenStatus::Unknown),
        ];
        for (name, status, body, want) in cases {
            assert_eq!(classify_profile(status, body.as_bytes()), want, "{name}");
        }
    }

    #[test]
    fn tokens_end_at_the_next_six_am_ist() {
        let cases = [
            (
                "adopted mid-morning",
                "2026-11-20T09:00:00+05:30",
                "2026-11-21T06:00:00+05:30",
            ),
            (
                "adopted after midnight",
                "2026-11-21T02:00:00+05:30",
                "2026-11-21T06:00:00+05:30",
            ),
            (
                "adopted at the cut-off",
                "2026-11-21T06:00:00+05:30",
                "2026-11-22T06:00:00+05:30",
            ),
            (
                "late evening UTC is next day IST",
                "2026-11-20T20:00:00Z",
                "2026-11-21T06:00:00+05:30",
            ),
        ];
        for (name, at, want) in cases {
            assert_eq!(token_expiry(utc(at)), utc(want), "{name}");
        }
    }
}
