//! Managing the open position: price exits on each fresh quote, the square-off (from
//! any event, timers included), and manual exits.

use chrono::{DateTime, Utc};

use super::position::price_exit;
use super::quote::{fresh_ltp, two_sided, Feed};
use super::{refuse, symbol_of, CePeBot, Phase, Position};
use crate::clock::{ist_date, ist_time};
use crate::{BotAction, ExitReason, RefusalReason};

impl CePeBot {
    /// Checks the exit rules against a fresh quote and places the exit they call for. When
    /// the quote is stale, or an exit is due but the book shows no bid/ask, a due exit is
    /// kept pending and the data problem is reported once.
    pub(super) fn manage_position(&mut self, now: DateTime<Utc>, out: &mut Vec<BotAction>) {
        let quote = self.option.as_ref();
        let fresh = fresh_ltp(quote, Feed::Option, now, self.settings.max_quote_age_ms);
        let book = two_sided(quote);
        let square_off_due = self.square_off_due(now);
        let realised = self.day.realised_pnl;
        let Phase::InPosition { position } = &mut self.phase else {
            return;
        };
        let problem = match fresh {
            Ok(ltp) => {
                position.peak_price = position.peak_price.max(ltp);
                let due = position
                    .pending_exit
                    .or_else(|| price_exit(position, ltp, &self.settings, realised))
                    .or(square_off_due.then_some(ExitReason::SquareOff));
                match (due, book) {
                    (None, _) => None,
                    (Some(reason), Ok(())) => {
                        let position = position.clone();
                        self.place_exit(position, reason, out);
                        return;
                    }
                    (Some(reason), Err(problem)) => {
                        position.pending_exit = Some(reason);
                        Some(problem)
                    }
                }
            }
            Err(problem) => {
                if square_off_due {
                    position.pending_exit.get_or_insert(ExitReason::SquareOff);
                }
                Some(problem)
            }
        };
        let pending = position.pending_exit;
        match problem {
            None => self.data_recovered(),
            Some((refusal, why)) => {
                let (blocked, detail) = match pending {
                    Some(reason) => (reason.as_str(), format!("{reason} exit waits: {why}")),
                    None => ("hold", format!("exit rules paused: {why}")),
                };
                self.refuse_data(out, refusal, blocked, detail);
            }
        }
    }

    /// The square-off time has come, or the position was carried past its entry day.
    fn square_off_due(&self, now: DateTime<Utc>) -> bool {
        let carried = match &self.phase {
            Phase::InPosition { position } => ist_date(position.entered_at) < ist_date(now),
            _ => false,
        };
        carried || ist_time(now) >= self.settings.square_off_ist
    }

    fn place_exit(&mut self, mut position: Position, reason: ExitReason, out: &mut Vec<BotAction>) {
        out.push(BotAction::PlaceExit {
            symbol: symbol_of(&position.contract),
            lots: position.lots(),
            reason,
        });
        position.pending_exit = None;
        self.set_phase(Phase::AwaitingExitFill { position, reason });
    }

    /// Exit the open position at the next fresh quote, whatever the rules say.
    pub fn on_manual_exit(&mut self, now: DateTime<Utc>) -> Vec<BotAction> {
        let mut out = Vec::new();
        self.roll_day(now);
        match &mut self.phase {
            Phase::InPosition { position } => {
                // An exit already decided (say a square-off waiting for data) keeps its reason.
                position.pending_exit.get_or_insert(ExitReason::Manual);
            }
            Phase::AwaitingExitFill { reason, .. } => {
                let detail = format!("manual exit asked while a {reason} exit is working");
                refuse(&mut out, RefusalReason::AwaitingFill, detail);
            }
            _ => {
                let detail = format!("manual exit asked while {}", self.phase.name());
                refuse(&mut out, RefusalReason::NoPosition, detail);
            }
        }
        self.advance(now, &mut out);
        out
    }
}
