//! `GET /login`, `POST /api/auth/login` and `POST /api/auth/logout`: a browser exchanges an
//! API key for a session cookie (`HttpOnly`, `SameSite=Strict`), which the dashboard's
//! requests and sockets then carry. Bots send the key as a bearer header instead.

use std::time::Instant;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{Security, COOKIE};

const LOGIN_HTML: &str = include_str!("../dashboard/login.html");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(page))
        .route("/api/auth/login", web::post().to(login))
        .route("/api/auth/logout", web::post().to(logout));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    key: String,
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .body(LOGIN_HTML)
}

async fn login(req: HttpRequest, body: web::Bytes, security: web::Data<Security>) -> HttpResponse {
    let Ok(body) = serde_json::from_slice::<LoginBody>(&body) else {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "error": "bad_json", "message": "expected {\"key\":\"<API key>\"}",
        }));
    };
    let Some(scope) = security.policy.keys.scope_of(&body.key) else {
        return HttpResponse::Unauthorized().json(serde_json::json!({
            "error": "unauthorized", "message": "that key is not one of this server's API keys",
        }));
    };
    let owner = super::fingerprint(&body.key);
    let id = match security.sessions.open(scope, owner.clone(), Instant::now()) {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "no randomness for a login session");
            return HttpResponse::ServiceUnavailable().finish();
        }
    };
    if let Some(shared) = security.shared.get() {
        super::shared::publish(shared, &id, scope, &owner, security.sessions.ttl()).await;
    }
    let ttl = security.sessions.ttl().as_secs();
    let cookie = Cookie::build(COOKIE, id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .max_age(CookieDuration::seconds(
            i64::try_from(ttl).unwrap_or(i64::MAX),
        ))
        .finish();
    HttpResponse::Ok()
        .cookie(cookie)
        .json(serde_json::json!({ "scope": scope.as_str() }))
}

async fn logout(req: HttpRequest, security: web::Data<Security>) -> HttpResponse {
    if let Some(c) = req.cookie(COOKIE) {
        security.sessions.close(c.value());
        if let Some(shared) = security.shared.get() {
            super::shared::forget(shared, c.value()).await;
        }
    }
    let mut gone = Cookie::build(COOKIE, "").path("/").finish();
    gone.make_removal();
    HttpResponse::Ok()
        .cookie(gone)
        .json(serde_json::json!({ "logged_out": true }))
}
