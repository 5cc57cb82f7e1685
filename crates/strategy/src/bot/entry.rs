//! From signal to entry order: the gates (stale signal, busy phase, window, day limits),
//! a fresh underlying quote for `ResolveContract`, then a fresh option quote for
//! `PlaceEntry`. Each step that waits on data retries on every later event.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::Instrument;

use super::quote::{fresh_ltp, two_sided, Feed};
use super::{refuse, symbol_of, CePeBot, PendingEntry, Phase};
use crate::clock::{age_ms, ist_time};
use crate::{BotAction, RefusalReason, Signal};

impl CePeBot {
    /// Starts an entry for `signal`, or says why not.
    pub(super) fn on_signal(
        &mut self,
        signal: Signal,
        now: DateTime<Utc>,
        out: &mut Vec<BotAction>,
    ) {
        if let Some((reason, why)) = self.signal_refusal(&signal, now) {
            let detail = format!(
                "{} on the bar closing {} IST (close {}) ignored: {why}",
                signal.reason,
                ist_time(signal.bar_end).format("%H:%M"),
                signal.close
            );
            refuse(out, reason, detail);
            return;
        }
        let entry = PendingEntry {
            option_type: signal.direction.option_type(),
            reason: signal.reason,
            signal_at: signal.bar_end,
        };
        self.set_phase(Phase::AwaitingContract {
            entry,
            requested: false,
        });
        self.progress_entry(now, out);
    }

    /// Why `signal` cannot start an entry at `now`: too old, the bot is busy, or a gate.
    fn signal_refusal(
        &self,
        signal: &Signal,
        now: DateTime<Utc>,
    ) -> Option<(RefusalReason, String)> {
        let age = age_ms(signal.bar_end, now);
        if age > self.settings.entry_timeout_ms {
            return Some((
                RefusalReason::StaleSignal,
                format!("the bar closed {age} ms ago"),
            ));
        }
        let busy = match &self.phase {
            Phase::Idle => None,
            Phase::DoneForDay { reason } => Some(reason.clone()),
            Phase::AwaitingContract { .. } | Phase::AwaitingQuote { .. } => {
                Some(RefusalReason::EntryPending)
            }
            Phase::AwaitingEntryFill { .. } | Phase::AwaitingExitFill { .. } => {
                Some(RefusalReason::AwaitingFill)
            }
            Phase::InPosition { .. } => Some(RefusalReason::InPosition),
        };
        match busy {
            Some(reason) => Some((reason, format!("bot is {}", self.phase.name()))),
            None => self.entry_gate(now),
        }
    }

    /// Why no entry may start at `now`, if so.
    fn entry_gate(&self, now: DateTime<Utc>) -> Option<(RefusalReason, String)> {
        let s = &self.settings;
        let t = ist_time(now);
        let (start, end) = (s.entry_start(), s.no_entry_after_ist);
        if t < start || t >= end {
            let why = format!(
                "entries are allowed {}–{} IST, it is {}",
                start.format("%H:%M"),
                end.format("%H:%M"),
                t.format("%H:%M:%S")
            );
            return Some((RefusalReason::OutsideWindow, why));
        }
        if self.day.trades >= s.max_trades_per_day {
            let why = format!(
                "{} of {} trades done today",
                self.day.trades, s.max_trades_per_day
            );
            return Some((RefusalReason::MaxTrades, why));
        }
        if self.day.realised_pnl <= -s.max_loss_per_day {
            let why = format!(
                "day loss ₹{:.2} reached the ₹{} limit",
                -self.day.realised_pnl, s.max_loss_per_day
            );
            return Some((RefusalReason::MaxLoss, why));
        }
        None
    }

    /// Moves a pending entry on, or drops it once its time is up.
    pub(super) fn progress_entry(&mut self, now: DateTime<Utc>, out: &mut Vec<BotAction>) {
        let (entry, contract, requested) = match &self.phase {
            Phase::AwaitingContract { entry, requested } => (entry.clone(), None, *requested),
            Phase::AwaitingQuote { entry, contract } => {
                (entry.clone(), Some(Arc::clone(contract)), true)
            }
            _ => return,
        };
        let age = age_ms(entry.signal_at, now);
        let expired = (age > self.settings.entry_timeout_ms).then(|| {
            let why = format!(
                "not placed within {} ms of the signal",
                self.settings.entry_timeout_ms
            );
            (RefusalReason::EntryTimeout, why)
        });
        if let Some((reason, why)) = expired.or_else(|| self.entry_gate(now)) {
            refuse(
                out,
                reason,
                format!("{} entry dropped: {why}", entry.reason),
            );
            if let Some(contract) = contract {
                out.push(BotAction::Unsubscribe {
                    symbol: symbol_of(&contract),
                });
            }
            self.option = None;
            self.set_phase(Phase::Idle);
            return;
        }
        match contract {
            None if !requested => self.request_contract(&entry, now, out),
            None => {}
            Some(contract) => self.place_entry(entry, contract, now, out),
        }
    }

    fn request_contract(
        &mut self,
        entry: &PendingEntry,
        now: DateTime<Utc>,
        out: &mut Vec<BotAction>,
    ) {
        match fresh_ltp(
            self.underlying.as_ref(),
            Feed::Underlying,
            now,
            self.settings.max_quote_age_ms,
        ) {
            Ok(price) => {
                self.data_recovered();
                out.push(BotAction::ResolveContract {
                    option_type: entry.option_type,
                    underlying_price: price,
                    reason: entry.reason,
                });
                if let Phase::AwaitingContract { requested, .. } = &mut self.phase {
                    *requested = true;
                }
            }
            Err((reason, why)) => {
                let detail = format!("{} entry waits for the underlying: {why}", entry.reason);
                self.refuse_data(out, reason, "resolve_contract", detail);
            }
        }
    }

    fn place_entry(
        &mut self,
        entry: PendingEntry,
        contract: Arc<Instrument>,
        now: DateTime<Utc>,
        out: &mut Vec<BotAction>,
    ) {
        let quote = self.option.as_ref();
        let ready = fresh_ltp(quote, Feed::Option, now, self.settings.max_quote_age_ms)
            .and_then(|_| two_sided(quote));
        match ready {
            Ok(()) => {
                out.push(BotAction::PlaceEntry {
                    symbol: symbol_of(&contract),
                    lots: self.settings.contract.lots,
                    reason: entry.reason,
                });
                self.set_phase(Phase::AwaitingEntryFill { entry, contract });
            }
            // The first tick of a fresh subscription takes a moment: a missing quote is only
            // an incident once it has been missing for a quote's lifetime.
            Err((RefusalReason::NoQuote, _))
                if self.option.is_none()
                    && age_ms(entry.signal_at, now) <= self.settings.max_quote_age_ms => {}
            Err((reason, why)) => {
                let detail = format!("{} entry in {} waits: {why}", entry.reason, contract.symbol);
                self.refuse_data(out, reason, "entry", detail);
            }
        }
    }
}
