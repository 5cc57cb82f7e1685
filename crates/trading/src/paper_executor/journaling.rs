//! The executor's IO: opening the journal and resuming its book, and carrying out a
//! [`Commit`] — journal first, then the client frames, then the registry — plus the
//! journal-backed queries (day summary, bot events).

use actix::{Context, Handler, MessageResult};
use mandi_paper::{PaperBook, PaperEvent};

use super::messages::{GetBotEvents, WriteDaySummary};
use super::state::Commit;
use super::{PaperExecutor, EXECUTOR_SUBSCRIBER};
use crate::journal::Journal;
use crate::outbound::{request_streaming, StreamingChange};

impl PaperExecutor {
    /// Opens the journal and resumes the book it holds.
    pub(super) fn restore(&mut self) {
        let Some(path) = self.journal_path.clone() else {
            return;
        };
        let opened = Journal::open(&path).and_then(|j| j.load_book().map(|b| (j, b)));
        match opened {
            Ok((journal, book)) => {
                if let Some(snapshot) = book {
                    if snapshot.settings != self.settings {
                        tracing::warn!(journal = %path.display(), "the journaled paper account was opened with other [paper] settings; it keeps them — move the journal aside to start an account with the new ones");
                    }
                    match PaperBook::restore(snapshot) {
                        Ok(book) => {
                            let s = book.summary(&Default::default());
                            tracing::info!(journal = %path.display(), open_positions = s.open_positions, open_orders = s.open_orders, cash = s.cash, "paper account restored");
                            self.state.resume(book);
                        }
                        Err(e) => {
                            self.journal_error = Some(e.to_string());
                            tracing::error!(journal = %path.display(), error = %e, "paper journal holds a book that does not restore; orders are refused — move the file aside to start a fresh account");
                            return;
                        }
                    }
                }
                self.journal = Some(journal);
            }
            Err(e) => {
                self.journal_error = Some(e.to_string());
                tracing::error!(error = %e, "paper journal cannot be opened; orders are refused until it can — check store.data_dir");
            }
        }
        let change = self.state.settle();
        self.stream(change);
    }

    /// Writes a call's events and the book after it; then tells clients. Journal first:
    /// nobody hears of a fill the journal does not have.
    pub(super) fn carry_out(&mut self, commit: Commit) {
        let Commit {
            events,
            frames,
            streaming,
        } = commit;
        if events.is_empty() {
            return;
        }
        for e in &events {
            if let PaperEvent::FillRefused {
                order_id, reason, ..
            } = e
            {
                tracing::info!(order = %order_id, reason = %reason, "paper fill refused: the order stays open until a tradable quote");
            }
        }
        if let Some(journal) = self.journal.as_mut() {
            let book = self.state.book().snapshot();
            if let Err(e) = journal.record_book(&events, &book, (self.clock)()) {
                self.journal_errors += 1;
                tracing::error!(error = %e, "paper journal write failed; the book goes on in memory — check the disk");
            }
        }
        for frame in &frames {
            self.updates.push(frame);
        }
        self.stream(streaming);
    }

    pub(super) fn stream(&self, change: StreamingChange) {
        request_streaming(self.registry.as_ref(), EXECUTOR_SUBSCRIBER, change);
    }
}

impl Handler<WriteDaySummary> for PaperExecutor {
    type Result = Option<crate::journal::DaySummary>;

    fn handle(&mut self, msg: WriteDaySummary, _: &mut Context<Self>) -> Self::Result {
        let journal = self.journal.as_mut()?;
        match journal.day_summary(msg.date, (self.clock)()) {
            Ok(s) => {
                tracing::info!(date = %s.date, fills = s.fills, orders = s.orders, rejected = s.rejected_orders, charges = s.charges, net_cash_flow = s.net_cash_flow, "paper day summary written");
                Some(s)
            }
            Err(e) => {
                self.journal_errors += 1;
                tracing::error!(error = %e, "paper day summary not written — check the disk");
                None
            }
        }
    }
}

impl Handler<GetBotEvents> for PaperExecutor {
    type Result = MessageResult<GetBotEvents>;

    fn handle(&mut self, msg: GetBotEvents, _: &mut Context<Self>) -> Self::Result {
        let rows = self
            .journal
            .as_ref()
            .map(|j| j.bot_events(msg.bot.as_deref(), msg.limit))
            .transpose()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "bot events unreadable from the journal");
                None
            })
            .unwrap_or_default();
        MessageResult(rows)
    }
}
