//! `StrategyHost`: starts a `StrategyRunner` per strategy file, routes the price store's
//! ticks to them, builds their underlyings' 1-minute bars, and reloads edited files.
//!
//! Ticks reach a runner through its `Inbox`: the latest tick per symbol, so a bot busy
//! with an order reads only the newest price when it is free (latest-value conflation,
//! bounded by the symbols it reads); completed bars queue, never conflated. The host
//! itself only copies ticks, so it keeps up with every frame.

mod bars;
mod files;
mod messages;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context, Handler, ResponseFuture};
use mandi_strategy::CePeBot;

pub use bars::MinuteBars;
pub use files::{load_dir, parse, StrategyFile, StrategyFileError};
pub use messages::{ExitBot, GetBots, ReloadStrategies};

use crate::strategy_runner::{
    BotStatus, Drain, GetBotStatus, Inbox, ManualExit, RunnerDeps, StrategyRunner, UpdateSettings,
};
use mandi_fanout::price_store::TicksPublished;
use mandi_supervision::{start_resilient, ActorRestarts};

/// Mailbox size, as the paper executor's: past it the price store drops the frame for
/// the host (counted in `/health` → `store.publish_dropped`).
const MAILBOX_CAPACITY: usize = 4096;

struct Slot {
    file: StrategyFile,
    addr: Addr<StrategyRunner>,
    inbox: Arc<Mutex<Inbox>>,
    /// The text of an edit that was refused: said once, not every second.
    refused: Option<String>,
}

pub struct StrategyHost {
    dir: Option<PathBuf>,
    slots: BTreeMap<String, Slot>,
    /// By underlying symbol.
    bars: BTreeMap<Arc<str>, MinuteBars>,
    deps: RunnerDeps,
    restarts: Arc<ActorRestarts>,
    pending_files: Vec<StrategyFile>,
    /// New files that failed to parse, with the text refused: said once per edit.
    refused_new: BTreeMap<PathBuf, String>,
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
            slots: BTreeMap::new(),
            bars: BTreeMap::new(),
            deps,
            restarts,
            pending_files: files,
            refused_new: BTreeMap::new(),
        }
    }

    fn start_runner(&mut self, file: StrategyFile) {
        let name = file.settings.name.clone();
        let bot = match CePeBot::new(file.settings.clone()) {
            Ok(bot) => bot,
            Err(e) => {
                tracing::warn!(bot = %name, error = %e, "bot not started");
                return;
            }
        };
        let underlying: Arc<str> = file.settings.underlying.as_str().into();
        let inbox = Arc::new(Mutex::new(Inbox::new(underlying.clone())));
        self.bars.entry(underlying).or_default();
        let deps = self.deps.clone();
        let runner_inbox = inbox.clone();
        // One name per bot for the restart counters; bots are few and started once.
        let label: &'static str = Box::leak(format!("bot:{name}").into_boxed_str());
        let addr = start_resilient(label, self.restarts.clone(), move |_| {
            StrategyRunner::new(bot, runner_inbox, deps)
        });
        tracing::info!(bot = %name, file = %file.path.display(), underlying = %file.settings.underlying, "bot started");
        self.slots.insert(
            name,
            Slot {
                file,
                addr,
                inbox,
                refused: None,
            },
        );
    }

    /// Compares every strategy file with what runs: edits go to their bot, new files
    /// start one, bad edits are refused with the reason and the old settings kept.
    fn reload(&mut self) {
        let Some(dir) = self.dir.clone() else {
            return;
        };
        for path in files::list(&dir) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let key = self
                .slots
                .iter()
                .find(|(_, s)| s.file.path == path)
                .map(|(k, _)| k.clone());
            let slot = key.as_ref().and_then(|k| self.slots.get(k));
            let unchanged = match slot {
                Some(slot) => {
                    slot.file.text == text || slot.refused.as_deref() == Some(text.as_str())
                }
                None => self.refused_new.get(&path) == Some(&text),
            };
            if unchanged {
                continue;
            }
            let parsed = files::parse(&path, &text).and_then(|settings| match slot {
                Some(slot) if settings.name != slot.file.settings.name => Err(StrategyFileError::Invalid {
                    path: path.clone(),
                    reason: format!("name changed from `{}` to `{}`: a running bot cannot be renamed — restore the name, or add a new file for a new bot", slot.file.settings.name, settings.name),
                }),
                Some(slot) if settings.underlying != slot.file.settings.underlying => Err(StrategyFileError::Invalid {
                    path: path.clone(),
                    reason: format!("underlying changed from `{}` to `{}`: that needs a restart (the bot's candles and position belong to the old one)", slot.file.settings.underlying, settings.underlying),
                }),
                None if self.slots.contains_key(&settings.name) => Err(StrategyFileError::Invalid {
                    path: path.clone(),
                    reason: format!("another file already runs the bot `{}`: give this one its own name", settings.name),
                }),
                _ => Ok(settings),
            });
            let slot = key.as_ref().and_then(|k| self.slots.get_mut(k));
            match (parsed, slot) {
                (Ok(settings), Some(slot)) => {
                    tracing::info!(bot = %settings.name, file = %path.display(), "strategy file changed; new settings applied");
                    slot.addr.do_send(UpdateSettings(settings.clone()));
                    slot.file = StrategyFile {
                        path,
                        text,
                        settings,
                    };
                    slot.refused = None;
                }
                (Ok(settings), None) => {
                    self.refused_new.remove(&path);
                    self.start_runner(StrategyFile {
                        path,
                        text,
                        settings,
                    });
                }
                (Err(e), slot) => {
                    tracing::warn!(error = %e, "strategy edit refused; the bot keeps its previous settings");
                    match slot {
                        Some(slot) => slot.refused = Some(text),
                        None => {
                            self.refused_new.insert(path, text);
                        }
                    }
                }
            }
        }
    }

    fn offer(
        &self,
        underlying_bars: Vec<(Arc<str>, mandi_domain::Candle)>,
        ticks: &[mandi_domain::Tick],
    ) {
        for slot in self.slots.values() {
            let wake = match slot.inbox.lock() {
                Ok(mut inbox) => {
                    let mut wake = false;
                    for (symbol, bar) in &underlying_bars {
                        if **symbol == *slot.file.settings.underlying {
                            wake |= inbox.offer_candle(bar.clone());
                        }
                    }
                    for tick in ticks {
                        wake |= inbox.offer_tick(tick);
                    }
                    wake
                }
                Err(_) => false,
            };
            if wake {
                slot.addr.do_send(Drain);
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
        for file in std::mem::take(&mut self.pending_files) {
            self.start_runner(file);
        }
        ctx.run_interval(Duration::from_secs(1), |this, _| {
            let now = (this.deps.clock)();
            let closed: Vec<_> = this
                .bars
                .iter_mut()
                .filter_map(|(s, b)| b.close_due(now).map(|bar| (s.clone(), bar)))
                .collect();
            if !closed.is_empty() {
                this.offer(closed, &[]);
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
        if self.slots.is_empty() {
            return;
        }
        let mut closed = Vec::new();
        for tick in msg.ticks.iter() {
            if let Some(bars) = self.bars.get_mut(&tick.symbol) {
                if let Some(bar) = bars.on_tick(tick) {
                    closed.push((tick.symbol.clone(), bar));
                }
            }
        }
        self.offer(closed, &msg.ticks);
    }
}

impl Handler<GetBots> for StrategyHost {
    type Result = ResponseFuture<Vec<BotStatus>>;

    fn handle(&mut self, _: GetBots, _: &mut Context<Self>) -> Self::Result {
        let asks: Vec<_> = self
            .slots
            .values()
            .map(|s| s.addr.send(GetBotStatus))
            .collect();
        Box::pin(async move {
            futures_util::future::join_all(asks)
                .await
                .into_iter()
                .filter_map(Result::ok)
                .collect()
        })
    }
}

impl Handler<ExitBot> for StrategyHost {
    type Result = bool;

    fn handle(&mut self, msg: ExitBot, _: &mut Context<Self>) -> bool {
        match self.slots.get(&msg.name) {
            Some(slot) => {
                slot.addr.do_send(ManualExit);
                true
            }
            None => false,
        }
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
