//! The directory as an actor: reloads swap the shared index only on success.

use std::fs;
use std::path::PathBuf;

use actix::Actor;
use mandi_domain::{Exchange, Segment};
use std::time::Duration;

use actix::Addr;
use mandi_protocol::master::{MasterError, MasterThresholds};

use super::*;

const MASTER: &str = include_str!("../../../protocol/src/master/fixtures/dhan_compact.csv");

fn config() -> Vec<Instrument> {
    vec![Instrument {
        symbol: "NIFTY".into(),
        exchange: Exchange::Nse,
        segment: Segment::IdxI,
        security_id: 13,
        kite_token: 256_265,
        kite_key: "NSE:NIFTY 50".into(),
        tick_size: 0.05,
        lot_size: 1,
        derivative: None,
    }]
}

fn scratch_file(name: &str, body: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("mandi-directory-{}-{name}.csv", std::process::id()));
    fs::write(&path, body).expect("write");
    path
}

fn settings(path: PathBuf) -> MasterSettings {
    MasterSettings {
        kind: MasterKind::Dhan,
        provider: MasterProvider::Configured,
        source: MasterSource::File(path),
        data_dir: Some(std::env::temp_dir()),
        max_age_s: 3600,
        download_timeout_ms: 1_000,
        thresholds: MasterThresholds::default(),
    }
}

#[test]
fn a_failed_load_leaves_the_shared_index_alone() {
    let shared = SharedIndex::new(Arc::new(InstrumentIndex::build(config()).expect("config")));
    let before = shared.load();
    let bad = scratch_file("bad-load", "not,a,master\n1,2,3\n");
    let result = load_master_file(
        &bad,
        MasterKind::Dhan,
        config(),
        &MasterThresholds::default(),
    );
    assert!(matches!(
        result,
        Err(LoadError::Master(MasterError::MissingColumns { .. }))
    ));
    assert!(Arc::ptr_eq(&before, &shared.load()), "nothing swapped");
    let missing = load_master_file(
        &bad.with_extension("nope"),
        MasterKind::Dhan,
        config(),
        &MasterThresholds::default(),
    );
    assert!(matches!(missing, Err(LoadError::Open { .. })));
    let _ = fs::remove_file(bad);
}

/// Reloads, waiting out a reload already running (the start-up one).
async fn reload(addr: &Addr<InstrumentDirectory>) -> Result<LoadReport, ReloadError> {
    for _ in 0..200 {
        match addr.send(ReloadMaster::default()).await {
            Ok(Err(ReloadError::InProgress)) => {
                actix_rt::time::sleep(Duration::from_millis(10)).await
            }
            Ok(result) => return result,
            Err(_) => break,
        }
    }
    Err(ReloadError::Worker)
}

#[actix_rt::test]
async fn reload_swaps_on_success_and_keeps_the_old_index_on_failure() {
    let good = scratch_file("good", MASTER);
    let bad = scratch_file("bad", "SEM_EXM_EXCH_ID\nNSE\n");
    let shared = SharedIndex::new(Arc::new(InstrumentIndex::build(config()).expect("config")));
    let config_only = shared.load();

    // Started with a broken file: the start-up load fails, config-only index stays.
    let addr =
        InstrumentDirectory::with_master(shared.clone(), config(), settings(bad.clone())).start();
    let err = reload(&addr).await;
    assert!(matches!(&err, Err(ReloadError::Load(_))), "{err:?}");
    assert!(err.as_ref().err().is_some_and(|e| !e.is_retryable()));
    assert!(Arc::ptr_eq(&config_only, &shared.load()), "old index kept");
    let status = addr.send(GetMasterStatus).await.expect("mailbox");
    assert!(
        status.last_error.is_some() && status.loaded_at.is_none() && status.index_len == 1,
        "{status:?}"
    );

    // Point the file at a good master and reload: swapped, reported, visible to holders
    // of the shared handle and through GetInstrumentIndex.
    fs::write(&bad, MASTER).expect("rewrite");
    let report = reload(&addr).await.expect("reloads");
    assert_eq!(
        (report.master.accepted, report.merge.config_dhan_id),
        (8, 1)
    );
    let current = addr.send(GetInstrumentIndex).await.expect("mailbox");
    assert!(Arc::ptr_eq(&current, &shared.load()));
    assert_eq!(current.len(), 1 + 7);
    assert_eq!(
        current.by_symbol("NIFTY").map(|i| i.kite_token),
        Some(256_265),
        "config wins"
    );
    let status = addr.send(GetMasterStatus).await.expect("mailbox");
    assert_eq!(
        (
            status.rows,
            status.accepted,
            status.rejected,
            status.index_len
        ),
        (8, 8, 0, 8)
    );
    assert_eq!(status.origin, Some(MasterOrigin::File));
    assert!(status.loaded_at.is_some() && status.last_error.is_none());

    // A later bad reload keeps the loaded master.
    fs::write(&bad, "").expect("empty");
    let err = reload(&addr).await;
    assert!(
        matches!(
            err,
            Err(ReloadError::Load(LoadError::Master(MasterError::Empty)))
        ),
        "{err:?}"
    );
    assert!(Arc::ptr_eq(&current, &shared.load()));
    let _ = (fs::remove_file(good), fs::remove_file(bad));
}

#[actix_rt::test]
async fn config_only_directory_has_nothing_to_reload() {
    let index = Arc::new(InstrumentIndex::build(config()).expect("config"));
    let addr = InstrumentDirectory::new(index.clone()).start();
    let err = addr
        .send(ReloadMaster {
            force_download: true,
        })
        .await
        .expect("mailbox");
    assert!(matches!(err, Err(ReloadError::NotConfigured)));
    let got = addr.send(GetInstrumentIndex).await.expect("mailbox");
    assert!(Arc::ptr_eq(&got, &index));
    let shared = addr.send(GetSharedIndex).await.expect("mailbox");
    assert!(Arc::ptr_eq(&shared.load(), &index));
    let status = addr.send(GetMasterStatus).await.expect("mailbox");
    assert_eq!((status.kind, status.index_len), (None, 1));
}
