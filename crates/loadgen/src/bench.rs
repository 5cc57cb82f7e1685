//! The load generator's own machinery, started once per run: a thread with the generator and
//! the fake upstream ("lg-upstream"), the reference server's runtime ("lg-ref", 2 workers) and
//! the clients' runtime ("lg-client", 2 workers). Named threads let CPU be charged per role.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{anyhow, Context};
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::sync::oneshot;

use crate::clock::RunClock;
use crate::mandi::MandiProcess;
use crate::phase::Feeding;
use crate::reference::ReferenceServer;
use crate::stats::Target;
use crate::upstream::FakeDhan;

/// Thread name prefixes (the kernel keeps 15 characters of a thread name).
pub const UPSTREAM_THREAD: &str = "lg-upstream";
pub const REFERENCE_THREADS: &str = "lg-ref";
pub const CLIENT_THREADS: &str = "lg-client";
/// Workers of the reference and of the clients: actix gives mandi one HTTP worker per core.
const WORKERS: usize = 2;
/// Time for mandi to open its upstream connection after it printed its address.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// What a run was asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Scenarios to run, in order.
    pub scenarios: Vec<String>,
    pub quick: bool,
    pub json: bool,
    /// The mandi binary; `None` measures the reference alone.
    pub mandi: Option<PathBuf>,
    /// Both servers at once on the same ticks, instead of one after the other.
    pub concurrent: bool,
    pub keep_logs: bool,
}

/// Everything a scenario runs against.
pub struct Bench {
    pub opts: Options,
    pub clock: RunClock,
    pub fake: FakeDhan,
    pub reference: ReferenceServer,
    upstream: UpstreamThread,
    /// Owned so the reference keeps serving; reached only through `reference`.
    _reference_rt: Runtime,
    client_rt: Runtime,
}

impl Bench {
    /// Start the runtimes, the fake upstream and the reference. Call inside a runtime, and
    /// drop the result outside one (it owns runtimes).
    pub async fn start(opts: Options) -> anyhow::Result<Bench> {
        let upstream = UpstreamThread::start()?;
        let reference_rt = workers(REFERENCE_THREADS)?;
        let client_rt = workers(CLIENT_THREADS)?;
        let fake = upstream.handle.spawn(FakeDhan::start()).await??;
        let reference = reference_rt.spawn(ReferenceServer::start()).await??;
        Ok(Bench {
            opts,
            clock: RunClock::new(),
            fake,
            reference,
            upstream,
            _reference_rt: reference_rt,
            client_rt,
        })
    }

    pub fn upstream(&self) -> &Handle {
        &self.upstream.handle
    }

    pub fn clients(&self) -> &Handle {
        self.client_rt.handle()
    }

    /// The servers measured: mandi (unless the run is reference-only) and the reference.
    pub fn targets(&self) -> Vec<Target> {
        match self.opts.mandi {
            Some(_) => vec![Target::Mandi, Target::Reference],
            None => vec![Target::Reference],
        }
    }

    /// How a phase holding several targets feeds them.
    pub fn feeding(&self) -> Feeding {
        if self.opts.concurrent {
            Feeding::Together
        } else {
            Feeding::Alternate
        }
    }

    /// A fresh mandi for scenario `name`, connected to the fake upstream; `None` when the run
    /// measures the reference alone. Blocks this thread while mandi starts (a second or so).
    pub async fn start_mandi(&self, name: &str) -> anyhow::Result<Option<MandiProcess>> {
        self.start_mandi_with(name, &[]).await
    }

    /// [`Bench::start_mandi`] with configuration keys (`MANDI__…`) of its own.
    pub async fn start_mandi_with(
        &self,
        name: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Option<MandiProcess>> {
        let Some(binary) = &self.opts.mandi else {
            return Ok(None);
        };
        let connections = self.fake.subscriptions.connections();
        let mandi = MandiProcess::start(
            binary,
            &self.fake.ws_url,
            &self.fake.rest_url,
            name,
            env,
            self.opts.keep_logs,
        )?;
        let deadline = tokio::time::Instant::now() + UPSTREAM_CONNECT_TIMEOUT;
        while self.fake.subscriptions.connections() == connections {
            if tokio::time::Instant::now() >= deadline {
                return Err(anyhow!(
                    "mandi did not connect to the fake upstream within {UPSTREAM_CONNECT_TIMEOUT:?}:\n{}",
                    mandi.log_tail(30)
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Some(mandi))
    }
}

fn workers(name: &str) -> anyhow::Result<Runtime> {
    Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name(name)
        .enable_all()
        .build()
        .with_context(|| format!("building the {name} runtime"))
}

/// A current-thread runtime driven by a thread of its own, so the generator's pacing and
/// the feed's writes never wait behind client or server work.
struct UpstreamThread {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl UpstreamThread {
    fn start() -> anyhow::Result<UpstreamThread> {
        let rt = Builder::new_current_thread().enable_all().build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(UPSTREAM_THREAD.into())
            .spawn(move || {
                rt.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(UpstreamThread {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for UpstreamThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
