//! Journal round trips on a real SQLite file: a book call is written whole and read back
//! as the same book after the file is reopened (what a restart does).

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use mandi_domain::{Derivative, Exchange, Instrument, OptionType, Segment, Tick, TickSource};
use mandi_paper::{OrderKind, OrderRequest, PaperBook, PaperSettings, Side};

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

#[test]
fn a_book_call_survives_reopening_the_file() -> Result<(), JournalError> {
    let path = scratch("journal").join(JOURNAL_FILE);
    let inst = option();
    let mut book = PaperBook::new(PaperSettings::default());
    let now = at(10, 0);
    let q = quote(&inst.symbol, 120.0, 120.5, now);
    let events = book.submit(request(Side::Buy, "bot-a#1"), &inst, Some(&q), now);
    {
        let mut journal = Journal::open(&path)?;
        journal.record_book(&events, &book.snapshot(), now)?;
    }
    let journal = Journal::open(&path)?;
    assert_eq!(journal.load_book()?, Some(book.snapshot()));
    let counts = journal.counts()?;
    assert_eq!((counts.orders, counts.fills, counts.positions), (1, 1, 1));
    assert_eq!(counts.events as usize, events.len());
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
    journal.record_book(&e1, &book.snapshot(), t1)?;
    let t2 = at(11, 0);
    let e2 = book.submit(
        request(Side::Sell, "bot-a#2"),
        &inst,
        Some(&quote(&inst.symbol, 130.0, 130.5, t2)),
        t2,
    );
    journal.record_book(&e2, &book.snapshot(), t2)?;

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
