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
//! The bot's rows go through the executor's journal thread (one writer for the file), so
//! a slow disk holds up this bot's next order, never the arbiter.
//!
//! The deciding lives in [`state::RunnerState`]; this actor carries its effects out.

mod effects;
mod inbox;
mod latency;
mod messages;
mod orders;
mod record;
mod resolvable;
mod state;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult, Recipient,
    WrapFuture,
};
use mandi_strategy::CePeBot;

pub use inbox::{lock_inbox, Inbox};
pub use latency::{LatencySummary, TickLatency};
pub use messages::{BotStatus, Drain, GetBotStatus, ManualExit, UpdateSettings};
pub use record::{OrderPurpose, PendingOrder, RunnerRecord};

use crate::clock::Clock;
use crate::journal::{BotEventRow, JournalError, JournalHandle};
use crate::outbound::{request_streaming, StreamingChange, UpdateSink};
use crate::paper_executor::{GetJournal, PaperExecutor, TradingUpdate};
use effects::{BotNote, OrderAnswer, OrderTicket, RunnerEffects, TimerStep};
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
    /// The executor's journal thread; `None` keeps the bot in memory.
    journal: Option<JournalHandle>,
    /// The record body being written now, so a step that finds the same one unsaved does
    /// not queue it again.
    saving: Option<String>,
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
            saving: None,
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

    /// Gets the journal from the executor and reads the bot's row through it, then
    /// resumes: position, counters, signals and the order it had out. The runner reads
    /// nothing else meanwhile.
    fn restore(&mut self, ctx: &mut Context<Self>) {
        let wanted = self.deps.journal_path.is_some();
        let executor = self.deps.executor.clone();
        let name = self.name().to_string();
        let read = async move {
            if !wanted {
                return (None, None);
            }
            let journal = executor.send(GetJournal).await.ok().flatten();
            let row = match &journal {
                Some(j) => Some(j.run("read a bot", move |j| j.load_bot(&name)).await),
                None => None,
            };
            (journal, row)
        };
        ctx.wait(read.into_actor(self).map(move |(journal, row), this, ctx| {
            if wanted && journal.is_none() {
                tracing::error!(bot = %this.name(), "bot journal unavailable; the bot runs but its state will not survive a restart — check store.data_dir");
            }
            this.journal = journal;
            if let Some(row) = row {
                this.resume(row, ctx);
            }
            let change = this.state.start();
            this.stream(change);
            this.save_in_background(ctx);
        }));
    }

    fn resume(&mut self, row: Result<Option<String>, JournalError>, ctx: &mut Context<Self>) {
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
    /// streaming, save its record, send its order — only once the record naming it is
    /// in the journal (write-ahead).
    fn carry_out(&mut self, effects: RunnerEffects, ctx: &mut Context<Self>) {
        for s in &effects.searches {
            tracing::info!(bot = %self.name(), reason = %s.reason, option_type = s.option_type.as_str(), underlying_price = s.underlying_price, "bot signal: choosing a contract");
        }
        for note in effects.notes {
            self.note(note);
        }
        self.stream(effects.streaming);
        match effects.send {
            Some(ticket) => self.save_then_send(ticket, ctx),
            None => self.save_in_background(ctx),
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
        if let Some(journal) = &self.journal {
            // Queued now; a failure is counted and logged by the journal's thread.
            let event = row.clone();
            drop(journal.run("journal a bot event", move |j| j.record_bot_event(&event)));
        }
        let frame = mandi_protocol::client::to_bytes(
            &serde_json::json!({"type": "bot_event", "data": row}),
        );
        self.updates.push(&frame);
    }

    /// Queues the bot's record when it changed and is not being written already.
    fn save_in_background(&mut self, ctx: &mut Context<Self>) {
        if let Some((body, write)) = self.queue_save() {
            ctx.spawn(
                write
                    .into_actor(self)
                    .map(move |saved, this, _| this.on_saved(body, saved.is_ok())),
            );
        }
    }

    /// Writes the record naming the order's tag, then sends the order. A record the
    /// journal cannot keep refuses the order instead (the bot hears why): after a crash
    /// nobody would know it had been sent.
    fn save_then_send(&mut self, ticket: OrderTicket, ctx: &mut Context<Self>) {
        let Some((body, write)) = self.queue_save() else {
            return self.send(ticket, ctx);
        };
        self.state.set_in_flight(true);
        let fut = write.into_actor(self).map(move |saved, this, ctx| {
            this.state.set_in_flight(false);
            this.on_saved(body, saved.is_ok());
            match saved {
                Ok(()) => this.send(ticket, ctx),
                Err(e) => {
                    let why = format!(
                        "the bot's record cannot be journaled ({e}); the order was not sent"
                    );
                    this.answer(&ticket.pending, OrderAnswer::Refused(&why), ctx);
                }
            }
        });
        // The bot waits for its record, as it does for its order's answer.
        ctx.wait(fut);
    }

    /// Queues the record if it changed and is not on its way already: the body, and a
    /// future saying whether the journal kept it.
    fn queue_save(
        &mut self,
    ) -> Option<(
        String,
        impl std::future::Future<Output = Result<(), JournalError>> + 'static,
    )> {
        let journal = self.journal.as_ref()?;
        let body = self.state.unsaved()?;
        if self.saving.as_deref() == Some(body.as_str()) {
            return None;
        }
        self.saving = Some(body.clone());
        let (name, row, now) = (
            self.state.name().to_string(),
            body.clone(),
            (self.deps.clock)(),
        );
        let write = journal.run("save a bot", move |j| j.save_bot(&name, &row, now));
        Some((body, write))
    }

    fn on_saved(&mut self, body: String, kept: bool) {
        if self.saving.as_deref() == Some(body.as_str()) {
            self.saving = None;
        }
        if kept {
            self.state.saved(body);
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
            unresolved: self.unresolved(),
            paused: false,
        }
    }

    /// Why the bot cannot pick a contract with the index as it is now, if it cannot.
    fn unresolved(&self) -> Option<String> {
        let today = mandi_domain::candles::ist_date((self.deps.clock)());
        resolvable::unresolved(self.state.bot().settings(), &self.deps.index.load(), today)
    }
}

impl Actor for StrategyRunner {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if !self.restored {
            self.restored = true;
            // Once per bot, not per supervised restart; /api/bots keeps saying it until a
            // master that lists its contracts is loaded.
            if let Some(reason) = self.unresolved() {
                tracing::warn!(bot = %self.name(), %reason, "bot cannot resolve its underlying or contracts: it will not trade until they are known");
            }
            self.restore(ctx);
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
        // Queued for the journal's thread; nobody is left to hear how it went.
        drop(self.queue_save());
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
