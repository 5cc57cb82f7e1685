//! The executor's IO: starting the journal's thread and resuming the book it holds, and
//! carrying out a [`Commit`] — journal first; then the client frames and the registry,
//! or, if the journal could not keep it, the call taken back — plus the journal-backed
//! queries (day summary, bot events, the journal itself for the bots).

use actix::{ActorFutureExt, Context, Handler, MessageResult, ResponseFuture, WrapFuture};
use mandi_paper::{PaperBook, PaperEvent, PaperSnapshot};

use super::messages::{GetBotEvents, GetJournal, WriteDaySummary};
use super::state::Commit;
use super::{done, Act, PaperExecutor, EXECUTOR_SUBSCRIBER};
use crate::journal::{CallRows, JournalError, JournalHandle};
use crate::outbound::{request_streaming, StreamingChange};

impl PaperExecutor {
    /// Starts the journal's thread (the file is opened by its first job).
    pub(super) fn start_journal(&mut self) {
        let Some(path) = self.journal_path.clone() else {
            return;
        };
        match JournalHandle::start(path, self.health.journal().clone()) {
            Ok(handle) => self.journal = Some(handle),
            Err(e) => {
                self.health.journal().record_error("start", &e.to_string());
                tracing::error!(error = %e, "paper journal thread cannot start; orders are refused");
            }
        }
    }

    /// Reads the book the journal holds and resumes it. `Err` says why orders are refused.
    pub(super) fn load_book(&mut self) -> Act<Result<(), String>> {
        let read = self
            .journal
            .as_ref()
            .map(|j| j.run("read the book", |j| j.load_book()));
        Box::pin(
            async move {
                match read {
                    Some(read) => Some(read.await),
                    None => None,
                }
            }
            .into_actor(self)
            .map(|read, this, _| {
                let resumed = this.resume(read);
                if resumed.is_ok() {
                    let change = this.state.settle((this.clock)());
                    this.stream(change);
                }
                this.publish_stats();
                resumed
            }),
        )
    }

    /// The book is the journal's, or is made so now; else why not.
    pub(super) fn ensure_book(&mut self) -> Act<Result<(), String>> {
        if self.book_loaded {
            return done(Ok(()));
        }
        self.load_book()
    }

    fn resume(
        &mut self,
        read: Option<Result<Option<PaperSnapshot>, JournalError>>,
    ) -> Result<(), String> {
        let path = self
            .journal_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let snapshot = match read {
            None if self.journal_path.is_none() => None,
            None => return Err("the journal thread is not running".into()),
            Some(Err(e)) => {
                tracing::error!(journal = %path, error = %e, "paper journal cannot be read; orders are refused until it can — check store.data_dir");
                return Err(e.to_string());
            }
            Some(Ok(snapshot)) => snapshot,
        };
        if let Some(snapshot) = snapshot {
            if !snapshot.settings.same_fill_model(&self.settings) {
                tracing::warn!(journal = %path, "the journaled paper account was opened with other [paper] settings; it keeps them — move the journal aside to start an account with the new ones");
            }
            match PaperBook::restore(snapshot) {
                Ok(book) => {
                    let s = book.summary(&Default::default());
                    tracing::info!(journal = %path, open_positions = s.open_positions, open_orders = s.open_orders, cash = s.cash, "paper account restored");
                    self.state.resume(book);
                }
                Err(e) => {
                    let why = format!("the journal holds a book that does not restore: {e}");
                    self.health.journal().record_error("restore", &why);
                    tracing::error!(journal = %path, error = %e, "paper journal holds a book that does not restore; orders are refused — move the file aside to start a fresh account");
                    return Err(why);
                }
            }
        }
        self.book_loaded = true;
        Ok(())
    }

    /// Journals a call's rows, then tells clients and the registry; if the journal cannot
    /// keep it, takes the call back instead. `Err` carries why. The caller holds the
    /// mailbox (`ctx.wait`) until this resolves.
    pub(super) fn journal_commit(&mut self, commit: Commit) -> Act<Result<(), String>> {
        let Commit {
            events,
            changed,
            frames,
            streaming,
            undo,
        } = commit;
        let write = match (&self.journal, &undo) {
            (Some(journal), Some(_)) => {
                let rows = CallRows::of(&events, &changed, self.state.book());
                let now = (self.clock)();
                Some(journal.run("record a paper call", move |j| j.record_call(&rows, now)))
            }
            _ => None,
        };
        Box::pin(
            async move {
                match write {
                    Some(write) => write.await.map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            }
            .into_actor(self)
            .map(move |kept, this, _| {
                match &kept {
                    Ok(()) => this.announce(&events, frames, streaming),
                    Err(why) => {
                        if let Some(undo) = undo {
                            this.state.rollback(undo);
                        }
                        tracing::warn!(error = %why, events = events.len(), "paper call not journaled; taken back");
                    }
                }
                kept
            }),
        )
    }

    /// A kept call's frames to the clients, its streaming to the registry.
    fn announce(
        &mut self,
        events: &[PaperEvent],
        frames: Vec<mandi_protocol::client::Frame>,
        streaming: StreamingChange,
    ) {
        for e in events {
            if let PaperEvent::FillRefused {
                order_id, reason, ..
            } = e
            {
                tracing::info!(order = %order_id, reason = %reason, "paper fill refused: the order stays open until a tradable quote");
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
    type Result = ResponseFuture<Option<crate::journal::DaySummary>>;

    fn handle(&mut self, msg: WriteDaySummary, _: &mut Context<Self>) -> Self::Result {
        let Some(journal) = &self.journal else {
            return Box::pin(async { None });
        };
        let now = (self.clock)();
        let write = journal.run("write the day summary", move |j| {
            j.day_summary(msg.date, now)
        });
        Box::pin(async move {
            // A failure is counted and logged by the journal's thread.
            let s = write.await.ok()?;
            tracing::info!(date = %s.date, fills = s.fills, orders = s.orders, rejected = s.rejected_orders, charges = s.charges, net_cash_flow = s.net_cash_flow, "paper day summary written");
            Some(s)
        })
    }
}

impl Handler<GetBotEvents> for PaperExecutor {
    type Result = ResponseFuture<Vec<crate::journal::BotEventRow>>;

    fn handle(&mut self, msg: GetBotEvents, _: &mut Context<Self>) -> Self::Result {
        let Some(journal) = &self.journal else {
            return Box::pin(async { Vec::new() });
        };
        let read = journal.run("read bot events", move |j| {
            j.bot_events(msg.bot.as_deref(), msg.limit)
        });
        Box::pin(async move { read.await.unwrap_or_default() })
    }
}

impl Handler<GetJournal> for PaperExecutor {
    type Result = MessageResult<GetJournal>;

    fn handle(&mut self, _: GetJournal, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.journal.clone())
    }
}
