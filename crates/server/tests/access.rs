//! Who may reach the real `mandi` binary, at the socket: API keys on HTTP and on both
//! WebSocket upgrades, read-only keys, admin behind a proxy header, other origins, a
//! public bind without keys; and `systemctl stop` (SIGTERM) ending in exit 0 with the
//! price snapshot written.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{get_json, raw, start, wait_for};

const TRADE_KEY: &str = "trade-key-for-tests-0123456789";
const READ_KEY: &str = "read-key-for-tests-0123456789";
const DEADLINE: Duration = Duration::from_secs(15);

fn upgrade_headers<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    h.extend_from_slice(extra);
    h
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[test]
fn api_keys_guard_http_and_both_sockets_and_scopes_hold() {
    let (_mandi, addr) = start(&[
        (
            "MANDI_API_KEYS",
            &format!("trade:{TRADE_KEY},read:{READ_KEY}"),
        ),
        // The paper account in memory: nothing of this test lands on disk.
        ("MANDI__STORE__DATA_DIR", ""),
    ]);
    let trade = bearer(TRADE_KEY);
    let read = bearer(READ_KEY);
    wait_for("the runtime serving", DEADLINE, || {
        get_json(&addr, "/health")
    });

    for path in ["/api/instruments", "/prices", "/api/orders"] {
        let (status, body) = raw(&addr, "GET", path, &[], "");
        assert_eq!(status, 401, "{path} without a key: {body}");
        let (status, _) = raw(&addr, "GET", path, &[("Authorization", &read)], "");
        assert_eq!(status, 200, "{path} with a read key");
    }
    for path in ["/ws", "/ws/prices"] {
        let (status, _) = raw(&addr, "GET", path, &upgrade_headers(&[]), "");
        assert_eq!(status, 401, "{path} upgrade without a key is refused");
        let (status, _) = raw(
            &addr,
            "GET",
            path,
            &upgrade_headers(&[("Authorization", &read)]),
            "",
        );
        assert_eq!(status, 101, "{path} upgrade with a key");
        let (status, _) = raw(
            &addr,
            "GET",
            path,
            &upgrade_headers(&[("Authorization", &read), ("Origin", "http://evil.example")]),
            "",
        );
        assert_eq!(status, 403, "{path} from another origin, key or not");
    }
    assert_eq!(
        raw(&addr, "GET", "/health", &[], "").0,
        200,
        "health stays open for probes"
    );

    let order =
        json!({"symbol": "RELIANCE", "side": "BUY", "lots": 1, "tag": "scope-check"}).to_string();
    let json_ct = ("Content-Type", "application/json");
    let (status, body) = raw(
        &addr,
        "POST",
        "/api/orders",
        &[("Authorization", &read), json_ct],
        &order,
    );
    assert_eq!(status, 403, "a read-only key cannot place orders: {body}");
    assert!(body.contains("read_only_key"), "{body}");
    let (status, body) = raw(
        &addr,
        "POST",
        "/api/orders",
        &[("Authorization", &trade), json_ct],
        &order,
    );
    assert!(
        status == 201 || status == 422,
        "a trade key reaches the paper account: {status} {body}"
    );

    // A login turns the key into a cookie the browser then carries.
    let (status, _) = raw(
        &addr,
        "POST",
        "/api/auth/login",
        &[json_ct],
        &json!({"key": "wrong-key-0123456789"}).to_string(),
    );
    assert_eq!(status, 401);
    let (cookie, cookie_line) = common::login_cookie(&addr, READ_KEY);
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    assert_eq!(
        raw(&addr, "GET", "/api/positions", &[("Cookie", &cookie)], "").0,
        200
    );

    // Behind a proxy every caller is 127.0.0.1; without MANDI_ADMIN_TOKEN admin is closed.
    let (status, _) = raw(
        &addr,
        "POST",
        "/api/admin/master/reload",
        &[("X-Forwarded-For", "203.0.113.9")],
        "",
    );
    assert_eq!(status, 403, "admin through a proxy without the token");
    let (_, metrics) = raw(&addr, "GET", "/metrics", &[], "");
    assert!(
        metrics.contains("mandi_http_refused_total{code=\"unauthorized\"}"),
        "{metrics}"
    );
}

#[test]
fn keyless_mode_serves_only_direct_local_callers() {
    let (_mandi, addr) = start(&[("MANDI__STORE__DATA_DIR", "")]);
    wait_for("the runtime serving", DEADLINE, || {
        get_json(&addr, "/health")
    });
    assert_eq!(raw(&addr, "GET", "/api/instruments", &[], "").0, 200);
    let (status, body) = raw(
        &addr,
        "GET",
        "/api/instruments",
        &[("X-Forwarded-For", "203.0.113.9")],
        "",
    );
    assert_eq!(status, 403, "a proxied request needs API keys: {body}");
    for header in [
        ("X-Forwarded-For", "203.0.113.9"),
        ("Forwarded", "for=203.0.113.9"),
        ("X-Real-IP", "203.0.113.9"),
    ] {
        let (status, _) = raw(
            &addr,
            "POST",
            "/api/admin/crash/feed_connection",
            &[header],
            "",
        );
        assert_eq!(
            status, 403,
            "admin behind {header:?} without the token, from 127.0.0.1"
        );
    }
    let (status, _) = raw(
        &addr,
        "GET",
        "/api/instruments",
        &[("Host", "rebound.example:80")],
        "",
    );
    assert_eq!(status, 421, "a DNS name rebound onto 127.0.0.1 is refused");
    let (status, _) = raw(
        &addr,
        "POST",
        "/api/orders",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
        ],
        &json!({"symbol": "RELIANCE", "side": "BUY", "lots": 1}).to_string(),
    );
    assert_eq!(status, 403, "a cross-origin text/plain order");
    let orders: Value = get_json(&addr, "/api/orders").expect("orders");
    assert_eq!(
        orders["orders"].as_array().map(Vec::len),
        Some(0),
        "{orders}"
    );
}

#[test]
fn a_public_bind_without_keys_and_a_wildcard_origin_are_refused_naming_the_key() {
    let exe = env!("CARGO_BIN_EXE_mandi");
    for (args, env, key) in [
        (
            vec!["run"],
            vec![("MANDI__SERVER__HOST", "0.0.0.0")],
            "server.host",
        ),
        (
            vec!["check-config"],
            vec![("MANDI__SERVER__HOST", "0.0.0.0")],
            "server.host",
        ),
        (
            vec!["check-config"],
            vec![("MANDI__SERVER__CORS_ORIGINS", "*")],
            "server.cors_origins[0]",
        ),
        (
            vec!["run"],
            vec![("MANDI__SERVER__CORS_ORIGINS", "*")],
            "server.cors_origins[0]",
        ),
    ] {
        let out = Command::new(exe)
            .args(&args)
            .envs(env.iter().copied())
            .env_remove("MANDI_API_KEYS")
            .env("MANDI__SERVER__PORT", "0")
            .output()
            .expect("run mandi");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(key), "{args:?} names {key}: {stderr}");
    }
    let out = Command::new(exe)
        .arg("--version")
        .output()
        .expect("run mandi");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("mandi "),
        "version printed"
    );
    let out = Command::new(exe)
        .args(["run", "--help"])
        .output()
        .expect("run mandi");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && help.contains("MANDI_API_KEYS") && help.contains("SIGTERM"),
        "{help}"
    );
}

#[test]
fn sigterm_exits_zero_with_the_price_snapshot_written() {
    let dir = std::env::temp_dir().join(format!("mandi-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data_dir = dir.display().to_string();
    let (mut mandi, addr) = start(&[
        ("MANDI__STORE__DATA_DIR", &data_dir),
        // Long enough that only the shutdown writes the snapshot.
        ("MANDI__STORE__PERSIST_INTERVAL_MS", "3600000"),
    ]);
    wait_for("live NIFTY prices", DEADLINE, || {
        get_json(&addr, "/prices")?["NIFTY"].as_f64()
    });
    let snapshot = dir.join("prices.json");
    let _ = std::fs::remove_file(&snapshot);
    let pid = mandi.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .stdout(Stdio::null())
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = Instant::now();
    let status = wait_for(
        "mandi to exit after SIGTERM",
        Duration::from_secs(10),
        || mandi.0.try_wait().ok().flatten(),
    );
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("snapshot written"))
            .expect("snapshot is JSON");
    assert!(written.is_object(), "{written}");
    let _ = std::fs::remove_dir_all(&dir);
}
