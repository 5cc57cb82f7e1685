//! The real `mandi` binary, started from another working directory with `--config DIR`
//! (a copy of the shipped default.toml): `check-config` prints `DIR/strategies` as the
//! strategies directory, and `run` starts the bots found there.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{get_json, wait_for, Running};

const BOT: &str = "name = \"binary_bot\"\nunderlying = \"NIFTY\"\n";

#[test]
fn run_from_elsewhere_with_a_config_dir_starts_its_bots() {
    let exe = env!("CARGO_BIN_EXE_mandi");
    let root = std::env::temp_dir().join(format!("mandi-config-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let conf = root.join("conf");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(conf.join("strategies")).expect("config dir");
    std::fs::create_dir_all(&elsewhere).expect("working dir");
    std::fs::write(
        conf.join("default.toml"),
        include_str!("../../../config/default.toml"),
    )
    .expect("default.toml");
    std::fs::write(conf.join("strategies").join("bot.toml"), BOT).expect("bot file");

    let checked = Command::new(exe)
        .args(["check-config", "--config"])
        .arg(&conf)
        .current_dir(&elsewhere)
        .output()
        .expect("run check-config");
    assert!(checked.status.success(), "{checked:?}");
    let printed: Value = serde_json::from_slice(&checked.stdout).expect("JSON on stdout");
    let want = conf.join("strategies").display().to_string();
    assert_eq!(printed["strategies"]["dir"], want.as_str(), "{printed}");
    let paths = String::from_utf8_lossy(&checked.stderr);
    assert!(
        paths.contains(&format!("strategies.dir = {want}")),
        "the resolved path and its origin on stderr: {paths}"
    );

    let mut child = Command::new(exe)
        .arg("run")
        .arg("--config")
        .arg(&conf)
        .current_dir(&elsewhere)
        .env("MANDI__SERVER__PORT", "0")
        .env("MANDI__STORE__DATA_DIR", "")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mandi run");
    let stdout = child.stdout.take().expect("stdout");
    let _run = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("mandi listening on http://") {
                let _ = tx.send(addr.to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("mandi printed its address");
    let bot = wait_for("the bot of DIR/strategies", Duration::from_secs(15), || {
        let bots = get_json(&addr, "/api/bots")?;
        bots["bots"]
            .as_array()?
            .iter()
            .find(|b| b["name"] == "binary_bot")
            .cloned()
    });
    assert_eq!(bot["underlying"], "NIFTY", "{bot}");
    drop(_run);
    let _ = std::fs::remove_dir_all(&root);
}
