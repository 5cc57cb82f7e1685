//! `Journal`: the paper account's durable record in SQLite (WAL). Every call of the paper
//! book is written in one transaction — its events and the rows it touched: its orders,
//! fills and positions, the last quotes of its symbols and the account row — so a
//! `kill -9` between two calls loses nothing and a restart rebuilds exactly the last
//! committed book from those rows. Bots keep their own state rows (snapshot plus the
//! order they have out) in the same file.
//!
//! `Journal` is the connection; [`JournalHandle`] runs it on its own thread, which is the
//! only way the actors reach it, so a slow disk or a lock wait never holds up the arbiter
//! they share.

mod rows;
mod schema;
mod summary;
mod worker;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_paper::{AccountRecord, PaperSnapshot};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use thiserror::Error;

pub use rows::CallRows;
pub use summary::{DaySummary, TagSummary};
pub use worker::{JournalHandle, JournalHealth, JournalReport};

/// The journal's file name inside `store.data_dir`.
pub const JOURNAL_FILE: &str = "paper-journal.sqlite";

/// The layout this build writes (`PRAGMA user_version`). 2: the book lives in its rows
/// (`orders`, `fills`, `positions`, `last_quotes`, `account`); 0 and 1 kept it as one
/// snapshot in `book_state`, rewritten on every call, and are migrated on open.
pub const SCHEMA_VERSION: i64 = 2;

/// What a migrated journal leaves in `book_state`: an older build fails to read it as a
/// book and refuses orders, rather than resuming the account as it was before migration.
const MOVED_BOOK: &str = r#"{"moved":"the book is kept in the orders, fills, positions, last_quotes and account tables since journal schema 2"}"#;

/// How long a write waits for another connection's lock (a backup, an operator's
/// `sqlite3`) before it fails. The waiting is done on the journal's thread; the order
/// waiting on it is refused with 503 when it runs out.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

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
    #[error("journal {path}: written by a newer build (schema {found}, this build knows {SCHEMA_VERSION}); run that build, or move the file aside to start a fresh account")]
    Newer { path: PathBuf, found: i64 },
    #[error("journal: {pending} writes already wait for the disk; refused rather than queued")]
    QueueFull { pending: usize },
    #[error("journal: its thread has stopped")]
    Stopped,
    #[error("journal: the call to {what} failed unexpectedly; the connection is opened afresh")]
    Panicked { what: &'static str },
    #[error("journal {path}: its thread cannot start: {source}")]
    Thread {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
        // Another connection (a backup, `sqlite3`) may hold the write lock for a moment.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        // WAL + NORMAL: a committed transaction survives the process being killed; only
        // a power cut may lose the last one.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.execute_batch(schema::SCHEMA).map_err(wrap)?;
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
        };
        journal.migrate()?;
        Ok(journal)
    }

    /// Brings a journal of an older schema to [`SCHEMA_VERSION`] in one transaction: the
    /// `book_state` snapshot becomes rows, and is replaced by a marker older builds refuse.
    fn migrate(&mut self) -> Result<(), JournalError> {
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        if found > SCHEMA_VERSION {
            return Err(JournalError::Newer {
                path: self.path.clone(),
                found,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let legacy: Option<String> = self
            .conn
            .query_row("SELECT body FROM book_state WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let snapshot: Option<PaperSnapshot> = legacy
            .map(|b| self.decode(&b, "paper book (schema 1)"))
            .transpose()?;
        let path = self.path.clone();
        let wrap = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        if let Some(book) = &snapshot {
            let now = Utc::now();
            for order in &book.orders {
                schema::upsert_order(&tx, order).map_err(wrap)?;
            }
            for fill in &book.fills {
                schema::insert_fill(&tx, fill).map_err(wrap)?;
            }
            for position in &book.positions {
                schema::upsert_position(&tx, position, now).map_err(wrap)?;
            }
            for tick in &book.last_quotes {
                schema::upsert_quote(&tx, tick).map_err(wrap)?;
            }
            let account = AccountRecord {
                settings: book.settings.clone(),
                cash: book.cash,
                charges: book.charges,
                next_order_id: book.next_order_id,
                next_fill_id: book.next_fill_id,
            };
            schema::upsert_account(&tx, &account, now).map_err(wrap)?;
            tx.execute("UPDATE book_state SET body = ?1", [MOVED_BOOK])
                .map_err(wrap)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        if let Some(book) = snapshot {
            tracing::info!(journal = %self.path.display(), from = found, to = SCHEMA_VERSION, orders = book.orders.len(), fills = book.fills.len(), "paper journal migrated: the book is kept in its rows now");
        }
        Ok(())
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

    /// One book call's rows, atomically.
    pub fn record_call(&mut self, call: &CallRows, now: DateTime<Utc>) -> Result<(), JournalError> {
        let path = self.path.clone();
        let wrap = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        // Immediate: take the write lock first, so a locked file fails the call before
        // anything of it is written, not halfway.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        for event in &call.events {
            schema::insert_event(&tx, event).map_err(wrap)?;
        }
        for order in &call.orders {
            schema::upsert_order(&tx, order).map_err(wrap)?;
        }
        for fill in &call.fills {
            schema::insert_fill(&tx, fill).map_err(wrap)?;
        }
        for position in &call.positions {
            schema::upsert_position(&tx, position, now).map_err(wrap)?;
        }
        for tick in &call.quotes {
            schema::upsert_quote(&tx, tick).map_err(wrap)?;
        }
        schema::upsert_account(&tx, &call.account, now).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The book as of the last committed call, rebuilt from its rows; `None` before the
    /// first call.
    pub fn load_book(&self) -> Result<Option<PaperSnapshot>, JournalError> {
        let account: Option<String> = self
            .conn
            .query_row("SELECT body FROM account WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some(account) = account else {
            return Ok(None);
        };
        let account: AccountRecord = self.decode(&account, "paper account")?;
        // In the book's own order: ids ascending, symbols bytewise (SQLite's BINARY).
        Ok(Some(PaperSnapshot {
            settings: account.settings,
            cash: account.cash,
            charges: account.charges,
            orders: self.decode_rows("orders", "order_id", "paper order")?,
            positions: self.decode_rows("positions", "symbol", "paper position")?,
            fills: self.decode_rows("fills", "fill_id", "paper fill")?,
            next_order_id: account.next_order_id,
            next_fill_id: account.next_fill_id,
            last_quotes: self.decode_rows("last_quotes", "symbol", "last quote")?,
        }))
    }

    fn decode_rows<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        order: &str,
        what: &'static str,
    ) -> Result<Vec<T>, JournalError> {
        let bodies = schema::bodies(&self.conn, table, order).map_err(|e| self.sqlite(e))?;
        bodies.iter().map(|b| self.decode(b, what)).collect()
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

/// Serialising our own plain data cannot fail (no maps with non-string keys).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
