//! `mandi replay`: recorded market days through the same bots and paper account as
//! `mandi run`, on the recording's clock, ending in a report (docs/backtesting.md).
//! `args` parses the command line, `source` reads and merges the files, `engine` drives
//! the live actors, `report` turns fills and decisions into figures, `sweep` replays one
//! day once per combination of `--set` values, `serve` plays a day out live (`mandi run
//! --replay`).

pub mod args;
pub mod engine;
pub mod report;
pub mod serve;
pub mod source;
pub mod sweep;

use std::io::IsTerminal;

pub use args::{ReplayArgs, Speed};
pub use engine::{ReplayOutcome, ReplaySetup};
pub use report::Report;

use mandi_trading::strategy_host::StrategyFile;

use crate::config::MandiConfig;

/// What a replay made: the report and the live path's end state.
pub struct Replayed {
    pub report: Report,
    pub outcome: ReplayOutcome,
    /// The faults that ended files early (already in the report's inputs), for stderr.
    pub faults: Vec<String>,
}

/// A replay's inputs, read once: a sweep runs many replays over the same records.
pub struct Prepared {
    source: source::Source,
    broker: mandi_feed::settings::Broker,
    /// The bots as configured (or from `--strategies`), before any `--set`.
    pub strategies: Vec<StrategyFile>,
    instruments: Vec<mandi_domain::Instrument>,
}

/// Reads the recordings `args` names and the bots to replay them with.
pub fn prepare(cfg: &MandiConfig, args: &ReplayArgs) -> Result<Prepared, String> {
    let recordings = cfg.store_settings().data_dir.map(|d| d.join("recordings"));
    let mut files = Vec::new();
    for input in &args.inputs {
        files.extend(source::files_of(input, recordings.as_deref())?);
    }
    let source = source::load(&files, args.from, args.to)?;
    let broker = match source.broker.as_str() {
        "dhan" => mandi_feed::settings::Broker::Dhan,
        "kite" => mandi_feed::settings::Broker::Kite,
        other => {
            return Err(format!(
                "the recording names broker {other:?}; this build replays dhan and kite"
            ))
        }
    };
    let strategies = match &args.strategies {
        Some(dir) => mandi_trading::strategy_host::load_dir(dir).map_err(|e| e.to_string())?,
        None => {
            cfg.trading_settings()
                .map_err(|e| e.to_string())?
                .strategies
        }
    };
    // A recording made before its rows were kept still replays over the configured ones.
    let instruments = if source.instruments.is_empty() {
        cfg.instruments()
    } else {
        source.instruments.clone()
    };
    Ok(Prepared {
        source,
        broker,
        strategies,
        instruments,
    })
}

/// Replays what `args` names with `cfg`'s paper settings and bots (or `--strategies`).
/// Must run inside an actix System.
pub async fn replay(cfg: &MandiConfig, args: &ReplayArgs) -> Result<Replayed, String> {
    let prepared = prepare(cfg, args)?;
    let progress: Option<Box<dyn FnMut(usize, usize)>> =
        (std::io::stderr().is_terminal() && !args.json).then(|| {
            Box::new(|done: usize, all: usize| {
                eprint!(
                    "\rreplaying {done}/{all} records ({}%)",
                    done * 100 / all.max(1)
                );
                if done == all {
                    eprintln!();
                }
            }) as Box<dyn FnMut(usize, usize)>
        });
    let strategies = prepared.strategies.clone();
    replay_prepared(cfg, &prepared, strategies, args.speed, progress).await
}

/// One replay of prepared records with these bots. Must run inside an actix System.
pub async fn replay_prepared(
    cfg: &MandiConfig,
    prepared: &Prepared,
    strategies: Vec<StrategyFile>,
    speed: Speed,
    progress: Option<Box<dyn FnMut(usize, usize)>>,
) -> Result<Replayed, String> {
    let source = &prepared.source;
    let scratch = engine::scratch_dir("journal");
    let setup = ReplaySetup {
        broker: prepared.broker,
        instruments: prepared.instruments.clone(),
        strategies,
        paper: cfg.paper.clone(),
        calendar: cfg.calendar(),
        speed,
        bursts: source.synthetic,
        scratch: scratch.clone(),
        progress,
    };
    let outcome = engine::replay(setup, &source.records).await;
    engine::remove_scratch(&scratch);
    let outcome = outcome?;
    let end_s = outcome.end.map_or(0, |t| t.timestamp());
    let faults = source.inputs.faults.clone();
    let report = report::build(
        &source.broker,
        source.inputs.clone(),
        (outcome.frames, outcome.updates, outcome.undecodable),
        &outcome.fills,
        &outcome.events,
        end_s,
    );
    Ok(Replayed {
        report,
        outcome,
        faults,
    })
}

/// The `mandi replay` command: prints the report (table, or JSON with `--json`), writes
/// `--report FILE` as JSON; the exit code is 0, or 3 when a file ended in a fault.
pub fn run_command(cfg: MandiConfig, args: ReplayArgs) -> anyhow::Result<i32> {
    if !args.sets.is_empty() {
        return sweep::run_command(&cfg, &args);
    }
    let replayed = actix_rt::System::new().block_on(async { replay(&cfg, &args).await });
    let replayed = replayed.map_err(|e| anyhow::anyhow!(e))?;
    print_outcome(
        &args,
        &replayed.report,
        replayed.report.table(),
        &replayed.faults,
    )
}

/// What a replay or a sweep prints: `report` as JSON to `--report FILE`, then the JSON
/// (`--json`) or `table` on stdout, the faults on stderr; the exit code is 0, or 3 when a
/// file ended in a fault.
fn print_outcome(
    args: &ReplayArgs,
    report: &impl serde::Serialize,
    table: String,
    faults: &[String],
) -> anyhow::Result<i32> {
    let json = serde_json::to_string_pretty(report)?;
    if let Some(path) = &args.report {
        std::fs::write(path, format!("{json}\n"))
            .map_err(|e| anyhow::anyhow!("--report {}: {e}", path.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{table}");
    }
    for fault in faults {
        eprintln!("mandi: {fault}");
    }
    Ok(if faults.is_empty() { 0 } else { 3 })
}
