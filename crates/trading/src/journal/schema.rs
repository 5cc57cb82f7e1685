//! The journal's tables and the row writers for paper calls. Rows keep the fields an
//! operator queries (`sqlite3 paper-journal.sqlite "select * from fills"`) as columns,
//! and the full record as JSON in `body`; the book is read back from the bodies.

use chrono::{DateTime, Utc};
use mandi_domain::Tick;
use mandi_paper::{AccountRecord, Fill, Order, OrderKind, OrderStatus, PaperEvent, Position};
use mandi_strategy::clock::ist_date;
use rusqlite::{params, Connection, Transaction};
use serde::Serialize;

use super::{to_json, BotEventRow};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    order_id INTEGER,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    lots INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    tag TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    closed_at TEXT,
    avg_fill_price REAL NOT NULL,
    reject_reason TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_tag ON orders (tag);
CREATE TABLE IF NOT EXISTS fills (
    fill_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    price REAL NOT NULL,
    charges REAL NOT NULL,
    tag TEXT NOT NULL,
    reason TEXT NOT NULL,
    filled_at TEXT NOT NULL,
    ist_date TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_date ON fills (ist_date);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY,
    net_quantity INTEGER NOT NULL,
    avg_price REAL NOT NULL,
    realized_pnl REAL NOT NULL,
    charges REAL NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cash REAL NOT NULL,
    next_order_id INTEGER NOT NULL,
    next_fill_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS last_quotes (
    symbol TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS book_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bots (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bot TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS day_summaries (
    date TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    written_at TEXT NOT NULL
);
";

/// Rows per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub events: u64,
    pub orders: u64,
    pub fills: u64,
    pub positions: u64,
    pub bot_events: u64,
}

pub(super) fn counts(conn: &Connection) -> rusqlite::Result<Counts> {
    let count = |table: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    };
    Ok(Counts {
        events: count("events")?,
        orders: count("orders")?,
        fills: count("fills")?,
        positions: count("positions")?,
        bot_events: count("bot_events")?,
    })
}

/// The event row.
pub(super) fn insert_event(tx: &Transaction<'_>, event: &PaperEvent) -> rusqlite::Result<()> {
    let (kind, order_id, at) = match event {
        PaperEvent::OrderAccepted {
            order,
            processed_at,
        } => ("order_accepted", order.order_id.0, *processed_at),
        PaperEvent::OrderRejected {
            order,
            processed_at,
            ..
        } => ("order_rejected", order.order_id.0, *processed_at),
        PaperEvent::OrderTriggered {
            order_id,
            processed_at,
            ..
        } => ("order_triggered", order_id.0, *processed_at),
        PaperEvent::OrderFilled { fill } => ("order_filled", fill.order_id.0, fill.filled_at),
        PaperEvent::FillRefused {
            order_id,
            processed_at,
            ..
        } => ("fill_refused", order_id.0, *processed_at),
        PaperEvent::OrderCancelled {
            order_id,
            processed_at,
        } => ("order_cancelled", order_id.0, *processed_at),
        PaperEvent::PositionChanged { processed_at, .. } => ("position_changed", 0, *processed_at),
    };
    tx.prepare_cached("INSERT INTO events (at, kind, order_id, body) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            at.to_rfc3339(),
            kind,
            (order_id > 0).then_some(order_id as i64),
            to_json(event)
        ])?;
    Ok(())
}

pub(super) fn insert_fill(tx: &Transaction<'_>, fill: &Fill) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO fills (fill_id, order_id, symbol, side, quantity, price, charges,
           tag, reason, filled_at, ist_date, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        fill.fill_id.0 as i64,
        fill.order_id.0 as i64,
        &*fill.symbol,
        side_str(fill.side),
        fill.quantity as i64,
        fill.price,
        fill.charges.total,
        fill.tag,
        fill.reason,
        fill.filled_at.to_rfc3339(),
        ist_date(fill.filled_at).to_string(),
        to_json(fill),
    ])?;
    Ok(())
}

pub(super) fn upsert_position(
    tx: &Transaction<'_>,
    position: &Position,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO positions (symbol, net_quantity, avg_price, realized_pnl, charges,
           updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        &*position.symbol,
        position.net_quantity,
        position.avg_price,
        position.realized_pnl,
        position.charges,
        now.to_rfc3339(),
        to_json(position),
    ])?;
    Ok(())
}

/// The last quote the book worked for a symbol (it tells a new quote from a seen one).
pub(super) fn upsert_quote(tx: &Transaction<'_>, tick: &Tick) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO last_quotes (symbol, body) VALUES (?1, ?2)")?
        .execute(params![&*tick.symbol, to_json(tick)])?;
    Ok(())
}

/// The account's one row: cash, charges, the id counters and its settings.
pub(super) fn upsert_account(
    tx: &Transaction<'_>,
    account: &AccountRecord,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO account (id, cash, next_order_id, next_fill_id, body, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        account.cash,
        account.next_order_id as i64,
        account.next_fill_id as i64,
        to_json(account),
        now.to_rfc3339(),
    ])?;
    Ok(())
}

/// Every `body` of `table` in `order`, as stored.
pub(super) fn bodies(conn: &Connection, table: &str, order: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT body FROM {table} ORDER BY {order}"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// The order row as the book holds the order now.
pub(super) fn upsert_order(tx: &Transaction<'_>, order: &Order) -> rusqlite::Result<()> {
    let kind = kind_str(order.kind);
    let status = status_str(order.status);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO orders (order_id, symbol, side, kind, lots, quantity, tag, reason, status,
           submitted_at, closed_at, avg_fill_price, reject_reason, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
            order.order_id.0 as i64,
            &*order.symbol,
            side_str(order.side),
            kind,
            order.lots,
            order.quantity as i64,
            order.tag,
            order.reason,
            status,
            order.submitted_at.to_rfc3339(),
            order.closed_at.map(|t| t.to_rfc3339()),
            order.avg_fill_price,
            order.reject_reason.as_ref().map(|r| r.to_string()),
            to_json(order),
        ])?;
    Ok(())
}

fn side_str(side: mandi_paper::Side) -> &'static str {
    match side {
        mandi_paper::Side::Buy => "BUY",
        mandi_paper::Side::Sell => "SELL",
    }
}

/// The order type as the order's JSON spells it (`"type"`), for the `kind` column.
fn kind_str(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Market => "MARKET",
        OrderKind::Limit { .. } => "LIMIT",
        OrderKind::StopLoss { .. } => "STOP_LOSS",
        OrderKind::StopLossMarket { .. } => "STOP_LOSS_MARKET",
    }
}

/// The status as the order's JSON spells it, for the `status` column.
fn status_str(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Open => "open",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Rejected => "rejected",
    }
}

pub(super) fn bot_events(
    conn: &Connection,
    bot: Option<&str>,
    limit: usize,
) -> rusqlite::Result<Vec<BotEventRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare(
        "SELECT bot, at, kind, code, detail FROM bot_events
         WHERE (?1 IS NULL OR bot = ?1) ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![bot, limit], |r| {
        let at: String = r.get(1)?;
        Ok(BotEventRow {
            bot: r.get(0)?,
            at: chrono::DateTime::parse_from_rfc3339(&at)
                .map(|t| t.to_utc())
                .unwrap_or_default(),
            kind: r.get(2)?,
            code: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns stay what the JSON body says, as when they were read off it.
    #[test]
    fn column_names_agree_with_the_serialized_order() {
        let kinds = [
            OrderKind::Market,
            OrderKind::Limit { price: 1.0 },
            OrderKind::StopLoss {
                trigger_price: 1.0,
                price: 1.0,
            },
            OrderKind::StopLossMarket { trigger_price: 1.0 },
        ];
        for kind in kinds {
            let json = serde_json::to_value(kind).unwrap_or_default();
            assert_eq!(json["type"].as_str(), Some(kind_str(kind)), "case {kind:?}");
        }
        let statuses = [
            OrderStatus::Open,
            OrderStatus::Filled,
            OrderStatus::Cancelled,
            OrderStatus::Rejected,
        ];
        for status in statuses {
            let json = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(json.as_str(), Some(status_str(status)), "case {status:?}");
        }
    }
}
