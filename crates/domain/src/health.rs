//! Per-instrument data health: whether the last price of one instrument can be traded on,
//! from the feed's state, the REST fallback, the instrument's own session and its last tick.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use crate::tick::TickSource;

/// The states clients and bots see for one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentHealth {
    /// Ticking from the socket within the quiet threshold.
    Live,
    /// Socket live but this instrument has not ticked for a while (illiquid strike).
    Quiet,
    /// In session and no fresh price: do not trade on it.
    Stale,
    /// Prices come from REST polling while the socket is down: fresh-ish, rate-limited.
    Fallback,
    /// The broker refused the token and no fallback serves prices: a human must log in.
    LoginRequired,
    /// Outside this instrument's market session: the last price is the last known one.
    Closed,
}

impl InstrumentHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentHealth::Live => "live",
            InstrumentHealth::Quiet => "quiet",
            InstrumentHealth::Stale => "stale",
            InstrumentHealth::Fallback => "fallback",
            InstrumentHealth::LoginRequired => "login_required",
            InstrumentHealth::Closed => "closed",
        }
    }

    /// Whether a bot may act on the price (enter, exit, fill).
    pub fn is_tradable(self) -> bool {
        matches!(
            self,
            InstrumentHealth::Live | InstrumentHealth::Quiet | InstrumentHealth::Fallback
        )
    }
}

/// The feed-level facts the per-instrument state depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedCondition {
    Live,
    /// Connecting or reconnecting.
    Down,
    LoginRequired,
    Stopped,
}

/// Thresholds, from config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthThresholds {
    pub quiet_after_s: f64,
    pub stale_after_s: f64,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            quiet_after_s: 5.0,
            stale_after_s: 30.0,
        }
    }
}

/// Classify one instrument. `in_session` is its exchange's session at `now`;
/// `last_tick_at` the receive time of its last price (any source).
pub fn classify(
    feed: FeedCondition,
    fallback_active: bool,
    in_session: bool,
    last_tick_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    t: HealthThresholds,
) -> InstrumentHealth {
    if !in_session {
        return InstrumentHealth::Closed;
    }
    let age = last_tick_at.map(|at| crate::time::seconds_since(at, now));
    let fresh_within = |limit: f64| age.is_some_and(|a| a <= limit);
    if fallback_active && feed != FeedCondition::Live {
        // Polled prices are as good as the poll cadence: stale once polling stalls too.
        return if fresh_within(t.stale_after_s) {
            InstrumentHealth::Fallback
        } else {
            InstrumentHealth::Stale
        };
    }
    match feed {
        FeedCondition::LoginRequired => InstrumentHealth::LoginRequired,
        FeedCondition::Down | FeedCondition::Stopped => InstrumentHealth::Stale,
        FeedCondition::Live if fresh_within(t.quiet_after_s) => InstrumentHealth::Live,
        FeedCondition::Live if fresh_within(t.stale_after_s) => InstrumentHealth::Quiet,
        FeedCondition::Live => InstrumentHealth::Stale,
    }
}

/// One row of `instrument_status` and of `/api/instruments/health`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstrumentStatus {
    pub symbol: Arc<str>,
    pub state: InstrumentHealth,
    pub last_tick_seconds_ago: Option<f64>,
    /// Where the last price came from (`socket`, `rest`, `snapshot`).
    pub source: Option<TickSource>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    struct TestCase {
        name: &'static str,
        feed: FeedCondition,
        fallback: bool,
        in_session: bool,
        age_s: Option<i64>,
        want: InstrumentHealth,
    }

    #[test]
    fn classification_cases() {
        use FeedCondition as F;
        use InstrumentHealth as H;
        let cases = [
            TestCase {
                name: "fresh socket tick",
                feed: F::Live,
                fallback: false,
                in_session: true,
                age_s: Some(1),
                want: H::Live,
            },
            TestCase {
                name: "quiet strike",
                feed: F::Live,
                fallback: false,
                in_session: true,
                age_s: Some(10),
                want: H::Quiet,
            },
            TestCase {
                name: "stale on a live socket",
                feed: F::Live,
                fallback: false,
                in_session: true,
                age_s: Some(31),
                want: H::Stale,
            },
            TestCase {
                name: "never ticked",
                feed: F::Live,
                fallback: false,
                in_session: true,
                age_s: None,
                want: H::Stale,
            },
            TestCase {
                name: "socket down",
                feed: F::Down,
                fallback: false,
                in_session: true,
                age_s: Some(1),
                want: H::Stale,
            },
            TestCase {
                name: "login required",
                feed: F::LoginRequired,
                fallback: false,
                in_session: true,
                age_s: Some(1),
                want: H::LoginRequired,
            },
            TestCase {
                name: "fallback serving",
                feed: F::LoginRequired,
                fallback: true,
                in_session: true,
                age_s: Some(2),
                want: H::Fallback,
            },
            TestCase {
                name: "fallback stalled",
                feed: F::Down,
                fallback: true,
                in_session: true,
                age_s: Some(40),
                want: H::Stale,
            },
            TestCase {
                name: "fallback flag while live again",
                feed: F::Live,
                fallback: true,
                in_session: true,
                age_s: Some(1),
                want: H::Live,
            },
            TestCase {
                name: "closed market, old price",
                feed: F::Live,
                fallback: false,
                in_session: false,
                age_s: Some(9999),
                want: H::Closed,
            },
            TestCase {
                name: "closed market, login required",
                feed: F::LoginRequired,
                fallback: false,
                in_session: false,
                age_s: None,
                want: H::Closed,
            },
        ];
        let now = DateTime::parse_from_rfc3339("2026-11-20T05:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        for c in cases {
            let last = c.age_s.map(|s| now - TimeDelta::seconds(s));
            let got = classify(
                c.feed,
                c.fallback,
                c.in_session,
                last,
                now,
                HealthThresholds::default(),
            );
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn only_fresh_states_are_tradable() {
        assert!(InstrumentHealth::Live.is_tradable());
        assert!(InstrumentHealth::Fallback.is_tradable());
        assert!(!InstrumentHealth::Stale.is_tradable());
        assert!(!InstrumentHealth::Closed.is_tradable());
        assert!(!InstrumentHealth::LoginRequired.is_tradable());
    }
}
