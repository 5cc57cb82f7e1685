//! When a broker token stops working, by the broker's own rule: Kite access tokens end at
//! 06:00 IST the next morning (regulatory); Dhan tokens are JWTs whose `exp` claim says.

use base64::Engine;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use mandi_domain::time::IST;

use crate::settings::Credentials;

/// Kite's daily cut-off, IST.
const KITE_EXPIRY_IST: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(t) => t,
    None => panic!("invalid time literal"),
};

/// The instant `credentials` stop working, if the broker's rule says; `adopted_at` is
/// when the runtime got the token (a Kite token cannot be older than the last 06:00).
pub fn token_expiry(credentials: &Credentials, adopted_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match credentials {
        Credentials::Kite { .. } => Some(next_ist_cutoff(adopted_at)),
        Credentials::Dhan { access_token, .. } => jwt_exp(access_token),
    }
}

/// The first 06:00 IST strictly after `t`.
fn next_ist_cutoff(t: DateTime<Utc>) -> DateTime<Utc> {
    let local = t.with_timezone(&IST);
    let today = local.date_naive().and_time(KITE_EXPIRY_IST);
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
        .unwrap_or(t)
}

/// The `exp` claim (seconds since the epoch) of a JWT, without verifying it: we only
/// want to warn before the broker refuses it, never to trust it.
fn jwt_exp(token: &str) -> Option<DateTime<Utc>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn kite() -> Credentials {
        Credentials::Kite {
            api_key: "k".into(),
            access_token: "t".into(),
        }
    }

    fn dhan(token: &str) -> Credentials {
        Credentials::Dhan {
            client_id: "1".into(),
            access_token: token.into(),
        }
    }

    #[test]
    fn kite_tokens_end_at_the_next_six_am_ist() {
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
            assert_eq!(token_expiry(&kite(), utc(at)), Some(utc(want)), "{name}");
        }
    }

    #[test]
    fn dhan_expiry_comes_from_the_jwt_exp_claim() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"dhan","exp":1795000000,"dhanClientId":"1"}"#);
        let token = format!("eyJhbGciOiJIUzUxMiJ9.{payload}.sig");
        let want = DateTime::from_timestamp(1_795_000_000, 0);
        assert_eq!(token_expiry(&dhan(&token), Utc::now()), want);
        assert_eq!(token_expiry(&dhan("not-a-jwt"), Utc::now()), None);
        assert_eq!(token_expiry(&dhan("a.%%%.c"), Utc::now()), None);
    }
}
