//! `RunnerState`: a bot's deciding half. It owns the pure `CePeBot`, the order it has out
//! and the symbols it streams, runs the bot's action lists (an order pauses a list until
//! its answer), and returns [`RunnerEffects`] for the actor to carry out.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Candle, OptionType, Tick};
use mandi_instruments::SharedIndex;
use mandi_paper::{Fill, Order, OrderKind, OrderRequest, OrderStatus, Side};
use mandi_strategy::{BotAction, BotSettings, CePeBot, RestoreError};

use super::effects::{
    BotNote, ContractSearch, OrderAnswer, OrderTicket, Restored, RunnerEffects, TimerStep,
};
use super::record::{OrderPurpose, PendingOrder, RunnerRecord};
use crate::outbound::StreamingChange;

pub struct RunnerState {
    bot: CePeBot,
    pending: Option<PendingOrder>,
    next_seq: u64,
    /// An order or a by-tag question is with the executor; its answer has not come back.
    in_flight: bool,
    /// The last record written, so an unchanged bot is not rewritten on every tick.
    last_saved: Option<String>,
    /// The newest option tick, sent along with orders (the executor may not have it yet).
    option_quote: Option<Tick>,
    /// What the bot streams: its underlying and the option it holds or is entering.
    subscribed: BTreeSet<Arc<str>>,
    /// Actions that came after an order in the same list; run once its answer is in.
    deferred: Vec<BotAction>,
}

impl RunnerState {
    pub fn new(bot: CePeBot) -> RunnerState {
        RunnerState {
            bot,
            pending: None,
            next_seq: 1,
            in_flight: false,
            last_saved: None,
            option_quote: None,
            subscribed: BTreeSet::new(),
            deferred: Vec::new(),
        }
    }

    pub fn bot(&self) -> &CePeBot {
        &self.bot
    }

    pub fn name(&self) -> &str {
        &self.bot.settings().name
    }

    pub fn pending(&self) -> Option<&PendingOrder> {
        self.pending.as_ref()
    }

    pub fn set_in_flight(&mut self, in_flight: bool) {
        self.in_flight = in_flight;
    }

    /// The underlying is read for as long as the bot runs.
    pub fn start(&mut self) -> StreamingChange {
        let underlying: Arc<str> = self.bot.settings().underlying.as_str().into();
        self.step(|s, _| {
            s.subscribed.insert(underlying);
        })
        .streaming
    }

    /// Resumes the bot from its journal row: position, counters, signals and the order it
    /// had out. The sequence is taken even when the bot is not, so no tag is reused.
    pub fn restore(
        &mut self,
        record: RunnerRecord,
        index: &SharedIndex,
        now: DateTime<Utc>,
    ) -> Result<Restored, RestoreError> {
        self.next_seq = record.next_seq;
        let (bot, actions) = CePeBot::restore(self.bot.settings().clone(), record.snapshot)?;
        self.bot = bot;
        self.pending = record.pending;
        let effects = self.step(|s, fx| {
            fx.notes
                .push(note("restored", s.bot.phase().name(), String::new()));
            s.act(actions, index, now, fx);
        });
        Ok(Restored {
            effects,
            reconcile: self.pending.clone(),
        })
    }

    /// Feeds the inbox to the bot: underlying ticks first (signals need a fresh
    /// underlying price), then completed candles, then option ticks.
    pub fn on_inbox(
        &mut self,
        ticks: &[Tick],
        candles: &[Candle],
        index: &SharedIndex,
        now: DateTime<Utc>,
    ) -> RunnerEffects {
        let underlying = self.bot.settings().underlying.clone();
        let mut actions = Vec::new();
        for tick in ticks.iter().filter(|t| *t.symbol == *underlying) {
            actions.extend(self.bot.on_underlying_tick(tick, now));
        }
        for candle in candles {
            actions.extend(self.bot.on_candle(candle, now));
        }
        for tick in ticks.iter().filter(|t| *t.symbol != *underlying) {
            self.option_quote = Some(tick.clone());
            actions.extend(self.bot.on_option_tick(tick, now));
        }
        self.run(actions, index, now)
    }

    pub fn on_timer(&mut self, index: &SharedIndex, now: DateTime<Utc>) -> TimerStep {
        if self.in_flight {
            return TimerStep::Wait;
        }
        if let Some(pending) = &self.pending {
            return TimerStep::Reconcile(pending.clone());
        }
        let actions = self.bot.on_timer(now);
        TimerStep::Act(Box::new(self.run(actions, index, now)))
    }

    pub fn manual_exit(&mut self, index: &SharedIndex, now: DateTime<Utc>) -> RunnerEffects {
        let actions = self.bot.on_manual_exit(now);
        self.run(actions, index, now)
    }

    /// New settings from an edited file; they apply to the open position too. Refused
    /// when they do not fit the running bot, which keeps the old ones.
    pub fn update_settings(
        &mut self,
        settings: BotSettings,
        index: &SharedIndex,
        now: DateTime<Utc>,
    ) -> Result<RunnerEffects, RestoreError> {
        let (bot, actions) = CePeBot::restore(settings, self.bot.snapshot())?;
        self.bot = bot;
        // The record carries the settings' effects: write it again even if equal.
        self.last_saved = None;
        Ok(self.step(|s, fx| {
            fx.notes.push(note("settings", "reloaded", String::new()));
            s.act(actions, index, now, fx);
        }))
    }

    /// Hands the executor's answer on `pending` to the bot, then runs whatever its action
    /// list held after the order. An open order stays pending (asked again by timer).
    pub fn on_order_answer(
        &mut self,
        pending: &PendingOrder,
        answer: OrderAnswer<'_>,
        index: &SharedIndex,
        now: DateTime<Utc>,
    ) -> RunnerEffects {
        self.step(|s, fx| {
            let mut actions = match answer {
                OrderAnswer::Refused(why) => s.bot.on_order_rejected(why),
                OrderAnswer::Booked { order, fills } => match order.status {
                    OrderStatus::Open => return,
                    OrderStatus::Filled => {
                        fx.notes.push(filled_note(pending, order));
                        let fill = strategy_fill(order, fills);
                        match pending.purpose {
                            OrderPurpose::Entry => s.bot.on_entry_filled(fill),
                            OrderPurpose::Exit => s.bot.on_exit_filled(fill),
                        }
                    }
                    OrderStatus::Rejected | OrderStatus::Cancelled => {
                        let why = order
                            .reject_reason
                            .as_ref()
                            .map_or_else(|| "cancelled".to_string(), |r| r.to_string());
                        s.bot.on_order_rejected(why)
                    }
                },
            };
            s.pending = None;
            actions.extend(std::mem::take(&mut s.deferred));
            s.act(actions, index, now, fx);
        })
    }

    /// The order to (re)send for the pending one: a market buy for an entry, a market
    /// sell for an exit, under the pending order's tag.
    pub fn ticket(&self) -> Option<OrderTicket> {
        let pending = self.pending.clone()?;
        let side = match pending.purpose {
            OrderPurpose::Entry => Side::Buy,
            OrderPurpose::Exit => Side::Sell,
        };
        let request = OrderRequest {
            side,
            kind: OrderKind::Market,
            lots: pending.lots,
            tag: pending.tag.clone(),
            reason: pending.reason.clone(),
        };
        let quote = self
            .option_quote
            .clone()
            .filter(|q| q.symbol == pending.symbol);
        Some(OrderTicket {
            pending,
            request,
            quote,
        })
    }

    /// The record to journal, when it differs from the last one saved.
    pub fn unsaved(&self) -> Option<String> {
        let record = RunnerRecord {
            snapshot: self.bot.snapshot(),
            pending: self.pending.clone(),
            next_seq: self.next_seq,
        };
        let body = serde_json::to_string(&record).unwrap_or_default();
        (self.last_saved.as_deref() != Some(body.as_str())).then_some(body)
    }

    /// The journal holds `body` now.
    pub fn saved(&mut self, body: String) {
        self.last_saved = Some(body);
    }

    fn run(
        &mut self,
        actions: Vec<BotAction>,
        index: &SharedIndex,
        now: DateTime<Utc>,
    ) -> RunnerEffects {
        self.step(|s, fx| s.act(actions, index, now, fx))
    }

    /// Runs `f` and adds the streaming change it made: a symbol subscribed and released
    /// within one step (or the reverse) nets out.
    fn step(&mut self, f: impl FnOnce(&mut Self, &mut RunnerEffects)) -> RunnerEffects {
        let before = self.subscribed.clone();
        let mut fx = RunnerEffects::default();
        f(self, &mut fx);
        fx.streaming = StreamingChange::between(&before, &self.subscribed);
        fx
    }

    /// Carries out the bot's actions in order. An order pauses the list: the rest runs
    /// after its answer.
    fn act(
        &mut self,
        actions: Vec<BotAction>,
        index: &SharedIndex,
        now: DateTime<Utc>,
        fx: &mut RunnerEffects,
    ) {
        let mut queue: VecDeque<BotAction> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                BotAction::ResolveContract {
                    option_type,
                    underlying_price,
                    reason,
                } => {
                    let more = self.resolve(option_type, underlying_price, index, now, fx);
                    fx.searches.push(ContractSearch {
                        option_type,
                        underlying_price,
                        reason,
                    });
                    queue.extend(more);
                }
                BotAction::Subscribe { symbol } => {
                    self.subscribed.insert(symbol);
                }
                BotAction::Unsubscribe { symbol } => {
                    // The underlying feeds the signals for as long as the bot runs.
                    if *symbol != *self.bot.settings().underlying {
                        self.option_quote = None;
                        self.subscribed.remove(&symbol);
                    }
                }
                BotAction::PlaceEntry {
                    symbol,
                    lots,
                    reason,
                } => {
                    let detail = format!("buy {lots} lots {symbol}");
                    fx.notes.push(note("entry", reason.as_str(), detail));
                    fx.send = self.place(OrderPurpose::Entry, symbol, lots, reason.to_string());
                    self.deferred = queue.drain(..).collect();
                    break;
                }
                BotAction::PlaceExit {
                    symbol,
                    lots,
                    reason,
                } => {
                    let detail = format!("sell {lots} lots {symbol}");
                    fx.notes.push(note("exit", reason.as_str(), detail));
                    fx.send = self.place(OrderPurpose::Exit, symbol, lots, reason.to_string());
                    self.deferred = queue.drain(..).collect();
                    break;
                }
                BotAction::Refused { reason, detail } => {
                    fx.notes.push(note("refused", reason.code(), detail));
                }
            }
        }
    }

    fn resolve(
        &mut self,
        option_type: OptionType,
        underlying_price: f64,
        index: &SharedIndex,
        now: DateTime<Utc>,
        fx: &mut RunnerEffects,
    ) -> Vec<BotAction> {
        let s = self.bot.settings();
        let request = s.contract_request(option_type, underlying_price, now);
        let candidates = index.load().options_of(&s.underlying, s.exchange);
        match mandi_strategy::select_contract(&candidates, &request, &s.contract) {
            Ok(contract) => {
                fx.notes
                    .push(note("contract", "resolved", contract.symbol.to_string()));
                self.bot.on_contract_resolved(contract)
            }
            Err(e) => self.bot.on_contract_failed(e.to_string()),
        }
    }

    /// Makes the order pending under the next tag; the ticket sends it.
    fn place(
        &mut self,
        purpose: OrderPurpose,
        symbol: Arc<str>,
        lots: u32,
        reason: String,
    ) -> Option<OrderTicket> {
        let tag = format!("{}#{}", self.name(), self.next_seq);
        self.next_seq += 1;
        self.pending = Some(PendingOrder {
            tag,
            purpose,
            symbol,
            lots,
            reason,
        });
        self.ticket()
    }
}

fn note(kind: &'static str, code: &str, detail: String) -> BotNote {
    BotNote {
        kind,
        code: code.to_string(),
        detail,
    }
}

/// How the bot's journal says a filled order went.
fn filled_note(pending: &PendingOrder, order: &Order) -> BotNote {
    let side = match order.side {
        Side::Buy => "bought",
        Side::Sell => "sold",
    };
    let detail = format!(
        "{side} {} @ {:.2} ({})",
        order.filled_quantity, order.avg_fill_price, order.order_id
    );
    note("filled", &pending.reason, detail)
}

/// The fill as the bot takes it: the order's average price and whole quantity, at the
/// time of its last fill.
fn strategy_fill(order: &Order, fills: &[Fill]) -> mandi_strategy::Fill {
    mandi_strategy::Fill {
        price: order.avg_fill_price,
        quantity: u32::try_from(order.filled_quantity).unwrap_or(u32::MAX),
        at: fills
            .last()
            .map(|f| f.filled_at)
            .or(order.closed_at)
            .unwrap_or(order.submitted_at),
    }
}

#[cfg(test)]
mod tests;
