//! Helpers for the tests that run the real `mandi` binary: a child that is killed when the
//! test ends, a blocking JSON GET, and waiting on a condition with a deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the child when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(dead_code)] // not every test binary that includes this module picks ports itself
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[allow(dead_code)] // not every test binary that includes this module starts the binary
/// Start `mandi run` with `env`; returns the process and its base address (host:port).
pub fn start(env: &[(&str, &str)]) -> (Running, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mandi"));
    cmd.arg("run")
        .env("MANDI__SERVER__PORT", "0")
        // A lively market whatever the hour the tests run at.
        .env("MANDI__SIMULATOR__INTRADAY_PROFILE", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn mandi");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("mandi listening on http://") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("mandi printed its address");
    (Running(child), addr)
}

/// A plain HTTP/1.0 GET's body, so these tests need no async runtime.
pub fn get_text(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    Some(raw.split_once("\r\n\r\n")?.1.to_string())
}

/// [`get_text`] parsed as JSON.
pub fn get_json(addr: &str, path: &str) -> Option<Value> {
    serde_json::from_str(&get_text(addr, path)?).ok()
}

/// A plain HTTP/1.0 request with an optional JSON body: the status and the JSON answer.
#[allow(dead_code)] // used by the paper-trading binary tests
pub fn request_json(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let json = serde_json::from_str(raw.split_once("\r\n\r\n")?.1).unwrap_or(Value::Null);
    Some((status, json))
}

/// Poll `probe` until it yields `Some`, or fail naming `what` after `deadline`.
pub fn wait_for<T>(what: &str, deadline: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let give_up = Instant::now() + deadline;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < give_up,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One raw HTTP/1.1 request with `headers`; the status, the head and the body.
#[allow(dead_code)] // used by the access and cluster tests
pub fn raw_answer(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    if !has("host") {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    if !has("connection") {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if body.is_empty() {
        req.push_str("\r\n");
    } else {
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    }
    s.write_all(req.as_bytes()).expect("write");
    let mut out = Vec::new();
    // An upgrade answer (101) keeps the socket open: read what arrived, then stop.
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.starts_with(b"HTTP/1.1 101") && out.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .unwrap_or_default();
    (status, head, body)
}

/// [`raw_answer`]'s status and body.
#[allow(dead_code)] // used by the access and cluster tests
pub fn raw(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, _, body) = raw_answer(addr, method, path, headers, body);
    (status, body)
}

/// Log in with `key` and return the session cookie (`mandi_session=…`) and the
/// `Set-Cookie` line it came in.
#[allow(dead_code)] // used by the access and cluster tests
pub fn login_cookie(addr: &str, key: &str) -> (String, String) {
    let body = serde_json::json!({ "key": key }).to_string();
    let (status, head, answer) = raw_answer(
        addr,
        "POST",
        "/api/auth/login",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(status, 200, "login: {answer}");
    let line = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: mandi_session=")
        })
        .unwrap_or_else(|| panic!("a session cookie: {head}"))
        .to_string();
    let cookie = line["set-cookie: ".len()..]
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    (cookie, line)
}
