//! The aggregated health report served at `/health`, and the rule that grades it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::market_clock::NextJob;
use mandi_fanout::broadcaster::{BroadcastStats, InstrumentStatus};
use mandi_fanout::price_store::PriceStoreStats;
use mandi_feed::auth_manager::AuthStatus;
use mandi_feed::feed_connection::messages::{FeedHealth, FeedState};
use mandi_feed::rest_fallback::FallbackStatus;
use mandi_supervision::RestartCount;

/// A tick older than this while the feed claims to be live makes the report "degraded".
pub const STALE_AFTER_S: f64 = 30.0;

#[derive(Clone, Debug, Serialize)]
pub struct HealthReport {
    /// "ok" when the feed is live and ticking, "degraded" otherwise.
    pub status: &'static str,
    pub feed: FeedHealth,
    pub last_tick_age_s: Option<f64>,
    pub clients: usize,
    pub prices_clients: usize,
    pub store: PriceStoreStats,
    pub broadcast: BroadcastStats,
    pub market_open: bool,
    /// Restarts per actor (`restarts`, of which `panics`). The feed restarts itself on
    /// every lost socket, so its count includes reconnects.
    pub actors: BTreeMap<&'static str, RestartCount>,
    /// Per-instrument health of every known or watched instrument.
    pub instruments: Vec<InstrumentStatus>,
    /// The next IST job (master refresh 08:35, token check 08:50, connect 08:55, end of
    /// day at each close).
    pub next_job: NextJob,
    /// The token's state and expiry (never the token).
    pub auth: AuthStatus,
    /// REST polling stands in for a socket that is not live.
    pub using_rest_fallback: bool,
    pub rest_fallback: FallbackStatus,
    /// The instrument master: where it came from, when, and the last reload's error.
    pub master: mandi_feed::instrument_directory::MasterStatus,
    pub timestamp: DateTime<Utc>,
}

/// Grade the feed: live with a recent tick is ok. Outside market hours a quiet feed is
/// expected, so only the connection state counts.
pub fn grade(state: FeedState, last_tick_age_s: Option<f64>, market_open: bool) -> &'static str {
    let fresh = last_tick_age_s.is_some_and(|age| age <= STALE_AFTER_S);
    match (state, market_open) {
        (FeedState::Live, false) => "ok",
        (FeedState::Live, true) if fresh => "ok",
        _ => "degraded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading() {
        assert_eq!(grade(FeedState::Live, Some(1.0), true), "ok");
        assert_eq!(grade(FeedState::Live, Some(31.0), true), "degraded");
        assert_eq!(grade(FeedState::Live, None, true), "degraded");
        assert_eq!(grade(FeedState::Live, None, false), "ok");
        assert_eq!(grade(FeedState::Reconnecting, Some(0.1), true), "degraded");
    }
}
