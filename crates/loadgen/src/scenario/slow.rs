//! P8: one client that stops reading among 99 healthy ones. Measures how long each server
//! keeps the stalled connection (its side of the socket, seen in /proc/net/tcp, leaving
//! ESTABLISHED), and the healthy clients' p99 against a run of 100 healthy clients.

use std::time::{Duration, Instant};

use crate::bench::Bench;
use crate::client::{lock, Behaviour};
use crate::generator::StepPlan;
use crate::mandi::MandiProcess;
use crate::phase::{Feeding, Phase};
use crate::procfs;
use crate::stats::{StepResult, Target};

use super::{ScenarioReport, Summary};

const CLIENTS: usize = 100;
const RATE: u64 = 1000;
/// How often the stalled connection's state is read.
const WATCH_EVERY: Duration = Duration::from_millis(50);
/// After the slow step, how much longer to wait for the close.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

pub async fn run(bench: &Bench, mandi: Option<&MandiProcess>) -> anyhow::Result<ScenarioReport> {
    let quick = bench.opts.quick;
    let (base_s, slow_s) = if quick { (0.5, 1.5) } else { (5.0, 12.0) };
    let clients = if quick { 20 } else { CLIENTS };
    let mut rows = Vec::new();
    let mut closes: Vec<(Target, Option<f64>)> = Vec::new();
    let mut notes = Vec::new();
    // One target at a time, so the stalled client's queue grows without pauses; with
    // --concurrent both at once.
    let sets: Vec<Vec<Target>> = match bench.feeding() {
        Feeding::Together => vec![bench.targets()],
        Feeding::Alternate => bench.targets().into_iter().map(|t| vec![t]).collect(),
    };
    for targets in sets {
        let healthy: Vec<_> = targets
            .iter()
            .map(|&t| (t, vec![Behaviour::Reader; clients]))
            .collect();
        let plan = StepPlan::paced(RATE, base_s);
        let mut base = Phase::open(bench, mandi, &healthy, bench.feeding(), 2 * plan.count).await?;
        base.warm_up(StepPlan::paced(RATE, 0.3)).await?;
        rows.extend(base.step(&format!("base {RATE}/s"), plan).await?);
        drop(base);

        let with_slow: Vec<_> = targets
            .iter()
            .map(|&t| {
                let mut b = vec![Behaviour::Reader; clients - 1];
                b.push(Behaviour::Stalled);
                (t, b)
            })
            .collect();
        let plan = StepPlan::paced(RATE, slow_s);
        let mut slow =
            Phase::open(bench, mandi, &with_slow, bench.feeding(), 2 * plan.count).await?;
        let rss_before = mandi.and_then(|m| procfs::rss_kib(&m.pid.to_string()));
        // The stalled client stops reading now: the warm-up's ticks are its first unread ones.
        let watchers: Vec<_> = slow
            .groups
            .iter()
            .map(|g| {
                let stalled = g.clients.logs.iter().find(|l| !lock(l).is_measured());
                let client_port = stalled.map(|l| lock(l).local_port).unwrap_or(0);
                (
                    g.target,
                    tokio::spawn(watch_close(g.port, client_port, slow_s)),
                )
            })
            .collect();
        slow.warm_up(StepPlan::paced(RATE, 0.3)).await?;
        rows.extend(slow.step(&format!("slow {RATE}/s"), plan).await?);
        if let (Some(m), Some(before)) = (mandi, rss_before) {
            if targets.contains(&Target::Mandi) {
                let after = procfs::rss_kib(&m.pid.to_string()).unwrap_or(before);
                notes.push(format!(
                    "mandi RSS over the slow run: {:.1} → {:.1} MiB",
                    before as f64 / 1024.0,
                    after as f64 / 1024.0
                ));
            }
        }
        for (target, watcher) in watchers {
            closes.push((target, watcher.await.unwrap_or(None)));
        }
    }
    let wait = slow_s + 0.3 + CLOSE_GRACE.as_secs_f64();
    for (target, closed) in &closes {
        if closed.is_none() {
            notes.push(format!(
                "{}: the stalled connection was still open after {wait:.1} s",
                target.as_str()
            ));
        }
    }
    let close_of = |t: Target| closes.iter().find(|(x, _)| *x == t).and_then(|(_, c)| *c);
    let p99 = |label: &str| {
        let label = label.to_owned();
        move |r: &[&StepResult]| {
            r.iter()
                .find(|x| x.label.starts_with(&label))
                .and_then(|x| x.p99_us())
        }
    };
    let rise = |r: &[&StepResult]| Some(100.0 * (p99("slow")(r)? / p99("base")(r)? - 1.0));
    Ok(ScenarioReport {
        name: "p8-slow-client".into(),
        title: format!(
            "P8 slow client: {clients} clients × {RATE} ticks/s, then {} healthy + 1 that stops reading ({slow_s} s)",
            clients - 1
        ),
        target: "slow client closed within ≤ 10 s; the others' p99 rises ≤ 20 %".into(),
        summary: vec![
            Summary::new(
                "time until the stalled client is closed",
                "s",
                close_of(Target::Mandi),
                close_of(Target::Reference),
            ),
            Summary::per_target("healthy p99 without the slow client", "µs", &rows, p99("base")),
            Summary::per_target("healthy p99 with it", "µs", &rows, p99("slow")),
            Summary::per_target("p99 rise", "%", &rows, rise),
        ],
        rows,
        notes,
    })
}

/// Seconds from now until the server's side of `server_port` ↔ `client_port` leaves
/// ESTABLISHED, or `None` if it has not within the step and the grace after it.
async fn watch_close(server_port: u16, client_port: u16, step_s: f64) -> Option<f64> {
    if client_port == 0 {
        return None;
    }
    let start = Instant::now();
    let limit = Duration::from_secs_f64(step_s + 0.3) + CLOSE_GRACE;
    while start.elapsed() < limit {
        if !procfs::server_side_established(server_port, client_port) {
            return Some(start.elapsed().as_secs_f64());
        }
        tokio::time::sleep(WATCH_EVERY).await;
    }
    None
}
