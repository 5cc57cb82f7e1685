//! `FeedConnection` against a real WebSocket server on loopback: a tiny actix-web
//! stand-in for the broker that records what the feed sends and answers with encoded
//! packets. Covers ticks, reconnect with replay, auth failures and the read-idle timeout.
//! Every wait is bounded by a deadline; nothing sleeps to synchronise.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, ActorContext, Addr, AsyncContext, Context, Handler, Message, StreamHandler};
use actix_web::dev::ServerHandle;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use chrono::Utc;
use mandi_domain::{Exchange, Instrument, Mode, Segment};
use mandi_feed::auth_manager::{AuthManager, GetAuthStatus, TokenStatus, ValidateToken};
use mandi_feed::feed_connection::messages::{
    FeedState, FeedStatusChanged, GetFeedHealth, ReplaySubscriptions, TicksReceived,
};
use mandi_feed::feed_connection::FeedConnection;
use mandi_feed::instrument_directory::InstrumentIndex;
use mandi_feed::settings::{Broker, Credentials, UpstreamSettings};
use mandi_protocol::dhan::{self, DhanDisconnect, DhanInstrument, DhanPacket, DhanTicker};
use mandi_protocol::kite::{self, KiteLtp, KitePacket, KiteRequest};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::{timeout_at, Instant};

/// Generous: a loaded CI machine must not fail these; a hang still ends.
const DEADLINE: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------- instruments

fn instruments() -> Vec<Instrument> {
    let inst = |symbol: &str, segment, id, token| Instrument {
        symbol: symbol.into(),
        exchange: Exchange::Nse,
        segment,
        security_id: id,
        kite_token: token,
        kite_key: format!("NSE:{symbol}").into(),
        tick_size: 0.05,
        lot_size: 1,
        derivative: None,
    };
    vec![
        inst("NIFTY", Segment::IdxI, 13, 256_265),
        inst("RELIANCE", Segment::NseEq, 2885, 738_561),
    ]
}

/// The price the stand-in quotes for each instrument (rupees).
fn price_of(security_id_or_token: u32) -> f64 {
    match security_id_or_token {
        13 | 256_265 => 25_760.85,
        2885 | 738_561 => 1_443.4,
        _ => 1.0,
    }
}

// ---------------------------------------------------------------- broker stand-in

#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// Answer subscribes with one packet per instrument; keep the socket open.
    Serve,
    /// Like `Serve`, but first send a garbage frame and a packet for an unknown id.
    ServeWithJunk,
    /// Like `Serve`, then `BURST` more ticks of the first instrument, one message each,
    /// back to back, their prices counting up.
    ServeBurst,
    /// Send a Dhan code-50 packet with this reason right after the upgrade, then close.
    DhanDisconnect(u16),
    /// Refuse the upgrade with this HTTP status.
    RejectUpgrade(u16),
    /// Answer the REST profile check with this status.
    Profile(u16),
}

struct Upstream {
    broker: Broker,
    behaviour: Behaviour,
    upgrades: AtomicUsize,
    queries: Mutex<Vec<String>>,
    /// (connection number, text frame) in arrival order.
    texts: Mutex<Vec<(usize, String)>>,
    sessions: Mutex<Vec<Addr<Session>>>,
}

impl Upstream {
    fn texts_on(&self, conn: usize) -> Vec<String> {
        let texts = self.texts.lock().expect("lock");
        texts
            .iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, t)| t.clone())
            .collect()
    }
}

/// One accepted socket on the stand-in.
struct Session {
    up: Arc<Upstream>,
    conn: usize,
    /// Kite: heartbeats flow until the first subscribe, then the stand-in goes mute.
    subscribed: bool,
}

#[derive(Message)]
#[rtype(result = "()")]
struct CloseNow;

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.up.sessions.lock().expect("lock").push(ctx.address());
        if self.up.broker == Broker::Kite {
            ctx.run_interval(Duration::from_millis(50), |act, ctx| {
                if !act.subscribed {
                    ctx.binary(vec![0_u8]);
                }
            });
        }
        if let Behaviour::DhanDisconnect(reason) = self.up.behaviour {
            let packet = DhanPacket::Disconnect(DhanDisconnect {
                instrument: DhanInstrument {
                    segment: 0,
                    security_id: 0,
                },
                reason,
            });
            ctx.binary(packet.encode());
            ctx.close(None);
            ctx.stop();
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match msg {
            Ok(ws::Message::Text(text)) => {
                let text = text.to_string();
                self.up
                    .texts
                    .lock()
                    .expect("lock")
                    .push((self.conn, text.clone()));
                self.subscribed = true;
                match self.up.broker {
                    Broker::Dhan => {
                        if self.up.behaviour == Behaviour::ServeWithJunk {
                            ctx.binary(vec![0xff_u8, 1, 2]);
                            let unknown = DhanPacket::Ticker(DhanTicker {
                                instrument: DhanInstrument {
                                    segment: 1,
                                    security_id: 999,
                                },
                                ltp: 1.0,
                                ltt: 0,
                            });
                            ctx.binary(unknown.encode());
                        }
                        answer_dhan(&text, ctx);
                        if self.up.behaviour == Behaviour::ServeBurst {
                            burst_dhan(&text, ctx);
                        }
                    }
                    Broker::Kite => answer_kite(&text, ctx),
                }
            }
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(_)) | Err(_) => ctx.stop(),
            Ok(_) => {}
        }
    }
}

impl Handler<CloseNow> for Session {
    type Result = ();

    fn handle(&mut self, _: CloseNow, ctx: &mut Self::Context) {
        ctx.close(None);
        ctx.stop();
    }
}

/// One ticker packet (one binary message, as the real server does) per instrument.
fn answer_dhan(text: &str, ctx: &mut ws::WebsocketContext<Session>) {
    let Ok(req) = dhan::parse_request(text) else {
        return;
    };
    if req.mode_action().map(|(_, subscribe)| subscribe) != Some(true) {
        return;
    }
    for (segment, security_id) in req.instruments {
        let packet = DhanPacket::Ticker(DhanTicker {
            instrument: DhanInstrument {
                segment: segment.code(),
                security_id,
            },
            ltp: price_of(security_id) as f32,
            ltt: 0,
        });
        ctx.binary(packet.encode());
    }
}

/// Ticks in a burst (`Behaviour::ServeBurst`).
const BURST: u32 = 300;

/// `BURST` ticker packets for the first subscribed instrument, one message each.
fn burst_dhan(text: &str, ctx: &mut ws::WebsocketContext<Session>) {
    let Ok(req) = dhan::parse_request(text) else {
        return;
    };
    let Some(&(segment, security_id)) = req.instruments.first() else {
        return;
    };
    for n in 1..=BURST {
        let packet = DhanPacket::Ticker(DhanTicker {
            instrument: DhanInstrument {
                segment: segment.code(),
                security_id,
            },
            ltp: (1000 + n) as f32,
            ltt: 0,
        });
        ctx.binary(packet.encode());
    }
}

/// One frame with an LTP packet per subscribed token, then silence (no heartbeats).
fn answer_kite(text: &str, ctx: &mut ws::WebsocketContext<Session>) {
    let Ok(KiteRequest::Subscribe { tokens }) = KiteRequest::parse(text) else {
        return;
    };
    let packets: Vec<KitePacket> = tokens
        .iter()
        .map(|&token| {
            KitePacket::Ltp(KiteLtp {
                token,
                last_price: (price_of(token) * 100.0).round() as u32,
            })
        })
        .collect();
    ctx.binary(kite::encode_frame(&packets));
}

async fn feed_socket(
    req: HttpRequest,
    stream: web::Payload,
    up: web::Data<Upstream>,
) -> Result<HttpResponse, actix_web::Error> {
    let conn = up.upgrades.fetch_add(1, Ordering::SeqCst) + 1;
    up.queries
        .lock()
        .expect("lock")
        .push(req.query_string().to_owned());
    if let Behaviour::RejectUpgrade(status) = up.behaviour {
        let status = actix_web::http::StatusCode::from_u16(status).expect("status");
        return Ok(HttpResponse::build(status).finish());
    }
    ws::start(
        Session {
            up: up.into_inner(),
            conn,
            subscribed: false,
        },
        &req,
        stream,
    )
}

async fn profile(up: web::Data<Upstream>) -> HttpResponse {
    match up.behaviour {
        Behaviour::Profile(status) => {
            let status = actix_web::http::StatusCode::from_u16(status).expect("status");
            HttpResponse::build(status)
                .body(r#"{"errorCode":"DH-901","errorMessage":"token invalid"}"#)
        }
        _ => HttpResponse::Ok().body(r#"{"dhanClientId":"1000000001"}"#),
    }
}

async fn start_upstream(
    broker: Broker,
    behaviour: Behaviour,
) -> (Arc<Upstream>, SocketAddr, ServerHandle) {
    let up = Arc::new(Upstream {
        broker,
        behaviour,
        upgrades: AtomicUsize::new(0),
        queries: Mutex::new(Vec::new()),
        texts: Mutex::new(Vec::new()),
        sessions: Mutex::new(Vec::new()),
    });
    let (addr, handle) = common::serve(up.clone(), |cfg| {
        cfg.route("/", web::get().to(feed_socket))
            .route("/v2/profile", web::get().to(profile))
            .route("/user/profile", web::get().to(profile));
    });
    (up, addr, handle)
}

// ---------------------------------------------------------------- the runtime side

#[derive(Debug)]
enum Event {
    Ticks(TicksReceived),
    Status(FeedStatusChanged),
}

/// Stands in for the price store and the registry: forwards what the feed emits.
struct Collector {
    tx: UnboundedSender<Event>,
}

impl Actor for Collector {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The feed uses try_send; the test must not be the reason a frame is dropped.
        ctx.set_mailbox_capacity(1024);
    }
}

impl Handler<TicksReceived> for Collector {
    type Result = ();
    fn handle(&mut self, msg: TicksReceived, _: &mut Context<Self>) {
        let _ = self.tx.send(Event::Ticks(msg));
    }
}

impl Handler<FeedStatusChanged> for Collector {
    type Result = ();
    fn handle(&mut self, msg: FeedStatusChanged, _: &mut Context<Self>) {
        let _ = self.tx.send(Event::Status(msg));
    }
}

struct Rig {
    feed: Addr<FeedConnection>,
    auth: Addr<AuthManager>,
    rx: UnboundedReceiver<Event>,
    /// Every status seen so far, in order.
    statuses: Vec<FeedState>,
}

fn credentials(broker: Broker) -> Credentials {
    match broker {
        Broker::Dhan => Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt.token".into(),
        },
        Broker::Kite => Credentials::Kite {
            api_key: "kitekey".into(),
            access_token: "kitetoken".into(),
        },
    }
}

fn start_feed(broker: Broker, addr: SocketAddr, read_idle_timeout_ms: u64) -> Rig {
    start_feed_capped(broker, addr, read_idle_timeout_ms, 200)
}

/// A feed whose backoff ceiling is `backoff_max_ms`: the retry floors are capped by it.
fn start_feed_capped(
    broker: Broker,
    addr: SocketAddr,
    read_idle_timeout_ms: u64,
    backoff_max_ms: u64,
) -> Rig {
    let settings = UpstreamSettings {
        broker,
        ws_url: format!("ws://{addr}"),
        rest_url: format!("http://{addr}/"),
        connect_timeout_ms: 2_000,
        read_idle_timeout_ms,
        backoff_initial_ms: 50,
        backoff_max_ms,
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
    let index = Arc::new(InstrumentIndex::build(instruments()).expect("index"));
    let auth = AuthManager::new(credentials(broker), settings.clone()).start();
    let (tx, rx) = unbounded_channel();
    let collector = Collector { tx }.start();
    let (ticks, status) = (collector.clone().recipient(), vec![collector.recipient()]);
    let auth_for_feed = auth.clone();
    let feed = actix::Supervisor::start(move |_| {
        FeedConnection::new(settings, index, auth_for_feed, ticks, status)
    });
    Rig {
        feed,
        auth,
        rx,
        statuses: Vec::new(),
    }
}

impl Rig {
    async fn next(&mut self, deadline: Instant, what: &str) -> Event {
        match timeout_at(deadline, self.rx.recv()).await {
            Ok(Some(event)) => {
                if let Event::Status(s) = &event {
                    self.statuses.push(s.state);
                }
                event
            }
            Ok(None) => panic!("event channel closed while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; statuses so far {:?}",
                self.statuses
            ),
        }
    }

    async fn status(&mut self, want: FeedState) -> FeedStatusChanged {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Event::Status(s) = self.next(deadline, want.as_str()).await {
                if s.state == want {
                    return s;
                }
            }
        }
    }

    /// Ticks until every wanted symbol has been seen; returns symbol → last price.
    async fn ticks_for(&mut self, symbols: &[&str]) -> Vec<(String, f64)> {
        let deadline = Instant::now() + DEADLINE;
        let mut seen: Vec<(String, f64)> = Vec::new();
        while !symbols.iter().all(|s| seen.iter().any(|(got, _)| got == s)) {
            if let Event::Ticks(t) = self.next(deadline, "ticks").await {
                for u in t.updates {
                    seen.push((u.symbol.to_string(), u.ltp.unwrap_or(f64::NAN)));
                }
            }
        }
        seen
    }

    fn replay(&self) {
        let active: Vec<(Instrument, Mode)> = vec![
            (instruments()[0].clone(), Mode::Ltp),
            (instruments()[1].clone(), Mode::Quote),
        ];
        self.feed.do_send(ReplaySubscriptions { active });
    }
}

fn price_in(seen: &[(String, f64)], symbol: &str) -> f64 {
    seen.iter()
        .find(|(s, _)| s == symbol)
        .map(|(_, p)| *p)
        .unwrap_or(f64::NAN)
}

/// Poll a condition on the stand-in until it holds or the deadline passes.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tick.tick().await;
    }
}

// ---------------------------------------------------------------- tests

#[actix_rt::test]
async fn dhan_ticks_then_reconnect_and_replay() {
    let (up, addr, server) = start_upstream(Broker::Dhan, Behaviour::Serve).await;
    let mut rig = start_feed(Broker::Dhan, addr, 30_000);

    rig.status(FeedState::Live).await;
    let query = up.queries.lock().expect("lock")[0].clone();
    for part in [
        "version=2",
        "token=jwt.token",
        "clientId=1000000001",
        "authType=2",
    ] {
        assert!(query.contains(part), "dhan query {query:?} lacks {part}");
    }

    rig.replay();
    let seen = rig.ticks_for(&["NIFTY", "RELIANCE"]).await;
    assert_eq!(
        price_in(&seen, "NIFTY"),
        25_760.85,
        "f32 on the wire, back on the tick"
    );
    assert_eq!(price_in(&seen, "RELIANCE"), 1_443.4);
    let texts = up.texts_on(1);
    let codes: Vec<u8> = texts
        .iter()
        .filter_map(|t| dhan::parse_request(t).ok())
        .map(|r| r.request_code)
        .collect();
    assert_eq!(
        codes,
        vec![15, 17],
        "one subscribe per mode: ticker then quote"
    );

    // The broker drops the socket: the feed must come back and be fed the set again.
    let first = up.sessions.lock().expect("lock")[0].clone();
    first.do_send(CloseNow);
    rig.status(FeedState::Reconnecting).await;
    rig.status(FeedState::Live).await;
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 2);
    rig.replay();
    rig.ticks_for(&["NIFTY", "RELIANCE"]).await;
    eventually("subscribes on the second socket", || {
        up.texts_on(2).len() == 2
    })
    .await;

    let health = rig.feed.send(GetFeedHealth).await.expect("health");
    assert_eq!(health.state, FeedState::Live);
    assert_eq!(health.connects, 2);
    assert_eq!(health.subscribed, 2);
    assert!(health.packets >= 4, "packets {}", health.packets);
    assert_eq!(health.decode_errors, 0);
    assert_eq!(health.consecutive_failures, 0, "data reset the backoff");
    server.stop(false).await;
}

#[actix_rt::test]
async fn dhan_807_means_login_required_without_a_storm() {
    let (up, addr, server) = start_upstream(Broker::Dhan, Behaviour::DhanDisconnect(807)).await;
    // The default ceiling: the 60 s auth floor fits under it.
    let mut rig = start_feed_capped(Broker::Dhan, addr, 30_000, 60_000);

    let status = rig.status(FeedState::LoginRequired).await;
    let reason = status.reason.unwrap_or_default();
    assert!(reason.contains("807"), "reason names the code: {reason}");

    let health = rig.feed.send(GetFeedHealth).await.expect("health");
    let wait = health
        .next_attempt_at
        .map(|t| (t - Utc::now()).num_seconds())
        .unwrap_or(0);
    assert!(
        wait >= 55,
        "next attempt in {wait}s; auth failures wait at least a minute"
    );
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 1);

    let auth = rig.auth.send(GetAuthStatus).await.expect("auth status");
    assert_eq!(
        auth.consecutive_failures, 1,
        "the feed told the auth manager"
    );
    assert_eq!(auth.token, TokenStatus::Invalid);
    server.stop(false).await;
}

#[actix_rt::test]
async fn kite_403_on_upgrade_means_login_required() {
    let (up, addr, server) = start_upstream(Broker::Kite, Behaviour::RejectUpgrade(403)).await;
    let mut rig = start_feed_capped(Broker::Kite, addr, 30_000, 60_000);

    let status = rig.status(FeedState::LoginRequired).await;
    assert!(status.reason.unwrap_or_default().contains("HTTP 403"));
    let health = rig.feed.send(GetFeedHealth).await.expect("health");
    let wait = health
        .next_attempt_at
        .map(|t| (t - Utc::now()).num_seconds())
        .unwrap_or(0);
    assert!(wait >= 55, "next attempt in {wait}s");
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 1);
    let query = up.queries.lock().expect("lock")[0].clone();
    assert_eq!(query, "api_key=kitekey&access_token=kitetoken");
    server.stop(false).await;
}

#[actix_rt::test]
async fn rejected_profile_check_never_opens_a_socket() {
    let (up, addr, server) = start_upstream(Broker::Dhan, Behaviour::Profile(401)).await;
    let mut rig = start_feed(Broker::Dhan, addr, 30_000);

    let status = rig.status(FeedState::LoginRequired).await;
    assert!(status.reason.unwrap_or_default().contains("profile check"));
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 0);
    server.stop(false).await;
}

#[actix_rt::test]
async fn kite_silence_past_the_idle_timeout_reconnects() {
    let (up, addr, server) = start_upstream(Broker::Kite, Behaviour::Serve).await;
    let mut rig = start_feed(Broker::Kite, addr, 300);

    rig.status(FeedState::Live).await;
    rig.replay();
    let seen = rig.ticks_for(&["NIFTY", "RELIANCE"]).await;
    assert_eq!(price_in(&seen, "NIFTY"), 25_760.85);
    assert_eq!(price_in(&seen, "RELIANCE"), 1_443.4);
    let texts = up.texts_on(1);
    let parsed: Vec<KiteRequest> = texts
        .iter()
        .filter_map(|t| KiteRequest::parse(t).ok())
        .collect();
    assert_eq!(
        parsed,
        vec![
            KiteRequest::Subscribe {
                tokens: vec![256_265, 738_561]
            },
            KiteRequest::SetMode {
                mode: Mode::Ltp,
                tokens: vec![256_265]
            },
            KiteRequest::SetMode {
                mode: Mode::Quote,
                tokens: vec![738_561]
            },
        ]
    );

    // The stand-in now says nothing at all (no heartbeat): the feed must notice.
    let down = rig.status(FeedState::Reconnecting).await;
    assert!(down.reason.unwrap_or_default().contains("idle"));
    rig.status(FeedState::Live).await;
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 2);
    server.stop(false).await;
}

#[actix_rt::test]
async fn unreachable_profile_endpoint_is_unknown_not_an_auth_failure() {
    // A port that was just free: connection refused, quickly and deterministically.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let settings = UpstreamSettings {
        broker: Broker::Kite,
        ws_url: format!("ws://127.0.0.1:{port}"),
        rest_url: format!("http://127.0.0.1:{port}"),
        connect_timeout_ms: 2_000,
        read_idle_timeout_ms: 5_000,
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
    let auth = AuthManager::new(credentials(Broker::Kite), settings).start();
    let verdict = auth.send(ValidateToken).await.expect("answered");
    assert_eq!(verdict, Ok(TokenStatus::Unknown));
    let status = auth.send(GetAuthStatus).await.expect("answered");
    assert_eq!(status.consecutive_failures, 0);
}

#[actix_rt::test]
async fn junk_frames_are_counted_and_the_socket_kept() {
    let (up, addr, server) = start_upstream(Broker::Dhan, Behaviour::ServeWithJunk).await;
    let mut rig = start_feed(Broker::Dhan, addr, 30_000);

    rig.status(FeedState::Live).await;
    rig.replay();
    rig.ticks_for(&["NIFTY", "RELIANCE"]).await;
    let health = rig.feed.send(GetFeedHealth).await.expect("health");
    assert_eq!(health.state, FeedState::Live);
    assert_eq!(health.connects, 1, "a bad frame is no reason to reconnect");
    assert!(
        health.decode_errors >= 1,
        "decode errors {}",
        health.decode_errors
    );
    assert!(health.unknown_instruments >= 1);
    assert_eq!(up.upgrades.load(Ordering::SeqCst), 1);
    server.stop(false).await;
}

#[actix_rt::test]
async fn a_burst_of_frames_reaches_the_price_store_whole_and_in_order() {
    let (_up, addr, server) = start_upstream(Broker::Dhan, Behaviour::ServeBurst).await;
    let mut rig = start_feed(Broker::Dhan, addr, 30_000);
    rig.status(FeedState::Live).await;
    rig.replay();
    // Frames read together go on as one message; none may be lost or reordered.
    let deadline = Instant::now() + DEADLINE;
    let mut burst = Vec::new();
    let mut messages = 0;
    while burst.len() < BURST as usize {
        if let Event::Ticks(t) = rig.next(deadline, "the burst").await {
            messages += 1;
            // NIFTY's subscription carries the burst (RELIANCE's, in another mode, one
            // of its own).
            burst.extend(
                t.updates
                    .iter()
                    .filter(|u| &*u.symbol == "NIFTY")
                    .filter_map(|u| u.ltp)
                    .filter(|&p| p > 1000.0 && p <= f64::from(1000 + BURST)),
            );
        }
    }
    let expected: Vec<f64> = (1..=BURST).map(|n| f64::from(1000 + n)).collect();
    assert_eq!(
        burst, expected,
        "every tick, in order, in {messages} messages"
    );
    server.stop(false).await;
}
