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

mod latency;
mod messages;
mod orders;
mod state;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context, Handler, MessageResult, Recipient};
use mandi_domain::Tick;
use mandi_strategy::{BotAction, CePeBot};

pub use latency::{LatencySummary, TickLatency};
pub use messages::{BotStatus, Drain, GetBotStatus, ManualExit, UpdateSettings};
pub use state::{Inbox, OrderPurpose, PendingOrder, RunnerRecord};

use crate::clock::Clock;
use crate::journal::{BotEventRow, Journal};
use crate::paper_executor::{PaperExecutor, TradingUpdate};
use mandi_feed::backplane::{Interest, Release, Subscribe};
use mandi_instruments::SharedIndex;

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
    bot: CePeBot,
    inbox: Arc<Mutex<Inbox>>,
    deps: RunnerDeps,
    journal: Option<Journal>,
    pending: Option<PendingOrder>,
    next_seq: u64,
    /// An order is with the executor; its answer has not come back.
    in_flight: bool,
    /// The last record written, so an unchanged bot is not rewritten on every tick.
    last_saved: Option<String>,
    /// The newest option tick, sent along with orders (the executor may not have it yet).
    option_quote: Option<Tick>,
    subscribed: BTreeSet<Arc<str>>,
    /// Actions that came after an order in the same list; run once its answer is in.
    deferred: Vec<BotAction>,
    conflated: u64,
    latency: TickLatency,
    restored: bool,
}

impl StrategyRunner {
    pub fn new(bot: CePeBot, inbox: Arc<Mutex<Inbox>>, deps: RunnerDeps) -> StrategyRunner {
        StrategyRunner {
            bot,
            inbox,
            deps,
            journal: None,
            pending: None,
            next_seq: 1,
            in_flight: false,
            last_saved: None,
            option_quote: None,
            subscribed: BTreeSet::new(),
            deferred: Vec::new(),
            conflated: 0,
            latency: TickLatency::default(),
            restored: false,
        }
    }

    fn name(&self) -> &str {
        &self.bot.settings().name
    }

    fn subscriber(&self) -> Arc<str> {
        format!("bot:{}", self.name()).into()
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
        self.next_seq = record.next_seq;
        match CePeBot::restore(self.bot.settings().clone(), record.snapshot) {
            Ok((bot, actions)) => {
                self.bot = bot;
                self.pending = record.pending;
                tracing::info!(bot = %self.name(), phase = self.bot.phase().name(), pending = ?self.pending.as_ref().map(|p| &p.tag), "bot restored from the journal");
                self.note("restored", self.bot.phase().name(), String::new());
                self.act(actions, ctx);
                if self.pending.is_some() {
                    self.reconcile(ctx);
                }
            }
            Err(e) => {
                tracing::error!(bot = %self.name(), error = %e, "bot state in the journal does not fit its settings; the bot starts flat — check its open position in /api/positions");
            }
        }
    }

    /// Carries out the bot's actions in order. An order pauses the list: the rest runs
    /// after its answer.
    fn act(&mut self, actions: Vec<BotAction>, ctx: &mut Context<Self>) {
        let mut queue: std::collections::VecDeque<BotAction> = actions.into();
        while let Some(action) = queue.pop_front() {
            let now = (self.deps.clock)();
            match action {
                BotAction::ResolveContract {
                    option_type,
                    underlying_price,
                    reason,
                } => {
                    let more = self.resolve(option_type, underlying_price, now);
                    tracing::info!(bot = %self.name(), reason = %reason, option_type = option_type.as_str(), underlying_price, "bot signal: choosing a contract");
                    queue.extend(more);
                }
                BotAction::Subscribe { symbol } => self.subscribe(symbol),
                BotAction::Unsubscribe { symbol } => self.unsubscribe(symbol),
                BotAction::PlaceEntry {
                    symbol,
                    lots,
                    reason,
                } => {
                    self.note(
                        "entry",
                        reason.as_str(),
                        format!("buy {lots} lots {symbol}"),
                    );
                    self.place(OrderPurpose::Entry, symbol, lots, reason.to_string(), ctx);
                    self.deferred = queue.drain(..).collect();
                    break;
                }
                BotAction::PlaceExit {
                    symbol,
                    lots,
                    reason,
                } => {
                    self.note(
                        "exit",
                        reason.as_str(),
                        format!("sell {lots} lots {symbol}"),
                    );
                    self.place(OrderPurpose::Exit, symbol, lots, reason.to_string(), ctx);
                    self.deferred = queue.drain(..).collect();
                    break;
                }
                BotAction::Refused { reason, detail } => {
                    tracing::info!(bot = %self.name(), code = reason.code(), detail = %detail, "bot refused");
                    self.note("refused", reason.code(), detail);
                }
            }
        }
        self.save();
    }

    fn resolve(
        &mut self,
        option_type: mandi_domain::OptionType,
        underlying_price: f64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<BotAction> {
        let s = self.bot.settings();
        let request = s.contract_request(option_type, underlying_price, now);
        let candidates = self.deps.index.load().options_of(&s.underlying, s.exchange);
        match mandi_strategy::select_contract(&candidates, &request, &s.contract) {
            Ok(contract) => {
                self.note("contract", "resolved", contract.symbol.to_string());
                self.bot.on_contract_resolved(contract)
            }
            Err(e) => self.bot.on_contract_failed(e.to_string()),
        }
    }

    fn subscribe(&mut self, symbol: Arc<str>) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.wanted.insert(symbol.clone());
        }
        if self.subscribed.insert(symbol.clone()) {
            if let Some(registry) = &self.deps.registry {
                registry.subscribe(Subscribe {
                    subscriber: self.subscriber(),
                    symbols: vec![symbol],
                    mode: mandi_domain::Mode::Full,
                });
            }
        }
    }

    fn unsubscribe(&mut self, symbol: Arc<str>) {
        if *symbol == *self.bot.settings().underlying {
            return;
        }
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.wanted.remove(&symbol);
        }
        self.option_quote = None;
        if self.subscribed.remove(&symbol) {
            if let Some(registry) = &self.deps.registry {
                registry.release(Release {
                    subscriber: self.subscriber(),
                    symbols: vec![symbol],
                });
            }
        }
    }

    /// Journals a bot event and tells the clients.
    fn note(&mut self, kind: &str, code: &str, detail: String) {
        let row = BotEventRow {
            bot: self.name().to_string(),
            at: (self.deps.clock)(),
            kind: kind.into(),
            code: code.into(),
            detail,
        };
        if let Some(journal) = self.journal.as_mut() {
            if let Err(e) = journal.record_bot_event(&row) {
                tracing::warn!(bot = %row.bot, error = %e, "bot event not journaled — check the disk");
            }
        }
        let frame = mandi_protocol::client::to_bytes(
            &serde_json::json!({"type": "bot_event", "data": row}),
        );
        for to in &self.deps.updates {
            let _ = to.try_send(TradingUpdate {
                frame: frame.clone(),
            });
        }
    }

    /// Writes the bot's record when it changed.
    fn save(&mut self) {
        let record = RunnerRecord {
            snapshot: self.bot.snapshot(),
            pending: self.pending.clone(),
            next_seq: self.next_seq,
        };
        let body = crate::journal::to_json(&record);
        if self.last_saved.as_deref() == Some(body.as_str()) {
            return;
        }
        let name = self.name().to_string();
        if let Some(journal) = self.journal.as_mut() {
            match journal.save_bot(&name, &body, (self.deps.clock)()) {
                Ok(()) => self.last_saved = Some(body),
                Err(e) => {
                    tracing::warn!(bot = %name, error = %e, "bot state not journaled — check the disk")
                }
            }
        }
    }

    /// Reads the inbox and feeds the bot: underlying ticks first (signals need a fresh
    /// underlying price), then completed candles, then option ticks.
    fn drain(&mut self, ctx: &mut Context<Self>) {
        let (ticks, candles) = match self.inbox.lock() {
            Ok(mut inbox) => {
                self.conflated = inbox.conflated;
                inbox.take()
            }
            Err(_) => return,
        };
        // Ages against the wall clock, which stamped them (the trading clock may be a
        // test's).
        let wall = chrono::Utc::now();
        for tick in &ticks {
            self.latency.record(tick.received_time, wall);
        }
        let now = (self.deps.clock)();
        let underlying = self.bot.settings().underlying.clone();
        let mut actions = Vec::new();
        for tick in ticks.iter().filter(|t| *t.symbol == *underlying) {
            actions.extend(self.bot.on_underlying_tick(tick, now));
        }
        for candle in &candles {
            actions.extend(self.bot.on_candle(candle, now));
        }
        for tick in ticks.iter().filter(|t| *t.symbol != *underlying) {
            self.option_quote = Some(tick.clone());
            actions.extend(self.bot.on_option_tick(tick, now));
        }
        self.act(actions, ctx);
    }

    fn status(&self) -> BotStatus {
        BotStatus {
            name: self.name().to_string(),
            underlying: self.bot.settings().underlying.clone(),
            phase: serde_json::to_value(self.bot.phase()).unwrap_or_default(),
            trades_today: self.bot.trades_today(),
            realised_pnl_today: mandi_paper::round_paise(self.bot.realised_pnl_today()),
            pending: self.pending.clone(),
            conflated_ticks: self.conflated,
            tick_latency: self.latency.summary(),
            settings: serde_json::to_value(self.bot.settings()).unwrap_or_default(),
        }
    }
}

impl Actor for StrategyRunner {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if !self.restored {
            self.restored = true;
            self.restore(ctx);
            let underlying: Arc<str> = self.bot.settings().underlying.as_str().into();
            self.subscribe(underlying);
            self.save();
        }
        // Time-driven rules (square-off, entry time-outs) fire even when no tick comes.
        ctx.run_interval(Duration::from_secs(1), |this, ctx| {
            if this.in_flight {
                return;
            }
            if this.pending.is_some() {
                this.reconcile(ctx);
                return;
            }
            let actions = this.bot.on_timer((this.deps.clock)());
            this.act(actions, ctx);
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
        self.in_flight = false;
        tracing::info!(bot = %self.name(), phase = self.bot.phase().name(), "bot restarted with its state");
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
        match CePeBot::restore(msg.0, self.bot.snapshot()) {
            Ok((bot, actions)) => {
                self.bot = bot;
                tracing::info!(bot = %self.name(), "bot settings reloaded");
                self.note("settings", "reloaded", String::new());
                self.last_saved = None;
                self.act(actions, ctx);
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
        let actions = self.bot.on_manual_exit((self.deps.clock)());
        self.act(actions, ctx);
    }
}

impl Handler<GetBotStatus> for StrategyRunner {
    type Result = MessageResult<GetBotStatus>;

    fn handle(&mut self, _: GetBotStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status())
    }
}
