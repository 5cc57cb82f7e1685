//! One phase of a scenario: fresh clients on one or both targets, one send-time book, one
//! generator. A step is cut into rounds of about a second; each round feeds one target after
//! the other (or both at once, `Feeding::Together`), waits for its clients to drain, and adds
//! what they logged, and the CPU each role spent, to that target's figures. Alternating in
//! short rounds spreads a noisy machine's bursts over both targets alike.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};

use crate::bench::{Bench, CLIENT_THREADS, REFERENCE_THREADS, UPSTREAM_THREAD};
use crate::client::{lock, Behaviour, ClientSet};
use crate::clock::SendBook;
use crate::generator::{Generator, Sinks, StepPlan, StepRun};
use crate::mandi::MandiProcess;
use crate::procfs;
use crate::stats::{LatencyRecorder, StepResult, Target};
use crate::symbols::INSTRUMENTS;

/// Connecting and subscribing 1,000 clients takes a few seconds on 2 cores.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Time for mandi to pass the clients' subscriptions upstream.
const UPSTREAM_READY_TIMEOUT: Duration = Duration::from_secs(15);
/// A round is drained when deliveries stop growing for this long...
const DRAIN_QUIET: Duration = Duration::from_millis(300);
/// ...or after this long in any case.
const DRAIN_MAX: Duration = Duration::from_secs(5);
/// Length of one round of a step, seconds.
const ROUND_S: f64 = 1.0;

/// How the targets of a phase get the ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feeding {
    /// Round by round, one target at a time: neither competes with the other for the CPUs.
    Alternate,
    /// Every tick to both at once.
    Together,
}

/// The clients of one target.
pub struct Group {
    pub target: Target,
    pub clients: ClientSet,
    /// The target's port, to find its side of a connection in /proc/net/tcp.
    pub port: u16,
}

pub struct Phase<'b> {
    bench: &'b Bench,
    mandi_pid: Option<u32>,
    pub groups: Vec<Group>,
    feeding: Feeding,
    generator: Option<Generator>,
}

impl<'b> Phase<'b> {
    /// Connect the clients of every target and wait until they are subscribed (and, on mandi,
    /// until mandi has subscribed every instrument upstream in full mode). `max_ticks` is the
    /// most ticks the phase's steps send to one target.
    pub async fn open(
        bench: &'b Bench,
        mandi: Option<&MandiProcess>,
        targets: &[(Target, Vec<Behaviour>)],
        feeding: Feeding,
        max_ticks: u64,
    ) -> anyhow::Result<Phase<'b>> {
        // Alternating targets take turns on one numbering: each needs its own share.
        let per_turn = match feeding {
            Feeding::Alternate => targets.len().max(1) as u64,
            Feeding::Together => 1,
        };
        let book = Arc::new(SendBook::next_range(max_ticks * per_turn));
        let mut groups = Vec::new();
        for (target, behaviours) in targets {
            let (url, port) = match target {
                Target::Mandi => {
                    let m = mandi.ok_or_else(|| anyhow!("a mandi phase without mandi"))?;
                    (m.ws_url.clone(), m.port)
                }
                Target::Reference => (bench.reference.url.clone(), bench.reference.port),
            };
            let clients =
                ClientSet::spawn(bench.clients(), &url, behaviours, bench.clock, book.clone());
            groups.push(Group {
                target: *target,
                clients,
                port,
            });
        }
        for g in &groups {
            g.clients
                .wait_ready(READY_TIMEOUT)
                .await
                .map_err(|e| anyhow!("{}: {e}", g.target.as_str()))?;
        }
        if groups.iter().any(|g| g.target == Target::Mandi) {
            wait_upstream_full(bench).await?;
        }
        Ok(Phase {
            bench,
            mandi_pid: mandi.map(|m| m.pid),
            groups,
            feeding,
            generator: Some(Generator::new(bench.clock, book)),
        })
    }

    /// A step whose figures are thrown away: first-tick costs (allocations, TCP windows
    /// opening) stay out of the measured steps.
    pub async fn warm_up(&mut self, plan: StepPlan) -> anyhow::Result<()> {
        self.step("warm-up", plan).await.map(|_| ())
    }

    /// Run one measured step: one result per target.
    pub async fn step(&mut self, label: &str, plan: StepPlan) -> anyhow::Result<Vec<StepResult>> {
        let rounds = (plan.seconds() / ROUND_S).round().max(1.0) as u64;
        let mut tallies: Vec<Tally> = self.groups.iter().map(|_| Tally::default()).collect();
        // Each round feeds these sets of groups, one set after the other.
        let turns: Vec<Vec<usize>> = match self.feeding {
            Feeding::Alternate => (0..self.groups.len()).map(|i| vec![i]).collect(),
            Feeding::Together => vec![(0..self.groups.len()).collect()],
        };
        for _ in 0..rounds {
            for turn in &turns {
                self.round(plan.part(rounds), turn, &mut tallies).await?;
            }
        }
        Ok(self
            .groups
            .iter()
            .zip(tallies)
            .map(|(g, t)| t.result(g, label, plan))
            .collect())
    }

    /// Feed the groups `turn` for one round and add what their clients logged.
    async fn round(
        &mut self,
        plan: StepPlan,
        turn: &[usize],
        tallies: &mut [Tally],
    ) -> anyhow::Result<()> {
        let mut sinks = Sinks::default();
        for &i in turn {
            match self.groups[i].target {
                Target::Mandi => sinks.upstream = Some(self.bench.fake.batches.clone()),
                Target::Reference => sinks.reference = Some(self.bench.reference.batches.clone()),
            }
        }
        let before = self.cpu();
        let started = Instant::now();
        let run = self.send(plan, sinks).await?;
        self.drain(turn, run.sent).await;
        let after = self.cpu();
        let wall = started.elapsed().as_secs_f64();
        for &i in turn {
            let g = &self.groups[i];
            let t = &mut tallies[i];
            t.add_clients(g, &run);
            t.wall_s += wall;
            t.server_cpu_s += match g.target {
                Target::Mandi => after.mandi - before.mandi,
                Target::Reference => after.reference - before.reference,
            };
            t.client_cpu_s += after.clients - before.clients;
            t.generator_cpu_s += after.generator - before.generator;
        }
        Ok(())
    }

    async fn send(&mut self, plan: StepPlan, sinks: Sinks) -> anyhow::Result<StepRun> {
        let mut generator = self
            .generator
            .take()
            .ok_or_else(|| anyhow!("a step ended without returning its generator"))?;
        let (generator, run) = self
            .bench
            .upstream()
            .spawn(async move {
                let run = generator.run_step(plan, &sinks).await;
                (generator, run)
            })
            .await?;
        self.generator = Some(generator);
        Ok(run)
    }

    /// Wait until every reading client of `turn` has every tick, or deliveries stall.
    async fn drain(&self, turn: &[usize], sent: u64) {
        let groups = || turn.iter().map(|&i| &self.groups[i]);
        let expected: u64 = groups()
            .map(|g| g.clients.measured().count() as u64 * sent)
            .sum();
        let start = Instant::now();
        let (mut last, mut last_change) = (u64::MAX, Instant::now());
        while start.elapsed() < DRAIN_MAX {
            let got: u64 = groups().map(|g| g.clients.delivered()).sum();
            if got >= expected {
                return;
            }
            if got != last {
                (last, last_change) = (got, Instant::now());
            } else if last_change.elapsed() >= DRAIN_QUIET {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn cpu(&self) -> CpuSample {
        CpuSample {
            mandi: self
                .mandi_pid
                .and_then(procfs::process_cpu_s)
                .unwrap_or(0.0),
            reference: procfs::own_threads_cpu_s(REFERENCE_THREADS),
            clients: procfs::own_threads_cpu_s(CLIENT_THREADS),
            generator: procfs::own_threads_cpu_s(UPSTREAM_THREAD),
        }
    }
}

/// CPU seconds so far, per role.
struct CpuSample {
    mandi: f64,
    reference: f64,
    clients: f64,
    generator: f64,
}

/// One target's figures over the rounds of a step.
#[derive(Default)]
struct Tally {
    latency: LatencyRecorder,
    sent: u64,
    send_s: f64,
    /// Per round, from the first send to the last delivery (at least the send time).
    deliver_s: f64,
    wall_s: f64,
    delivered: u64,
    gaps: u64,
    reordered: u64,
    duplicates: u64,
    stray: u64,
    clients: usize,
    disconnects: usize,
    frame_bytes: usize,
    server_cpu_s: f64,
    client_cpu_s: f64,
    generator_cpu_s: f64,
}

impl Tally {
    fn add_clients(&mut self, g: &Group, run: &StepRun) {
        self.sent += run.sent;
        self.send_s += run.seconds();
        let (mut clients, mut disconnects, mut last_at) = (0, 0, run.ended_ns);
        for log in g.clients.measured() {
            let mut log = lock(log);
            let take = log.take_step();
            for ns in &take.samples_ns {
                self.latency.record(*ns);
            }
            clients += 1;
            self.delivered += take.delivered;
            self.gaps += run.sent.saturating_sub(take.delivered);
            self.reordered += take.reordered;
            self.duplicates += take.duplicates;
            self.stray += take.stray;
            last_at = last_at.max(take.last_at_ns);
            disconnects += usize::from(log.closed.is_some());
            self.frame_bytes = self.frame_bytes.max(log.frame_bytes);
        }
        (self.clients, self.disconnects) = (clients, disconnects);
        self.deliver_s += last_at.saturating_sub(run.started_ns) as f64 / 1e9;
    }

    fn result(self, g: &Group, label: &str, plan: StepPlan) -> StepResult {
        let per = |n: f64, s: f64| if s > 0.0 { n / s } else { 0.0 };
        let pct = |s: f64| {
            if self.wall_s > 0.0 {
                100.0 * s.max(0.0) / self.wall_s
            } else {
                0.0
            }
        };
        StepResult {
            label: label.to_owned(),
            target: g.target,
            clients: self.clients,
            rate_target: plan.rate_per_s,
            sent: self.sent,
            send_rate: per(self.sent as f64, self.send_s),
            delivered: self.delivered,
            deliveries_per_s: per(self.delivered as f64, self.deliver_s),
            gaps: self.gaps,
            reordered: self.reordered,
            duplicates: self.duplicates,
            stray: self.stray,
            disconnects: self.disconnects,
            latency: self.latency.summary(),
            server_cpu_pct: pct(self.server_cpu_s),
            client_cpu_pct: pct(self.client_cpu_s),
            generator_cpu_pct: pct(self.generator_cpu_s),
            frame_bytes: self.frame_bytes,
        }
    }
}

async fn wait_upstream_full(bench: &Bench) -> anyhow::Result<()> {
    let deadline = Instant::now() + UPSTREAM_READY_TIMEOUT;
    loop {
        let full = bench.fake.subscriptions.full_count();
        if full == INSTRUMENTS.len() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "mandi subscribed {full} of {} instruments upstream in full mode within {UPSTREAM_READY_TIMEOUT:?}",
                INSTRUMENTS.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
