//! Cache age, atomic download, and the fallbacks, against a local HTTP server.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use mandi_protocol::master::MasterThresholds;

use super::*;
use crate::instrument_directory::reload::{self, MasterProvider, MasterSettings};

const MASTER: &str = include_str!("../../../../protocol/src/master/fixtures/dhan_compact.csv");

/// A scratch directory unique to this process and test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandi-master-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Serves `/master.csv` with whatever status `status` holds at request time.
fn serve(status: Arc<AtomicU16>, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let server = HttpServer::new(move || {
        let status = status.clone();
        App::new().route(
            "/master.csv",
            web::get().to(move || {
                let code = status.load(Ordering::SeqCst);
                async move {
                    match code {
                        200 => HttpResponse::Ok().body(body),
                        code => HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(code)
                                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
                        )
                        .finish(),
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    actix_rt::spawn(server);
    format!("http://127.0.0.1:{port}/master.csv")
}

fn settings(url: String, data_dir: PathBuf) -> MasterSettings {
    MasterSettings {
        kind: MasterKind::Dhan,
        provider: MasterProvider::Configured,
        source: MasterSource::Url {
            url,
            headers: vec![("X-Test".into(), "secret".into())],
        },
        data_dir: Some(data_dir),
        max_age_s: 3600,
        download_timeout_ms: 5_000,
        thresholds: MasterThresholds::default(),
    }
}

#[test]
fn cache_freshness() {
    let dir = scratch("fresh");
    let full = dir.join("full.csv");
    let empty = dir.join("empty.csv");
    fs::write(&full, "x").expect("write");
    fs::write(&empty, "").expect("write");
    let written = fs::metadata(&full)
        .and_then(|m| m.modified())
        .expect("mtime");
    let hour = Duration::from_secs(3600);
    struct TestCase {
        name: &'static str,
        path: PathBuf,
        now: SystemTime,
        want: bool,
    }
    let cases = [
        TestCase {
            name: "just written",
            path: full.clone(),
            now: written,
            want: true,
        },
        TestCase {
            name: "at the limit",
            path: full.clone(),
            now: written + hour,
            want: true,
        },
        TestCase {
            name: "past the limit",
            path: full.clone(),
            now: written + hour + Duration::from_secs(1),
            want: false,
        },
        TestCase {
            name: "clock behind the file",
            path: full.clone(),
            now: written - hour,
            want: true,
        },
        TestCase {
            name: "empty file",
            path: empty,
            now: written,
            want: false,
        },
        TestCase {
            name: "missing file",
            path: dir.join("nope.csv"),
            now: written,
            want: false,
        },
    ];
    for case in cases {
        assert_eq!(
            is_cache_fresh(&case.path, hour, case.now),
            case.want,
            "{}",
            case.name
        );
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn source_debug_hides_header_values() {
    let source = MasterSource::Url {
        url: "https://x/y".into(),
        headers: vec![("Authorization".into(), "token k:s".into())],
    };
    let shown = format!("{source:?}");
    assert!(
        shown.contains("Authorization") && !shown.contains("token k:s"),
        "{shown}"
    );
}

#[actix_rt::test]
async fn download_replaces_the_file_atomically() {
    let dir = scratch("atomic");
    let url = serve(Arc::new(AtomicU16::new(200)), MASTER);
    let dest = dir.join("dhan-master.csv");
    fs::write(&dest, "old").expect("write");
    let limits = DownloadLimits {
        timeout: Duration::from_secs(5),
        max_bytes: 1 << 20,
    };
    let bytes = download_to(&url, &[], &dest, limits)
        .await
        .expect("downloads");
    assert_eq!(bytes, MASTER.len() as u64);
    assert_eq!(fs::read_to_string(&dest).ok().as_deref(), Some(MASTER));
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "no temp file left");

    // Over the byte cap: refused, and the previous file is untouched.
    let small = DownloadLimits {
        timeout: Duration::from_secs(5),
        max_bytes: 10,
    };
    let err = download_to(&url, &[], &dest, small).await.err();
    assert!(
        matches!(err, Some(FetchError::TooLarge { limit_bytes: 10 })),
        "{err:?}"
    );
    assert_eq!(fs::read_to_string(&dest).ok().as_deref(), Some(MASTER));
    let _ = fs::remove_dir_all(dir);
}

#[actix_rt::test]
async fn fetch_uses_fresh_cache_downloads_when_stale_and_falls_back_on_failure() {
    let dir = scratch("fetch");
    let status = Arc::new(AtomicU16::new(200));
    let settings = settings(serve(status.clone(), MASTER), dir.clone());
    let now = SystemTime::now();

    // No cache: downloaded to the side, promoted to the cache once it loads.
    let fetched = reload::fetch(&settings, false, now).await.expect("fetch");
    assert_eq!(fetched.origin, MasterOrigin::Downloaded);
    let cache = cache_path(&dir, MasterKind::Dhan);
    assert_eq!(fetched.promote_to.as_ref(), Some(&cache));
    let loaded = reload::load_fetched(fetched, &settings, &[], &Default::default()).expect("loads");
    assert_eq!(loaded.path, cache);
    assert!(cache.exists() && !download_path(&dir, MasterKind::Dhan).exists());

    // Fresh cache: no download, even with the server failing.
    status.store(500, Ordering::SeqCst);
    let fetched = reload::fetch(&settings, false, now).await.expect("fetch");
    assert_eq!(fetched.origin, MasterOrigin::FreshCache);

    // Stale (or forced) and the server fails: the cached copy, with the reason.
    let later = now + Duration::from_secs(2 * 3600);
    let fetched = reload::fetch(&settings, false, later).await.expect("fetch");
    assert!(
        matches!(&fetched.origin, MasterOrigin::StaleCache { download_error } if download_error.contains("500")),
        "{:?}",
        fetched.origin
    );
    assert_eq!(fetched.candidate, cache);

    // No cache and the server fails: an error, retryable.
    fs::remove_file(&cache).expect("remove cache");
    let err = reload::fetch(&settings, true, later).await.err();
    assert!(
        matches!(&err, Some(e @ FetchError::Status { status: 500 }) if e.is_retryable()),
        "{err:?}"
    );
    let _ = fs::remove_dir_all(dir);
}

#[actix_rt::test]
async fn a_refused_download_falls_back_to_the_cache() {
    let dir = scratch("refused");
    // The server answers 200 with something that is not a master.
    let settings = settings(
        serve(Arc::new(AtomicU16::new(200)), "<html>maintenance</html>\n"),
        dir.clone(),
    );
    let cache = cache_path(&dir, MasterKind::Dhan);
    fs::write(&cache, MASTER).expect("seed cache");
    let fetched = reload::fetch(&settings, true, SystemTime::now())
        .await
        .expect("fetch");
    assert_eq!(fetched.origin, MasterOrigin::Downloaded);
    let loaded =
        reload::load_fetched(fetched, &settings, &[], &Default::default()).expect("cache loads");
    assert!(
        matches!(&loaded.origin, MasterOrigin::StaleCache { download_error } if download_error.contains("refused")),
        "{:?}",
        loaded.origin
    );
    assert_eq!(
        fs::read_to_string(&cache).ok().as_deref(),
        Some(MASTER),
        "the bad download never replaced the cache"
    );
    let _ = fs::remove_dir_all(dir);
}

#[actix_rt::test]
async fn without_a_data_dir_a_download_leaves_no_file_behind() {
    let mut settings = settings(serve(Arc::new(AtomicU16::new(200)), MASTER), PathBuf::new());
    settings.data_dir = None;
    let loaded = reload::load_now(
        &settings,
        Arc::new(Vec::new()),
        Default::default(),
        false,
        SystemTime::now(),
        None,
    )
    .await
    .expect("loads");
    assert_eq!(loaded.origin, MasterOrigin::Downloaded);
    assert_eq!(loaded.report.master.accepted, 8);
    assert!(!loaded.path.exists(), "{} removed", loaded.path.display());
}

/// Polls the directory's status until `done` holds, or panics after ten seconds.
async fn status_until(
    addr: &actix::Addr<crate::instrument_directory::InstrumentDirectory>,
    what: &str,
    done: impl Fn(&crate::instrument_directory::MasterStatus) -> bool,
) -> crate::instrument_directory::MasterStatus {
    let give_up = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = addr
            .send(crate::instrument_directory::GetMasterStatus)
            .await
            .expect("mailbox");
        if done(&status) {
            return status;
        }
        assert!(
            std::time::Instant::now() < give_up,
            "timed out waiting for {what}: {status:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix_rt::test]
async fn the_scheduled_refresh_downloads_again_and_retries_a_failed_download() {
    use crate::instrument_directory::{
        InstrumentDirectory, InstrumentIndex, RefreshMaster, SharedIndex,
    };
    use actix::Actor;

    let dir = scratch("refresh");
    let status = Arc::new(AtomicU16::new(200));
    let settings = settings(serve(status.clone(), MASTER), dir.clone());
    // A cached copy from yesterday's refresh; still "fresh" for a start-up load.
    fs::write(cache_path(&dir, MasterKind::Dhan), MASTER).expect("seed cache");
    let shared = SharedIndex::new(Arc::new(InstrumentIndex::default()));
    let addr = InstrumentDirectory::with_master(shared.clone(), Vec::new(), settings)
        .with_refresh_retry(Duration::from_millis(30))
        .start();
    let started = status_until(&addr, "the start-up load", |s| s.loaded_at.is_some()).await;
    assert_eq!(started.origin, Some(MasterOrigin::FreshCache));
    let first = shared.load();
    assert_eq!(first.len(), 8);

    // 08:35 with the broker down: the cached copy stays in use, and the download is
    // tried again until it works.
    status.store(503, Ordering::SeqCst);
    addr.do_send(RefreshMaster);
    let failing = status_until(&addr, "two failed tries", |s| s.refresh_failures >= 2).await;
    // The cache in use is not parsed again: the index stays, the failure is reported.
    assert_eq!(
        failing.origin,
        Some(MasterOrigin::FreshCache),
        "{failing:?}"
    );
    assert!(
        failing
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{failing:?}"
    );
    assert!(
        Arc::ptr_eq(&first, &shared.load()),
        "same index, not rebuilt"
    );
    status.store(200, Ordering::SeqCst);
    let done = status_until(&addr, "a retry that downloads", |s| {
        s.origin == Some(MasterOrigin::Downloaded)
    })
    .await;
    assert_eq!(done.refresh_failures, 0, "{done:?}");
    assert!(
        !Arc::ptr_eq(&first, &shared.load()),
        "every holder of the shared index sees the new one"
    );
    let _ = fs::remove_dir_all(dir);
}
