//! `mandi replay` arguments: what to replay and how, parsed without touching anything.

use std::path::PathBuf;

use chrono::NaiveTime;

/// How fast recorded time passes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Recorded time × N: 1 is real time.
    Times(u32),
    /// As fast as the machine goes.
    Max,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplayArgs {
    /// Dates (YYYY-MM-DD, under `<store.data_dir>/recordings`) or paths (a file or a day's
    /// directory).
    pub inputs: Vec<String>,
    pub speed: Speed,
    /// IST time of day bounds, inclusive start, exclusive end.
    pub from: Option<NaiveTime>,
    pub to: Option<NaiveTime>,
    pub strategies: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub json: bool,
    pub config: Option<PathBuf>,
}

pub const USAGE: &str = "\
mandi replay <DATE|PATH>... [--speed 1|10|max] [--from HH:MM] [--to HH:MM]
             [--strategies DIR] [--report FILE] [--json] [--config PATH]

Feeds recorded upstream frames through the same decode, price store, bots and paper
account as `mandi run`, on the recording's clock, with a journal of its own, and prints
a report per bot and in total. DATE is a day under <store.data_dir>/recordings; PATH is a
.mrec file or a directory of them. --speed max (the default) runs as fast as possible.";

/// Parses everything after `replay`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<ReplayArgs, String> {
    let mut it = args.into_iter();
    let mut out = ReplayArgs {
        inputs: Vec::new(),
        speed: Speed::Max,
        from: None,
        to: None,
        strategies: None,
        report: None,
        json: false,
        config: None,
    };
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--speed" => out.speed = speed(&value("--speed")?)?,
            "--from" => out.from = Some(hhmm("--from", &value("--from")?)?),
            "--to" => out.to = Some(hhmm("--to", &value("--to")?)?),
            "--strategies" => out.strategies = Some(value("--strategies")?.into()),
            "--report" => out.report = Some(value("--report")?.into()),
            "--config" => out.config = Some(value("--config")?.into()),
            "--json" => out.json = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            input => out.inputs.push(input.to_string()),
        }
    }
    if out.inputs.is_empty() {
        return Err("name at least one DATE or PATH to replay".into());
    }
    if let (Some(f), Some(t)) = (out.from, out.to) {
        if f >= t {
            return Err(format!("--from {f} is not before --to {t}"));
        }
    }
    Ok(out)
}

fn speed(v: &str) -> Result<Speed, String> {
    if v == "max" {
        return Ok(Speed::Max);
    }
    match v.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Speed::Times(n)),
        _ => Err(format!(
            "--speed {v}: use a whole number ≥ 1 (1 is real time) or max"
        )),
    }
}

fn hhmm(name: &str, v: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(v, "%H:%M")
        .map_err(|_| format!("{name} {v}: use HH:MM (IST), e.g. 09:15"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_and_refuses() {
        struct Case {
            name: &'static str,
            args: &'static [&'static str],
            ok: Option<fn(&ReplayArgs) -> bool>,
            err: &'static str,
        }
        let cases = [
            Case {
                name: "a date, defaults",
                args: &["2026-11-23"],
                ok: Some(|a| a.speed == Speed::Max && !a.json && a.inputs == ["2026-11-23"]),
                err: "",
            },
            Case {
                name: "everything",
                args: &[
                    "a.mrec",
                    "b",
                    "--speed",
                    "10",
                    "--from",
                    "09:15",
                    "--to",
                    "10:00",
                    "--json",
                    "--report",
                    "r.json",
                    "--strategies",
                    "s",
                ],
                ok: Some(|a| {
                    a.speed == Speed::Times(10)
                        && a.json
                        && a.inputs.len() == 2
                        && a.report.is_some()
                        && a.strategies.is_some()
                        && a.from.is_some()
                }),
                err: "",
            },
            Case {
                name: "no input",
                args: &["--json"],
                ok: None,
                err: "at least one",
            },
            Case {
                name: "speed 0",
                args: &["d", "--speed", "0"],
                ok: None,
                err: "--speed 0",
            },
            Case {
                name: "bad time",
                args: &["d", "--from", "9"],
                ok: None,
                err: "HH:MM",
            },
            Case {
                name: "from after to",
                args: &["d", "--from", "10:00", "--to", "09:00"],
                ok: None,
                err: "not before",
            },
            Case {
                name: "unknown flag",
                args: &["d", "--fast"],
                ok: None,
                err: "unknown option --fast",
            },
        ];
        for c in cases {
            match (parse(strings(c.args)), c.ok) {
                (Ok(a), Some(check)) => assert!(check(&a), "{}: {a:?}", c.name),
                (Err(e), None) => assert!(e.contains(c.err), "{}: {e}", c.name),
                (got, _) => panic!("{}: unexpected {got:?}", c.name),
            }
        }
    }
}
