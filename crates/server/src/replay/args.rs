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
    /// `--set` sweep axes, in the order given: one replay per combination of values.
    pub sets: Vec<SweepAxis>,
}

/// One `--set [BOT:]key=v1,v2,…`: a bot setting (a dotted TOML path such as
/// `entry.minutes`) and the values to try, on every bot or on the one named.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepAxis {
    pub bot: Option<String>,
    pub key: String,
    pub values: Vec<String>,
}

impl SweepAxis {
    /// How the axis was written, for the comparison table's header.
    pub fn name(&self) -> String {
        match &self.bot {
            Some(b) => format!("{b}:{}", self.key),
            None => self.key.clone(),
        }
    }
}

pub const USAGE: &str = "\
mandi replay <DATE|PATH>... [--speed 1|10|max] [--from HH:MM] [--to HH:MM]
             [--strategies DIR] [--report FILE] [--json] [--config PATH]
             [--set [BOT:]KEY=V1,V2,...]...

Feeds recorded upstream frames through the same decode, price store, bots and paper
account as `mandi run`, on the recording's clock, with a journal of its own, and prints
a report per bot and in total. DATE is a day under <store.data_dir>/recordings; PATH is a
.mrec file or a directory of them. --speed max (the default) runs as fast as possible.

--set sweeps a bot setting (a key of the strategy file, dotted for nested ones such as
entry.minutes; BOT: limits it to one bot): every combination of the values of every
--set is replayed, in parallel across cores, and one row per combination is printed,
best net PnL first.";

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
        sets: Vec::new(),
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
            "--set" => {
                let axis = sweep_axis(&value("--set")?)?;
                if out.sets.iter().any(|a| a.name() == axis.name()) {
                    return Err(format!("--set {} is given twice", axis.name()));
                }
                out.sets.push(axis);
            }
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

/// The most combinations one sweep may run: a typo such as a thousand values should not
/// start a day-long job.
pub const MAX_COMBINATIONS: usize = 1_000;

fn sweep_axis(v: &str) -> Result<SweepAxis, String> {
    let usage = || format!("--set {v}: use KEY=V1,V2 or BOT:KEY=V1,V2, e.g. stop_loss_pct=10,20");
    let (name, values) = v.split_once('=').ok_or_else(usage)?;
    let (bot, key) = match name.split_once(':') {
        Some((b, k)) => (Some(b.trim().to_string()), k.trim()),
        None => (None, name.trim()),
    };
    let values: Vec<String> = values.split(',').map(|x| x.trim().to_string()).collect();
    let bad_key = key.is_empty() || key.split('.').any(str::is_empty);
    if bad_key || bot.as_deref() == Some("") || values.iter().any(String::is_empty) {
        return Err(usage());
    }
    Ok(SweepAxis {
        bot,
        key: key.to_string(),
        values,
    })
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
                name: "two axes, one for a bot",
                args: &[
                    "d",
                    "--set",
                    "stop_loss_pct=10,20",
                    "--set",
                    "orb:entry.minutes=5",
                ],
                ok: Some(|a| {
                    a.sets.len() == 2
                        && a.sets[0].values == ["10", "20"]
                        && a.sets[1].bot.as_deref() == Some("orb")
                        && a.sets[1].key == "entry.minutes"
                }),
                err: "",
            },
            Case {
                name: "set without values",
                args: &["d", "--set", "stop_loss_pct"],
                ok: None,
                err: "KEY=V1,V2",
            },
            Case {
                name: "set with an empty value",
                args: &["d", "--set", "stop_loss_pct=10,,20"],
                ok: None,
                err: "KEY=V1,V2",
            },
            Case {
                name: "set twice",
                args: &["d", "--set", "a=1", "--set", "a=2"],
                ok: None,
                err: "twice",
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
