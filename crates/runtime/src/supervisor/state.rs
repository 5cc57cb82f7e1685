//! The aggregated health report served at `/health`, the rule that grades it, and how
//! the upstream connections' own reports add up to one feed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::market_clock::NextJob;
use mandi_domain::FeedQuality;
use mandi_fanout::broadcaster::{BroadcastStats, InstrumentStatus};
use mandi_fanout::price_store::PriceStoreStats;
use mandi_feed::auth_manager::AuthStatus;
use mandi_feed::feed_connection::messages::{FeedHealth, FeedState};
use mandi_feed::rest_fallback::FallbackStatus;
use mandi_feed::subscription_registry::UpstreamCapacity;
use mandi_supervision::RestartCount;

#[derive(Clone, Debug, Serialize)]
pub struct HealthReport {
    /// "ok" when the feed's data is good or merely quiet (`broadcast.feed_quality`, the
    /// same judgement clients hear), "degraded" otherwise.
    pub status: &'static str,
    /// Every upstream connection together: the one state clients see, counters summed.
    pub feed: FeedHealth,
    /// Each upstream connection with its instruments, the totals and the capacity.
    pub upstream: UpstreamReport,
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
    /// The broker's history: requests, failures by kind, previous sessions loaded.
    pub history: mandi_feed::history_fetcher::HistoryStatus,
    /// The paper account: orders, fills, refusals, what it streams, and its journal
    /// (calls, errors with the last one's text and time, calls waiting).
    pub paper: mandi_trading::paper_executor::ExecutorStats,
    /// The frame recorder: frames queued, dropped (queue full), bytes, files, errors.
    pub recorder: mandi_recording::RecorderStats,
    /// The cluster: this node's role, the leader and its lease age, the backplane's lag
    /// and counters, the edges' interest keys. Absent standalone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<mandi_cluster::ClusterReport>,
    pub timestamp: DateTime<Utc>,
}

/// `/health` → `upstream`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpstreamReport {
    pub broker: &'static str,
    /// Instruments one connection carries at most.
    pub per_connection: usize,
    /// Connections that may be opened.
    pub max_connections: usize,
    /// `per_connection × max_connections`; past it new symbols get `capacity_reached`.
    pub capacity: usize,
    /// Instruments carried now, over every connection.
    pub instruments: usize,
    pub connections_in_use: usize,
    /// Symbols refused for want of room since start.
    pub refused_total: u64,
    pub connections: Vec<ConnectionReport>,
}

/// One upstream connection in `/health`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionReport {
    pub shard: usize,
    /// `idle` (not in use, no socket) or the connection's own feed state.
    pub state: &'static str,
    /// Instruments the registry gave it.
    pub instruments: usize,
    /// Instruments its socket has been told to carry (behind while paced changes wait).
    pub carried: usize,
    pub connects: u64,
    pub consecutive_failures: u32,
    pub reason: Option<String>,
}

/// The registry's view of the connections (assignment, the one state) and each
/// connection's own report, put together for `/health`.
pub fn upstream_report(capacity: &UpstreamCapacity, shards: &[FeedHealth]) -> UpstreamReport {
    let connections: Vec<ConnectionReport> = capacity
        .shards
        .iter()
        .zip(shards)
        .map(|(usage, feed)| ConnectionReport {
            shard: usage.shard,
            state: if usage.in_use && !feed.idle {
                feed.state.as_str()
            } else {
                "idle"
            },
            instruments: usage.instruments,
            carried: feed.carried,
            connects: feed.connects,
            consecutive_failures: feed.consecutive_failures,
            reason: feed.reason.clone(),
        })
        .collect();
    UpstreamReport {
        broker: shards.first().map_or("", |f| f.broker),
        per_connection: capacity.per_connection,
        max_connections: capacity.max_connections,
        capacity: capacity.capacity,
        instruments: capacity.instruments,
        connections_in_use: capacity.shards.iter().filter(|s| s.in_use).count(),
        refused_total: capacity.refused_total,
        connections,
    }
}

/// Every connection as one feed: the state clients see (the registry's), counters
/// summed, the newest frame, the worst failure run and the soonest retry among the
/// connections in use.
pub fn combined_feed(capacity: &UpstreamCapacity, shards: &[FeedHealth]) -> Option<FeedHealth> {
    let first = shards.first()?;
    let in_use = |f: &&FeedHealth| {
        capacity
            .shards
            .get(f.shard)
            .map_or(f.shard == 0, |s| s.in_use)
    };
    let sum = |get: fn(&FeedHealth) -> u64| shards.iter().map(get).sum::<u64>();
    Some(FeedHealth {
        shard: 0,
        state: capacity.state,
        broker: first.broker,
        reason: capacity.reason.clone(),
        connects: sum(|f| f.connects),
        frames: sum(|f| f.frames),
        packets: sum(|f| f.packets),
        decode_errors: sum(|f| f.decode_errors),
        last_frame_at: shards.iter().filter_map(|f| f.last_frame_at).max(),
        subscribed: shards.iter().map(|f| f.subscribed).sum(),
        carried: shards.iter().map(|f| f.carried).sum(),
        idle: false,
        unknown_instruments: sum(|f| f.unknown_instruments),
        rejected_prices: sum(|f| f.rejected_prices),
        dropped_frames: sum(|f| f.dropped_frames),
        consecutive_failures: shards
            .iter()
            .filter(in_use)
            .map(|f| f.consecutive_failures)
            .max()
            .unwrap_or(0),
        next_attempt_at: shards
            .iter()
            .filter(in_use)
            .filter_map(|f| f.next_attempt_at)
            .min(),
    })
}

/// Grade the feed from the quality clients are told: data flowing (or a live socket
/// outside every streamed session) is ok, and so is a short quiet spell; stale, degraded
/// (reconnecting, REST polling) or down is not. `state` is the report's own feed state: the
/// broadcaster hears of a change a moment after the feed, and the report must not say ok
/// next to a feed that is not live.
pub fn grade(state: FeedState, quality: FeedQuality) -> &'static str {
    match (state, quality) {
        (FeedState::Live, FeedQuality::Good | FeedQuality::Quiet) => "ok",
        _ => "degraded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use mandi_feed::subscription_registry::ShardUsage;

    fn shard(shard: usize, state: FeedState, subscribed: usize, idle: bool) -> FeedHealth {
        FeedHealth {
            shard,
            state,
            broker: "dhan",
            reason: (state != FeedState::Live).then(|| format!("shard {shard} down")),
            connects: 1,
            frames: 10,
            packets: 20,
            decode_errors: 0,
            last_frame_at: None,
            subscribed,
            carried: subscribed,
            idle,
            unknown_instruments: 0,
            rejected_prices: 0,
            dropped_frames: 0,
            consecutive_failures: u32::from(state != FeedState::Live) * 3,
            next_attempt_at: None,
        }
    }

    fn capacity(by_shard: &[usize], state: FeedState) -> UpstreamCapacity {
        UpstreamCapacity {
            per_connection: 200,
            max_connections: by_shard.len(),
            capacity: 200 * by_shard.len(),
            instruments: by_shard.iter().sum(),
            refused_total: 7,
            state,
            reason: None,
            shards: by_shard
                .iter()
                .enumerate()
                .map(|(shard, n)| ShardUsage {
                    shard,
                    instruments: *n,
                    in_use: shard == 0 || *n > 0,
                    state: None,
                })
                .collect(),
        }
    }

    #[test]
    fn connections_add_up_to_one_feed() {
        let cap = capacity(&[200, 104, 0], FeedState::Live);
        let shards = [
            shard(0, FeedState::Live, 200, false),
            shard(1, FeedState::Live, 104, false),
            // An idle connection that failed before it went idle counts for nothing live.
            shard(2, FeedState::Reconnecting, 0, true),
        ];
        let report = upstream_report(&cap, &shards);
        let states: Vec<&str> = report.connections.iter().map(|c| c.state).collect();
        assert_eq!(states, vec!["live", "live", "idle"]);
        assert_eq!(
            (
                report.instruments,
                report.capacity,
                report.connections_in_use,
                report.refused_total
            ),
            (304, 600, 2, 7)
        );
        let feed = combined_feed(&cap, &shards).expect("a first connection");
        assert_eq!(feed.state, FeedState::Live);
        assert_eq!((feed.subscribed, feed.packets, feed.connects), (304, 60, 3));
        assert_eq!(
            feed.consecutive_failures, 0,
            "the idle one's failures do not count"
        );
        assert_eq!(combined_feed(&cap, &[]).map(|f| f.packets), None);
    }

    #[test]
    fn grading() {
        let cases = [
            (FeedState::Live, FeedQuality::Good, "ok"),
            (FeedState::Live, FeedQuality::Quiet, "ok"),
            (FeedState::Live, FeedQuality::Stale, "degraded"),
            (FeedState::Reconnecting, FeedQuality::Degraded, "degraded"),
            (FeedState::LoginRequired, FeedQuality::Down, "degraded"),
            (FeedState::Connecting, FeedQuality::Good, "degraded"),
        ];
        for (state, quality, want) in cases {
            assert_eq!(grade(state, quality), want, "{state:?} {quality:?}");
        }
    }
}
