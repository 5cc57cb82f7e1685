//! The cluster's settings: this node's role, where NATS is, the lease and interest
//! timings, and the names every node derives its subjects and buckets from.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::codec::symbol_token;

/// What this node does in a cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Today's single process: broker side and client side together, no NATS.
    #[default]
    Standalone,
    /// Holds the broker connections while it holds the lease (a standby otherwise) and
    /// publishes ticks and status to NATS.
    Feed,
    /// Serves clients from NATS; never opens a broker connection.
    Edge,
}

impl Role {
    pub const NAMES: &'static str = "standalone, feed or edge";

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Standalone => "standalone",
            Role::Feed => "feed",
            Role::Edge => "edge",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "standalone" => Some(Role::Standalone),
            "feed" => Some(Role::Feed),
            "edge" => Some(Role::Edge),
            _ => None,
        }
    }
}

/// Everything a feed or edge node needs to join the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSettings {
    pub role: Role,
    /// One or more servers, comma-separated (`nats://10.0.0.1:4222,nats://10.0.0.2:4222`).
    pub nats_url: String,
    /// This node's name: the lease holder's name and the edge's interest key. Unique.
    pub node: String,
    /// Prefix of every subject and bucket, so clusters can share one NATS.
    pub prefix: String,
    /// A leader that has not renewed for this long has lost the lease.
    pub lease_ttl_ms: u64,
    /// An edge that has not renewed its interest for this long is gone.
    pub interest_ttl_ms: u64,
    /// Copies of each key-value bucket (1 on one server, 3 on a three-server cluster, so
    /// the lease survives the loss of a server).
    pub kv_replicas: usize,
    /// The edge that runs the paper executor, its journal and the bots (`cluster.node` of
    /// one edge); every other node forwards the trading API to it. Empty: nobody trades.
    pub trading_node: String,
}

impl ClusterSettings {
    /// Whether this node runs the paper account and the bots.
    pub fn trades_here(&self) -> bool {
        self.role == Role::Edge && !self.trading_node.is_empty() && self.node == self.trading_node
    }

    /// The leader answers pings here (`liveness`).
    pub fn leader_ping_subject(&self) -> String {
        format!("{}.leader.ping", self.prefix)
    }

    /// The feed standbys answer the leader's pings here (`liveness`).
    pub fn standby_ping_subject(&self) -> String {
        format!("{}.feed.standby", self.prefix)
    }

    /// Order, fill, position and bot updates, from the trading node to every other node.
    pub fn trading_updates_subject(&self) -> String {
        format!("{}.trading.updates", self.prefix)
    }

    /// The trading API, forwarded to the trading node as request and reply.
    pub fn trading_api_subject(&self) -> String {
        format!("{}.trading.api", self.prefix)
    }

    pub fn lease_ttl(&self) -> Duration {
        Duration::from_millis(self.lease_ttl_ms)
    }

    /// The leader renews six times per TTL: after the last good renewal it has at least
    /// half the TTL (two thirds, its fencing limit, less a sixth) to get the next one
    /// through a NATS server's loss.
    pub fn lease_renew(&self) -> Duration {
        Duration::from_millis((self.lease_ttl_ms / 6).max(50))
    }

    pub fn interest_ttl(&self) -> Duration {
        Duration::from_millis(self.interest_ttl_ms)
    }

    /// An edge renews its interest key three times per TTL.
    pub fn interest_renew(&self) -> Duration {
        Duration::from_millis((self.interest_ttl_ms / 3).max(50))
    }

    /// The last tick of every instrument; also the subjects ticks travel on (a put is a
    /// publish on `$KV.<bucket>.<key>`, so one message is both the live tick and the
    /// snapshot).
    pub fn ticks_bucket(&self) -> String {
        format!("{}_ticks", self.prefix)
    }

    /// The feed's and the fallback's last status (keys `feed`, `fallback`).
    pub fn status_bucket(&self) -> String {
        format!("{}_status", self.prefix)
    }

    /// The leader lease (key `leader`).
    pub fn lease_bucket(&self) -> String {
        format!("{}_lease", self.prefix)
    }

    /// One key per edge: the instruments its clients hold.
    pub fn interest_bucket(&self) -> String {
        format!("{}_interest", self.prefix)
    }

    /// Browser login sessions, so a browser logged in on one edge is known on every edge
    /// (keyed by a hash of the session id, never the id).
    pub fn sessions_bucket(&self) -> String {
        format!("{}_sessions", self.prefix)
    }

    /// The dashboard's watchlists, one key per owner, shared by every edge.
    pub fn watchlists_bucket(&self) -> String {
        format!("{}_watchlists", self.prefix)
    }

    /// The feed leader's instrument master, as a file (object store).
    pub fn master_bucket(&self) -> String {
        format!("{}_master", self.prefix)
    }

    pub fn tick_subject(&self, symbol: &str) -> String {
        format!("$KV.{}.{}", self.ticks_bucket(), symbol_token(symbol))
    }

    pub fn status_subject(&self, key: &str) -> String {
        format!("$KV.{}.{}", self.status_bucket(), key)
    }
}

/// The lease key and the status keys.
pub const LEADER_KEY: &str = "leader";
pub const FEED_STATUS_KEY: &str = "feed";
pub const FALLBACK_STATUS_KEY: &str = "fallback";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name() {
        for (text, want) in [
            ("standalone", Some(Role::Standalone)),
            ("feed", Some(Role::Feed)),
            ("edge", Some(Role::Edge)),
            ("Edge", None),
            ("leader", None),
        ] {
            assert_eq!(Role::parse(text), want, "{text}");
            if let Some(role) = want {
                assert_eq!(role.as_str(), text, "{text}");
            }
        }
    }

    #[test]
    fn subjects_carry_the_prefix_and_the_symbol_token() {
        let s = ClusterSettings {
            role: Role::Edge,
            nats_url: "nats://127.0.0.1:4222".into(),
            node: "edge-1".into(),
            prefix: "mandi".into(),
            lease_ttl_ms: 3000,
            interest_ttl_ms: 15000,
            kv_replicas: 1,
            trading_node: "edge-2".into(),
        };
        assert_eq!(s.tick_subject("M&M"), "$KV.mandi_ticks.M=26M");
        assert_eq!(s.trading_api_subject(), "mandi.trading.api");
        assert!(!s.trades_here(), "edge-2 trades, not edge-1");
        let trader = ClusterSettings {
            node: "edge-2".into(),
            ..s.clone()
        };
        assert!(trader.trades_here());
        let feed = ClusterSettings {
            role: Role::Feed,
            ..trader.clone()
        };
        assert!(!feed.trades_here(), "a feed node never trades");
        assert_eq!(s.status_subject(FEED_STATUS_KEY), "$KV.mandi_status.feed");
        assert_eq!(s.lease_renew(), Duration::from_millis(500));
    }
}
