//! `JournalHandle`: the journal's own OS thread. It owns the SQLite connection and runs
//! the jobs actors hand it through a bounded queue, one at a time, in the order given;
//! each caller awaits its own answer. A slow disk or another connection's lock holds up
//! the callers that need the answer, never the arbiter the actors share. `JournalHealth`
//! counts what the thread did, for `/health` and `/metrics`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::oneshot;

use super::{Journal, JournalError};

/// Jobs waiting for the thread at most. Past it a call is refused at once — the disk is
/// far behind — rather than queued without bound.
const QUEUE_CAPACITY: usize = 1024;

/// At most one error line per this long; the lines between are counted into the next.
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce(&mut Opened) + Send>;

/// The connection, opened by the first job that needs it, and again by a later one if it
/// could not be (a data directory that appears, a disk that comes back).
struct Opened {
    path: PathBuf,
    journal: Option<Journal>,
}

impl Opened {
    fn get(&mut self) -> Result<&mut Journal, JournalError> {
        let journal = match self.journal.take() {
            Some(j) => j,
            None => Journal::open(&self.path)?,
        };
        Ok(self.journal.insert(journal))
    }
}

/// A cheap handle on the journal thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct JournalHandle {
    queue: SyncSender<Job>,
    health: Arc<JournalHealth>,
}

impl JournalHandle {
    /// Starts the thread for the journal at `path`, counting into `health`.
    pub fn start(path: PathBuf, health: Arc<JournalHealth>) -> Result<JournalHandle, JournalError> {
        health.set_path(&path);
        let (queue, jobs) = sync_channel::<Job>(QUEUE_CAPACITY);
        let mut opened = Opened {
            path: path.clone(),
            journal: None,
        };
        std::thread::Builder::new()
            .name("mandi-journal".into())
            .spawn(move || {
                while let Ok(job) = jobs.recv() {
                    job(&mut opened);
                }
            })
            .map_err(|source| JournalError::Thread { path, source })?;
        Ok(JournalHandle { queue, health })
    }

    /// Queues `work` (named `what` in logs) now and returns its answer's future. Dropping
    /// the future does not withdraw the job: it runs, and its answer goes unheard. A full
    /// queue or a stopped thread is an error at once, counted like a failed write.
    pub fn run<R, F>(
        &self,
        what: &'static str,
        work: F,
    ) -> impl Future<Output = Result<R, JournalError>> + Send + 'static
    where
        R: Send + 'static,
        F: FnOnce(&mut Journal) -> Result<R, JournalError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let health = self.health.clone();
        let job: Job = Box::new(move |opened| {
            let started = Instant::now();
            // A job that panics loses its answer, not the thread; the connection it left
            // is dropped and opened afresh by the next job.
            let ran = std::panic::catch_unwind(AssertUnwindSafe(|| opened.get().and_then(work)));
            let result = ran.unwrap_or_else(|_| {
                opened.journal = None;
                Err(JournalError::Panicked { what })
            });
            health.ran(what, result.as_ref().err(), started.elapsed());
            let _ = answer.send(result);
        });
        self.health.pending.fetch_add(1, Ordering::Relaxed);
        let queued = self.queue.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => JournalError::QueueFull {
                pending: QUEUE_CAPACITY,
            },
            TrySendError::Disconnected(_) => JournalError::Stopped,
        });
        if let Err(e) = &queued {
            self.health.ran(what, Some(e), Duration::ZERO);
        }
        async move {
            queued?;
            answered.await.unwrap_or(Err(JournalError::Stopped))
        }
    }

    pub fn health(&self) -> &Arc<JournalHealth> {
        &self.health
    }
}

/// What the journal thread did: shared by the thread and `/health`, never blocking either.
#[derive(Debug, Default)]
pub struct JournalHealth {
    path: OnceLock<String>,
    calls: AtomicU64,
    errors: AtomicU64,
    /// Jobs queued or running.
    pending: AtomicU64,
    last_call_us: AtomicU64,
    slowest_call_us: AtomicU64,
    /// Whether the latest job failed; cleared by the next that succeeds.
    failing: AtomicBool,
    last_error: Mutex<Option<(String, DateTime<Utc>)>>,
    log: Mutex<ErrorLog>,
}

/// The journal part of `/health`'s `paper` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JournalReport {
    pub path: Option<String>,
    /// False from a failed call until the next one succeeds.
    pub ok: bool,
    /// Calls run (writes and reads), failed ones included.
    pub calls: u64,
    pub errors: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Calls queued or running now.
    pub pending: u64,
    pub last_call_ms: f64,
    pub slowest_call_ms: f64,
}

impl JournalHealth {
    pub fn report(&self) -> JournalReport {
        let (last_error, last_error_at) = self
            .last_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
            .unzip();
        let ms = |us: &AtomicU64| us.load(Ordering::Relaxed) as f64 / 1000.0;
        JournalReport {
            path: self.path.get().cloned(),
            ok: !self.failing.load(Ordering::Relaxed),
            calls: self.calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            last_error,
            last_error_at,
            pending: self.pending.load(Ordering::Relaxed),
            last_call_ms: ms(&self.last_call_us),
            slowest_call_ms: ms(&self.slowest_call_us),
        }
    }

    /// A failure that is the journal's though no job saw it (a book that does not restore).
    pub fn record_error(&self, what: &str, error: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.failing.store(true, Ordering::Relaxed);
        self.note_error(what, error);
    }

    fn set_path(&self, path: &Path) {
        let _ = self.path.set(path.display().to_string());
    }

    fn ran(&self, what: &str, error: Option<&JournalError>, took: Duration) {
        self.pending.fetch_sub(1, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.last_call_us.store(us, Ordering::Relaxed);
        self.slowest_call_us.fetch_max(us, Ordering::Relaxed);
        match error {
            None => self.failing.store(false, Ordering::Relaxed),
            Some(e) => self.record_error(what, &e.to_string()),
        }
    }

    fn note_error(&self, what: &str, error: &str) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some((error.to_string(), Utc::now()));
        }
        let said = self
            .log
            .lock()
            .ok()
            .and_then(|mut log| log.due(Instant::now()));
        if let Some(suppressed) = said {
            tracing::error!(what, error, errors_total = self.errors.load(Ordering::Relaxed), similar_since_last = suppressed, "paper journal call failed; nothing it carried was applied — check the disk and store.data_dir");
        }
    }
}

/// Decides when an error line is due: the first at once, then one per interval carrying
/// how many went unsaid.
#[derive(Debug, Default)]
struct ErrorLog {
    last: Option<Instant>,
    unsaid: u64,
}

impl ErrorLog {
    fn due(&mut self, now: Instant) -> Option<u64> {
        let quiet = self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < ERROR_LOG_INTERVAL);
        if quiet {
            self.unsaid += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unsaid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::tests::scratch;

    #[test]
    fn error_lines_are_throttled_and_carry_the_unsaid_count() {
        let mut log = ErrorLog::default();
        let t0 = Instant::now();
        assert_eq!(log.due(t0), Some(0));
        assert_eq!(log.due(t0 + Duration::from_secs(1)), None);
        assert_eq!(log.due(t0 + Duration::from_secs(2)), None);
        assert_eq!(log.due(t0 + Duration::from_secs(11)), Some(2));
    }

    #[actix_rt::test]
    async fn jobs_run_in_order_and_failures_are_counted() {
        let health = Arc::new(JournalHealth::default());
        let path = scratch("journal-thread").join(crate::journal::JOURNAL_FILE);
        let handle = JournalHandle::start(path, health.clone()).expect("a thread");
        let first = handle.run("save", |j| j.save_bot("a", "1", Utc::now()));
        let second = handle.run("read", |j| j.load_bot("a"));
        assert!(first.await.is_ok());
        assert_eq!(second.await.ok().flatten().as_deref(), Some("1"));
        let failed = handle
            .run("fail", |_| -> Result<(), JournalError> {
                Err(JournalError::Stopped)
            })
            .await;
        assert!(failed.is_err());
        let panicked = handle
            .run("panic", |_| -> Result<(), JournalError> {
                panic!("a bug in a job")
            })
            .await;
        assert!(
            matches!(panicked, Err(JournalError::Panicked { what: "panic" })),
            "{panicked:?}"
        );
        let report = health.report();
        assert_eq!((report.calls, report.errors, report.pending), (4, 2, 0));
        assert!(!report.ok);
        assert!(
            report
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("failed unexpectedly")),
            "{report:?}"
        );
        assert!(report.last_error_at.is_some());
        assert!(handle
            .run("save", |j| j.save_bot("a", "2", Utc::now()))
            .await
            .is_ok());
        assert!(health.report().ok, "a success clears the failing state");
    }

    #[actix_rt::test]
    async fn an_unopenable_journal_fails_each_call_and_is_tried_again() {
        let health = Arc::new(JournalHealth::default());
        let file = scratch("journal-not-a-dir");
        let _ = std::fs::write(&file, b"a file where the directory should be");
        let handle =
            JournalHandle::start(file.join("journal.sqlite"), health.clone()).expect("a thread");
        for _ in 0..2 {
            let r = handle.run("read", |j| j.load_bot("a")).await;
            assert!(matches!(r, Err(JournalError::Dir { .. })), "{r:?}");
        }
        assert_eq!(health.report().errors, 2);
    }
}
