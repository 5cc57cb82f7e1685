//! `Journal`: the paper account's durable record in SQLite (WAL). Every call of the paper
//! book is written in one transaction — its events, the orders, fills and positions it
//! touched, and the whole book as of after the call — so a `kill -9` between two calls
//! loses nothing and a restart resumes from exactly the last committed book. Bots keep
//! their own state rows (snapshot plus the order they have out) in the same file.
//!
//! Not an actor: the paper executor and each strategy runner open their own connection
//! (WAL lets them write in turn and read concurrently).

mod schema;
mod summary;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_paper::{PaperEvent, PaperSnapshot};
use rusqlite::{params, Connection, OptionalExtension};
use thiserror::Error;

pub use summary::{DaySummary, TagSummary};

/// The journal's file name inside `store.data_dir`.
pub const JOURNAL_FILE: &str = "paper-journal.sqlite";

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("journal {path}: cannot create its directory: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal {path}: a stored {what} does not decode ({source}); the file was written by an incompatible build — move it aside to start a fresh account")]
    Decode {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// A bot event worth keeping: an entry, an exit, a refusal, with its reason code.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BotEventRow {
    pub bot: String,
    pub at: DateTime<Utc>,
    /// `entry`, `exit`, `refused`, `contract`, `restored`, `settings`.
    pub kind: String,
    /// The reason code (`orb_breakout_up`, `stop_loss`, `stale_quote`, ...).
    pub code: String,
    pub detail: String,
}

pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::Dir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let wrap = |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        // Another connection (a bot's) may hold the write lock for a moment.
        conn.busy_timeout(Duration::from_secs(5)).map_err(wrap)?;
        // WAL + NORMAL: a committed transaction survives the process being killed; only
        // a power cut may lose the last one.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.execute_batch(schema::SCHEMA).map_err(wrap)?;
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// One book call: its events and the book after it, atomically.
    pub fn record_book(
        &mut self,
        events: &[PaperEvent],
        book: &PaperSnapshot,
        now: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        let path = self.path.clone();
        let wrap = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        for event in events {
            schema::insert_event(&tx, event).map_err(wrap)?;
        }
        // The order rows as the book holds them after the call: an event names an order,
        // the book has its whole state (status, fills, charges).
        let mut touched: Vec<u64> = events.iter().filter_map(order_of).collect();
        touched.dedup();
        for order in book
            .orders
            .iter()
            .filter(|o| touched.contains(&o.order_id.0))
        {
            schema::upsert_order(&tx, order).map_err(wrap)?;
        }
        let body = to_json(book);
        tx.execute(
            "INSERT INTO book_state (id, body, updated_at) VALUES (1, ?1, ?2)
             ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            params![body, now.to_rfc3339()],
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The book as of the last committed call, if any.
    pub fn load_book(&self) -> Result<Option<PaperSnapshot>, JournalError> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM book_state WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        body.map(|b| self.decode(&b, "paper book")).transpose()
    }

    /// A bot's state row (opaque JSON owned by the strategy runner).
    pub fn save_bot(
        &mut self,
        name: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO bots (name, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                params![name, body, now.to_rfc3339()],
            )
            .map(|_| ())
            .map_err(|e| self.sqlite(e))
    }

    pub fn load_bot(&self, name: &str) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row("SELECT body FROM bots WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    pub fn record_bot_event(&mut self, row: &BotEventRow) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO bot_events (bot, at, kind, code, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.bot, row.at.to_rfc3339(), row.kind, row.code, row.detail],
            )
            .map(|_| ())
            .map_err(|e| self.sqlite(e))
    }

    /// The newest `limit` bot events (all bots, or one), oldest first.
    pub fn bot_events(
        &self,
        bot: Option<&str>,
        limit: usize,
    ) -> Result<Vec<BotEventRow>, JournalError> {
        schema::bot_events(&self.conn, bot, limit).map_err(|e| self.sqlite(e))
    }

    /// Counts of journal rows per table, for `/health` and tests.
    pub fn counts(&self) -> Result<schema::Counts, JournalError> {
        schema::counts(&self.conn).map_err(|e| self.sqlite(e))
    }

    /// The day's trading summary from the fills journaled on that IST date; also stored.
    pub fn day_summary(
        &mut self,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<DaySummary, JournalError> {
        let summary = summary::compute(&self.conn, date).map_err(|e| self.sqlite(e))?;
        self.conn
            .execute(
                "INSERT INTO day_summaries (date, body, written_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(date) DO UPDATE SET body = excluded.body, written_at = excluded.written_at",
                params![date.to_string(), to_json(&summary), now.to_rfc3339()],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(summary)
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        body: &str,
        what: &'static str,
    ) -> Result<T, JournalError> {
        serde_json::from_str(body).map_err(|source| JournalError::Decode {
            path: self.path.clone(),
            what,
            source,
        })
    }
}

fn order_of(event: &PaperEvent) -> Option<u64> {
    match event {
        PaperEvent::OrderAccepted { order, .. } | PaperEvent::OrderRejected { order, .. } => {
            Some(order.order_id.0)
        }
        PaperEvent::OrderTriggered { order_id, .. }
        | PaperEvent::FillRefused { order_id, .. }
        | PaperEvent::OrderCancelled { order_id, .. } => Some(order_id.0),
        PaperEvent::OrderFilled { fill } => Some(fill.order_id.0),
        PaperEvent::PositionChanged { .. } => None,
    }
}

/// Serialising our own plain data cannot fail (no maps with non-string keys).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
