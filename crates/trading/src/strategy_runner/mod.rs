//! `StrategyRunner`: one CE/PE bot (a pure `CePeBot`) wired to the runtime. It reads its
//! inbox (latest ticks, completed candles) when woken, carries out the bot's actions —
//! contract selection over the instrument index, option subscriptions through the
//! registry (subscriber `bot:<name>`, reference-counted with everyone else's), market
//! orders through the paper executor — and journals the bot after every change.
//!
//! Orders are write-ahead: the bot's record with the order's tag is committed before the
//! order is sent. After a crash the runner asks the executor for that tag: a fill or a
//! rejection it finds is delivered to the bot; an order it does not find was never
//! placed and is placed now. So a `kill -9` neither loses nor doubles an order.
//!
//! The deciding lives in [`state::RunnerState`]; this actor carries its effects out.

mod effects;
mod inbox;
mod latency;
mod messages;
mod orders;
mod record;
mod state;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context, Handler, MessageResult, Recipient};
use mandi_strategy::CePeBot;

pub use inbox::{lock_inbox, Inbox};
pub use latency::{LatencySummary, TickLatency};
pub use messages::{BotStatus, Drain, GetBotStatus, ManualExit, UpdateSettings};
pub use record::{OrderPurpose, PendingOrder, RunnerRecord};

use crate::clock::Clock;
use crate::journal::{BotEventRow, Journal};
use crate::outbound::{request_streaming, StreamingChange, UpdateSink};
use crate::paper_executor::{PaperExecutor, TradingUpdate};
use effects::{BotNote, RunnerEffects, TimerStep};
use mandi_feed::backplane::Interest;
use mandi_instruments::SharedIndex;
use state::RunnerState;

/// What every runner of one runtime shares.
#[derive(Clone)]
pub struct RunnerDeps {
    pub executor: Addr<PaperExecutor>,
    pub registry: Option<Interest>,
    pub index: SharedIndex,
    pub clock: Clock,
    pub journal_path: Option<PathBuf>,
    pub updates: Vec<Recipient<TradingUpdate>>,
}

pub struct StrategyRunner {
    state: RunnerState,
    inbox: Arc<Mutex<Inbox>>,
    deps: RunnerDeps,
    journal: Option<Journal>,
    /// The registry subscriber id, `bot:<name>`.
    subscriber: String,
    updates: UpdateSink,
    conflated: u64,
    latency: TickLatency,
    restored: bool,
}

impl StrategyRunner {
    pub fn new(bot: CePeBot, inbox: Arc<Mutex<Inbox>>, deps: RunnerDeps) -> StrategyRunner {
        let subscriber = format!("bot:{}", bot.settings().name);
        let updates = UpdateSink::new(subscriber.as_str(), deps.updates.clone());
        StrategyRunner {
            state: RunnerState::new(bot),
            inbox,
            deps,
            journal: None,
            subscriber,
            updates,
            conflated: 0,
            latency: TickLatency::default(),
            restored: false,
        }
    }

    fn name(&self) -> &str {
        self.state.name()
    }

    /// Loads the bot's journal row and resumes it: position, counters, signals and the
    /// order it had out.
    fn restore(&mut self, ctx: &mut Context<Self>) {
        let Some(path) = self.deps.journal_path.clone() else {
            return;
        };
        let journal = match Journal::open(&path) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(bot = %self.name(), error = %e, "bot journal cannot be opened; the bot runs but its state will not survive a restart — check store.data_dir");
                return;
            }
        };
        let row = journal.load_bot(self.name());
        self.journal = Some(journal);
        let record = match row {
            Ok(Some(body)) => {
                serde_json::from_str::<RunnerRecord>(&body).map_err(|e| e.to_string())
            }
            Ok(None) => return,
            Err(e) => Err(e.to_string()),
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(bot = %self.name(), error = %e, "bot journal row unreadable; the bot starts flat — check its open position in /api/positions");
                return;
            }
        };
        let now = (self.deps.clock)();
        match self.state.restore(record, &self.deps.index, now) {
            Ok(restored) => {
                let bot = self.state.bot();
                tracing::info!(bot = %self.name(), phase = bot.phase().name(), pending = ?self.state.pending().map(|p| &p.tag), "bot restored from the journal");
                self.carry_out(restored.effects, ctx);
                if let Some(pending) = restored.reconcile {
                    self.reconcile(pending, ctx);
                }
            }
            Err(e) => {
                tracing::error!(bot = %self.name(), error = %e, "bot state in the journal does not fit its settings; the bot starts flat — check its open position in /api/positions");
            }
        }
    }

    /// Carries out a step of the bot: log, journal and push its notes, ask for its
    /// streaming, save its record (before any order goes out), send its order.
    fn carry_out(&mut self, effects: RunnerEffects, ctx: &mut Context<Self>) {
        for s in &effects.searches {
            tracing::info!(bot = %self.name(), reason = %s.reason, option_type = s.option_type.as_str(), underlying_price = s.underlying_price, "bot signal: choosing a contract");
        }
        for note in effects.notes {
            self.note(note);
        }
        self.stream(effects.streaming);
        self.save();
        if let Some(ticket) = effects.send {
            self.send(ticket, ctx);
        }
    }

    /// The inbox reads what the registry streams for the bot.
    fn stream(&mut self, change: StreamingChange) {
        if change.is_empty() {
            return;
        }
        {
            let mut inbox = lock_inbox(&self.inbox, self.state.name());
            inbox.wanted.extend(change.subscribe.iter().cloned());
            for symbol in &change.release {
                inbox.wanted.remove(symbol);
            }
        }
        request_streaming(self.deps.registry.as_ref(), &self.subscriber, change);
    }

    /// Journals a bot event and tells the clients.
    fn note(&mut self, note: BotNote) {
        if note.kind == "refused" {
            tracing::info!(bot = %self.name(), code = %note.code, detail = %note.detail, "bot refused");
        }
        let row = BotEventRow {
            bot: self.name().to_string(),
            at: (self.deps.clock)(),
            kind: note.kind.into(),
            code: note.code,
            detail: note.detail,
        };
        if let Some(journal) = self.journal.as_mut() {
            if let Err(e) = journal.record_bot_event(&row) {
                tracing::warn!(bot = %row.bot, error = %e, "bot event not journaled — check the disk");
            }
        }
        let frame = mandi_protocol::client::to_bytes(
            &serde_json::json!({"type": "bot_event", "data": row}),
        );
        self.updates.push(&frame);
    }

    /// Writes the bot's record when it changed.
    fn save(&mut self) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        let Some(body) = self.state.unsaved() else {
            return;
        };
        match journal.save_bot(self.state.name(), &body, (self.deps.clock)()) {
            Ok(()) => self.state.saved(body),
            Err(e) => {
                tracing::warn!(bot = %self.state.name(), error = %e, "bot state not journaled — check the disk")
            }
        }
    }

    /// Reads the inbox and feeds the bot.
    fn drain(&mut self, ctx: &mut Context<Self>) {
        let (ticks, candles) = {
            let mut inbox = lock_inbox(&self.inbox, self.state.name());
            self.conflated = inbox.conflated;
            inbox.take()
        };
        // Ages against the wall clock, which stamped them (the trading clock may be a
        // test's).
        let wall = chrono::Utc::now();
        for tick in &ticks {
            self.latency.record(tick.received_time, wall);
        }
        let now = (self.deps.clock)();
        let effects = self.state.on_inbox(&ticks, &candles, &self.deps.index, now);
        self.carry_out(effects, ctx);
    }

    fn status(&self) -> BotStatus {
        let bot = self.state.bot();
        BotStatus {
            name: self.name().to_string(),
            underlying: bot.settings().underlying.clone(),
            phase: serde_json::to_value(bot.phase()).unwrap_or_default(),
            trades_today: bot.trades_today(),
            realised_pnl_today: mandi_paper::round_paise(bot.realised_pnl_today()),
            pending: self.state.pending().cloned(),
            conflated_ticks: self.conflated,
            tick_latency: self.latency.summary(),
            dropped_updates: self.updates.dropped(),
            settings: serde_json::to_value(bot.settings()).unwrap_or_default(),
        }
    }
}

impl Actor for StrategyRunner {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if !self.restored {
            self.restored = true;
            self.restore(ctx);
            let change = self.state.start();
            self.stream(change);
            self.save();
        }
        // Time-driven rules (square-off, entry time-outs) fire even when no tick comes.
        ctx.run_interval(Duration::from_secs(1), |this, ctx| {
            this.updates.warn_if_due();
            let now = (this.deps.clock)();
            match this.state.on_timer(&this.deps.index, now) {
                TimerStep::Wait => {}
                TimerStep::Reconcile(pending) => this.reconcile(pending, ctx),
                TimerStep::Act(effects) => this.carry_out(*effects, ctx),
            }
        });
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.save();
    }
}

impl actix::Supervised for StrategyRunner {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The bot in memory is at least as new as its journal row; an order that was in
        // flight when it crashed is reconciled by tag on the next timer.
        self.state.set_in_flight(false);
        tracing::info!(bot = %self.name(), phase = self.state.bot().phase().name(), "bot restarted with its state");
    }
}

mandi_supervision::crash_handler!(StrategyRunner);

impl Handler<Drain> for StrategyRunner {
    type Result = ();

    fn handle(&mut self, _: Drain, ctx: &mut Context<Self>) {
        self.drain(ctx);
    }
}

impl Handler<UpdateSettings> for StrategyRunner {
    type Result = ();

    fn handle(&mut self, msg: UpdateSettings, ctx: &mut Context<Self>) {
        let now = (self.deps.clock)();
        match self.state.update_settings(msg.0, &self.deps.index, now) {
            Ok(effects) => {
                tracing::info!(bot = %self.name(), "bot settings reloaded");
                self.carry_out(effects, ctx);
            }
            Err(e) => {
                tracing::warn!(bot = %self.name(), error = %e, "new bot settings do not fit the running bot; the old ones stay");
            }
        }
    }
}

impl Handler<ManualExit> for StrategyRunner {
    type Result = ();

    fn handle(&mut self, _: ManualExit, ctx: &mut Context<Self>) {
        let now = (self.deps.clock)();
        let effects = self.state.manual_exit(&self.deps.index, now);
        self.carry_out(effects, ctx);
    }
}

impl Handler<GetBotStatus> for StrategyRunner {
    type Result = MessageResult<GetBotStatus>;

    fn handle(&mut self, _: GetBotStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status())
    }
}
