//! The scenarios, by name: what each measures (targets P2, P4, P5, P7, P8 of the performance
//! brief, and the recorder's overhead on ingest), and the shared frame around them: a fresh mandi per scenario, its warnings kept as
//! notes, and the report each one returns.

mod memory;
mod recorder;
mod slow;
mod steps;

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::bench::Bench;
use crate::procfs;
use crate::stats::{StepResult, Target};

/// Every scenario, in the order `all` runs them. P7 comes first, while this process's heap is
/// fresh: its reference figure is a difference of this process's RSS.
pub const NAMES: [&str; 9] = [
    "p7-idle-memory",
    "p5-1x1k",
    "p5-100x1k",
    "p5-1000x100",
    "p5-1000x1k",
    "p4-fanout",
    "p2-ingest",
    "p8-slow-client",
    "recorder-overhead",
];

/// Distinct mandi warnings carried into a report's notes.
const MAX_WARNINGS_NOTED: usize = 3;

/// One scenario's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub title: String,
    /// The brief's target for it.
    pub target: String,
    pub rows: Vec<StepResult>,
    pub summary: Vec<Summary>,
    pub notes: Vec<String>,
}

/// One headline figure, mandi against the reference.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub what: String,
    pub unit: String,
    pub mandi: Option<f64>,
    pub reference: Option<f64>,
    /// mandi / reference.
    pub ratio: Option<f64>,
}

impl Summary {
    pub fn new(what: &str, unit: &str, mandi: Option<f64>, reference: Option<f64>) -> Summary {
        let ratio = match (mandi, reference) {
            (Some(m), Some(r)) if r != 0.0 => Some(m / r),
            _ => None,
        };
        Summary {
            what: what.to_owned(),
            unit: unit.to_owned(),
            mandi,
            reference,
            ratio,
        }
    }

    /// The same figure taken from each target's rows by `pick`.
    pub fn per_target(
        what: &str,
        unit: &str,
        rows: &[StepResult],
        pick: impl Fn(&[&StepResult]) -> Option<f64>,
    ) -> Summary {
        let of = |t: Target| {
            let mine: Vec<&StepResult> = rows.iter().filter(|r| r.target == t).collect();
            if mine.is_empty() {
                None
            } else {
                pick(&mine)
            }
        };
        Summary::new(what, unit, of(Target::Mandi), of(Target::Reference))
    }
}

/// Run scenario `name` with a mandi of its own.
pub async fn run(bench: &Bench, name: &str) -> anyhow::Result<ScenarioReport> {
    let reference_before = reference_counts(bench);
    let load_before = procfs::load_average_1m();
    let mut mandi = bench.start_mandi(name).await?;
    let outcome = match name {
        "p7-idle-memory" => memory::run(bench, mandi.as_ref()).await,
        "p8-slow-client" => slow::run(bench, mandi.as_ref()).await,
        "recorder-overhead" => recorder::run(bench, &mut mandi).await,
        other => match steps::spec(other, bench.opts.quick) {
            Some(spec) => steps::run(bench, mandi.as_ref(), spec).await,
            None => anyhow::bail!("unknown scenario {other}; one of {}", NAMES.join(", ")),
        },
    };
    let outcome = outcome.map(|mut report| {
        if let (Some(a), Some(b)) = (load_before, procfs::load_average_1m()) {
            report.notes.push(format!("machine load (1-min average) {a:.1} at start, {b:.1} at end"));
        }
        let (lagged, dropped) = reference_counts(bench);
        let (lagged, dropped) = (lagged - reference_before.0, dropped - reference_before.1);
        if lagged + dropped > 0 {
            report.notes.push(format!(
                "reference: {lagged} tick(s) skipped by lagging clients, {dropped} client(s) dropped as too slow"
            ));
        }
        report
    });
    let Some(m) = mandi.as_mut() else {
        return outcome;
    };
    if !m.is_running() {
        anyhow::bail!("mandi exited during {name}:\n{}", m.log_tail(30));
    }
    let mut report =
        outcome.map_err(|e| e.context(format!("mandi log tail:\n{}", m.log_tail(15))))?;
    for (message, count) in m.warnings().into_iter().take(MAX_WARNINGS_NOTED) {
        let message: String = message.chars().take(200).collect();
        report
            .notes
            .push(format!("mandi warned {count}×: {message}"));
    }
    Ok(report)
}

/// The reference's own counters: ticks skipped by lagging clients, clients dropped.
fn reference_counts(bench: &Bench) -> (u64, u64) {
    let stats = &bench.reference.stats;
    (
        stats.lagged.load(Ordering::Relaxed),
        stats.dropped_slow.load(Ordering::Relaxed),
    )
}
