//! Who may reach mandi: client API keys with read and trade scopes, login sessions for
//! browsers, the operator's admin token, allowed origins and hosts, and which proxies may
//! name the client's address. `guard` applies `policy::Policy` to every request before any
//! handler runs; docs/security.md has the threat model.

mod keys;
mod login;
mod policy;
mod sessions;
pub mod shared;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};

pub use keys::{constant_time_eq, fingerprint, ClientKeys, KeyError, Scope, MIN_KEY_LEN};
pub use login::routes as login_routes;
pub use policy::{Access, Policy, Refusal, RequestFacts};
pub use sessions::{LoginSessions, COOKIE};

/// Headers a proxy adds to say who the client is. Any of them means "proxied".
const FORWARDING_HEADERS: [&str; 6] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-real-ip",
];

/// Everything the guard needs, shared by every HTTP worker.
#[derive(Debug)]
pub struct Security {
    pub policy: Policy,
    pub sessions: LoginSessions,
    /// Peers whose forwarding headers name the client (`server.trusted_proxies`); from
    /// anyone else those headers are dropped before logging or handlers see them.
    pub trusted_proxies: Vec<IpAddr>,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    /// In a cluster: the NATS buckets where sessions (and watchlists) are shared.
    pub shared: std::sync::OnceLock<shared::Shared>,
}

impl Security {
    pub fn new(policy: Policy, sessions: LoginSessions, trusted_proxies: Vec<IpAddr>) -> Security {
        Security {
            policy,
            sessions,
            trusted_proxies,
            refused: Mutex::new(BTreeMap::new()),
            shared: std::sync::OnceLock::new(),
        }
    }

    /// Refused requests per code, for `/metrics`.
    pub fn refused(&self) -> BTreeMap<&'static str, u64> {
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn count(&self, code: &'static str) {
        *self
            .refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(code)
            .or_default() += 1;
    }
}

fn header<'a>(req: &'a ServiceRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cookie_session(req: &ServiceRequest, security: &Security) -> Option<Scope> {
    let id = req.cookie(COOKIE)?;
    security.sessions.scope(id.value(), Instant::now())
}

/// The middleware: decide, then either refuse or pass the request on with its `Access`
/// in the extensions.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(security) = req.app_data::<web::Data<Security>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let peer = req.peer_addr().map(|a| a.ip());
    let proxied = FORWARDING_HEADERS
        .iter()
        .any(|h| req.headers().contains_key(*h));
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > 0)
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    // A session cookie this node does not know may be one another edge opened.
    let mut session_scope = cookie_session(&req, &security);
    if session_scope.is_none() {
        if let (Some(shared), Some(cookie)) = (security.shared.get(), req.cookie(COOKIE)) {
            session_scope = shared::adopt(&security, shared, cookie.value()).await;
        }
    }
    let decision = {
        let facts = RequestFacts {
            method: req.method().as_str(),
            path: req.path(),
            host: header(&req, "host"),
            origin: header(&req, "origin"),
            content_type: header(&req, "content-type"),
            bearer: header(&req, "authorization").and_then(|v| v.strip_prefix("Bearer ")),
            session_scope,
            proxied,
            peer_loopback: peer.is_some_and(|ip| ip.is_loopback()),
            has_body,
            fetch_site: header(&req, "sec-fetch-site"),
        };
        security.policy.decide(&facts)
    };
    match decision {
        Ok(access) => {
            if proxied && !peer.is_some_and(|ip| security.trusted_proxies.contains(&ip)) {
                // Not from a proxy we trust: the client address is the peer, whatever the
                // headers claim (logs and the request span read them).
                for h in FORWARDING_HEADERS {
                    req.headers_mut().remove(HeaderName::from_static(h));
                }
            }
            req.extensions_mut().insert(access);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(refusal) => {
            security.count(refusal.code);
            tracing::debug!(
                code = refusal.code,
                path = ?req.path(),
                peer = ?peer,
                "request refused"
            );
            let response = refusal_response(&refusal);
            Ok(req.into_response(response))
        }
    }
}

fn refusal_response(r: &Refusal) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(r.status)
        .unwrap_or(actix_web::http::StatusCode::FORBIDDEN);
    let mut builder = HttpResponse::build(status);
    if r.status == 401 {
        builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"mandi\""));
    }
    builder.json(serde_json::json!({ "error": r.code, "message": r.message }))
}
