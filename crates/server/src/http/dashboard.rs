//! The dashboard: static files compiled into the binary, so `mandi run` needs nothing
//! on disk to show live prices.

use actix_web::{web, HttpResponse};

const INDEX_HTML: &str = include_str!("../dashboard/index.html");
const APP_JS: &str = include_str!("../dashboard/app.js");
const CHART_JS: &str = include_str!("../dashboard/chart.js");
const STYLE_CSS: &str = include_str!("../dashboard/style.css");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| file(INDEX_HTML, "text/html; charset=utf-8")),
    )
    .route(
        "/app.js",
        web::get().to(|| file(APP_JS, "text/javascript; charset=utf-8")),
    )
    .route(
        "/chart.js",
        web::get().to(|| file(CHART_JS, "text/javascript; charset=utf-8")),
    )
    .route(
        "/style.css",
        web::get().to(|| file(STYLE_CSS, "text/css; charset=utf-8")),
    );
}

async fn file(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "no-cache"))
        .body(body)
}
