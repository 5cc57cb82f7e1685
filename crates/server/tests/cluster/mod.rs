//! The cluster tests' harness: real `nats-server` processes (from `mandi_testkit::nats`),
//! one `mandi sim` standing for the broker, and `mandi run --role feed|edge` nodes, each
//! on free loopback ports, each killed when the test ends. Nodes log to files, read back
//! for waits on what a node said and for a failing test's message.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mandi_testkit::nats::{free_port, NatsServer};
use serde_json::Value;

use crate::common::{get_json, get_text};

/// The simulator's Dhan credentials (`mandi sim` accepts these).
const SIM_CLIENT_ID: &str = "1000000001";
const SIM_TOKEN: &str = "sim-dhan-token";

/// One `mandi` process; killed when dropped.
pub struct Node {
    child: Option<Child>,
    pub name: String,
    /// host:port of its HTTP server.
    pub addr: String,
    log: PathBuf,
}

impl Node {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `kill -STOP` / `kill -CONT`.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill {sig} {} ({})", self.pid(), self.name);
    }

    /// The exit status, once the process has ended by itself.
    pub fn exited(&mut self) -> Option<i32> {
        let c = self.child.as_mut()?;
        c.try_wait().ok().flatten().map(|s| s.code().unwrap_or(-1))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn health(&self) -> Option<Value> {
        get_json(&self.addr, "/health")
    }

    /// `/metrics` as `name{labels}` → value, one entry per sample line.
    pub fn metrics(&self) -> Option<std::collections::HashMap<String, f64>> {
        let text = get_text(&self.addr, "/metrics")?;
        Some(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let (name, value) = l.rsplit_once(' ')?;
                    Some((name.to_string(), value.parse().ok()?))
                })
                .collect(),
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_ref() {
            // A frozen process must be thawed to die of a plain kill on every platform.
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
        }
        self.kill9();
    }
}

/// The broker simulator, the NATS servers and where the nodes keep their logs.
pub struct Cluster {
    pub nats: Vec<NatsServer>,
    pub sim: Node,
    dir: PathBuf,
    /// Extra `MANDI__…` settings for every node.
    pub env: Vec<(String, String)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Cluster {
    pub fn new(nats: Vec<NatsServer>, env: &[(&str, &str)]) -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "mandi-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("log directory");
        let port = free_port();
        let sim = spawn(
            &dir,
            "sim",
            &["sim", "--port", &port.to_string()],
            // Every hour like mid-session: stocks tick whenever the tests run.
            &[
                ("MANDI__SIMULATOR__TICK_INTERVAL_MS", "100"),
                ("MANDI__SIMULATOR__INTRADAY_PROFILE", "false"),
            ],
            port,
        );
        let cluster = Cluster {
            nats,
            sim,
            dir,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        crate::common::wait_for("the simulator's counters", Duration::from_secs(15), || {
            cluster.sim_counters()
        });
        cluster
    }

    /// A directory of this cluster's, removed with it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    }

    pub fn nats_url(&self) -> String {
        self.nats
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn sim_counters(&self) -> Option<Value> {
        get_json(&self.sim.addr, "/admin/counters")
    }

    /// The simulator's open Dhan connections, each as its subscription list
    /// (`[segment, security_id, mode]`).
    pub fn sim_connections(&self) -> Vec<Vec<Value>> {
        self.sim_counters()
            .map(|c| {
                mandi_testkit::sim_connections(&c, "dhan")
                    .into_iter()
                    .map(|s| s.as_array().cloned().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Start `mandi run --role <role>` named `name`. A leader or an edge is waited on
    /// until it answers `/health`; a standby until it says it waits for the lease.
    pub fn start(&self, role: &str, name: &str) -> Node {
        self.start_with(role, name, &[])
    }

    /// [`Cluster::start`] with settings for this node only (after the cluster's own).
    pub fn start_with(&self, role: &str, name: &str, own: &[(&str, &str)]) -> Node {
        let port = free_port();
        let sim = &self.sim.addr;
        let ws = format!("ws://{sim}");
        let rest = format!("http://{sim}");
        let nats = self.nats_url();
        let port_s = port.to_string();
        let mut env: Vec<(&str, &str)> = vec![
            ("MANDI__SERVER__PORT", &port_s),
            ("MANDI__SIMULATOR__ENABLED", "false"),
            ("MANDI__UPSTREAM__WS_URL", &ws),
            ("MANDI__UPSTREAM__REST_URL", &rest),
            ("MANDI__MASTER__SOURCE", "none"),
            ("MANDI__STORE__DATA_DIR", ""),
            ("MANDI__CLUSTER__NATS_URL", &nats),
            ("MANDI__CLUSTER__NODE", name),
            ("DHAN_CLIENT_ID", SIM_CLIENT_ID),
            ("DHAN_ACCESS_TOKEN", SIM_TOKEN),
        ];
        env.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        env.extend_from_slice(own);
        spawn(&self.dir, name, &["run", "--role", role], &env, port)
    }

    /// Wait until `node` serves `/health` (a leader or an edge).
    pub async fn serving(&self, node: &Node) {
        let what = format!("{} serving /health (not as a standby)", node.name);
        mandi_testkit::wait_for(&what, Duration::from_secs(20), || async {
            node.health()
                .filter(|h| h["status"] != "standby")
                .map(|_| ())
        })
        .await;
    }

    /// Wait until `node` logs `text`.
    pub async fn logged(&self, node: &Node, text: &str, deadline: Duration) {
        let what = format!("{} to log {text:?}", node.name);
        mandi_testkit::wait_for(&what, deadline, || async {
            node.log().contains(text).then_some(())
        })
        .await;
    }
}

fn spawn(
    dir: &std::path::Path,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    port: u16,
) -> Node {
    let log = dir.join(format!("{name}.log"));
    // tracing writes to stdout, panics to stderr: both into the node's log.
    let file = std::fs::File::create(&log).expect("log file");
    let err = file.try_clone().expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mandi"));
    cmd.args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn mandi");
    Node {
        child: Some(child),
        name: name.into(),
        addr: format!("127.0.0.1:{port}"),
        log,
    }
}
