//! `StrategyHost`: starts a `StrategyRunner` per strategy file, routes the price store's
//! ticks to them, builds their underlyings' 1-minute bars, and reloads edited files.
//!
//! Ticks reach a runner through its `Inbox`: the latest tick per symbol, so a bot busy
//! with an order reads only the newest price when it is free (latest-value conflation,
//! bounded by the symbols it reads); completed bars queue, never conflated. The host
//! itself only copies ticks, so it keeps up with every frame.
//!
//! The deciding (which files change what, the bars, each inbox's share) lives in
//! [`state::HostState`]; this actor reads the files and starts and feeds the runners.

mod bars;
mod files;
mod messages;
mod state;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context, Handler, ResponseFuture};
use mandi_domain::Tick;

pub use bars::MinuteBars;
pub use files::{list as list_files, load_dir, parse, StrategyFile, StrategyFileError};
pub use messages::{ExitBot, GetBots, PauseBot, ReloadStrategies};

use crate::strategy_runner::{
    lock_inbox, BotStatus, Drain, GetBotStatus, Inbox, ManualExit, RunnerDeps, StrategyRunner,
    UpdateSettings,
};
use mandi_fanout::price_store::TicksPublished;
use mandi_supervision::{start_resilient, ActorRestarts};
use state::{fill_inbox, DiskFile, FileChange, HostState, UnderlyingBar};

/// Mailbox size, as the paper executor's: past it the price store drops the frame for
/// the host (counted in `/health` → `store.publish_dropped`).
const MAILBOX_CAPACITY: usize = 4096;

/// A running bot as the host reaches it.
struct RunnerHandle {
    addr: Addr<StrategyRunner>,
    inbox: Arc<Mutex<Inbox>>,
    underlying: Arc<str>,
}

pub struct StrategyHost {
    dir: Option<PathBuf>,
    state: HostState,
    /// By bot name.
    runners: BTreeMap<String, RunnerHandle>,
    deps: RunnerDeps,
    restarts: Arc<ActorRestarts>,
    pending_files: Vec<StrategyFile>,
}

impl StrategyHost {
    /// `files` were loaded and validated at start (see [`load_dir`]); `dir` is watched
    /// for edits and new files.
    pub fn new(
        dir: Option<PathBuf>,
        files: Vec<StrategyFile>,
        deps: RunnerDeps,
        restarts: Arc<ActorRestarts>,
    ) -> StrategyHost {
        StrategyHost {
            dir,
            state: HostState::default(),
            runners: BTreeMap::new(),
            deps,
            restarts,
            pending_files: files,
        }
    }

    /// Reads every strategy file and carries out what the state makes of them.
    fn reload(&mut self) {
        let Some(dir) = self.dir.as_deref() else {
            return;
        };
        let on_disk = files::list(dir)
            .into_iter()
            .map(|path| DiskFile {
                text: std::fs::read_to_string(&path).ok(),
                path,
            })
            .collect();
        let changes = self.state.reload(on_disk);
        self.apply(changes);
    }

    fn apply(&mut self, changes: Vec<FileChange>) {
        for change in changes {
            match change {
                FileChange::Start { file, bot } => self.start_runner(file, bot),
                FileChange::Reload { name, file } => {
                    tracing::info!(bot = %name, file = %file.path.display(), "strategy file changed; new settings applied");
                    if let Some(runner) = self.runners.get(&name) {
                        runner.addr.do_send(UpdateSettings(file.settings));
                    }
                }
                FileChange::Refuse { error } => {
                    tracing::warn!(error = %error, "strategy edit refused; the bot keeps its previous settings");
                }
                FileChange::NotStarted { name, error } => {
                    tracing::warn!(bot = %name, error = %error, "bot not started");
                }
                FileChange::Removed { name, path } => {
                    tracing::warn!(bot = %name, file = %path.display(), "strategy file removed; the bot keeps running, with its position, until the next restart");
                }
            }
        }
    }

    fn start_runner(&mut self, file: StrategyFile, bot: Box<mandi_strategy::CePeBot>) {
        let name = file.settings.name.clone();
        let underlying: Arc<str> = file.settings.underlying.as_str().into();
        let inbox = Arc::new(Mutex::new(Inbox::new(underlying.clone())));
        let deps = self.deps.clone();
        let runner_inbox = inbox.clone();
        // One name per bot for the restart counters; bots are few and started once.
        let label: &'static str = Box::leak(format!("bot:{name}").into_boxed_str());
        let addr = start_resilient(label, self.restarts.clone(), move |_| {
            StrategyRunner::new(*bot, runner_inbox, deps)
        });
        tracing::info!(bot = %name, file = %file.path.display(), underlying = %file.settings.underlying, "bot started");
        self.runners.insert(
            name,
            RunnerHandle {
                addr,
                inbox,
                underlying,
            },
        );
    }

    /// Hands every runner its share of the bars and ticks, and wakes the ones that need it.
    fn offer(&self, bars: &[UnderlyingBar], ticks: &[Tick]) {
        for (name, runner) in &self.runners {
            let wake = fill_inbox(
                &mut lock_inbox(&runner.inbox, name),
                &runner.underlying,
                bars,
                ticks,
                self.state.is_paused(name),
            );
            if wake {
                runner.addr.do_send(Drain);
            }
        }
    }
}

impl Actor for StrategyHost {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Every published frame comes here, and Dhan sends one packet per frame: at actix's
        // default of 16 a burst at the open overflowed it and the price store dropped
        // frames, ticks the minute bars (the bots' signals) never saw.
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        let changes = self.state.start(std::mem::take(&mut self.pending_files));
        self.apply(changes);
        ctx.run_interval(Duration::from_secs(1), |this, _| {
            let closed = this.state.close_due((this.deps.clock)());
            if !closed.is_empty() {
                this.offer(&closed, &[]);
            }
            this.reload();
        });
    }
}

impl actix::Supervised for StrategyHost {}

mandi_supervision::crash_handler!(StrategyHost);

impl Handler<TicksPublished> for StrategyHost {
    type Result = ();

    fn handle(&mut self, msg: TicksPublished, _: &mut Context<Self>) {
        if self.runners.is_empty() {
            return;
        }
        let closed = self.state.on_ticks(&msg.ticks);
        self.offer(&closed, &msg.ticks);
    }
}

impl Handler<GetBots> for StrategyHost {
    type Result = ResponseFuture<Vec<BotStatus>>;

    fn handle(&mut self, _: GetBots, _: &mut Context<Self>) -> Self::Result {
        let asks: Vec<_> = self
            .runners
            .iter()
            .map(|(name, r)| {
                let paused = self.state.is_paused(name);
                let ask = r.addr.send(GetBotStatus);
                async move {
                    ask.await.ok().map(|mut status| {
                        status.paused = paused;
                        status
                    })
                }
            })
            .collect();
        Box::pin(async move {
            futures_util::future::join_all(asks)
                .await
                .into_iter()
                .flatten()
                .collect()
        })
    }
}

impl Handler<ExitBot> for StrategyHost {
    type Result = bool;

    fn handle(&mut self, msg: ExitBot, _: &mut Context<Self>) -> bool {
        match self.runners.get(&msg.name) {
            Some(runner) => {
                runner.addr.do_send(ManualExit);
                true
            }
            None => false,
        }
    }
}

impl Handler<PauseBot> for StrategyHost {
    type Result = bool;

    fn handle(&mut self, msg: PauseBot, _: &mut Context<Self>) -> bool {
        let known = self.state.set_paused(&msg.name, msg.paused);
        if known {
            tracing::info!(bot = %msg.name, paused = msg.paused, "bot paused or resumed from the API");
        }
        known
    }
}

impl Handler<ReloadStrategies> for StrategyHost {
    type Result = ();

    fn handle(&mut self, _: ReloadStrategies, _: &mut Context<Self>) {
        self.reload();
    }
}

#[cfg(test)]
mod tests;
