//! The recorder's overhead on live ingest (backtesting target: ≤ 5 %): one client on
//! mandi at fixed tick rates, with the recorder on (as shipped) and then on a fresh mandi
//! with `recorder.enabled = false`, the same steps and the same client, and mandi's whole
//! process CPU per tick compared (the writer thread's compression and disk writes
//! included, on the same two cores). The reference server plays no part.

use crate::bench::Bench;
use crate::client::Behaviour;
use crate::generator::StepPlan;
use crate::mandi::MandiProcess;
use crate::phase::Phase;
use crate::stats::{StepResult, Target};

use super::{ScenarioReport, Summary};

/// The rates compared; the last is the headline (P2's CPU rate).
const RATES: [u64; 2] = [50_000, 150_000];

/// The steps on one mandi, labelled with the recorder's state.
async fn steps(
    bench: &Bench,
    mandi: &MandiProcess,
    recorder: &str,
) -> anyhow::Result<Vec<StepResult>> {
    let secs = if bench.opts.quick { 0.6 } else { 4.0 };
    let max_ticks = RATES
        .iter()
        .map(|&r| StepPlan::paced(r, secs).count)
        .sum::<u64>()
        + StepPlan::paced(RATES[0], 1.0).count;
    let groups = [(Target::Mandi, vec![Behaviour::Reader])];
    let mut phase = Phase::open(bench, Some(mandi), &groups, bench.feeding(), max_ticks).await?;
    phase.warm_up(StepPlan::paced(RATES[0], 1.0)).await?;
    let mut rows = Vec::new();
    for rate in RATES {
        let label = format!("{}k/s recorder {recorder}", rate / 1000);
        rows.extend(phase.step(&label, StepPlan::paced(rate, secs)).await?);
    }
    Ok(rows)
}

/// mandi's CPU per tick at `rate`, µs.
fn cpu_per_tick(rows: &[StepResult], rate: u64) -> Option<f64> {
    rows.iter()
        .find(|r| r.rate_target == rate)
        .map(|r| r.server_cpu_pct / 100.0 / r.send_rate.max(1.0) * 1e6)
}

/// `mandi` is the scenario's own mandi (recorder on, as shipped); it is stopped after its
/// steps and replaced by the one without a recorder, so only one runs at a time.
pub async fn run(
    bench: &Bench,
    mandi: &mut Option<MandiProcess>,
) -> anyhow::Result<ScenarioReport> {
    let mut report = ScenarioReport {
        name: "recorder-overhead".to_owned(),
        title: "Recorder overhead: 1 client, 50k and 150k ticks/s, recorder on, then off on a fresh mandi"
            .to_owned(),
        target: "mandi CPU per tick with the recorder ≤ 1.05× without".to_owned(),
        rows: Vec::new(),
        summary: Vec::new(),
        notes: Vec::new(),
    };
    let Some(recording) = mandi.as_ref() else {
        report
            .notes
            .push("no mandi binary: nothing to compare".to_owned());
        return Ok(report);
    };
    let on = steps(bench, recording, "on").await?;
    *mandi = None;
    *mandi = bench
        .start_mandi_with("recorder-off", &[("MANDI__RECORDER__ENABLED", "false")])
        .await?;
    let plain = mandi
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no mandi for the recorder-off run"))?;
    let off = steps(bench, plain, "off").await?;
    for rate in RATES {
        let (with, without) = (cpu_per_tick(&on, rate), cpu_per_tick(&off, rate));
        let k = rate / 1000;
        report.summary.push(Summary::new(
            &format!("CPU per tick at {k}k ticks/s, recorder on"),
            "µs",
            with,
            None,
        ));
        report.summary.push(Summary::new(
            &format!("CPU per tick at {k}k ticks/s, recorder off"),
            "µs",
            without,
            None,
        ));
        if let (Some(w), Some(o)) = (with, without) {
            report.summary.push(Summary::new(
                &format!("recorder overhead at {k}k ticks/s"),
                "%",
                Some((w / o.max(f64::MIN_POSITIVE) - 1.0) * 100.0),
                None,
            ));
        }
    }
    report.rows = on.into_iter().chain(off).collect();
    report.notes.push(
        "one mandi after the other on the same machine: compare with the load line below"
            .to_owned(),
    );
    Ok(report)
}
