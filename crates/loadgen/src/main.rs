//! `mandi-loadgen`: starts mandi against a fake Dhan upstream, runs the fan-out and latency
//! scenarios against it and against a raw tokio-tungstenite reference in this process, fed
//! the same ticks, and prints mandi and reference side by side (tables or `--json`).

mod bench;
mod cli;
mod client;
mod clock;
mod generator;
mod mandi;
mod phase;
mod procfs;
mod reference;
mod report;
mod scenario;
mod stats;
mod symbols;
mod ticks;
mod upstream;

use std::process::ExitCode;

use bench::Bench;
use cli::Command;
use report::{Machine, RunReport};

/// Sockets per client a side (client + server end) plus headroom for everything else.
const FDS_PER_CLIENT: u64 = 3;
const MAX_CLIENTS: u64 = 1000;
const FD_HEADROOM: u64 = 256;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match cli::parse(&args) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::List) => {
            println!("{}", scenario::NAMES.join("\n"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("mandi-loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mandi-loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: bench::Options) -> anyhow::Result<()> {
    let need = FDS_PER_CLIENT * MAX_CLIENTS + FD_HEADROOM;
    if let Some(limit) = procfs::open_files_limit().filter(|&l| l < need) {
        eprintln!("warning: open-file limit {limit} < {need}: run `ulimit -n 65536` first (make bench-load does)");
    }
    let machine = Machine::here();
    let json = opts.json;
    if !json {
        println!("{}", machine.line());
    }
    // The orchestration runs on this thread; every load-bearing task runs on the bench's own
    // runtimes. The bench owns runtimes, so it is dropped outside `block_on`.
    let main_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bench = main_rt.block_on(Bench::start(opts))?;
    let mut reports = Vec::new();
    let outcome = main_rt.block_on(async {
        for name in bench.opts.scenarios.clone() {
            if json {
                eprintln!("running {name}…");
            }
            let report = scenario::run(&bench, &name).await?;
            if !json {
                println!("{}", report::table(&report));
            }
            reports.push(report);
        }
        anyhow::Ok(())
    });
    drop(bench);
    if json {
        let doc = RunReport {
            machine: &machine,
            scenarios: &reports,
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Target;

    /// The whole machinery at `--quick` size, against the reference only: generator, batches,
    /// the reference's decode and broadcast, 20 clients, sequence recovery and the step's figures.
    #[test]
    fn quick_run_against_the_reference() {
        let opts = bench::Options {
            scenarios: vec!["p5-100x1k".into()],
            quick: true,
            json: false,
            mandi: None,
            concurrent: false,
            keep_logs: false,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the orchestration");
        let bench = rt.block_on(Bench::start(opts)).expect("the bench starts");
        let report = rt.block_on(scenario::run(&bench, "p5-100x1k"));
        drop(bench);
        let report = report.expect("the scenario runs");
        assert_eq!(report.rows.len(), 1, "one step, reference only");
        let row = &report.rows[0];
        assert_eq!(row.target, Target::Reference);
        assert_eq!(row.clients, 20);
        assert!(row.sent >= 300, "0.6 s at 1000/s: {row:?}");
        assert_eq!(
            row.delivered,
            row.sent * 20,
            "every tick to every client: {row:?}"
        );
        assert_eq!(
            (row.gaps, row.reordered, row.disconnects),
            (0, 0, 0),
            "{row:?}"
        );
        let latency = row.latency.expect("latency samples");
        assert_eq!(latency.samples, row.delivered);
        assert!(latency.p50_us > 0.0 && latency.p50_us <= latency.max_us);
        assert!(
            row.frame_bytes > 500,
            "a full-mode tick with depth: {row:?}"
        );
        assert!(report::table(&report).contains("reference"));
    }
}
