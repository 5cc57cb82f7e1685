//! Login sessions: a browser trades an API key for a random session id in an `HttpOnly`,
//! `SameSite=Strict` cookie, so the key never sits in page script or local storage. Held
//! in memory (a restart logs browsers out), bounded, and expiring; in a cluster also in a
//! NATS bucket (`shared`), so every edge knows a browser that logged in on one.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::keys::Scope;

/// Most live sessions; past it the oldest is dropped, so logins cannot grow memory.
pub const MAX_SESSIONS: usize = 10_000;
/// The cookie's name.
pub const COOKIE: &str = "mandi_session";

#[derive(Debug)]
struct Entry {
    scope: Scope,
    /// The key's [`fingerprint`](super::fingerprint): what the session's owner keeps
    /// (watchlists) follows the key, not the browser.
    owner: String,
    expires: Instant,
}

/// The live sessions, shared by every HTTP worker.
#[derive(Debug)]
pub struct LoginSessions {
    ttl: Duration,
    live: Mutex<HashMap<String, Entry>>,
}

impl LoginSessions {
    pub fn new(ttl: Duration) -> LoginSessions {
        LoginSessions {
            ttl,
            live: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session of `scope` for the key fingerprinted `owner`, valid from `now`;
    /// returns its id.
    pub fn open(&self, scope: Scope, owner: String, now: Instant) -> std::io::Result<String> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.insert(id.clone(), scope, owner, now, now + self.ttl);
        Ok(id)
    }

    /// A session opened on another node of the cluster, known here from now on until
    /// `expires`.
    pub fn adopt(&self, id: &str, scope: Scope, owner: String, now: Instant, expires: Instant) {
        self.insert(id.to_string(), scope, owner, now, expires);
    }

    fn insert(&self, id: String, scope: Scope, owner: String, now: Instant, expires: Instant) {
        // A panic elsewhere while holding the lock leaves the map whole.
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, e| e.expires > now);
        if live.len() >= MAX_SESSIONS {
            if let Some(oldest) = live
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone())
            {
                live.remove(&oldest);
            }
        }
        live.insert(
            id,
            Entry {
                scope,
                owner,
                expires,
            },
        );
    }

    /// The scope of a live session.
    pub fn scope(&self, id: &str, now: Instant) -> Option<Scope> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.get(id).filter(|e| e.expires > now).map(|e| e.scope)
    }

    /// The key fingerprint of a live session.
    pub fn owner(&self, id: &str, now: Instant) -> Option<String> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.get(id)
            .filter(|e| e.expires > now)
            .map(|e| e.owner.clone())
    }

    pub fn close(&self, id: &str) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.remove(id);
    }

    /// Close every session whose id `matches` (one logged out on another node).
    pub fn close_where(&self, matches: impl Fn(&str) -> bool) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|id, _| !matches(id));
    }

    pub fn len(&self) -> usize {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_until_it_expires_or_closes() {
        let sessions = LoginSessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let id = sessions
            .open(Scope::Trade, "owner-1".into(), t0)
            .expect("random id");
        assert_eq!(id.len(), 64);
        assert_eq!(sessions.scope(&id, t0), Some(Scope::Trade));
        assert_eq!(sessions.owner(&id, t0).as_deref(), Some("owner-1"));
        assert_eq!(sessions.owner(&id, t0 + Duration::from_secs(61)), None);
        assert_eq!(sessions.scope(&id, t0 + Duration::from_secs(61)), None);
        assert_eq!(sessions.scope("not-a-session", t0), None);
        sessions.close(&id);
        assert_eq!(sessions.scope(&id, t0), None);
    }

    #[test]
    fn session_count_is_bounded() {
        let sessions = LoginSessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..MAX_SESSIONS + 5 {
            sessions
                .open(
                    Scope::Read,
                    format!("owner-{i}"),
                    t0 + Duration::from_millis(i as u64),
                )
                .expect("random id");
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
    }
}
