//! The stepped scenarios: P5 latency at fixed client counts and rates, P4 fan-out (1,000
//! clients, rate stepped up; the highest delivery rate at p99 < 50 ms), P2 ingest (one client, rate stepped up
//! to find the highest with nothing dropped, and CPU at 150,000 ticks/s).

use crate::bench::Bench;
use crate::client::Behaviour;
use crate::generator::StepPlan;
use crate::mandi::MandiProcess;
use crate::phase::Phase;
use crate::stats::{StepResult, Target};

use super::{ScenarioReport, Summary};

/// P4's bound on p99, microseconds.
const P4_P99_LIMIT_US: f64 = 50_000.0;
/// A looser bound, reported beside it.
const P4_RELAXED_LIMIT_US: f64 = 250_000.0;
/// P4 steps up while some target's p99 stays under this.
const P4_STEP_LIMIT_US: f64 = 1_000_000.0;
/// P2 reports CPU at this rate.
const P2_CPU_RATE: u64 = 150_000;

/// What a stepped scenario does.
pub struct StepSpec {
    name: &'static str,
    title: String,
    target: &'static str,
    clients: usize,
    warm_up: StepPlan,
    steps: Vec<(String, StepPlan)>,
    /// Stop stepping once every target's latest row fails this.
    keep_going: Option<fn(&StepResult) -> bool>,
    summarize: fn(&[StepResult]) -> Vec<Summary>,
}

/// The spec of scenario `name`, shortened for `--quick`.
pub fn spec(name: &str, quick: bool) -> Option<StepSpec> {
    let secs = |full: f64| {
        if quick {
            (full / 8.0).clamp(0.3, 0.6)
        } else {
            full
        }
    };
    let clients = |n: usize| if quick { n.min(20) } else { n };
    let latency = |name: &'static str, n: usize, rate: u64, target: &'static str| StepSpec {
        name,
        title: format!(
            "P5 latency: {} client(s) × {rate} ticks/s for {} s, full mode",
            clients(n),
            secs(5.0)
        ),
        target,
        clients: clients(n),
        warm_up: StepPlan::paced(rate, secs(1.0)),
        steps: vec![(format!("{rate}/s"), StepPlan::paced(rate, secs(5.0)))],
        keep_going: None,
        summarize: |rows| vec![Summary::per_target("p99", "µs", rows, |r| r[0].p99_us())],
    };
    Some(match name {
        "p5-1x1k" => latency("p5-1x1k", 1, 1000, "p99 ≤ 500 µs; mandi ≤ 1.2× reference"),
        "p5-100x1k" => latency("p5-100x1k", 100, 1000, "p99 ≤ 5 ms; mandi ≤ 1.2× reference"),
        "p5-1000x100" => latency(
            "p5-1000x100",
            1000,
            100,
            "p99 ≤ 25 ms; mandi ≤ 1.5× reference",
        ),
        "p5-1000x1k" => latency(
            "p5-1000x1k",
            1000,
            1000,
            "no absolute figure (1M deliveries/s); mandi ≤ 1.5× reference",
        ),
        "p4-fanout" => {
            let rates: &[u64] = if quick {
                &[50, 500]
            } else {
                &[10, 25, 50, 100, 250, 500, 1000, 1500, 2000]
            };
            StepSpec {
                name: "p4-fanout",
                title: format!(
                    "P4 fan-out: {} clients, rate stepped up ({} s a step) until every p99 ≥ 1 s",
                    clients(1000),
                    secs(3.0)
                ),
                target: "≥ 1M deliveries/s with 0 loss; mandi ≥ 0.8× reference's highest rate at p99 < 50 ms",
                clients: clients(1000),
                warm_up: StepPlan::paced(rates[0], secs(1.0)),
                steps: rates
                    .iter()
                    .map(|&r| (format!("{r}/s"), StepPlan::paced(r, secs(3.0))))
                    .collect(),
                // Past the 50 ms bound while a target still answers within a second: where a
                // noisy machine puts the bound out of reach, the relaxed figures still compare.
                keep_going: Some(|r| r.p99_us().is_some_and(|p| p < P4_STEP_LIMIT_US)),
                summarize: |rows| {
                    let under = |limit: f64| move |x: &StepResult| x.p99_us().is_some_and(|p| p < limit);
                    vec![
                        Summary::per_target("highest deliveries/s at p99 < 50 ms", "msg/s", rows, |r| {
                            best(r, under(P4_P99_LIMIT_US))
                        }),
                        Summary::per_target("highest deliveries/s at p99 < 250 ms", "msg/s", rows, |r| {
                            best(r, under(P4_RELAXED_LIMIT_US))
                        }),
                        Summary::per_target("highest deliveries/s with no gaps, any p99", "msg/s", rows, |r| {
                            best(r, |x| x.gaps == 0)
                        }),
                    ]
                },
            }
        }
        "p2-ingest" => {
            let rates: &[u64] = if quick {
                &[10_000, 50_000]
            } else {
                &[
                    1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000,
                ]
            };
            StepSpec {
                name: "p2-ingest",
                title: format!(
                    "P2 ingest: 1 client, rate stepped up ({} s a step), full mode",
                    secs(2.0)
                ),
                target: "≥ 1M ticks/s on one core (judged as a ratio here); CPU at 150k ticks/s",
                clients: 1,
                warm_up: StepPlan::paced(rates[0], secs(1.0)),
                steps: rates
                    .iter()
                    .map(|&r| (format!("{}k/s", r / 1000), StepPlan::paced(r, secs(2.0))))
                    .collect(),
                keep_going: None,
                summarize: |rows| {
                    vec![
                        Summary::per_target(
                            "highest rate with nothing dropped",
                            "ticks/s",
                            rows,
                            |r| {
                                r.iter()
                                    .filter(|x| x.is_clean())
                                    .map(|x| x.send_rate)
                                    .reduce(f64::max)
                            },
                        ),
                        Summary::per_target(
                            "server CPU at 150k ticks/s",
                            "% of a core",
                            rows,
                            |r| at_cpu_rate(r).map(|x| x.server_cpu_pct),
                        ),
                        Summary::per_target(
                            "server CPU per tick at 150k ticks/s",
                            "µs",
                            rows,
                            |r| {
                                at_cpu_rate(r)
                                    .map(|x| x.server_cpu_pct / 100.0 / x.send_rate.max(1.0) * 1e6)
                            },
                        ),
                    ]
                },
            }
        }
        _ => return None,
    })
}

/// Run a stepped scenario on each target set of the bench.
pub async fn run(
    bench: &Bench,
    mandi: Option<&MandiProcess>,
    spec: StepSpec,
) -> anyhow::Result<ScenarioReport> {
    let max_ticks = spec.warm_up.count + spec.steps.iter().map(|(_, p)| p.count).sum::<u64>();
    let groups: Vec<(Target, Vec<Behaviour>)> = bench
        .targets()
        .into_iter()
        .map(|t| (t, vec![Behaviour::Reader; spec.clients]))
        .collect();
    let mut phase = Phase::open(bench, mandi, &groups, bench.feeding(), max_ticks).await?;
    phase.warm_up(spec.warm_up).await?;
    let mut rows = Vec::new();
    for (label, plan) in &spec.steps {
        let got = phase.step(label, *plan).await?;
        let stop = spec.keep_going.is_some_and(|ok| !got.iter().any(ok));
        rows.extend(got);
        if stop {
            break;
        }
    }
    Ok(ScenarioReport {
        name: spec.name.to_owned(),
        title: spec.title,
        target: spec.target.to_owned(),
        summary: (spec.summarize)(&rows),
        rows,
        notes: Vec::new(),
    })
}

/// The row of P2's CPU figure.
fn at_cpu_rate<'a>(rows: &[&'a StepResult]) -> Option<&'a StepResult> {
    rows.iter().find(|x| x.rate_target == P2_CPU_RATE).copied()
}

/// The highest deliveries/s among rows that pass `ok`.
fn best(rows: &[&StepResult], ok: impl Fn(&StepResult) -> bool) -> Option<f64> {
    rows.iter()
        .filter(|r| ok(r))
        .map(|r| r.deliveries_per_s)
        .reduce(f64::max)
}
