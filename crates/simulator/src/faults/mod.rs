//! Fault switches for tests and drills (`/admin/faults`): what they are, how a
//! request body becomes them, and the pure decisions they imply (is this token valid
//! at `now`, is this the message to corrupt). No actix and no clock here; the feed
//! sessions, the REST middleware and the [`driver::FaultDriver`] act on the answers.

pub mod driver;
pub mod rest;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use actix::Addr;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::lock;

/// The switches in force. Every field is optional; absent means "off". `POST` merges a
/// body into the current set, `DELETE` clears it. Zero, `false` and `""` are stored as
/// absent so `GET` shows only what is active.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Refuse every feed upgrade (both brokers) with this HTTP status (400–599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_upgrade_status: Option<u16>,
    /// Accept Dhan upgrades, then send a code-50 packet with this reason (805–809) and close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhan_disconnect_reason: Option<u16>,
    /// One-shot: cut every open feed connection now. Never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abrupt_close: Option<bool>,
    /// Keep connections open but send nothing: no ticks, heartbeats or pings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<bool>,
    /// While silent, still send WebSocket pings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_pings: Option<bool>,
    /// Replace every Nth data message of a connection with a truncated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed_every: Option<u32>,
    /// From this instant the configured access token (both brokers) is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_token_at: Option<DateTime<Utc>>,
    /// An extra access token accepted (both brokers) from the moment it is set, so a
    /// runtime can hot-swap to it before or after the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_token: Option<String>,
    /// The expiry refuses the feed only; REST keeps accepting the token (a socket-only
    /// refusal, as when the data plan lapses or the feed session ends first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_feed_only: Option<bool>,
    /// Delay every broker REST call by this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_delay_ms: Option<u64>,
    /// Fail every broker REST call with this status (401, 403, 429 or 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_fail_status: Option<u16>,
    /// Cut every feed connection every N ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_every_ms: Option<u64>,
}

/// A rejected `POST /admin/faults` body: the offending field (empty for the body as a whole).
#[derive(Debug, PartialEq, Eq)]
pub struct FaultsError {
    pub field: String,
    pub message: String,
}

impl Faults {
    /// Parse a `POST` body. Each field is deserialised on its own first, so a type
    /// error names its field (serde's whole-struct errors only give a column).
    pub fn parse(body: &[u8]) -> Result<Faults, FaultsError> {
        let err = |field: &str, message: String| FaultsError {
            field: field.to_string(),
            message,
        };
        let value: Value =
            serde_json::from_slice(body).map_err(|e| err("", format!("invalid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(err("", "body must be a JSON object".into()));
        };
        for (k, v) in &map {
            let one = Value::Object([(k.clone(), v.clone())].into_iter().collect());
            serde_json::from_value::<Faults>(one).map_err(|e| err(k, e.to_string()))?;
        }
        let faults: Faults =
            serde_json::from_value(Value::Object(map)).map_err(|e| err("", e.to_string()))?;
        faults.validate().map_err(|(f, m)| err(f, m))?;
        Ok(faults)
    }

    fn validate(&self) -> Result<(), (&'static str, String)> {
        let check = |field, v: Option<u16>, ok: &dyn Fn(u16) -> bool, want: &str| match v {
            Some(v) if v != 0 && !ok(v) => Err((field, format!("{v} is not {want}"))),
            _ => Ok(()),
        };
        check(
            "refuse_upgrade_status",
            self.refuse_upgrade_status,
            &|v| (400..=599).contains(&v),
            "an HTTP error status (400-599)",
        )?;
        check(
            "dhan_disconnect_reason",
            self.dhan_disconnect_reason,
            &|v| (805..=809).contains(&v),
            "a Dhan disconnect reason (805-809)",
        )?;
        check(
            "rest_fail_status",
            self.rest_fail_status,
            &|v| (400..=599).contains(&v),
            "an HTTP error status (400-599)",
        )
    }

    /// Lay `patch` over `self`: fields present in the patch replace the current ones.
    pub fn merge(&mut self, patch: Faults) {
        fn set<T>(cur: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *cur = new;
            }
        }
        set(&mut self.refuse_upgrade_status, patch.refuse_upgrade_status);
        set(
            &mut self.dhan_disconnect_reason,
            patch.dhan_disconnect_reason,
        );
        set(&mut self.silent, patch.silent);
        set(&mut self.silent_pings, patch.silent_pings);
        set(&mut self.malformed_every, patch.malformed_every);
        set(&mut self.expire_token_at, patch.expire_token_at);
        set(&mut self.accept_token, patch.accept_token);
        set(&mut self.expire_feed_only, patch.expire_feed_only);
        set(&mut self.rest_delay_ms, patch.rest_delay_ms);
        set(&mut self.rest_fail_status, patch.rest_fail_status);
        set(&mut self.drop_every_ms, patch.drop_every_ms);
        self.normalise();
    }

    fn normalise(&mut self) {
        self.abrupt_close = None;
        self.refuse_upgrade_status = self.refuse_upgrade_status.filter(|&v| v != 0);
        self.dhan_disconnect_reason = self.dhan_disconnect_reason.filter(|&v| v != 0);
        self.silent = self.silent.filter(|&v| v);
        self.silent_pings = self.silent_pings.filter(|&v| v);
        self.expire_feed_only = self.expire_feed_only.filter(|&v| v);
        self.malformed_every = self.malformed_every.filter(|&v| v != 0);
        self.accept_token = self.accept_token.take().filter(|t| !t.is_empty());
        self.rest_delay_ms = self.rest_delay_ms.filter(|&v| v != 0);
        self.rest_fail_status = self.rest_fail_status.filter(|&v| v != 0);
        self.drop_every_ms = self.drop_every_ms.filter(|&v| v != 0);
    }

    pub fn is_silent(&self) -> bool {
        self.silent == Some(true)
    }

    /// Pings still go out: either not silent, or silent with `silent_pings`.
    pub fn pings_allowed(&self) -> bool {
        !self.is_silent() || self.silent_pings == Some(true)
    }

    /// Whether the configured token has passed its expiry at `now`.
    pub fn token_expired(&self, now: DateTime<Utc>) -> bool {
        self.expire_token_at.is_some_and(|at| now >= at)
    }

    /// Whether `presented` authenticates at `now`, given the token from the settings.
    pub fn token_valid(&self, now: DateTime<Utc>, presented: &str, configured: &str) -> bool {
        if self.accept_token.as_deref() == Some(presented) {
            return true;
        }
        presented == configured && !self.token_expired(now)
    }

    /// [`Faults::token_valid`] for REST calls: with `expire_feed_only` the expiry does
    /// not reach them.
    pub fn rest_token_valid(&self, now: DateTime<Utc>, presented: &str, configured: &str) -> bool {
        if self.expire_feed_only == Some(true) && presented == configured {
            return true;
        }
        self.token_valid(now, presented, configured)
    }

    /// `presented` is the configured token and it has expired: Dhan says 807, not 809.
    pub fn is_expired_token(&self, now: DateTime<Utc>, presented: &str, configured: &str) -> bool {
        presented == configured && !self.token_valid(now, presented, configured)
    }

    /// Whether a connection's `n`th data message (counting from 1) is to be corrupted.
    pub fn should_corrupt(&self, n: u64) -> bool {
        self.malformed_every
            .is_some_and(|every| every > 0 && n > 0 && n.is_multiple_of(u64::from(every)))
    }
}

/// The corrupted stand-in for one data message: its first half. Every Dhan packet and
/// Kite frame is at least 10 bytes and sized by its header, so half of one never
/// decodes, and at 5+ bytes it cannot pass for a 1-byte Kite heartbeat.
pub fn corrupt(bytes: &[u8]) -> Vec<u8> {
    let keep = (bytes.len() / 2).max(2).min(bytes.len());
    bytes[..keep].to_vec()
}

/// What a fault did, for `faults_applied` in `/admin/counters`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    RefuseUpgrade,
    DhanDisconnect,
    AbruptClose,
    /// One message (tick, heartbeat, ping or reply) not sent.
    Silent,
    Malformed,
    TokenExpired,
    RestDelay,
    RestFail,
    /// One periodic cut (of however many connections).
    DropEvery,
}

impl FaultKind {
    const ALL: [FaultKind; 9] = [
        FaultKind::RefuseUpgrade,
        FaultKind::DhanDisconnect,
        FaultKind::AbruptClose,
        FaultKind::Silent,
        FaultKind::Malformed,
        FaultKind::TokenExpired,
        FaultKind::RestDelay,
        FaultKind::RestFail,
        FaultKind::DropEvery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::RefuseUpgrade => "refuse_upgrade",
            FaultKind::DhanDisconnect => "dhan_disconnect",
            FaultKind::AbruptClose => "abrupt_close",
            FaultKind::Silent => "silent",
            FaultKind::Malformed => "malformed",
            FaultKind::TokenExpired => "token_expired",
            FaultKind::RestDelay => "rest_delay",
            FaultKind::RestFail => "rest_fail",
            FaultKind::DropEvery => "drop_every",
        }
    }
}

/// The switches, the tallies of what they did, and the driver for the timed ones.
#[derive(Default)]
pub struct FaultState {
    current: Mutex<Faults>,
    applied: [AtomicU64; 9],
    driver: OnceLock<Addr<driver::FaultDriver>>,
}

impl FaultState {
    /// A copy of the switches in force (small; taken once per message sent).
    pub fn current(&self) -> Faults {
        lock(&self.current).clone()
    }

    /// Merge `patch` in and return the result.
    pub fn merge(&self, patch: Faults) -> Faults {
        let mut cur = lock(&self.current);
        cur.merge(patch);
        cur.clone()
    }

    pub fn clear(&self) {
        *lock(&self.current) = Faults::default();
    }

    pub fn bump(&self, kind: FaultKind) {
        let i = FaultKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.applied[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Every kind with its count, zeros included, so the keys are stable.
    pub fn applied(&self) -> BTreeMap<String, u64> {
        FaultKind::ALL
            .iter()
            .zip(&self.applied)
            .map(|(k, c)| (k.as_str().to_string(), c.load(Ordering::Relaxed)))
            .collect()
    }

    pub fn set_driver(&self, addr: Addr<driver::FaultDriver>) {
        let _ = self.driver.set(addr);
    }

    /// Tell the driver the switches changed (re-arm the drop and expiry timers).
    pub fn notify_driver(&self) {
        if let Some(d) = self.driver.get() {
            d.do_send(driver::Reconfigure);
        }
    }

    pub fn stop_driver(&self) {
        if let Some(d) = self.driver.get() {
            d.do_send(driver::StopDriver);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn token_expires_at_the_instant_and_the_new_one_is_accepted() {
        let f = Faults {
            expire_token_at: Some(at(10)),
            accept_token: Some("new".into()),
            ..Faults::default()
        };
        assert!(f.token_valid(at(9), "old", "old"));
        assert!(f.token_valid(at(9), "new", "old"), "accepted before expiry");
        assert!(!f.token_valid(at(10), "old", "old"));
        assert!(f.token_valid(at(10), "new", "old"));
        assert!(!f.token_valid(at(9), "other", "old"));
        assert!(f.is_expired_token(at(11), "old", "old"));
        assert!(
            !f.is_expired_token(at(11), "other", "old"),
            "a wrong token is 809"
        );
        assert!(Faults::default().token_valid(at(0), "old", "old"));
    }

    #[test]
    fn corruption_is_every_nth_message() {
        let f = Faults {
            malformed_every: Some(3),
            ..Faults::default()
        };
        let hit: Vec<u64> = (0..10).filter(|&n| f.should_corrupt(n)).collect();
        assert_eq!(hit, vec![3, 6, 9]);
        assert!(!Faults::default().should_corrupt(3));
        assert_eq!(corrupt(&[1; 10]).len(), 5);
    }

    #[test]
    fn parse_names_the_bad_field() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"silent":"yes"}"#, "silent"),
            (br#"{"bogus":1}"#, "bogus"),
            (br#"{"refuse_upgrade_status":200}"#, "refuse_upgrade_status"),
            (
                br#"{"dhan_disconnect_reason":800}"#,
                "dhan_disconnect_reason",
            ),
            (br#"{"expire_token_at":"tomorrow"}"#, "expire_token_at"),
        ];
        for (body, field) in cases {
            let got = Faults::parse(body).err().map(|e| e.field);
            assert_eq!(
                got.as_deref(),
                Some(field),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            Faults::parse(b"[]").err().map(|e| e.field),
            Some(String::new())
        );
    }

    #[test]
    fn merge_keeps_other_switches_and_drops_zeroes() {
        let mut f = Faults::default();
        f.merge(Faults::parse(br#"{"silent":true,"malformed_every":4}"#).unwrap_or_default());
        f.merge(Faults::parse(br#"{"malformed_every":0,"abrupt_close":true}"#).unwrap_or_default());
        assert_eq!(
            f,
            Faults {
                silent: Some(true),
                ..Faults::default()
            }
        );
        assert!(f.is_silent() && !f.pings_allowed());
    }
}
