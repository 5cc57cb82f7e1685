//! `PaperHealth`: the paper account's figures for `/health` and `/metrics`, readable
//! without a message to the executor — which may be waiting on the journal, the very
//! thing an operator looks at `/health` to find out about.

use std::sync::{Arc, Mutex};

use super::messages::ExecutorStats;
use crate::journal::JournalHealth;

/// Shared by the executor (which publishes after every call), its journal thread and
/// whoever reports.
#[derive(Clone, Debug, Default)]
pub struct PaperHealth {
    stats: Arc<Mutex<ExecutorStats>>,
    journal: Arc<JournalHealth>,
    /// Whether the account has a journal at all (in memory it has no journal figures).
    journaled: Arc<std::sync::atomic::AtomicBool>,
}

impl PaperHealth {
    /// The account's figures now, with the journal thread's.
    pub fn report(&self) -> ExecutorStats {
        let mut stats = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        let journaled = self.journaled.load(std::sync::atomic::Ordering::Relaxed);
        stats.journal = journaled.then(|| self.journal.report());
        stats
    }

    pub(super) fn publish(&self, stats: ExecutorStats) {
        if let Ok(mut s) = self.stats.lock() {
            *s = stats;
        }
    }

    /// The journal thread's counters, to start it with.
    pub(super) fn journal(&self) -> &Arc<JournalHealth> {
        self.journaled
            .store(true, std::sync::atomic::Ordering::Relaxed);
        &self.journal
    }
}
