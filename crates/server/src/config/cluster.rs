//! `[cluster]`: this node's role and how it reaches the others over NATS, checked and
//! turned into `mandi_cluster::ClusterSettings`. Every node reads the same files; only
//! the role (and the node name) differ, set by `MANDI__CLUSTER__ROLE` or `--role`.

use mandi_cluster::{ClusterSettings, Role};
use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// "standalone" (one process, no NATS), "feed" or "edge".
    pub role: String,
    /// NATS servers, comma-separated.
    pub nats_url: String,
    /// This node's unique name; empty = `<role>-<hostname>-<pid>`.
    pub node: String,
    /// Prefix of every subject and bucket.
    pub prefix: String,
    pub lease_ttl_ms: u64,
    pub interest_ttl_ms: u64,
    pub kv_replicas: usize,
    /// The `node` of the one edge that runs the paper account, its journal and the bots;
    /// the others forward the trading API to it. Empty: nobody trades in the cluster.
    pub trading_node: String,
}

impl Default for ClusterSection {
    fn default() -> Self {
        ClusterSection {
            role: "standalone".into(),
            nats_url: "nats://127.0.0.1:4222".into(),
            node: String::new(),
            prefix: "mandi".into(),
            lease_ttl_ms: 3_000,
            interest_ttl_ms: 15_000,
            kv_replicas: 1,
            trading_node: String::new(),
        }
    }
}

impl ClusterSection {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let Some(role) = Role::parse(&self.role) else {
            return Err(ConfigError::new(
                "cluster.role",
                format!("\"{}\" is not a role", self.role),
                format!(
                    "use {} (MANDI__CLUSTER__ROLE=edge or mandi run --role edge)",
                    Role::NAMES
                ),
            ));
        };
        if role == Role::Standalone {
            return Ok(());
        }
        mandi_cluster::link::server_addrs(&self.nats_url).map_err(|e| {
            ConfigError::new(
                "cluster.nats_url",
                e.to_string(),
                "nats://HOST:4222, comma-separated for several servers",
            )
        })?;
        if !(300..=60_000).contains(&self.lease_ttl_ms) {
            return Err(ConfigError::new(
                "cluster.lease_ttl_ms",
                format!("{} ms is out of range", self.lease_ttl_ms),
                "use 300 to 60000 (3000, the default, fails over within 5 s)",
            ));
        }
        if !(1_000..=600_000).contains(&self.interest_ttl_ms) {
            return Err(ConfigError::new(
                "cluster.interest_ttl_ms",
                format!("{} ms is out of range", self.interest_ttl_ms),
                "use 1000 to 600000 (15000, the default, releases a dead edge's instruments within 30 s)",
            ));
        }
        if !(1..=5).contains(&self.kv_replicas) {
            return Err(ConfigError::new(
                "cluster.kv_replicas",
                format!("{} is out of range", self.kv_replicas),
                "use 1 on one NATS server, 3 on a cluster of three",
            ));
        }
        let bad = |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_');
        for (key, value) in [
            ("cluster.node", &self.node),
            ("cluster.prefix", &self.prefix),
            ("cluster.trading_node", &self.trading_node),
        ] {
            if value.contains(bad) || (key == "cluster.prefix" && value.is_empty()) {
                return Err(ConfigError::new(
                    key,
                    format!("\"{value}\" is not a plain name"),
                    "use letters, digits, - and _ only (it names NATS keys and buckets)",
                ));
            }
        }
        Ok(())
    }

    /// The settings a feed or edge node joins with.
    pub fn settings(&self) -> ClusterSettings {
        let role = self.role();
        let node = if self.node.is_empty() {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().replace(|c: char| !c.is_ascii_alphanumeric(), "-"))
                .unwrap_or_else(|_| "host".into());
            format!("{}-{host}-{}", role.as_str(), std::process::id())
        } else {
            self.node.clone()
        };
        ClusterSettings {
            role,
            nats_url: self.nats_url.clone(),
            node,
            prefix: self.prefix.clone(),
            lease_ttl_ms: self.lease_ttl_ms,
            interest_ttl_ms: self.interest_ttl_ms,
            kv_replicas: self.kv_replicas,
            trading_node: self.trading_node.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_cluster_keys_name_the_key_and_the_fix() {
        let ok = ClusterSection {
            role: "edge".into(),
            ..ClusterSection::default()
        };
        assert_eq!(ok.validate(), Ok(()), "the defaults as an edge");
        for (case, section, key, fix) in [
            (
                "unknown role",
                ClusterSection {
                    role: "leader".into(),
                    ..ok.clone()
                },
                "cluster.role",
                "standalone, feed or edge",
            ),
            (
                "bad url",
                ClusterSection {
                    nats_url: "".into(),
                    ..ok.clone()
                },
                "cluster.nats_url",
                "nats://HOST:4222",
            ),
            (
                "lease too short",
                ClusterSection {
                    lease_ttl_ms: 10,
                    ..ok.clone()
                },
                "cluster.lease_ttl_ms",
                "300 to 60000",
            ),
            (
                "trading node with a space",
                ClusterSection {
                    trading_node: "edge 1".into(),
                    ..ok.clone()
                },
                "cluster.trading_node",
                "letters, digits",
            ),
            (
                "node with a dot",
                ClusterSection {
                    node: "edge.1".into(),
                    ..ok.clone()
                },
                "cluster.node",
                "letters, digits",
            ),
        ] {
            let e = section.validate().expect_err(case);
            assert_eq!(e.key, key, "{case}");
            assert!(e.fix.contains(fix), "{case}: {}", e.fix);
        }
        let standalone = ClusterSection {
            nats_url: String::new(),
            ..ClusterSection::default()
        };
        assert_eq!(
            standalone.validate(),
            Ok(()),
            "standalone ignores the NATS keys"
        );
    }
}
