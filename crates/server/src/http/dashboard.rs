//! The dashboard: static files compiled into the binary (the page, its ES modules per panel
//! and the vendored Preact + htm and lightweight-charts), so `mandi run` needs nothing on
//! disk and no CDN to show the terminal.

use actix_web::{web, HttpResponse};

/// Our own files change with every build: the browser revalidates them each time.
const OWN: &str = "no-cache";
/// Vendored libraries are pinned (scripts/vendor-dashboard.sh): a day's caching is safe,
/// and a version bump ships with a new binary that the next day picks up.
const VENDORED: &str = "public, max-age=86400";

const JS: &str = "text/javascript; charset=utf-8";

/// One served file: URL path, body, content type, cache policy.
struct Asset {
    path: &'static str,
    body: &'static str,
    content_type: &'static str,
    cache: &'static str,
}

macro_rules! asset {
    ($path:expr, $file:literal, $ct:expr, $cache:expr) => {
        Asset {
            path: $path,
            body: include_str!(concat!("../dashboard/", $file)),
            content_type: $ct,
            cache: $cache,
        }
    };
    ($file:literal, $ct:expr) => {
        asset!(concat!("/", $file), $file, $ct, OWN)
    };
}

const ASSETS: &[Asset] = &[
    asset!("/", "index.html", "text/html; charset=utf-8", OWN),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("lib/format.js", JS),
    asset!("lib/api.js", JS),
    asset!("lib/socket.js", JS),
    asset!("lib/selection.js", JS),
    asset!("panels/status.js", JS),
    asset!("panels/watchlist.js", JS),
    asset!("panels/chain.js", JS),
    asset!("panels/depth.js", JS),
    asset!("panels/ticket.js", JS),
    asset!("panels/books.js", JS),
    asset!("panels/bots.js", JS),
    asset!("panels/chart.js", JS),
    asset!(
        "/vendor/preact-htm.module.js",
        "vendor/preact-htm.module.js",
        JS,
        VENDORED
    ),
    asset!(
        "/vendor/lightweight-charts.standalone.js",
        "vendor/lightweight-charts.standalone.js",
        JS,
        VENDORED
    ),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for asset in ASSETS {
        cfg.route(
            asset.path,
            web::get().to(move || async move {
                HttpResponse::Ok()
                    .content_type(asset.content_type)
                    .insert_header(("cache-control", asset.cache))
                    .insert_header(("x-content-type-options", "nosniff"))
                    .body(asset.body)
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test as web_test, App};

    #[actix_rt::test]
    async fn every_asset_is_served_with_its_type_and_cache_policy() {
        let app = web_test::init_service(App::new().configure(routes)).await;
        for asset in ASSETS {
            let res = web_test::call_service(
                &app,
                web_test::TestRequest::get().uri(asset.path).to_request(),
            )
            .await;
            assert_eq!(res.status(), 200, "asset {}", asset.path);
            let h = |n: &str| {
                res.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            assert_eq!(
                h("content-type"),
                asset.content_type,
                "asset {}",
                asset.path
            );
            assert_eq!(h("cache-control"), asset.cache, "asset {}", asset.path);
            let vendored = asset.path.starts_with("/vendor/");
            assert_eq!(asset.cache == VENDORED, vendored, "asset {}", asset.path);
        }
    }

    #[test]
    fn every_module_the_page_imports_is_served() {
        // A module imported but not listed would 404 only in a browser; catch it here.
        for asset in ASSETS.iter().filter(|a| a.content_type == JS) {
            for line in asset.body.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let base = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
                let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let target = format!("/{}", parts.join("/"));
                assert!(
                    ASSETS.iter().any(|a| a.path == target),
                    "{} imports {spec} ({target}), which is not served",
                    asset.path
                );
            }
        }
    }
}
