//! A permanently rejected token: the runtime makes one attempt, writes one warning line
//! with the fix, schedules the next attempt at least a minute out, never opens a socket
//! with a refused token, and never prints the token. Real `mandi run` against `mandi sim`.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};

mod common;
use common::{free_port, get_json, wait_for, Running};

const SECRET: &str = "do-not-log-this-token-7f3a9c";

#[test]
fn rejected_token_means_one_attempt_one_line_and_no_secret_in_logs() {
    let exe = env!("CARGO_BIN_EXE_mandi");
    let sim_port = free_port();
    let sim_addr = format!("127.0.0.1:{sim_port}");
    let _sim = Running(
        Command::new(exe)
            .args(["sim", "--port", &sim_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mandi sim"),
    );
    wait_for("the simulator", Duration::from_secs(15), || {
        get_json(&sim_addr, "/admin/counters")
    });

    let run_port = free_port();
    let run_addr = format!("127.0.0.1:{run_port}");
    let log = std::env::temp_dir().join(format!("mandi-rejected-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log).expect("log file");
    let _run = Running(
        Command::new(exe)
            .arg("run")
            .env("MANDI__SERVER__PORT", run_port.to_string())
            .env("MANDI__SIMULATOR__ENABLED", "false")
            .env("MANDI__STORE__DATA_DIR", "")
            // No bots on purpose (a missing strategies directory is a warning of its own).
            .env("MANDI__STRATEGIES__DIR", "")
            .env("MANDI__UPSTREAM__WS_URL", format!("ws://{sim_addr}"))
            .env("MANDI__UPSTREAM__REST_URL", format!("http://{sim_addr}"))
            // The broker's master (the default with the simulator off), from the simulator.
            .env(
                "MANDI__MASTER__SOURCE",
                format!("http://{sim_addr}/api-data/api-scrip-master.csv"),
            )
            .env("DHAN_CLIENT_ID", "1000000001")
            .env("DHAN_ACCESS_TOKEN", SECRET)
            .env("RUST_LOG", "debug")
            .stdout(log_file.try_clone().expect("clone"))
            .stderr(log_file)
            .spawn()
            .expect("spawn mandi run"),
    );
    let health = wait_for("login_required", Duration::from_secs(15), || {
        let h = get_json(&run_addr, "/health")?;
        (h["feed"]["state"] == "login_required").then_some(h)
    });
    let next: DateTime<Utc> = health["feed"]["next_attempt_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("next_attempt_at is set");
    let wait = next - Utc::now();
    assert!(wait.num_seconds() >= 50, "next attempt only {wait} away");

    // An observation window: nothing may happen in it (the next attempt is a minute out).
    std::thread::sleep(Duration::from_secs(2));
    let counters = get_json(&sim_addr, "/admin/counters").expect("counters");
    assert_eq!(
        counters["dhan"]["connections_total"], 0,
        "no socket with a refused token"
    );
    assert_eq!(
        counters["rest_requests_total"], 2,
        "the master download and one profile check: {counters}"
    );
    let health = get_json(&run_addr, "/health").expect("health");
    assert_eq!(health["feed"]["connects"], 0);

    let text = std::fs::read_to_string(&log).expect("log");
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "one warning line: {warnings:#?}");
    assert!(
        warnings[0].contains("fix"),
        "the line says how to fix it: {}",
        warnings[0]
    );
    assert!(!text.contains(SECRET), "the token leaked into the log");
    let _ = std::fs::remove_file(&log);
}
