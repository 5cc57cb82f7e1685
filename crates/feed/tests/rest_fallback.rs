//! `RestFallback` against a broker REST stand-in on loopback (Dhan `/v2/marketfeed/*`
//! and Kite `/quote*`, the simulator's contract: auth headers, 1 request/s with a 429
//! past it, error envelopes). Covers takeover on LoginRequired, ticks from REST for every
//! instrument, the request rate, hand-back on Live, and a refused token that pauses
//! polling until a hot-swapped one is used. Every wait has a deadline.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, Context, Handler};
use actix_web::dev::ServerHandle;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use mandi_domain::{Exchange, Instrument, Mode, Segment, TickSource};
use mandi_feed::auth_manager::{AuthManager, SetCredentials};
use mandi_feed::feed_connection::messages::{
    FeedState, FeedStatusChanged, ReplaySubscriptions, TicksReceived,
};
use mandi_feed::instrument_directory::InstrumentIndex;
use mandi_feed::rest_fallback::{
    FallbackStatus, FallbackStatusChanged, GetFallbackStatus, RestFallback, RestFallbackSettings,
};
use mandi_feed::settings::{Broker, Credentials, UpstreamSettings};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::{timeout_at, Instant};

/// Generous for a loaded machine; a hang still ends well inside the 30 s budget.
const DEADLINE: Duration = Duration::from_secs(10);
/// The brokers' quote window: at most one request in any second.
const QUOTE_WINDOW: Duration = Duration::from_secs(1);
const GOOD_TOKEN: &str = "good-token";

// ---------------------------------------------------------------- instruments

fn instruments() -> Vec<(Instrument, Mode)> {
    let inst = |symbol: &str, exchange, segment, id, token, key: &str, tick| Instrument {
        symbol: symbol.into(),
        exchange,
        segment,
        security_id: id,
        kite_token: token,
        kite_key: key.into(),
        tick_size: tick,
        lot_size: 1,
        derivative: None,
    };
    vec![
        (
            inst(
                "NIFTY",
                Exchange::Nse,
                Segment::IdxI,
                13,
                256_265,
                "NSE:NIFTY 50",
                0.05,
            ),
            Mode::Ltp,
        ),
        (
            inst(
                "RELIANCE",
                Exchange::Nse,
                Segment::NseEq,
                2885,
                738_561,
                "NSE:RELIANCE",
                0.1,
            ),
            Mode::Quote,
        ),
        (
            inst(
                "CRUDEOIL",
                Exchange::Mcx,
                Segment::McxComm,
                467_013,
                60_297_479,
                "MCX:CRUDEOIL26DECFUT",
                1.0,
            ),
            Mode::Full,
        ),
    ]
}

/// (Dhan id, Kite key, price on the wire, price on the tick grid).
const QUOTED: [(u32, &str, f64, f64); 3] = [
    (13, "NSE:NIFTY 50", 25_760.849_976, 25_760.85),
    (2885, "NSE:RELIANCE", 1_443.4, 1_443.4),
    (467_013, "MCX:CRUDEOIL26DECFUT", 5_545.3, 5_545.0),
];

// ---------------------------------------------------------------- broker stand-in

/// What the stand-in saw. `token` is the access token it accepts.
struct Upstream {
    token: Mutex<String>,
    /// Arrival of every quote request, answered or not.
    arrivals: Mutex<Vec<Instant>>,
    last_admitted: Mutex<Option<Instant>>,
    throttled: AtomicUsize,
    refused: AtomicUsize,
}

impl Upstream {
    fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().expect("lock").clone()
    }

    /// Record the arrival; `false` when it comes within a second of the last admitted one.
    fn admit(&self) -> bool {
        let now = Instant::now();
        self.arrivals.lock().expect("lock").push(now);
        let mut last = self.last_admitted.lock().expect("lock");
        if last.is_some_and(|t| now.duration_since(t) < QUOTE_WINDOW) {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        *last = Some(now);
        true
    }

    fn token_ok(&self, presented: Option<&str>) -> bool {
        let ok = presented == Some(self.token.lock().expect("lock").as_str());
        if !ok {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        ok
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn quote_entry(price: f64, dhan: bool) -> Value {
    let level = |p: f64| json!({ "price": p, "quantity": 10, "orders": 1 });
    let mut entry = json!({
        "last_price": price,
        "last_quantity": 5,
        "average_price": price,
        "volume": 1000,
        "buy_quantity": 700,
        "sell_quantity": 500,
        "oi": 42,
        "ohlc": { "open": price, "high": price, "low": price, "close": price },
        "depth": { "buy": [level(price - 1.0)], "sell": [level(price + 1.0)] },
    });
    if dhan {
        entry["last_trade_time"] = json!("03/02/2026 09:09:55");
    } else {
        entry["timestamp"] = json!("2026-02-03 09:09:55");
        entry["last_trade_time"] = json!("2026-02-03 09:09:54");
    }
    entry
}

async fn dhan_marketfeed(
    req: HttpRequest,
    kind: web::Path<String>,
    body: web::Bytes,
    up: web::Data<Upstream>,
) -> HttpResponse {
    if !up.token_ok(header(&req, "access-token")) || header(&req, "client-id") != Some("1000000001")
    {
        return HttpResponse::Unauthorized().json(json!({
            "errorType": "Invalid_Authentication",
            "errorCode": "DH-901",
            "errorMessage": "Client ID or user generated access token is invalid or expired.",
        }));
    }
    if !up.admit() {
        return HttpResponse::TooManyRequests().json(json!({
            "errorType": "Rate_Limit", "errorCode": "DH-904", "errorMessage": "Too many requests",
        }));
    }
    let asked: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    if asked.get("dhanClientId") != Some(&json!("1000000001")) {
        return HttpResponse::BadRequest().finish();
    }
    let mut data = Map::new();
    for (segment, ids) in asked.iter().filter(|(k, _)| *k != "dhanClientId") {
        let mut rows = Map::new();
        for id in ids
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
        {
            if let Some(&(_, _, price, _)) = QUOTED.iter().find(|q| u64::from(q.0) == id) {
                let entry = match kind.as_str() {
                    "ltp" => json!({ "last_price": price }),
                    _ => quote_entry(price, true),
                };
                rows.insert(id.to_string(), entry);
            }
        }
        data.insert(segment.clone(), Value::Object(rows));
    }
    HttpResponse::Ok().json(json!({ "data": data, "status": "success" }))
}

async fn kite_quote(req: HttpRequest, up: web::Data<Upstream>) -> HttpResponse {
    let presented = header(&req, "authorization")
        .and_then(|v| v.strip_prefix("token sim_api_key:"))
        .filter(|_| header(&req, "x-kite-version") == Some("3"));
    if !up.token_ok(presented) {
        return HttpResponse::Forbidden().json(json!({
            "status": "error", "message": "Incorrect `api_key` or `access_token`.",
            "data": null, "error_type": "TokenException",
        }));
    }
    if !up.admit() {
        return HttpResponse::TooManyRequests().json(json!({
            "status": "error", "message": "Too many requests", "data": null,
            "error_type": "NetworkException",
        }));
    }
    let full = req.path() == "/quote";
    let mut data = Map::new();
    for (k, key) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        // Unknown keys are simply missing from `data`, as on Kite.
        let Some(&(_, _, price, _)) = QUOTED.iter().find(|q| k == "i" && q.1 == key) else {
            continue;
        };
        let entry = if full {
            quote_entry(price, false)
        } else {
            json!({ "instrument_token": 1, "last_price": price })
        };
        data.insert(key.into_owned(), entry);
    }
    HttpResponse::Ok().json(json!({ "status": "success", "data": data }))
}

async fn start_upstream() -> (Arc<Upstream>, SocketAddr, ServerHandle) {
    let up = Arc::new(Upstream {
        token: Mutex::new(GOOD_TOKEN.into()),
        arrivals: Mutex::new(Vec::new()),
        last_admitted: Mutex::new(None),
        throttled: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
    });
    let (addr, handle) = common::serve(up.clone(), |cfg| {
        cfg.route("/v2/marketfeed/{kind}", web::post().to(dhan_marketfeed))
            .route("/quote", web::get().to(kite_quote))
            .route("/quote/ltp", web::get().to(kite_quote));
    });
    (up, addr, handle)
}

// ---------------------------------------------------------------- the runtime side

#[derive(Debug)]
enum Event {
    Ticks(TicksReceived),
    Status(FallbackStatusChanged),
}

/// Stands in for the price store and the broadcaster.
struct Collector {
    tx: UnboundedSender<Event>,
}

impl Actor for Collector {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The fallback uses try_send; the test must not be the reason an answer drops.
        ctx.set_mailbox_capacity(1024);
    }
}

impl Handler<TicksReceived> for Collector {
    type Result = ();
    fn handle(&mut self, msg: TicksReceived, _: &mut Context<Self>) {
        let _ = self.tx.send(Event::Ticks(msg));
    }
}

impl Handler<FallbackStatusChanged> for Collector {
    type Result = ();
    fn handle(&mut self, msg: FallbackStatusChanged, _: &mut Context<Self>) {
        let _ = self.tx.send(Event::Status(msg));
    }
}

struct Rig {
    fallback: Addr<RestFallback>,
    auth: Addr<AuthManager>,
    rx: UnboundedReceiver<Event>,
}

fn credentials(broker: Broker, token: &str) -> Credentials {
    match broker {
        Broker::Dhan => Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: token.into(),
        },
        Broker::Kite => Credentials::Kite {
            api_key: "sim_api_key".into(),
            access_token: token.into(),
        },
    }
}

fn start(broker: Broker, addr: SocketAddr, token: &str, settings: RestFallbackSettings) -> Rig {
    let upstream = UpstreamSettings {
        broker,
        ws_url: format!("ws://{addr}"),
        rest_url: format!("http://{addr}/"),
        connect_timeout_ms: 2_000,
        read_idle_timeout_ms: 30_000,
        backoff_initial_ms: 50,
        backoff_max_ms: 200,
        backoff_factor: 2.0,
        auth_retry_floor_ms: 60_000,
        throttled_retry_floor_ms: 120_000,
        fatal_retry_floor_ms: 600_000,
        stale_after_ms: 0,
        max_instruments_per_connection: 5000,
        max_connections: 1,
        subscribe_flush_ms: 100,
        max_subscribe_messages_per_s: 10,
    };
    let index = Arc::new(
        InstrumentIndex::build(instruments().into_iter().map(|(i, _)| i).collect()).expect("index"),
    );
    let auth = AuthManager::new(credentials(broker, token), upstream.clone()).start();
    let (tx, rx) = unbounded_channel();
    let collector = Collector { tx }.start();
    let (ticks, status) = (collector.clone().recipient(), vec![collector.recipient()]);
    let auth_for_fallback = auth.clone();
    let fallback = actix::Supervisor::start(move |_| {
        RestFallback::new(settings, upstream, index, auth_for_fallback, ticks, status)
    });
    Rig { fallback, auth, rx }
}

fn feed(state: FeedState, failures: u32, reason: Option<&str>) -> FeedStatusChanged {
    FeedStatusChanged {
        state,
        reason: reason.map(str::to_owned),
        consecutive_failures: failures,
        rest_refused: false,
        at: Utc::now(),
    }
}

impl Rig {
    async fn next(&mut self, deadline: Instant, what: &str) -> Event {
        match timeout_at(deadline, self.rx.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("event channel closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }

    async fn transition(&mut self, active: bool) -> FallbackStatusChanged {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Event::Status(s) = self.next(deadline, "a fallback transition").await {
                assert_eq!(s.active, active, "unexpected transition {s:?}");
                return s;
            }
        }
    }

    /// Ticks until every instrument was seen; symbol → (price, source, has exchange time).
    async fn ticks_for_all(&mut self) -> Vec<(String, f64, TickSource, bool)> {
        let deadline = Instant::now() + DEADLINE;
        let mut seen: Vec<(String, f64, TickSource, bool)> = Vec::new();
        let all = instruments();
        while !all
            .iter()
            .all(|(i, _)| seen.iter().any(|s| *s.0 == *i.symbol))
        {
            match self.next(deadline, "REST ticks for every instrument").await {
                Event::Ticks(t) => seen.extend(t.updates.into_iter().map(|u| {
                    let price = u.ltp.unwrap_or(f64::NAN);
                    (
                        u.symbol.to_string(),
                        price,
                        u.source,
                        u.exchange_time.is_some(),
                    )
                })),
                // Still in charge, only the broker's refusal started or ended.
                Event::Status(s) if s.active => {}
                Event::Status(s) => panic!("unexpected transition {s:?}"),
            }
        }
        seen
    }

    async fn status(&self) -> FallbackStatus {
        self.fallback.send(GetFallbackStatus).await.expect("status")
    }

    /// Ask for the status until `check` holds, or panic naming `what` at the deadline.
    async fn status_when(
        &self,
        what: &str,
        check: impl Fn(&FallbackStatus) -> bool,
    ) -> FallbackStatus {
        let deadline = Instant::now() + DEADLINE;
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        loop {
            let status = self.status().await;
            if check(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {status:?}"
            );
            tick.tick().await;
        }
    }
}

/// Poll a condition until it holds or the deadline passes.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tick.tick().await;
    }
}

// ---------------------------------------------------------------- tests

/// Take over on LoginRequired, poll every instrument within the rate, hand back on Live.
async fn polls_while_down_and_hands_back(broker: Broker, reason: &str) {
    let (up, addr, server) = start_upstream().await;
    let mut rig = start(broker, addr, GOOD_TOKEN, RestFallbackSettings::default());
    rig.fallback.do_send(ReplaySubscriptions {
        active: instruments(),
    });
    rig.fallback
        .do_send(feed(FeedState::LoginRequired, 1, Some(reason)));

    let on = rig.transition(true).await;
    assert!(
        on.reason.contains(reason),
        "reason names the cause: {}",
        on.reason
    );
    assert!(
        on.reason.contains("1 request/s"),
        "and the rate: {}",
        on.reason
    );

    for (symbol, price, source, stamped) in rig.ticks_for_all().await {
        let want = QUOTED
            .iter()
            .zip(instruments())
            .find(|(_, (i, _))| *i.symbol == *symbol)
            .map(|(q, _)| q.3);
        assert_eq!(Some(price), want, "{symbol}: on the tick grid");
        assert_eq!(source, TickSource::Rest, "{symbol}");
        assert!(stamped, "{symbol}: a full quote carries the exchange time");
    }

    // A measured window of at least three more requests.
    let start = up.arrivals().len();
    eventually("three more requests", || up.arrivals().len() >= start + 3).await;
    let arrivals = up.arrivals();
    for pair in arrivals.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= QUOTE_WINDOW, "two requests {gap:?} apart");
    }
    let span = arrivals[arrivals.len() - 1].duration_since(arrivals[start]);
    let in_window = (arrivals.len() - start - 1) as f64;
    assert!(
        in_window / span.as_secs_f64() <= 1.0,
        "{in_window} requests in {span:?}"
    );
    assert_eq!(
        up.throttled.load(Ordering::SeqCst),
        0,
        "never refused for rate"
    );

    rig.fallback.do_send(feed(FeedState::Live, 0, None));
    let off = rig.transition(false).await;
    assert!(off.reason.contains("live again"), "{}", off.reason);
    let status = rig.status().await;
    assert_eq!(
        (status.active, status.requests_failed, status.instruments),
        (false, 0, 3)
    );
    assert_eq!(status.max_requests_per_s, 1.0);
    let sent = status.requests_total;
    // An observation window of two request intervals: nothing new may go out.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    eventually("the last request to land", || {
        up.arrivals().len() as u64 == sent
    })
    .await;
    assert_eq!(
        rig.status().await.requests_total,
        sent,
        "no request after Live"
    );
    assert_eq!(up.arrivals().len() as u64, sent);
    server.stop(false).await;
}

#[actix_rt::test]
async fn rest_fallback_polls_dhan_while_the_socket_is_down() {
    polls_while_down_and_hands_back(Broker::Dhan, "dhan disconnect 807: access token expired")
        .await;
}

#[actix_rt::test]
async fn rest_fallback_polls_kite_while_the_socket_is_down() {
    polls_while_down_and_hands_back(Broker::Kite, "kite upgrade refused with HTTP 403").await;
}

/// A refused token pauses polling (one request, no hammering); the hot-swapped token is
/// used on the next request once the feed has left LoginRequired.
async fn refused_token_pauses_until_a_new_one(broker: Broker) {
    let (up, addr, server) = start_upstream().await;
    let settings = RestFallbackSettings {
        auth_retry_ms: 60_000,
        ..RestFallbackSettings::default()
    };
    let mut rig = start(broker, addr, "expired-token", settings);
    rig.fallback.do_send(ReplaySubscriptions {
        active: instruments(),
    });
    rig.fallback
        .do_send(feed(FeedState::LoginRequired, 1, Some("token expired")));
    rig.transition(true).await;
    // Listeners hear the refusal (still active): clients must not be told "prices from REST".
    let refused = rig.transition(true).await;
    assert!(
        refused
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("token rejected")),
        "{refused:?}"
    );

    let status = rig
        .status_when("the refusal", |s| s.requests_failed == 1)
        .await;
    assert_eq!(status.requests_total, 1);
    assert_eq!(up.refused.load(Ordering::SeqCst), 1);
    assert!(status.paused_until.is_some(), "paused after the refusal");
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("token rejected")),
        "{:?}",
        status.last_error
    );

    rig.auth.do_send(SetCredentials {
        credentials: credentials(broker, GOOD_TOKEN),
    });
    // The feed adopts the token too and reconnects: it leaves LoginRequired.
    rig.fallback
        .do_send(feed(FeedState::Reconnecting, 0, Some("new token adopted")));
    let seen = rig.ticks_for_all().await;
    assert!(seen.iter().all(|s| s.2 == TickSource::Rest));
    assert_eq!(
        up.refused.load(Ordering::SeqCst),
        1,
        "no retry during the pause"
    );
    server.stop(false).await;
}

#[actix_rt::test]
async fn rest_fallback_pauses_on_a_refused_dhan_token() {
    refused_token_pauses_until_a_new_one(Broker::Dhan).await;
}

#[actix_rt::test]
async fn rest_fallback_pauses_on_a_refused_kite_token() {
    refused_token_pauses_until_a_new_one(Broker::Kite).await;
}
