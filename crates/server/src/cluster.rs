//! The cluster side of `mandi run` (`cluster.role` feed or edge): joining the backplane,
//! the feed lease and its fences, the feed leader's instrument master (shared by the
//! leader, copied and followed by an edge) and the trading node's answers to the other
//! nodes' trading API. docs/cluster.md tells the whole story.

use std::net::TcpListener;
use std::path::PathBuf;

use mandi_cluster::{ClusterNode, Role};
use mandi_feed::instrument_directory::MasterProvider;
use mandi_runtime::settings::{Broker, Credentials};
use mandi_runtime::supervisor::Side;

use crate::app::EXIT_FENCED;
use crate::config::MandiConfig;
use crate::http::{self, AppState};

/// How long an edge waits at start for its copy of the leader's master.
const MASTER_COPY_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Join the backplane as this config's feed or edge node. A feed node returns once it
/// leads (a standby until then).
pub async fn join(cfg: &MandiConfig, listener: &TcpListener) -> anyhow::Result<Side> {
    let role = cfg.cluster.role();
    let settings = cfg.cluster.settings();
    if role == Role::Feed && settings.node == settings.trading_node {
        anyhow::bail!(
            "cluster.trading_node names {:?}, a feed node: trading runs on an edge, which stays up across feed failovers; name an edge's cluster.node",
            settings.node
        );
    }
    if settings.trading_node.is_empty() {
        tracing::warn!("cluster.trading_node is empty: no node runs the paper account or the bots, and the trading API answers 503; set it to one edge's cluster.node");
    }
    let backplane = mandi_cluster::connect(&settings).await?;
    tracing::info!(
        role = role.as_str(),
        node = settings.node,
        nats = settings.nats_url,
        "joined the cluster backplane"
    );
    Ok(if role == Role::Edge {
        Side::Edge(ClusterNode::new(backplane, false))
    } else {
        lead(backplane, listener).await
    })
}

/// Wait for the leader lease, then keep it in the background; losing it ends the
/// process (see [`EXIT_FENCED`]). While another node leads, this one answers `/health`
/// as a standby on `listener`; the full server takes the socket once it leads.
async fn lead(backplane: mandi_cluster::Backplane, listener: &TcpListener) -> Side {
    let settings = backplane.settings.clone();
    let mut last_holder = None;
    let mut standby = None;
    // While it waits, this node answers the leader's pings (see `liveness`).
    let witness = actix_rt::spawn(mandi_cluster::liveness::answer_as_standby(
        backplane.clone(),
    ));
    let revision = mandi_cluster::lease::acquire(&backplane, |holder| {
        if standby.is_none() {
            match http::standby::start(listener, backplane.clone()) {
                Ok(handle) => standby = Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "standby: /health not served until this node leads")
                }
            }
        }
        if holder != last_holder {
            tracing::info!(
                node = settings.node,
                leader = holder.as_deref().unwrap_or("(expiring)"),
                "feed standby: another node holds the lease; waiting"
            );
            last_holder = holder;
        }
    })
    .await;
    witness.abort();
    if let Some(handle) = standby {
        handle.stop(false).await;
    }
    tracing::info!(
        node = settings.node,
        revision,
        "feed leader: holding the lease; opening the broker connections"
    );
    let (kv, bp) = (backplane.lease.clone(), backplane.clone());
    actix_rt::spawn(async move {
        use mandi_cluster::liveness;
        // Lost by a failed renewal, by NATS out of reach for too long, by pings this node
        // can no longer answer (standbys would take it for dead), or on the losing side
        // of a NATS partition.
        let reason = tokio::select! {
            r = mandi_cluster::lease::hold(&kv, &settings, revision) => r,
            r = liveness::answer_pings(bp.clone()) => r,
            r = liveness::watch_link(bp.connected.clone()) => r,
            r = liveness::guard_isolation(bp.clone()) => r,
        };
        tracing::error!(node = settings.node, reason, "lost the feed lease: closing every broker connection by exiting; the service manager restarts this node as a standby");
        std::process::exit(EXIT_FENCED);
    });
    Side::Leader(ClusterNode::new(backplane, true))
}

/// An edge's copy of the leader's master: where it is, and which version it holds.
pub struct MasterCopy {
    pub path: PathBuf,
    pub version: Option<String>,
}

/// On an edge whose master is the leader's: copy the file the leader shared, before the
/// first load reads it (`None` on other nodes).
pub async fn copy_leader_master(
    cfg: &MandiConfig,
    broker: Broker,
    sim_rest: Option<&str>,
    credentials: &Credentials,
    side: &Side,
) -> Option<MasterCopy> {
    let Side::Edge(node) = side else {
        return None;
    };
    crate::master::master_settings(cfg, broker, sim_rest, credentials)
        .filter(|m| m.provider == MasterProvider::Cluster)?;
    let copy = crate::master::cluster_copy(cfg, broker);
    let fetched = tokio::time::timeout(
        MASTER_COPY_WAIT,
        mandi_cluster::master::fetch_to(&node.backplane, broker.as_str(), &copy),
    )
    .await;
    let version = match fetched {
        Ok(Ok(Some(version))) => {
            tracing::info!(copy = %copy.display(), "the feed leader's instrument master copied");
            Some(version)
        }
        Ok(Ok(None)) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = e, "the feed leader's instrument master not copied; it loads when the leader shares it again");
            None
        }
        Err(_) => {
            tracing::warn!("the feed leader's instrument master not copied within 15 s; it loads when the leader shares it again");
            None
        }
    };
    Some(MasterCopy {
        path: copy,
        version,
    })
}

/// Once the runtime runs: the leader shares its master, an edge follows the leader's
/// (into `shared_master`), and the trading edge answers the others' trading API.
pub fn start_tasks(
    state: &AppState,
    broker: Broker,
    role: Role,
    shared_master: Option<MasterCopy>,
) {
    let runtime = &state.runtime;
    let Some(node) = runtime.cluster.as_ref() else {
        return;
    };
    let backplane = node.backplane.clone();
    match shared_master {
        Some(copy) => {
            actix_rt::spawn(mandi_cluster::master::follow(
                backplane,
                broker.as_str().to_string(),
                copy.path,
                copy.version,
                runtime.directory.clone(),
            ));
        }
        None if role == Role::Feed => {
            actix_rt::spawn(mandi_cluster::master::share(
                backplane,
                runtime.directory.clone(),
            ));
        }
        None => {}
    }
    if node.backplane.settings.trades_here() {
        let (state, node) = (state.clone(), node.clone());
        actix_rt::spawn(async move {
            if let Err(e) = http::trading_forward::serve(state, node).await {
                tracing::error!(error = %e, "the other nodes' trading API is not served here");
            }
        });
    }
}
