//! The CE/PE bot: a pure state machine. Events in (bars, ticks, fills, timers, each with
//! `now`), [`BotAction`]s out. Entry steps live in `entry.rs`, position management in
//! `exit.rs`, and the runtime's answers (contracts, fills, rejections) in `orders.rs`.

mod entry;
mod exit;
mod orders;
mod phase;
mod position;
mod quote;
mod snapshot;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::{Candle, Instrument, Tick};

use crate::clock::ist_date;
use crate::{BotAction, BotSettings, RefusalReason, SettingsError, SignalEngine};
use quote::{keep_newer, Quote};

pub use phase::{PendingEntry, Phase};
pub use position::Position;
pub use snapshot::{BotSnapshot, RestoreError, SNAPSHOT_VERSION};

/// An order fill as paper execution reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    /// Rupees per unit.
    pub price: f64,
    /// Units (lots × lot size).
    pub quantity: u32,
    pub at: DateTime<Utc>,
}

/// One CE/PE bot. Construct with [`CePeBot::new`] (or [`CePeBot::restore`]) and feed it
/// every event; carry out the returned actions in order.
///
/// Stale or missing data never produces `PlaceEntry` or `PlaceExit`: the bot answers
/// `Refused` (once per incident) and acts when a fresh quote arrives. A square-off due
/// while the option's quote is stale is kept pending and placed on the first fresh quote.
#[derive(Clone, Debug)]
pub struct CePeBot {
    settings: BotSettings,
    signals: SignalEngine,
    phase: Phase,
    day: DayBook,
    underlying: Option<Quote>,
    /// Quote of the option in `phase.contract()`; cleared whenever that contract changes.
    option: Option<Quote>,
    /// The data refusal last reported, as (code, what it blocks): the same pair is not
    /// repeated until the data is fresh again or the phase changes, so a stale feed gives
    /// one line, not one per tick.
    data_alarm: Option<(&'static str, &'static str)>,
}

/// Per-IST-day counters; reset by the first event of a new date.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DayBook {
    pub date: Option<NaiveDate>,
    /// Entries filled today.
    pub trades: u32,
    /// Rupees, from exit fills; gross of charges (paper execution books those).
    pub realised_pnl: f64,
}

impl CePeBot {
    pub fn new(settings: BotSettings) -> Result<Self, SettingsError> {
        settings.validate()?;
        let signals = SignalEngine::new(
            settings.entry.clone(),
            settings.candle_interval_min,
            settings.market_open_ist,
        );
        Ok(CePeBot {
            settings,
            signals,
            phase: Phase::Idle,
            day: DayBook::default(),
            underlying: None,
            option: None,
            data_alarm: None,
        })
    }

    pub fn settings(&self) -> &BotSettings {
        &self.settings
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Entries filled on the current IST day.
    pub fn trades_today(&self) -> u32 {
        self.day.trades
    }

    /// Rupees realised on the current IST day, gross of charges.
    pub fn realised_pnl_today(&self) -> f64 {
        self.day.realised_pnl
    }

    /// A completed 1-minute bar of the underlying, in time order.
    pub fn on_candle(&mut self, candle: &Candle, now: DateTime<Utc>) -> Vec<BotAction> {
        let mut out = Vec::new();
        self.advance(now, &mut out);
        if let Some(signal) = self.signals.on_minute_bar(candle) {
            self.on_signal(signal, now, &mut out);
        }
        out
    }

    /// A tick of the underlying; other symbols only advance the clock.
    pub fn on_underlying_tick(&mut self, tick: &Tick, now: DateTime<Utc>) -> Vec<BotAction> {
        if *tick.symbol == *self.settings.underlying {
            keep_newer(&mut self.underlying, Quote::from_tick(tick));
        }
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    /// A tick of the option the bot subscribed; other symbols only advance the clock.
    pub fn on_option_tick(&mut self, tick: &Tick, now: DateTime<Utc>) -> Vec<BotAction> {
        if self
            .phase
            .contract()
            .is_some_and(|c| c.symbol == tick.symbol)
        {
            keep_newer(&mut self.option, Quote::from_tick(tick));
        }
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    /// Time passing with no market event: the square-off and entry time-outs fire from here
    /// when no tick arrives. Call it every second or so.
    pub fn on_timer(&mut self, now: DateTime<Utc>) -> Vec<BotAction> {
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    /// Runs the time-driven rules, then the phase's data-driven step.
    fn advance(&mut self, now: DateTime<Utc>, out: &mut Vec<BotAction>) {
        self.roll_day(now);
        match self.phase {
            Phase::AwaitingContract { .. } | Phase::AwaitingQuote { .. } => {
                self.progress_entry(now, out)
            }
            Phase::InPosition { .. } => self.manage_position(now, out),
            _ => {}
        }
    }

    /// Resets the day's counters on the first event of a new IST date. An open position
    /// survives (its exit rules still apply); a finished day becomes Idle.
    fn roll_day(&mut self, now: DateTime<Utc>) {
        let today = ist_date(now);
        // An event stamped before the current day (a skewed clock) must not undo a reset.
        if self.day.date.is_some_and(|d| today <= d) {
            return;
        }
        self.day = DayBook {
            date: Some(today),
            ..DayBook::default()
        };
        if matches!(self.phase, Phase::DoneForDay { .. }) {
            self.set_phase(Phase::Idle);
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
        self.data_alarm = None;
    }

    /// Reports a data refusal blocking `blocked`, unless the same one is already reported.
    fn refuse_data(
        &mut self,
        out: &mut Vec<BotAction>,
        reason: RefusalReason,
        blocked: &'static str,
        detail: String,
    ) {
        let key = (reason.code(), blocked);
        if self.data_alarm != Some(key) {
            self.data_alarm = Some(key);
            out.push(BotAction::Refused { reason, detail });
        }
    }

    /// Called when a freshness check passes: the next stale spell is a new incident.
    fn data_recovered(&mut self) {
        self.data_alarm = None;
    }

    /// An event that does not fit the phase (a fill with no order out): reported, ignored.
    fn unexpected(&mut self, out: &mut Vec<BotAction>, what: String) {
        let detail = format!("{what} while {}; ignored", self.phase.name());
        refuse(out, RefusalReason::UnexpectedEvent, detail);
    }
}

/// Reports a refusal about an event (a signal, a fill, a rejection): one per event, unlike
/// data refusals, which repeat on every check and go through `CePeBot::refuse_data`.
fn refuse(out: &mut Vec<BotAction>, reason: RefusalReason, detail: String) {
    out.push(BotAction::Refused { reason, detail });
}

/// The symbol of a contract, for actions.
fn symbol_of(contract: &Arc<Instrument>) -> Arc<str> {
    Arc::clone(&contract.symbol)
}

#[cfg(test)]
mod tests;
