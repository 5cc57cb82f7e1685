//! `mandi replay … --set KEY=V1,V2 …`: the same recorded days replayed once per
//! combination of bot settings, in parallel across cores (each replay on a thread of its
//! own with its own actix System and scratch journal, the records read once and shared),
//! ending in one comparison row per combination, best net PnL first.
//!
//! A setting is changed in the strategy file's TOML text and the file is parsed and
//! validated again, so a sweep accepts exactly what a strategy file accepts and a typo in
//! a key is refused with the file's own message before anything is replayed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mandi_trading::strategy_host::{parse, StrategyFile};
use serde::Serialize;

use super::args::{SweepAxis, MAX_COMBINATIONS};
use super::report::Figures;
use super::source::InputSummary;
use super::{prepare, replay_prepared, ReplayArgs};
use crate::config::MandiConfig;

/// One combination's result: the values it set and the figures of all its bots together.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SweepRow {
    /// Axis (as written on the command line) → value.
    pub settings: BTreeMap<String, String>,
    #[serde(flatten)]
    pub total: Figures,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SweepReport {
    pub broker: String,
    pub inputs: InputSummary,
    /// The axes in the order given, as the table's columns.
    pub axes: Vec<String>,
    /// Best net PnL first; ties keep the order the combinations were listed in.
    pub rows: Vec<SweepRow>,
}

/// Every combination of one value per axis, as value indices; the last axis varies fastest.
pub fn combinations(axes: &[SweepAxis]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..axis.values.len()).map(move |i| {
                    let mut c = prefix.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    out
}

/// The bots with one combination's values set, each file parsed and validated again.
pub fn apply(
    files: &[StrategyFile],
    axes: &[SweepAxis],
    choice: &[usize],
) -> Result<Vec<StrategyFile>, String> {
    if files.is_empty() {
        return Err(
            "--set: there are no bots to sweep (strategies.dir is empty or unset; \
             name a directory of strategy files with --strategies DIR)"
                .into(),
        );
    }
    for axis in axes {
        if let Some(bot) = &axis.bot {
            if !files.iter().any(|f| &f.settings.name == bot) {
                let names: Vec<&str> = files.iter().map(|f| f.settings.name.as_str()).collect();
                return Err(format!(
                    "--set {}: no bot is named {bot} (the bots are {})",
                    axis.name(),
                    names.join(", ")
                ));
            }
        }
    }
    files
        .iter()
        .map(|file| {
            let mut table: toml::Table =
                toml::from_str(&file.text).map_err(|e| format!("{}: {e}", file.path.display()))?;
            let mut changed = Vec::new();
            for (axis, &i) in axes.iter().zip(choice) {
                if axis.bot.as_ref().is_some_and(|b| b != &file.settings.name) {
                    continue;
                }
                let value = &axis.values[i];
                set_path(&mut table, &axis.key, toml_value(value))
                    .map_err(|e| format!("--set {}={value}: {e}", axis.name()))?;
                changed.push(format!("{}={value}", axis.name()));
            }
            let text = toml::to_string(&table).map_err(|e| e.to_string())?;
            let settings = parse(&file.path, &text)
                .map_err(|e| format!("--set {}: {e}", changed.join(" ")))?;
            Ok(StrategyFile {
                path: file.path.clone(),
                text,
                settings,
            })
        })
        .collect()
}

/// A command-line value as TOML: a number, boolean, inline table or array where it reads
/// as one, otherwise a string (`NIFTY`). Times of day (`15:00`) stay strings too: TOML
/// would read them as its own time type, and strategy files write them quoted.
fn toml_value(v: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|value| !value.is_datetime())
        .unwrap_or_else(|| toml::Value::String(v.to_string()))
}

/// Sets `a.b.c` in `table`, making the tables on the way.
fn set_path(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut at = table;
    for (depth, part) in parts.iter().enumerate() {
        let next = at
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        at = match next {
            toml::Value::Table(t) => t,
            _ => {
                return Err(format!(
                    "{} is a value, not a table of settings",
                    parts[..=depth].join(".")
                ))
            }
        };
    }
    at.insert(last.to_string(), value);
    Ok(())
}

/// Replays the days `args` names once per combination of its `--set` values, on as many
/// threads as the machine has cores. Starts its own actix Systems: call it outside one.
pub fn sweep(cfg: &MandiConfig, args: &ReplayArgs) -> Result<SweepReport, String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    sweep_on(cfg, args, cores)
}

/// [`sweep`] on at most `threads` threads (1 runs the combinations one after another,
/// which the benchmark compares against).
pub fn sweep_on(
    cfg: &MandiConfig,
    args: &ReplayArgs,
    threads: usize,
) -> Result<SweepReport, String> {
    let prepared = prepare(cfg, args)?;
    let combos = combinations(&args.sets);
    if combos.len() > MAX_COMBINATIONS {
        return Err(format!(
            "--set: {} combinations is more than {MAX_COMBINATIONS}; sweep fewer values at once",
            combos.len()
        ));
    }
    // Every combination is checked before the first replay starts.
    let bots = combos
        .iter()
        .map(|c| apply(&prepared.strategies, &args.sets, c))
        .collect::<Result<Vec<_>, _>>()?;
    let workers = threads.min(combos.len()).max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Figures, String>>>> = Mutex::new(vec![None; combos.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(strategies) = bots.get(i) else { break };
                let replayed = actix_rt::System::new().block_on(replay_prepared(
                    cfg,
                    &prepared,
                    strategies.clone(),
                    args.speed,
                    None,
                ));
                let figures = replayed.map(|r| r.report.total);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(figures);
                }
            });
        }
    });
    let results = results.into_inner().map_err(|e| e.to_string())?;
    let mut rows = Vec::with_capacity(combos.len());
    for (choice, result) in combos.iter().zip(results) {
        let total = result.unwrap_or_else(|| Err("a replay thread stopped".into()))?;
        let settings = args
            .sets
            .iter()
            .zip(choice)
            .map(|(axis, &i)| (axis.name(), axis.values[i].clone()))
            .collect();
        rows.push(SweepRow { settings, total });
    }
    // Stable: equal PnL keeps the listing order, so the report is the same every run.
    rows.sort_by(|a, b| b.total.net_pnl.total_cmp(&a.total.net_pnl));
    Ok(SweepReport {
        broker: prepared.source.broker.clone(),
        inputs: prepared.source.inputs.clone(),
        axes: args.sets.iter().map(SweepAxis::name).collect(),
        rows,
    })
}

impl SweepReport {
    /// The comparison table: one row per combination, best net PnL first.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let i = &self.inputs;
        let _ = writeln!(
            s,
            "sweep of {} combination(s) over {} record(s) from {} file(s), {} to {}",
            self.rows.len(),
            i.records,
            i.files.len(),
            i.first_received.as_deref().unwrap_or("-"),
            i.last_received.as_deref().unwrap_or("-"),
        );
        let widths: Vec<usize> = self.axes.iter().map(|a| a.len().max(8)).collect();
        let _ = write!(s, "{:>4}", "rank");
        for (a, w) in self.axes.iter().zip(&widths) {
            let _ = write!(s, " {a:>w$}");
        }
        let _ = writeln!(
            s,
            " {:>14} {:>6} {:>12} {:>8}",
            "net pnl", "trades", "max dd", "win %"
        );
        for (rank, row) in self.rows.iter().enumerate() {
            let _ = write!(s, "{:>4}", rank + 1);
            for (a, w) in self.axes.iter().zip(&widths) {
                let v = row.settings.get(a).map_or("-", String::as_str);
                let _ = write!(s, " {v:>w$}");
            }
            let f = &row.total;
            let _ = writeln!(
                s,
                " {:>14.2} {:>6} {:>12.2} {:>8.2}",
                f.net_pnl, f.trades, f.max_drawdown, f.win_rate_pct
            );
        }
        for fault in &i.faults {
            let _ = writeln!(s, "fault: {fault}");
        }
        for g in &i.gaps {
            let _ = writeln!(s, "gap: {} to {} ({} s)", g.from, g.to, g.seconds);
        }
        s
    }
}

/// `mandi replay … --set …`: prints the comparison (table, or JSON with `--json`), writes
/// `--report FILE` as JSON; exit code 0, or 3 when a file ended in a fault.
pub fn run_command(cfg: &MandiConfig, args: &ReplayArgs) -> anyhow::Result<i32> {
    let report = sweep(cfg, args).map_err(|e| anyhow::anyhow!(e))?;
    super::print_outcome(args, &report, report.table(), &report.inputs.faults)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const BOT: &str = "name = \"orb\"\nunderlying = \"NIFTY\"\n\
        entry = { kind = \"opening_range\", minutes = 15 }\nstop_loss_pct = 20.0\n";

    fn file(name: &str) -> StrategyFile {
        let text = BOT.replace("orb", name);
        let path = Path::new("s.toml");
        StrategyFile {
            path: path.to_path_buf(),
            settings: parse(path, &text).expect("parses"),
            text,
        }
    }

    fn axis(bot: Option<&str>, key: &str, values: &[&str]) -> SweepAxis {
        SweepAxis {
            bot: bot.map(str::to_string),
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn combinations_are_the_product_last_axis_fastest() {
        let axes = [
            axis(None, "a", &["1", "2", "3"]),
            axis(None, "b", &["x", "y"]),
        ];
        let c = combinations(&axes);
        assert_eq!(c.len(), 6);
        assert_eq!(c[0], [0, 0]);
        assert_eq!(c[1], [0, 1]);
        assert_eq!(c[5], [2, 1]);
        assert_eq!(combinations(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn values_land_in_the_file_nested_or_not_and_only_on_the_named_bot() {
        let files = [file("orb"), file("other")];
        let axes = [
            axis(None, "stop_loss_pct", &["10", "30"]),
            axis(Some("orb"), "entry.minutes", &["5", "30"]),
        ];
        let got = apply(&files, &axes, &[1, 0]).expect("applies");
        assert_eq!(got[0].settings.stop_loss_pct, 30.0);
        assert_eq!(got[1].settings.stop_loss_pct, 30.0);
        let minutes = |f: &StrategyFile| format!("{:?}", f.settings.entry);
        assert!(minutes(&got[0]).contains('5'), "{}", minutes(&got[0]));
        assert_eq!(minutes(&got[1]), minutes(&files[1]));

        let late = [axis(None, "no_entry_after_ist", &["14:30"])];
        let got = apply(&files, &late, &[0]).expect("a time of day applies");
        assert_eq!(got[0].settings.no_entry_after_ist.to_string(), "14:30:00");
    }

    #[test]
    fn a_bad_key_value_or_bot_is_refused_before_any_replay() {
        let files = [file("orb")];
        let cases = [
            (axis(None, "stop_los_pct", &["10"]), "stop_los_pct"),
            (axis(None, "stop_loss_pct", &["ten"]), "stop_loss_pct"),
            (
                axis(Some("nobody"), "stop_loss_pct", &["10"]),
                "no bot is named nobody",
            ),
            (axis(None, "stop_loss_pct.x", &["10"]), "not a table"),
        ];
        for (a, want) in cases {
            let err = apply(&files, std::slice::from_ref(&a), &[0])
                .err()
                .unwrap_or_default();
            assert!(err.contains(want), "{a:?}: {err}");
        }
        let none = apply(&[], &[axis(None, "stop_loss_pct", &["10"])], &[0]);
        assert!(none.is_err_and(|e| e.contains("no bots")));
    }
}
