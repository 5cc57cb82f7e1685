//! The paper executor and its journal thread without HTTP: while another connection holds
//! an exclusive lock on the journal, a market order, a cancel and a resting limit's fill
//! on a tick are each refused or taken back — the book stays as the journal has it — and
//! once the lock goes the fill happens on the next tick. A new executor on the same file
//! rebuilds exactly the book the first one ended with.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use chrono::{NaiveDate, Utc};
use mandi_domain::{Derivative, Exchange, Instrument, Mode, OptionType, Segment, Tick, TickSource};
use mandi_fanout::price_store::TicksPublished;
use mandi_instruments::{InstrumentIndex, SharedIndex};
use mandi_paper::{Order, OrderId, OrderKind, OrderRequest, OrderStatus, PaperSettings, Side};
use mandi_trading::journal::JOURNAL_FILE;
use mandi_trading::paper_executor::{
    CancelOrder, CancelRefused, GetFills, GetOrders, PaperExecutor, PaperHealth, PlaceError,
    PlaceOrder,
};

const CE: &str = "NIFTY-Feb2026-25000-CE";

fn option() -> Instrument {
    Instrument {
        symbol: CE.into(),
        exchange: Exchange::Nse,
        segment: Segment::NseFno,
        security_id: 44_430,
        kite_token: 0,
        kite_key: format!("NFO:{CE}").into(),
        tick_size: 0.05,
        lot_size: 65,
        derivative: Some(Derivative {
            underlying: "NIFTY".into(),
            expiry: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default(),
            strike: Some(25_000.0),
            option_type: Some(OptionType::Call),
        }),
    }
}

/// A live quote stamped now (the executor runs on the wall clock here).
fn quote(bid: f64, ask: f64) -> Tick {
    let now = Utc::now();
    let mut t = Tick::empty(Arc::from(CE), now);
    t.mode = Mode::Full;
    (t.ltp, t.bid, t.ask) = ((bid + ask) / 2.0, bid, ask);
    (t.bid_qty, t.ask_qty) = (1_000, 1_000);
    t.exchange_time = Some(now);
    t.source = TickSource::Socket;
    t
}

fn order(side: Side, kind: OrderKind, tag: &str) -> PlaceOrder {
    PlaceOrder {
        symbol: CE.into(),
        request: OrderRequest {
            side,
            kind,
            lots: 1,
            tag: tag.into(),
            reason: "test".into(),
        },
        quote: None,
    }
}

fn start(path: &Path, health: &PaperHealth) -> Addr<PaperExecutor> {
    let index = InstrumentIndex::build(vec![option()]).expect("one instrument");
    let clock: mandi_trading::clock::Clock = Arc::new(Utc::now);
    PaperExecutor::new(
        PaperSettings::default(),
        Some(path.to_path_buf()),
        SharedIndex::new(Arc::new(index)),
        clock,
    )
    .with_health(health.clone())
    .start()
}

async fn orders(exec: &Addr<PaperExecutor>) -> Vec<Order> {
    exec.send(GetOrders { open_only: false })
        .await
        .expect("the executor answers")
}

async fn tick(exec: &Addr<PaperExecutor>, tick: Tick) {
    exec.send(TicksPublished {
        ticks: Arc::from(vec![tick]),
    })
    .await
    .expect("the executor takes ticks");
}

/// Another connection's exclusive lock on the journal, held until dropped.
struct Lock {
    release: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Lock {
    fn take(path: PathBuf) -> Lock {
        let (release, released) = mpsc::channel::<()>();
        let (locked, is_locked) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).expect("open the journal");
            conn.execute_batch("BEGIN EXCLUSIVE")
                .expect("an exclusive lock");
            let _ = locked.send(());
            let _ = released.recv_timeout(Duration::from_secs(60));
            let _ = conn.execute_batch("COMMIT");
        });
        is_locked
            .recv_timeout(Duration::from_secs(10))
            .expect("the lock is taken");
        Lock {
            release,
            thread: Some(thread),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.release.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[actix_rt::test]
async fn calls_the_journal_cannot_keep_are_taken_back_and_a_restart_rebuilds_the_book() {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("mandi-exec-journal-{}-{nanos}", std::process::id()));
    let path = dir.join(JOURNAL_FILE);
    let health = PaperHealth::default();
    let exec = start(&path, &health);
    tick(&exec, quote(100.0, 100.5)).await;

    let bought = exec.send(order(Side::Buy, OrderKind::Market, "in")).await;
    let bought = bought.expect("answered").expect("placed");
    assert_eq!(bought.order.status, OrderStatus::Filled);
    let resting = exec
        .send(order(Side::Buy, OrderKind::Limit { price: 95.0 }, "bid"))
        .await
        .expect("answered")
        .expect("placed");
    assert_eq!(resting.order.status, OrderStatus::Open);
    let before = orders(&exec).await;

    let lock = Lock::take(path.clone());
    let refused = exec.send(order(Side::Sell, OrderKind::Market, "out")).await;
    assert!(
        matches!(refused, Ok(Err(PlaceError::JournalUnavailable(_)))),
        "{refused:?}"
    );
    let cancel = exec
        .send(CancelOrder {
            order_id: OrderId(2),
        })
        .await;
    assert!(
        matches!(cancel, Ok(Err(CancelRefused::JournalUnavailable(_)))),
        "{cancel:?}"
    );
    // A quote through the bid: the fill is tried, not kept, and taken back.
    tick(&exec, quote(94.0, 94.5)).await;
    assert_eq!(
        orders(&exec).await,
        before,
        "the book is as the journal has it"
    );
    let report = health.report();
    let journal = report.journal.clone().expect("a journaled account");
    assert!(journal.errors >= 3, "{journal:?}");
    assert!(!journal.ok, "{journal:?}");
    assert_eq!(
        report.fills, 1,
        "the taken-back fill is not counted: {report:?}"
    );

    drop(lock);
    tick(&exec, quote(94.0, 94.45)).await;
    let after = orders(&exec).await;
    assert_eq!(after[1].status, OrderStatus::Filled, "{:?}", after[1]);
    assert!(health.report().journal.is_some_and(|j| j.ok));
    let fills = exec.send(GetFills).await.expect("fills");
    assert_eq!(fills.len(), 2);

    // A restart: a new executor on the same journal has exactly this book.
    let restarted = start(&path, &PaperHealth::default());
    assert_eq!(orders(&restarted).await, after);
    assert_eq!(restarted.send(GetFills).await.expect("fills"), fills);
    let _ = std::fs::remove_dir_all(&dir);
}
