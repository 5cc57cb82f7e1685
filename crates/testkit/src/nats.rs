//! `nats-server` processes for the cluster tests: one, or three joined by routes, on free
//! loopback ports with JetStream in a temporary store directory each; started ready
//! (waited on with a deadline) and killed when dropped. Needs Debian's `nats-server`,
//! which `scripts/nats/install.sh` (run by `make test`) installs.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server gets to accept connections and have JetStream ready.
const READY_DEADLINE: Duration = Duration::from_secs(20);

/// One running `nats-server`; killed (and its store removed) when dropped.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    pub monitor_port: u16,
    pub cluster_port: Option<u16>,
    dir: PathBuf,
    name: String,
}

impl NatsServer {
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `kill -9`: the server is gone at once, as after a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("nats.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on now (the OS picks it; the race with other binds is small
/// and shows as a server that does not start, named in the panic).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn binary() -> String {
    let found = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "nats-server is not installed: run `bash scripts/nats/install.sh` (make test does) — Debian package nats-server"
    );
    "nats-server".into()
}

/// One server with JetStream.
pub fn start_nats() -> NatsServer {
    let mut s = spawn("n0", None, &[]);
    wait_ready(&mut s);
    s
}

/// Three servers routed into one cluster, JetStream on each (key-value buckets with 3
/// replicas survive the loss of one).
pub fn start_nats_cluster() -> Vec<NatsServer> {
    let cluster_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let routes: Vec<String> = cluster_ports
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect();
    let mut servers: Vec<NatsServer> = cluster_ports
        .iter()
        .enumerate()
        .map(|(i, port)| spawn(&format!("n{i}"), Some(*port), &routes))
        .collect();
    for s in &mut servers {
        wait_ready(s);
    }
    servers
}

fn spawn(name: &str, cluster_port: Option<u16>, routes: &[String]) -> NatsServer {
    let bin = binary();
    let (port, monitor_port) = (free_port(), free_port());
    let dir = std::env::temp_dir().join(format!("mandi-nats-{}-{name}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("nats store directory");
    let mut cmd = Command::new(bin);
    cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .args(["-m", &monitor_port.to_string()])
        .args(["-js", "-sd", &dir.join("js").to_string_lossy()])
        .args(["--server_name", name])
        .args(["-l", &dir.join("nats.log").to_string_lossy()]);
    if let Some(cp) = cluster_port {
        cmd.args(["--cluster", &format!("nats://127.0.0.1:{cp}")])
            .args(["--cluster_name", "mandi-test"])
            .args(["--routes", &routes.join(",")]);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts (scripts/nats/install.sh installs it)");
    NatsServer {
        child: Some(child),
        port,
        monitor_port,
        cluster_port,
        dir,
        name: name.into(),
    }
}

/// Until the client port accepts and `/healthz` says JetStream is ready.
fn wait_ready(s: &mut NatsServer) {
    let give_up = Instant::now() + READY_DEADLINE;
    loop {
        if let Some(child) = s.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "nats-server {} exited ({status}) before it was ready:\n{}",
                    s.name,
                    s.log()
                );
            }
        }
        if TcpStream::connect(("127.0.0.1", s.port)).is_ok() && healthz(s.monitor_port) {
            return;
        }
        assert!(
            Instant::now() < give_up,
            "nats-server {} not ready within {READY_DEADLINE:?}:\n{}",
            s.name,
            s.log()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn healthz(port: u16) -> bool {
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
    let req = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if conn.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}
