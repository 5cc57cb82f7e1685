//! Command-line flags. Hand-rolled: a handful of flags do not justify an argument-parser
//! dependency in the build.

use std::path::PathBuf;

use crate::bench::Options;
use crate::scenario::NAMES;

pub const USAGE: &str = "\
mandi-loadgen — fan-out and latency load against mandi and a raw reference server, side by side

usage: mandi-loadgen [--scenario NAME]... [--quick] [--json] [--mandi PATH | --reference-only]
                     [--concurrent] [--keep-logs] [--list]

  --scenario NAME    run this scenario (repeatable; default: all, in --list order)
  --quick            a short smoke run: fewer clients, sub-second steps
  --json             print one JSON document instead of tables
  --mandi PATH       the mandi binary (default: $CARGO_TARGET_DIR/release/mandi, else
                     target/release/mandi)
  --reference-only   measure the reference server alone (no mandi binary needed)
  --concurrent       run mandi and the reference at the same time on the same ticks
                     (default: one after the other, the same tick schedule for each)
  --keep-logs        keep mandi's temp directory and log
  --list             list the scenarios

Raise the open-file limit first for 1,000 clients a side (make bench-load runs
`ulimit -n 65536`).";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    Run(Options),
    Help,
    List,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut opts = Options {
        scenarios: Vec::new(),
        quick: false,
        json: false,
        mandi: Some(default_mandi()),
        concurrent: false,
        keep_logs: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--list" => return Ok(Command::List),
            "--quick" => opts.quick = true,
            "--json" => opts.json = true,
            "--concurrent" => opts.concurrent = true,
            "--keep-logs" => opts.keep_logs = true,
            "--reference-only" => opts.mandi = None,
            "--mandi" => {
                let path = it.next().ok_or("--mandi needs a path")?;
                opts.mandi = Some(PathBuf::from(path));
            }
            "--scenario" => {
                let name = it.next().ok_or("--scenario needs a name")?;
                if name == "all" {
                    opts.scenarios.extend(NAMES.iter().map(|n| n.to_string()));
                } else if NAMES.contains(&name.as_str()) {
                    opts.scenarios.push(name.clone());
                } else {
                    return Err(format!(
                        "unknown scenario {name}; one of all, {}",
                        NAMES.join(", ")
                    ));
                }
            }
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    if opts.scenarios.is_empty() {
        opts.scenarios = NAMES.iter().map(|n| n.to_string()).collect();
    }
    Ok(Command::Run(opts))
}

fn default_mandi() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("release").join("mandi")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags() {
        struct TestCase {
            name: &'static str,
            args: &'static str,
            check: fn(&Result<Command, String>) -> bool,
        }
        let cases = [
            TestCase {
                name: "default runs everything against target/release/mandi",
                args: "",
                check: |r| matches!(r, Ok(Command::Run(o)) if o.scenarios.len() == NAMES.len() && o.mandi.is_some()),
            },
            TestCase {
                name: "one scenario, quick, json",
                args: "--scenario p5-1x1k --quick --json",
                check: |r| matches!(r, Ok(Command::Run(o)) if o.scenarios == ["p5-1x1k"] && o.quick && o.json),
            },
            TestCase {
                name: "reference only",
                args: "--reference-only --concurrent",
                check: |r| matches!(r, Ok(Command::Run(o)) if o.mandi.is_none() && o.concurrent),
            },
            TestCase {
                name: "explicit binary",
                args: "--mandi /tmp/m",
                check: |r| matches!(r, Ok(Command::Run(o)) if o.mandi.as_deref() == Some(std::path::Path::new("/tmp/m"))),
            },
            TestCase {
                name: "unknown scenario",
                args: "--scenario p9",
                check: |r| matches!(r, Err(e) if e.contains("unknown scenario p9")),
            },
            TestCase {
                name: "missing value",
                args: "--mandi",
                check: |r| r.is_err(),
            },
            TestCase {
                name: "help",
                args: "-h",
                check: |r| matches!(r, Ok(Command::Help)),
            },
        ];
        for c in cases {
            let got = parse(&args(c.args));
            assert!((c.check)(&got), "{}: got {got:?}", c.name);
        }
    }
}
