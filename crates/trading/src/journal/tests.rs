//! Journal round trips on a real SQLite file: book calls are written as their own rows and
//! read back as the same book after the file is reopened (what a restart does); a journal
//! of the old layout is migrated; one of a newer build is refused.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use mandi_domain::{Derivative, Exchange, Instrument, OptionType, Segment, Tick, TickSource};
use mandi_paper::{OrderKind, OrderRequest, PaperBook, PaperSettings, Side};
use rusqlite::Connection;

use super::*;

pub(crate) fn scratch(name: &str) -> PathBuf {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    std::env::temp_dir().join(format!("mandi-{name}-{}-{nanos}", std::process::id()))
}

fn option() -> Instrument {
    Instrument {
        symbol: "NIFTY-Feb2026-25800-CE".into(),
        exchange: Exchange::Nse,
        segment: Segment::NseFno,
        security_id: 40001,
        kite_token: 0,
        kite_key: "NFO:NIFTY26FEB25800CE".into(),
        tick_size: 0.05,
        lot_size: 65,
        derivative: Some(Derivative {
            underlying: "NIFTY".into(),
            expiry: chrono::NaiveDate::from_ymd_opt(2026, 2, 24).unwrap_or_default(),
            strike: Some(25800.0),
            option_type: Some(OptionType::Call),
        }),
    }
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // 2026-02-03 h:m IST.
    Utc.with_ymd_and_hms(2026, 2, 3, h, m, 0)
        .single()
        .unwrap_or_default()
        - chrono::TimeDelta::minutes(330)
}

fn quote(symbol: &str, bid: f64, ask: f64, now: DateTime<Utc>) -> Tick {
    let mut t = Tick::empty(symbol.into(), now);
    t.ltp = bid;
    t.bid = bid;
    t.ask = ask;
    t.bid_qty = 1000;
    t.ask_qty = 1000;
    t.exchange_time = Some(now);
    t.source = TickSource::Socket;
    t
}

fn request(side: Side, tag: &str) -> OrderRequest {
    OrderRequest {
        side,
        kind: OrderKind::Market,
        lots: 1,
        tag: tag.into(),
        reason: "test".into(),
    }
}

/// Submits `request` on a fresh quote and journals the call's rows.
fn call(
    journal: &mut Journal,
    book: &mut PaperBook,
    request: OrderRequest,
    now: DateTime<Utc>,
) -> Result<Vec<mandi_paper::PaperEvent>, JournalError> {
    let inst = option();
    let q = quote(&inst.symbol, 120.0, 120.5, now);
    let events = book.submit(request, &inst, Some(&q), now);
    journal.record_call(&CallRows::of(&events, &[], book), now)?;
    Ok(events)
}

#[test]
fn book_calls_survive_reopening_the_file() -> Result<(), JournalError> {
    let path = scratch("journal").join(JOURNAL_FILE);
    let mut book = PaperBook::new(PaperSettings::default());
    let mut events = 0;
    {
        let mut journal = Journal::open(&path)?;
        assert_eq!(journal.load_book()?, None, "a new file has no book");
        let limit = OrderKind::Limit { price: 100.0 };
        let steps = [
            (request(Side::Buy, "bot-a#1"), at(10, 0)),
            (
                OrderRequest {
                    kind: limit,
                    ..request(Side::Buy, "bot-a#2")
                },
                at(10, 1),
            ),
            (request(Side::Sell, "bot-a#3"), at(10, 2)),
            (
                OrderRequest {
                    lots: 0,
                    ..request(Side::Sell, "bot-a#4")
                },
                at(10, 3),
            ),
        ];
        for (req, now) in steps {
            events += call(&mut journal, &mut book, req, now)?.len();
        }
    }
    let journal = Journal::open(&path)?;
    assert_eq!(journal.load_book()?, Some(book.snapshot()));
    let counts = journal.counts()?;
    assert_eq!((counts.orders, counts.fills, counts.positions), (4, 2, 1));
    assert_eq!(counts.events as usize, events);
    Ok(())
}

/// What a call writes does not grow with the book: the 200th order's call writes about
/// what the first did.
#[test]
fn a_call_costs_its_own_rows_however_big_the_book() -> Result<(), JournalError> {
    let dir = scratch("journal-growth");
    let path = dir.join(JOURNAL_FILE);
    let mut journal = Journal::open(&path)?;
    let mut book = PaperBook::new(PaperSettings::default());
    let mut sizes = Vec::new();
    for i in 0..200 {
        let limit = OrderKind::Limit { price: 100.0 };
        let req = OrderRequest {
            kind: limit,
            ..request(Side::Buy, "resting")
        };
        let rows = {
            let inst = option();
            let now = at(10, 0) + chrono::TimeDelta::seconds(i);
            let q = quote(&inst.symbol, 120.0, 120.5, now);
            let events = book.submit(req, &inst, Some(&q), now);
            CallRows::of(&events, &[], &book)
        };
        assert_eq!(rows.orders.len(), 1, "call {i}: its own order row");
        sizes.push(
            serde_json::to_string(&rows)
                .map(|r| r.len())
                .unwrap_or_default(),
        );
        journal.record_call(&rows, at(10, 0))?;
    }
    let (first, last) = (sizes[0], sizes[sizes.len() - 1]);
    assert!(
        last < first + 16,
        "the 200th call writes {last} bytes, the first {first}"
    );
    assert_eq!(journal.load_book()?.map(|b| b.orders.len()), Some(200));
    Ok(())
}

/// A journal written by a build before schema 2 kept the book as one snapshot row.
#[test]
fn a_schema_1_journal_is_migrated_to_rows_and_old_builds_refuse_it_after(
) -> Result<(), JournalError> {
    let path = scratch("journal-migrate").join(JOURNAL_FILE);
    let mut book = PaperBook::new(PaperSettings::default());
    let inst = option();
    let now = at(10, 0);
    let q = quote(&inst.symbol, 120.0, 120.5, now);
    book.submit(request(Side::Buy, "bot-a#1"), &inst, Some(&q), now);
    let limit = OrderKind::Limit { price: 100.0 };
    book.submit(
        OrderRequest {
            kind: limit,
            ..request(Side::Buy, "bot-a#2")
        },
        &inst,
        Some(&q),
        now,
    );
    {
        // The old layout: the tables, no account row, the book in `book_state`, version 0.
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(&path));
        let conn = Connection::open(&path).map_err(|source| JournalError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let setup = format!(
            "{} INSERT INTO book_state (id, body, updated_at) VALUES (1, '{}', 'then');",
            schema::SCHEMA,
            to_json(&book.snapshot()).replace('\'', "''")
        );
        conn.execute_batch(&setup)
            .map_err(|source| JournalError::Sqlite {
                path: path.clone(),
                source,
            })?;
    }
    let journal = Journal::open(&path)?;
    assert_eq!(journal.load_book()?, Some(book.snapshot()));
    let version: i64 = journal
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or_default();
    assert_eq!(version, SCHEMA_VERSION);
    let left: String = journal
        .conn
        .query_row("SELECT body FROM book_state", [], |r| r.get(0))
        .unwrap_or_default();
    assert!(
        serde_json::from_str::<PaperSnapshot>(&left).is_err(),
        "an older build cannot resume the pre-migration book: {left}"
    );
    drop(journal);
    // Opening again migrates nothing twice.
    assert_eq!(Journal::open(&path)?.load_book()?, Some(book.snapshot()));
    Ok(())
}

#[test]
fn a_journal_of_a_newer_build_is_refused() -> Result<(), JournalError> {
    let path = scratch("journal-newer").join(JOURNAL_FILE);
    {
        let journal = Journal::open(&path)?;
        journal
            .conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .map_err(|e| journal.sqlite(e))?;
    }
    let err = Journal::open(&path).err();
    assert!(matches!(err, Some(JournalError::Newer { .. })), "{err:?}");
    Ok(())
}

#[test]
fn the_day_summary_adds_up_the_fills_per_tag() -> Result<(), JournalError> {
    let path = scratch("journal-summary").join(JOURNAL_FILE);
    let inst = option();
    let mut journal = Journal::open(&path)?;
    let mut book = PaperBook::new(PaperSettings::default());
    let t1 = at(10, 0);
    let e1 = book.submit(
        request(Side::Buy, "bot-a#1"),
        &inst,
        Some(&quote(&inst.symbol, 120.0, 120.5, t1)),
        t1,
    );
    journal.record_call(&CallRows::of(&e1, &[], &book), t1)?;
    let t2 = at(11, 0);
    let e2 = book.submit(
        request(Side::Sell, "bot-a#2"),
        &inst,
        Some(&quote(&inst.symbol, 130.0, 130.5, t2)),
        t2,
    );
    journal.record_call(&CallRows::of(&e2, &[], &book), t2)?;

    let summary = journal.day_summary(t1.date_naive(), t2)?;
    assert_eq!(summary.fills, 2);
    assert_eq!(summary.orders, 2);
    let charges = mandi_paper::round_paise(book.charges().total);
    assert_eq!(summary.charges, charges);
    // Bought 65 @ 120.50, sold 65 @ 130.00.
    let expected = mandi_paper::round_paise(65.0 * (130.0 - 120.5) - book.charges().total);
    assert_eq!(summary.net_cash_flow, expected);
    assert_eq!(summary.by_tag.len(), 2, "one row per order tag");
    Ok(())
}

#[test]
fn bot_rows_and_events_read_back() -> Result<(), JournalError> {
    let path = scratch("journal-bots").join(JOURNAL_FILE);
    let mut journal = Journal::open(&path)?;
    let now = at(9, 30);
    journal.save_bot("orb", r#"{"v":1}"#, now)?;
    journal.save_bot("orb", r#"{"v":2}"#, now)?;
    for code in ["stale_quote", "orb_breakout_up"] {
        journal.record_bot_event(&BotEventRow {
            bot: "orb".into(),
            at: now,
            kind: "refused".into(),
            code: code.into(),
            detail: String::new(),
        })?;
    }
    assert_eq!(journal.load_bot("orb")?.as_deref(), Some(r#"{"v":2}"#));
    assert_eq!(journal.load_bot("other")?, None);
    let codes: Vec<String> = journal
        .bot_events(Some("orb"), 10)?
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["stale_quote", "orb_breakout_up"]);
    assert_eq!(journal.bot_events(Some("orb"), 1)?.len(), 1);
    Ok(())
}

#[test]
fn an_unwritable_path_is_a_typed_error() {
    let file = scratch("journal-file");
    let _ = std::fs::write(&file, b"not a directory");
    let err = Journal::open(&file.join("journal.sqlite")).err();
    assert!(matches!(err, Some(JournalError::Dir { .. })), "{err:?}");
}
