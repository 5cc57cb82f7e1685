//! Who may make which request: the pure decision behind the guard middleware. It sees
//! plain facts about a request (method, path, a few headers, whether the peer is local)
//! and answers allow with a scope, or refuse with a status, a stable code and the fix.

use super::keys::{constant_time_eq, ClientKeys, Scope};

/// What the guard needs to know about one request.
#[derive(Debug, Default, Clone)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub content_type: Option<&'a str>,
    /// `Authorization: Bearer <this>`.
    pub bearer: Option<&'a str>,
    /// The login session this request's cookie names, already looked up.
    pub session_scope: Option<Scope>,
    /// Any `Forwarded`, `X-Forwarded-*` or `X-Real-IP` header: a proxy passed it on.
    pub proxied: bool,
    /// The TCP peer is a loopback address.
    pub peer_loopback: bool,
    /// The request carries a body (a length above 0, or chunked).
    pub has_body: bool,
    /// `Sec-Fetch-Site`, which browsers send and pages cannot forge.
    pub fetch_site: Option<&'a str>,
}

/// The operator's settings the decision is made against.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    pub keys: ClientKeys,
    pub admin_token: Option<String>,
    /// `server.allowed_origins`; empty means the server's own origin only.
    pub allowed_origins: Vec<String>,
    /// `server.cors_origins`: origins the operator opened the API to; allowed too.
    pub cors_origins: Vec<String>,
    /// `server.allowed_hosts`; empty means any host when keys are set, and loopback
    /// names only when they are not (a page cannot rebind a DNS name onto us).
    pub allowed_hosts: Vec<String>,
}

/// Allowed, with what the caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key needed (the dashboard's files, `/health`, the login page).
    Public,
    /// A client route, with the caller's scope.
    Client(Scope),
    /// An operator route.
    Admin,
}

/// Refused: the HTTP status, a stable code and an operator- or client-facing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Public,
    Login,
    Client,
    Admin,
}

fn route(path: &str) -> Route {
    if path == "/api/auth/token" || path.starts_with("/api/admin/") {
        Route::Admin
    } else if path == "/api/auth/login" || path == "/api/auth/logout" {
        Route::Login
    } else if path.starts_with("/api/") || matches!(path, "/ws" | "/ws/prices" | "/prices") {
        Route::Client
    } else {
        Route::Public
    }
}

fn state_changing(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

impl Policy {
    pub fn decide(&self, r: &RequestFacts<'_>) -> Result<Access, Refusal> {
        self.check_host(r)?;
        self.check_origin(r)?;
        let route = route(r.path);
        if route == Route::Admin {
            return self.admin(r);
        }
        if route == Route::Public {
            return Ok(Access::Public);
        }
        if state_changing(r.method) {
            self.check_csrf(r)?;
        }
        if route == Route::Login {
            return Ok(Access::Public);
        }
        let scope = self.client_scope(r)?;
        if state_changing(r.method) && scope < Scope::Trade {
            return Err(Refusal::new(
                403,
                "read_only_key",
                "this key may only read; use a key given as trade:KEY in MANDI_API_KEYS",
            ));
        }
        Ok(Access::Client(scope))
    }

    fn check_host(&self, r: &RequestFacts<'_>) -> Result<(), Refusal> {
        let host = r.host.unwrap_or("").to_ascii_lowercase();
        let name = host_name(&host);
        let ok = if !self.allowed_hosts.is_empty() {
            self.allowed_hosts.iter().any(|h| {
                let h = h.to_ascii_lowercase();
                h == host || h == name
            })
        } else if self.keys.is_empty() {
            is_loopback_name(name)
        } else {
            true
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal::new(
                421,
                "bad_host",
                format!("host {host:?} is not served here; list it in server.allowed_hosts"),
            ))
        }
    }

    fn check_origin(&self, r: &RequestFacts<'_>) -> Result<(), Refusal> {
        let Some(origin) = r.origin else {
            return Ok(());
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let own = || {
            // Same origin: the page was served by us under the Host it now talks to.
            let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or("");
            r.host
                .is_some_and(|h| !authority.is_empty() && h.eq_ignore_ascii_case(authority))
        };
        let listed = |list: &[String]| {
            list.iter()
                .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin))
        };
        let allowed = origin != "null"
            && (listed(&self.cors_origins)
                || if self.allowed_origins.is_empty() {
                    own()
                } else {
                    listed(&self.allowed_origins)
                });
        if allowed {
            Ok(())
        } else {
            Err(Refusal::new(
                403,
                "origin_not_allowed",
                format!(
                    "origin {origin:?} may not use this server; list it in server.allowed_origins"
                ),
            ))
        }
    }

    /// A page on another site can send a form or a `text/plain` POST without asking; it
    /// cannot send JSON or a bearer header without a CORS preflight, which we refuse.
    fn check_csrf(&self, r: &RequestFacts<'_>) -> Result<(), Refusal> {
        if r.bearer.is_some() {
            return Ok(());
        }
        if r.origin.is_none() && r.fetch_site == Some("cross-site") {
            return Err(Refusal::new(
                403,
                "origin_not_allowed",
                "cross-site requests may not change anything",
            ));
        }
        let json = r
            .content_type
            .and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
        if r.has_body && !json {
            return Err(Refusal::new(
                415,
                "json_required",
                "send the body as Content-Type: application/json",
            ));
        }
        Ok(())
    }

    fn admin(&self, r: &RequestFacts<'_>) -> Result<Access, Refusal> {
        if let Some(expected) = &self.admin_token {
            let given = r.bearer.unwrap_or("");
            if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                return Ok(Access::Admin);
            }
            return Err(Refusal::new(
                403,
                "forbidden",
                "operator endpoints need Authorization: Bearer $MANDI_ADMIN_TOKEN",
            ));
        }
        // Only a direct local connection is the operator at the console: through a proxy
        // every caller looks local, so a proxied request needs the token.
        if r.peer_loopback && !r.proxied {
            if state_changing(r.method) {
                self.check_csrf(r)?;
            }
            return Ok(Access::Admin);
        }
        Err(Refusal::new(
            403,
            "forbidden",
            "operator endpoints answer only a direct local connection; set MANDI_ADMIN_TOKEN \
             and send it as a bearer token to reach them through a proxy",
        ))
    }

    fn client_scope(&self, r: &RequestFacts<'_>) -> Result<Scope, Refusal> {
        if self.keys.is_empty() {
            if r.proxied {
                // Keyless mode trusts the machine's own users only; a proxy means the
                // internet is in front.
                return Err(Refusal::new(
                    403,
                    "api_keys_required",
                    "this server has no API keys, so it serves only direct local connections; \
                     set MANDI_API_KEYS before putting a proxy in front",
                ));
            }
            return Ok(Scope::Trade);
        }
        if let Some(bearer) = r.bearer {
            return self.keys.scope_of(bearer).ok_or_else(|| {
                Refusal::new(
                    401,
                    "unauthorized",
                    "the bearer key is not one of MANDI_API_KEYS",
                )
            });
        }
        r.session_scope.ok_or_else(|| {
            Refusal::new(
                401,
                "unauthorized",
                "send Authorization: Bearer <API key>, or log in at /login",
            )
        })
    }
}

/// `host[:port]` → host, for IPv6 `[::1]:8000` too.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
