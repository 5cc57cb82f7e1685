//! The `mandi` binary: `run` (runtime + dashboard, with the embedded simulator by
//! default), `sim` (the broker simulator alone), `replay` (recorded days through the
//! bots), `check-config`.

use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context as _;
use mandi_server::{app, config};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
mandi — supervised market-data runtime for Dhan and Kite

usage:
  mandi run [--config PATH] [--role R]  start the runtime and dashboard (R: standalone, feed, edge)
  mandi run --replay DATE|PATH [--speed N]
                                        serve a recorded day live, on its clock, N times real time
  mandi sim [--config PATH] [--port N]  start only the broker simulator (default port 9100)
  mandi sim --record-day DATE [--config PATH]
                                        write a synthetic session of DATE as a recording, at full speed
  mandi check-config [--config PATH]    validate the configuration, print it and its resolved paths
  mandi replay <DATE|PATH>... [--speed 1|10|max] [--from HH:MM] [--to HH:MM]
               [--strategies DIR] [--report FILE] [--json] [--config PATH]
               [--set [BOT:]KEY=V1,V2,...]...
                                        replay recorded days through the bots and paper account
  mandi --version
  mandi help

PATH is a TOML file or a directory holding default.toml (and optionally local.toml).
Relative paths in a config file are from that file's directory.
Environment overrides: MANDI__SECTION__KEY, e.g. MANDI__SERVER__PORT=8010 (relative paths
in them are from the working directory).";

const RUN_USAGE: &str = "\
mandi run [--config PATH] — the runtime, its HTTP/WebSocket API and the dashboard

  --config PATH   a TOML file, or a directory holding default.toml (and local.toml)
  --role ROLE     standalone (the default), feed or edge: this node's part in a cluster
                  over NATS (cluster.role; see docs/cluster.md)
  --replay DATE|PATH
                  serve a recorded day instead of the market: the embedded simulator
                  plays it out on its feed sockets and everything runs on its clock
                  (docs/backtesting.md); DATE is a day under <store.data_dir>/recordings
  --speed N       with --replay: N times real time (default 1)

Environment:
  MANDI__SECTION__KEY        override any config key, e.g. MANDI__SERVER__PORT=8010
  DHAN_CLIENT_ID, DHAN_ACCESS_TOKEN / KITE_API_KEY, KITE_ACCESS_TOKEN
                             broker credentials (not needed with the embedded simulator)
  MANDI_API_KEYS             client keys, comma-separated: trade:KEY or read:KEY
                             (required to listen on anything but loopback)
  MANDI_ADMIN_TOKEN          bearer token for /api/auth/token and /api/admin/* (required
                             to reach them through a proxy)
  RUST_LOG                   log filter, overrides server.log_filter

SIGTERM or Ctrl-C shuts down gracefully: sockets closed (1001), price snapshot and
journal written, exit 0.";

struct Args {
    command: String,
    config: Option<PathBuf>,
    port: Option<u16>,
    record_day: Option<chrono::NaiveDate>,
    /// `--role`: the same as `MANDI__CLUSTER__ROLE`, and wins over it.
    role: Option<String>,
    /// `run --replay DATE|PATH` and its `--speed`.
    replay: Option<String>,
    speed: Option<u32>,
    help: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let command = it.next().unwrap_or_else(|| "help".into());
    let mut args = Args {
        command,
        config: None,
        port: None,
        record_day: None,
        role: None,
        replay: None,
        speed: None,
        help: false,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" => args.config = Some(it.next().context("--config needs a path")?.into()),
            "--port" => {
                let v = it.next().context("--port needs a number")?;
                args.port = Some(
                    v.parse()
                        .with_context(|| format!("--port {v} is not a port number"))?,
                );
            }
            "--record-day" => {
                let v = it
                    .next()
                    .context("--record-day needs a date (YYYY-MM-DD)")?;
                args.record_day = Some(
                    v.parse()
                        .with_context(|| format!("--record-day {v} is not a date (YYYY-MM-DD)"))?,
                );
            }
            "--role" => {
                args.role = Some(it.next().context("--role needs standalone, feed or edge")?)
            }
            "--replay" => {
                args.replay = Some(
                    it.next()
                        .context("--replay needs a date (YYYY-MM-DD) or a path")?,
                )
            }
            "--speed" => {
                let v = it.next().context("--speed needs a whole number")?;
                args.speed = Some(v.parse().ok().filter(|&n: &u32| n >= 1).with_context(|| {
                    format!("--speed {v}: use a whole number ≥ 1 (1 is real time)")
                })?);
            }
            "--help" | "-h" => args.help = true,
            other => anyhow::bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    Ok(args)
}

fn init_tracing(filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("replay") {
        return replay();
    }
    let args = parse_args()?;
    if matches!(args.command.as_str(), "--version" | "-V" | "version") {
        println!("mandi {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    if matches!(args.command.as_str(), "help" | "--help" | "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    if args.help {
        println!(
            "{}",
            if args.command == "run" {
                RUN_USAGE
            } else {
                USAGE
            }
        );
        return Ok(());
    }
    let role = args
        .role
        .clone()
        .map(|r| ("MANDI__CLUSTER__ROLE".to_string(), r));
    let cfg = match config::load(args.config.as_deref(), std::env::vars().chain(role)) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("mandi: {e}");
            std::process::exit(2);
        }
    };
    match args.command.as_str() {
        "check-config" => {
            // The strategy files are part of the configuration: a bad one fails here too.
            if let Err(e) = cfg.trading_settings() {
                eprintln!("mandi: {e}");
                std::process::exit(2);
            }
            // What `run` would refuse about access (a public bind without keys, bad keys).
            if let Err(e) = cfg.security(|v| std::env::var(v).ok()) {
                eprintln!("mandi: {e}");
                std::process::exit(2);
            }
            println!("{}", serde_json::to_string_pretty(&cfg)?);
            // Where each path points and which layer set it, beside the JSON (stdout stays
            // parseable).
            eprintln!("paths (a config file's relative paths start at its directory; MANDI__ variables' at the working directory):");
            for p in &cfg.resolved_paths {
                let shown = match (p.key, p.resolved.as_str()) {
                    ("master.source", "") => {
                        "(empty: the simulator's master, or the broker's with the simulator off)"
                    }
                    (_, "") => "(none)",
                    (_, path) => path,
                };
                eprintln!("  {} = {shown}  (from {})", p.key, p.origin);
            }
            if let Some(note) = cfg.strategies_dir_note() {
                eprintln!("note: {note}");
            }
            Ok(())
        }
        "run" => {
            if let Err(e) = cfg.security(|v| std::env::var(v).ok()) {
                eprintln!("mandi: {e}");
                std::process::exit(2);
            }
            init_tracing(&cfg.server.log_filter);
            let mut cfg = cfg;
            let served = match &args.replay {
                None if args.speed.is_some() => {
                    eprintln!("mandi: --speed goes with --replay");
                    std::process::exit(2);
                }
                None => None,
                // The recording decides the broker, and turns the recorder off.
                Some(input) => match mandi_server::replay::serve::prepare(
                    &mut cfg,
                    input,
                    args.speed.unwrap_or(1),
                ) {
                    Ok(served) => Some(served),
                    Err(e) => {
                        eprintln!("mandi run --replay: {e}");
                        std::process::exit(2);
                    }
                },
            };
            // A standby feed node waits for the lease inside `run`, before it listens.
            actix_rt::System::new().block_on(run(cfg, served))
        }
        "sim" if args.record_day.is_some() => {
            let date = args.record_day.unwrap_or_default();
            record_day(&cfg, date)
        }
        "sim" => {
            init_tracing(&cfg.server.log_filter);
            let port = args.port.unwrap_or(if cfg.simulator.port == 0 {
                9100
            } else {
                cfg.simulator.port
            });
            actix_rt::System::new().block_on(sim(cfg, port))
        }
        other => anyhow::bail!("unknown command {other}\n\n{USAGE}"),
    }
}

/// `mandi replay …`: its own arguments, the same configuration layers as `run`.
fn replay() -> anyhow::Result<()> {
    let rest: Vec<String> = std::env::args().skip(2).collect();
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", mandi_server::replay::args::USAGE);
        return Ok(());
    }
    let args = match mandi_server::replay::args::parse(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mandi replay: {e}\n\n{}", mandi_server::replay::args::USAGE);
            std::process::exit(2);
        }
    };
    let cfg = match config::load(args.config.as_deref(), std::env::vars()) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("mandi: {e}");
            std::process::exit(2);
        }
    };
    // The bots' and the paper account's lines would bury the report: warnings only.
    init_tracing("warn");
    match mandi_server::replay::run_command(cfg, args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("mandi replay: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(
    cfg: config::MandiConfig,
    served: Option<mandi_server::replay::serve::Served>,
) -> anyhow::Result<()> {
    tracing::info!(
        server_tz = %chrono::Local::now().format("%Z (UTC%:z)"),
        "market times are computed in Asia/Kolkata whatever the server zone"
    );
    let listener =
        TcpListener::bind((cfg.server.host.as_str(), cfg.server.port)).with_context(|| {
            format!(
                "cannot listen on {}:{} — set server.port (or MANDI__SERVER__PORT) to a free port",
                cfg.server.host, cfg.server.port
            )
        })?;
    let mut running = match served {
        None => app::start(cfg, listener, workers()).await?,
        Some(served) => app::start_replay(cfg, listener, workers(), served).await?,
    };
    let url = running.base_url();
    tracing::info!(%url, "dashboard ready");
    println!("mandi listening on {url}");
    let outcome = tokio::select! {
        res = running.wait() => res,
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down: closing sockets, writing the price snapshot");
            Ok(())
        }
    };
    running.shutdown().await;
    tracing::info!("stopped");
    outcome
}

/// SIGINT (Ctrl-C) or SIGTERM (what `systemctl stop` sends), whichever comes first.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use actix_rt::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = actix_rt::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = actix_rt::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = actix_rt::signal::ctrl_c().await;
        "SIGINT"
    }
}

async fn sim(cfg: config::MandiConfig, port: u16) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| {
        format!("cannot listen on 127.0.0.1:{port} — pass --port with a free port")
    })?;
    let handle = mandi_simulator::start(app::sim_settings(&cfg), listener)?;
    println!(
        "mandi sim listening on {} (dhan client id {}, kite api key {}; counters at {}/admin/counters)",
        handle.ws_url(),
        app::SIM_DHAN_CLIENT_ID,
        app::SIM_KITE_API_KEY,
        handle.rest_url()
    );
    let _ = actix_rt::signal::ctrl_c().await;
    handle.stop().await;
    Ok(())
}

/// `mandi sim --record-day DATE`: the simulator's session of DATE into
/// `<store.data_dir>/recordings/DATE/` (./recordings with no data directory).
fn record_day(cfg: &config::MandiConfig, date: chrono::NaiveDate) -> anyhow::Result<()> {
    use mandi_simulator::record_day::{default_root, record_day, RecordDay};
    let root = cfg
        .store_settings()
        .data_dir
        .map(|d| d.join("recordings"))
        .unwrap_or_else(|| default_root().to_path_buf());
    let started = std::time::Instant::now();
    let day = RecordDay {
        broker: cfg.broker().as_str().to_string(),
        date,
        root,
        window: None,
    };
    let written = record_day(&app::sim_settings(cfg), &cfg.calendar(), &day)
        .with_context(|| format!("recording the synthetic session of {date}"))?;
    println!(
        "wrote {} ({} instruments, {} frames, {} bytes) in {:.1} s; replay it with: mandi replay {date}",
        written.path.display(),
        written.instruments,
        written.records,
        written.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4)
}
