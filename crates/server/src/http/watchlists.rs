//! The dashboard's watchlists, kept on the server: `GET /api/watchlists` and
//! `PUT /api/watchlists` store one JSON document per owner (the API key, or the browser's
//! random id when no keys are set) under `<store.data_dir>/watchlists/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::security::{fingerprint, Security, COOKIE};

/// Lists per owner, symbols per list, and the longest name: a dashboard, not a database.
pub const MAX_LISTS: usize = 20;
pub const MAX_SYMBOLS_PER_LIST: usize = 200;
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_SYMBOL_CHARS: usize = 64;
/// Owners remembered at once; a new browser beyond this is refused rather than filling the disk.
pub const MAX_OWNERS: usize = 1000;
/// A PUT body larger than this is refused before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The header carrying the browser's random id (used when the request has no bearer key).
pub const CLIENT_HEADER: &str = "x-mandi-client";

/// One named list, symbols in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchlist {
    pub name: String,
    pub symbols: Vec<String>,
}

/// Everything one owner keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchlists {
    pub lists: Vec<Watchlist>,
}

/// Why a document or an owner was refused; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchlistError {
    #[error("at most {MAX_LISTS} watchlists; delete one first")]
    TooManyLists,
    #[error("watchlist {index}: the name must be 1 to {MAX_NAME_CHARS} printable characters")]
    BadName { index: usize },
    #[error("watchlist {name:?} appears twice; names must differ")]
    DuplicateName { name: String },
    #[error("watchlist {name:?}: at most {MAX_SYMBOLS_PER_LIST} symbols")]
    TooManySymbols { name: String },
    #[error(
        "watchlist {name:?}: symbol {symbol:?} is empty, too long or holds a control character"
    )]
    BadSymbol { name: String, symbol: String },
    #[error("send the browser's id in the {CLIENT_HEADER} header (8 to 64 of A-Z a-z 0-9 - _)")]
    NoOwner,
    #[error(
        "too many watchlist owners ({MAX_OWNERS}); remove files under <store.data_dir>/watchlists"
    )]
    TooManyOwners,
}

impl WatchlistError {
    fn code(&self) -> &'static str {
        match self {
            WatchlistError::NoOwner => "no_owner",
            WatchlistError::TooManyOwners => "too_many_owners",
            _ => "bad_watchlists",
        }
    }
}

/// Checks a document before it is stored. Duplicate symbols inside one list are dropped
/// (keeping the first) rather than refused: a double click is not an error.
pub fn validate(mut doc: Watchlists) -> Result<Watchlists, WatchlistError> {
    if doc.lists.len() > MAX_LISTS {
        return Err(WatchlistError::TooManyLists);
    }
    let mut names = std::collections::HashSet::new();
    for (index, list) in doc.lists.iter_mut().enumerate() {
        list.name = list.name.trim().to_string();
        let n = list.name.chars().count();
        if n == 0 || n > MAX_NAME_CHARS || list.name.chars().any(char::is_control) {
            return Err(WatchlistError::BadName { index });
        }
        if !names.insert(list.name.to_lowercase()) {
            return Err(WatchlistError::DuplicateName {
                name: list.name.clone(),
            });
        }
        if list.symbols.len() > MAX_SYMBOLS_PER_LIST {
            return Err(WatchlistError::TooManySymbols {
                name: list.name.clone(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let mut kept = Vec::with_capacity(list.symbols.len());
        for symbol in &list.symbols {
            let s = symbol.trim();
            if s.is_empty() || s.len() > MAX_SYMBOL_CHARS || s.chars().any(char::is_control) {
                return Err(WatchlistError::BadSymbol {
                    name: list.name.clone(),
                    symbol: symbol.clone(),
                });
            }
            if seen.insert(s.to_string()) {
                kept.push(s.to_string());
            }
        }
        list.symbols = kept;
    }
    Ok(doc)
}

/// Whose lists a request reads and writes, as a file-name-safe id: the API key's
/// fingerprint (from a bearer header or the login session; the key itself is never
/// stored), or without keys the browser's own random id.
pub fn owner_of(
    key_fingerprint: Option<&str>,
    client_id: Option<&str>,
) -> Result<String, WatchlistError> {
    if let Some(fp) = key_fingerprint.filter(|k| !k.is_empty()) {
        return Ok(format!("key-{fp}"));
    }
    let id = client_id.unwrap_or("");
    let ok = (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(format!("browser-{id}"))
    } else {
        Err(WatchlistError::NoOwner)
    }
}

/// The store: files under `dir` when the runtime has a data dir, memory only otherwise.
/// The mutex serialises writes, so two tabs saving at once never interleave a file.
pub struct WatchlistStore {
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Watchlists>>,
}

impl WatchlistStore {
    pub fn new(data_dir: Option<&Path>) -> WatchlistStore {
        WatchlistStore {
            dir: data_dir.map(|d| d.join("watchlists")),
            memory: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, owner: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{owner}.json")))
    }

    /// The owner's lists; none yet is an empty document, an unreadable file is logged and
    /// treated as empty so the dashboard still opens.
    pub fn load(&self, owner: &str) -> Watchlists {
        let mut memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(doc) = memory.get(owner) {
            return doc.clone();
        }
        let Some(path) = self.path(owner) else {
            return Watchlists::default();
        };
        // Only a stored file is cached: a GET from a new browser must not grow the map.
        let Ok(bytes) = std::fs::read(&path) else {
            return Watchlists::default();
        };
        let doc = match serde_json::from_slice::<Watchlists>(&bytes) {
            Ok(doc) => validate(doc).unwrap_or_default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "watchlist file unreadable; starting empty (fix or delete the file)");
                Watchlists::default()
            }
        };
        if memory.len() < MAX_OWNERS {
            memory.insert(owner.to_string(), doc.clone());
        }
        doc
    }

    /// Stores a validated document: temporary file, then rename, so a crash leaves the old
    /// file or the new one, never half of one.
    pub fn save(&self, owner: &str, doc: &Watchlists) -> Result<(), SaveError> {
        let mut memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        if !memory.contains_key(owner) && memory.len() >= MAX_OWNERS {
            return Err(SaveError::Refused(WatchlistError::TooManyOwners));
        }
        if let Some(path) = self.path(owner) {
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            if !path.exists() && std::fs::read_dir(dir)?.count() >= MAX_OWNERS {
                return Err(SaveError::Refused(WatchlistError::TooManyOwners));
            }
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(doc).unwrap_or_default())?;
            std::fs::rename(&tmp, &path)?;
        }
        memory.insert(owner.to_string(), doc.clone());
        Ok(())
    }
}

/// A save that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Refused(#[from] WatchlistError),
    #[error("cannot write the watchlist file: {0}")]
    Io(#[from] std::io::Error),
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/watchlists", web::get().to(get_lists))
        .route("/api/watchlists", web::put().to(put_lists));
}

fn request_owner(req: &HttpRequest) -> Result<String, WatchlistError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // The key behind the request: a bearer header, else the browser's login session.
    let key = header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(fingerprint)
        .or_else(|| {
            let security = req.app_data::<web::Data<Security>>()?;
            let cookie = req.cookie(COOKIE)?;
            security
                .sessions
                .owner(cookie.value(), std::time::Instant::now())
        });
    owner_of(key.as_deref(), header(CLIENT_HEADER))
}

fn refused(e: &WatchlistError) -> HttpResponse {
    HttpResponse::BadRequest()
        .json(serde_json::json!({ "error": e.code(), "message": e.to_string() }))
}

async fn get_lists(
    req: HttpRequest,
    store: web::Data<WatchlistStore>,
    security: web::Data<Security>,
) -> HttpResponse {
    let owner = match request_owner(&req) {
        Ok(owner) => owner,
        Err(e) => return refused(&e),
    };
    // In a cluster the lists live on NATS, so every edge has them.
    let doc = match security.shared.get() {
        Some(shared) => match super::watchlists_shared::load(&shared.0, &owner).await {
            Ok(doc) => doc,
            Err(e) => return not_now(&e),
        },
        None => store.load(&owner),
    };
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(doc)
}

fn not_now(e: &std::io::Error) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .json(serde_json::json!({ "error": "unavailable", "message": e.to_string() }))
}

async fn put_lists(
    req: HttpRequest,
    body: web::Bytes,
    store: web::Data<WatchlistStore>,
    security: web::Data<Security>,
) -> HttpResponse {
    let owner = match request_owner(&req) {
        Ok(o) => o,
        Err(e) => return refused(&e),
    };
    if body.len() > MAX_BODY_BYTES {
        return HttpResponse::PayloadTooLarge().json(serde_json::json!({
            "error": "too_large",
            "message": format!("watchlists are limited to {MAX_BODY_BYTES} bytes"),
        }));
    }
    let doc =
        match serde_json::from_slice::<Watchlists>(&body) {
            Ok(d) => d,
            Err(e) => return HttpResponse::BadRequest().json(serde_json::json!({
                "error": "bad_json",
                "message": format!("expected {{\"lists\":[{{\"name\":…,\"symbols\":[…]}}]}}: {e}"),
            })),
        };
    let doc = match validate(doc) {
        Ok(d) => d,
        Err(e) => return refused(&e),
    };
    let saved = match security.shared.get() {
        Some(shared) => super::watchlists_shared::save(&shared.0, &owner, &doc).await,
        None => store.save(&owner, &doc),
    };
    match saved {
        Ok(()) => HttpResponse::Ok().json(doc),
        Err(SaveError::Refused(e)) => refused(&e),
        Err(e) => {
            tracing::warn!(error = %e, "watchlists not saved; check store.data_dir is writable (in a cluster: NATS)");
            HttpResponse::InternalServerError()
                .json(serde_json::json!({ "error": "not_saved", "message": e.to_string() }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(name: &str, symbols: &[&str]) -> Watchlist {
        Watchlist {
            name: name.into(),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn validate_accepts_cleans_or_refuses() {
        struct TestCase {
            name: &'static str,
            lists: Vec<Watchlist>,
            want: Result<Vec<Watchlist>, WatchlistError>,
        }
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let cases = vec![
            TestCase {
                name: "empty document",
                lists: vec![],
                want: Ok(vec![]),
            },
            TestCase {
                name: "trims and drops repeated symbols",
                lists: vec![list(" Options ", &["NIFTY", " NIFTY ", "SENSEX"])],
                want: Ok(vec![list("Options", &["NIFTY", "SENSEX"])]),
            },
            TestCase {
                name: "blank name",
                lists: vec![list("  ", &[])],
                want: Err(WatchlistError::BadName { index: 0 }),
            },
            TestCase {
                name: "long name",
                lists: vec![list("a", &[]), list(&long, &[])],
                want: Err(WatchlistError::BadName { index: 1 }),
            },
            TestCase {
                name: "same name in another case",
                lists: vec![list("Main", &[]), list("main", &[])],
                want: Err(WatchlistError::DuplicateName {
                    name: "main".into(),
                }),
            },
            TestCase {
                name: "control character in a symbol",
                lists: vec![list("Main", &["NI\nFTY"])],
                want: Err(WatchlistError::BadSymbol {
                    name: "Main".into(),
                    symbol: "NI\nFTY".into(),
                }),
            },
            TestCase {
                name: "too many lists",
                lists: (0..=MAX_LISTS)
                    .map(|i| list(&format!("l{i}"), &[]))
                    .collect(),
                want: Err(WatchlistError::TooManyLists),
            },
            TestCase {
                name: "too many symbols",
                lists: vec![list(
                    "Big",
                    &(0..=MAX_SYMBOLS_PER_LIST)
                        .map(|i| format!("S{i}"))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                )],
                want: Err(WatchlistError::TooManySymbols { name: "Big".into() }),
            },
        ];
        for case in cases {
            let got = validate(Watchlists { lists: case.lists }).map(|d| d.lists);
            assert_eq!(got, case.want, "case {:?}", case.name);
        }
    }

    #[test]
    fn owner_comes_from_the_key_or_the_browser_id() {
        struct TestCase {
            name: &'static str,
            bearer: Option<&'static str>,
            client: Option<&'static str>,
            want: Result<&'static str, WatchlistError>,
        }
        let cases = [
            TestCase {
                name: "browser id",
                bearer: None,
                client: Some("abcDEF12-_x"),
                want: Ok("browser-abcDEF12-_x"),
            },
            TestCase {
                name: "short id",
                bearer: None,
                client: Some("abc"),
                want: Err(WatchlistError::NoOwner),
            },
            TestCase {
                name: "path characters",
                bearer: None,
                client: Some("../../etc/passwd"),
                want: Err(WatchlistError::NoOwner),
            },
            TestCase {
                name: "nothing",
                bearer: None,
                client: None,
                want: Err(WatchlistError::NoOwner),
            },
        ];
        for case in cases {
            let got = owner_of(case.bearer, case.client);
            assert_eq!(got, case.want.map(String::from), "case {:?}", case.name);
        }
        let one = fingerprint("key-one-0123456789");
        let a = owner_of(Some(&one), Some("ignored-id-123")).expect("a key owns");
        let b = owner_of(Some(&fingerprint("key-two-0123456789")), None).expect("a key owns");
        assert!(
            a.starts_with("key-") && b.starts_with("key-") && a != b,
            "{a} {b}"
        );
        assert!(
            !a.contains("one"),
            "the key itself never names the file: {a}"
        );
        // Stable across builds: a toolchain upgrade must not orphan the files.
        assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn saved_lists_survive_a_new_store_and_leave_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("mandi-watchlists-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let doc = Watchlists {
            lists: vec![list("Calls", &["NIFTY", "RELIANCE"])],
        };
        WatchlistStore::new(Some(&dir))
            .save("browser-abcdefgh", &doc)
            .expect("saved to the temp dir");
        let again = WatchlistStore::new(Some(&dir));
        assert_eq!(again.load("browser-abcdefgh"), doc);
        assert_eq!(again.load("browser-someone-else"), Watchlists::default());
        let names: Vec<_> = std::fs::read_dir(dir.join("watchlists"))
            .expect("the watchlists dir exists")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["browser-abcdefgh.json".to_string()]);
        std::fs::remove_dir_all(&dir).expect("temp dir removed");
    }

    #[test]
    fn a_memory_store_refuses_owners_beyond_the_bound() {
        let store = WatchlistStore::new(None);
        for i in 0..MAX_OWNERS {
            store
                .save(&format!("browser-{i:08}"), &Watchlists::default())
                .expect("under the bound");
        }
        let err = store
            .save("browser-one-too-many", &Watchlists::default())
            .expect_err("one owner too many");
        assert!(matches!(
            err,
            SaveError::Refused(WatchlistError::TooManyOwners)
        ));
        // An existing owner may still save.
        store
            .save("browser-00000001", &Watchlists::default())
            .expect("a known owner saves");
    }
}
