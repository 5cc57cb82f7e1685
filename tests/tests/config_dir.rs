//! Relative paths in a config file are from that file's directory: started from another
//! working directory with `--config DIR` (a copy of the shipped default.toml), the bots of
//! `DIR/strategies` start and the journal lands in the data directory `DIR/../data`.
//! This binary changes the process's working directory, so it holds this one test only.

use std::net::TcpListener;

use mandi_server::{app, config};
use mandi_testkit::{get_json, wait_for, DEADLINE};
use serde_json::Value;

const BOT: &str = "name = \"from_config_dir\"\nunderlying = \"NIFTY\"\n";

#[actix_rt::test]
async fn bots_of_the_config_directory_start_from_any_working_directory() {
    let root = std::env::temp_dir().join(format!("mandi-config-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let conf = root.join("conf");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(conf.join("strategies")).expect("config dir");
    std::fs::create_dir_all(&elsewhere).expect("working dir");
    std::fs::write(conf.join("default.toml"), config::EMBEDDED_DEFAULT).expect("default.toml");
    std::fs::write(conf.join("strategies").join("bot.toml"), BOT).expect("bot file");
    // Another working directory, with no strategies of its own.
    std::env::set_current_dir(&elsewhere).expect("cd elsewhere");

    let env: Vec<(String, String)> = [
        ("MANDI__SERVER__PORT", "0"),
        ("MANDI__SIMULATOR__PORT", "0"),
        ("MANDI__SIMULATOR__TICK_INTERVAL_MS", "50"),
        ("MANDI__SIMULATOR__INTRADAY_PROFILE", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let cfg = config::load(Some(&conf), env).expect("config loads");
    let resolved = |key: &str| {
        cfg.resolved_paths
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.resolved.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        resolved("strategies.dir"),
        conf.join("strategies").display().to_string()
    );
    assert_eq!(
        resolved("store.data_dir"),
        root.join("data").display().to_string()
    );

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let running = app::start_with_clock(cfg, listener, 1, None)
        .await
        .expect("stack starts");
    let bots_url = format!("{}/api/bots", running.base_url());
    let bot: Value = wait_for("the bot of DIR/strategies", DEADLINE, || async {
        let bots = get_json(&bots_url).await;
        bots["bots"]
            .as_array()?
            .iter()
            .find(|b| b["name"] == "from_config_dir")
            .cloned()
    })
    .await;
    assert_eq!(bot["underlying"], "NIFTY", "{bot}");
    assert!(
        root.join("data").join("paper-journal.sqlite").is_file(),
        "the journal in DIR/../data"
    );
    running.stop().await;
    let _ = std::fs::remove_dir_all(&root);
}
