//! Shared test helpers: start simulator + runtime + server in-process on port 0, talk to
//! them over real sockets, and wait on conditions with deadlines (never fixed sleeps).

pub mod nats;

use std::future::Future;
use std::net::TcpListener;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use awc::ws;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use mandi_server::app::{self, RunningApp};
use mandi_server::config;
use mandi_trading::clock::Clock;
use serde_json::Value;

/// Default bound for any single wait in an end-to-end test.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The whole stack, on loopback ports chosen by the OS.
pub struct Stack {
    pub app: RunningApp,
}

/// Start the stack with the default config plus `overrides` (as `MANDI__…` variables),
/// fast simulator ticks, and port 0 everywhere. Call inside `#[actix_rt::test]`.
pub async fn start_stack(overrides: &[(&str, &str)]) -> Stack {
    start_stack_on(overrides, None).await
}

/// [`start_stack`] on a clock the test sets: the simulator stamps its quotes with it and
/// the paper account and bots read it, so a scripted day runs at exact times.
pub async fn start_stack_at(overrides: &[(&str, &str)], clock: &ManualClock) -> Stack {
    start_stack_on(overrides, Some(clock.clock())).await
}

async fn start_stack_on(overrides: &[(&str, &str)], clock: Option<Clock>) -> Stack {
    let mut env: Vec<(String, String)> = vec![
        ("MANDI__SERVER__PORT".into(), "0".into()),
        ("MANDI__SIMULATOR__PORT".into(), "0".into()),
        ("MANDI__SIMULATOR__TICK_INTERVAL_MS".into(), "50".into()),
        // A lively market whatever the hour the tests run at.
        ("MANDI__SIMULATOR__INTRADAY_PROFILE".into(), "false".into()),
        // Tests keep nothing on disk unless they ask for a directory.
        ("MANDI__STORE__DATA_DIR".into(), String::new()),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let cfg = config::load(None, env).expect("test config is valid");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let app = app::start_with_clock(cfg, listener, 1, clock)
        .await
        .expect("stack starts");
    Stack { app }
}

/// Time that moves only when the test moves it (milliseconds since the epoch).
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(at.timestamp_millis())))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.0.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst)).unwrap_or_default()
    }

    /// The runtime's and the simulator's view of this clock.
    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}

impl Stack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.app.base_url(), path)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.app.addr, path)
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

/// GET a URL and parse its JSON body.
pub async fn get_json(url: &str) -> Value {
    let mut resp = awc::Client::new()
        .get(url)
        .timeout(DEADLINE)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let body = resp
        .body()
        .await
        .unwrap_or_else(|e| panic!("GET {url} body: {e}"));
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body:?}"))
}

/// Send `method` to `url` with an optional JSON body; the status and the JSON answer
/// (`Null` when the answer is not JSON).
pub async fn request_json(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let req = awc::Client::new().request(method, url).timeout(DEADLINE);
    let sent = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    };
    let mut resp = sent.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = resp.status().as_u16();
    let json = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, json)
}

/// The simulator's open connections for `broker` (`"dhan"` or `"kite"`) from its
/// `/admin/counters`, each as its sorted subscription list.
pub fn sim_connections(counters: &Value, broker: &str) -> Vec<Value> {
    counters[broker]["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["subscriptions"].clone())
        .collect()
}

/// Poll `probe` until it yields `Some`, or panic naming `what` after `deadline`.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if tokio::time::Instant::now() >= give_up {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A JSON WebSocket client over awc.
pub struct WsClient {
    framed: actix_codec::Framed<awc::BoxedSocket, ws::Codec>,
}

impl WsClient {
    pub async fn connect(url: &str) -> WsClient {
        let (_, framed) = awc::Client::new()
            .ws(url)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        WsClient { framed }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.framed
            .send(ws::Message::Text(text.to_string().into()))
            .await
            .expect("send text frame");
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    /// The next text message as JSON, or None when the deadline passes or the socket closes.
    pub async fn next_json(&mut self, deadline: Duration) -> Option<Value> {
        let give_up = tokio::time::Instant::now() + deadline;
        loop {
            let left = give_up.saturating_duration_since(tokio::time::Instant::now());
            let frame = tokio::time::timeout(left, self.framed.next())
                .await
                .ok()??;
            match frame.ok()? {
                ws::Frame::Text(b) => return serde_json::from_slice(&b).ok(),
                ws::Frame::Ping(p) => {
                    let _ = self.framed.send(ws::Message::Pong(p)).await;
                }
                ws::Frame::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Skip messages until `pick` accepts one (panics with `what` after `deadline`).
    pub async fn next_matching(
        &mut self,
        what: &str,
        deadline: Duration,
        pick: impl Fn(&Value) -> bool,
    ) -> Value {
        let give_up = tokio::time::Instant::now() + deadline;
        loop {
            let left = give_up.saturating_duration_since(tokio::time::Instant::now());
            match self.next_json(left).await {
                Some(v) if pick(&v) => return v,
                Some(_) => continue,
                None => panic!("no {what} within {deadline:?}"),
            }
        }
    }

    /// Skip messages until one of `kind` arrives (panics after `deadline`).
    pub async fn next_of_type(&mut self, kind: &str, deadline: Duration) -> Value {
        self.next_matching(&format!("{kind} message"), deadline, |v| v["type"] == kind)
            .await
    }

    /// Skip messages until a tick stamped (`received_time`) at or after `after` arrives:
    /// proof that data flows now, not a frame queued before. Panics after `deadline`.
    pub async fn tick_after(&mut self, after: DateTime<Utc>, deadline: Duration) -> Value {
        let what = format!("tick stamped after {after}");
        self.next_matching(&what, deadline, |msg| {
            let at: Option<DateTime<Utc>> = msg["data"]["received_time"]
                .as_str()
                .and_then(|s| s.parse().ok());
            msg["type"] == "tick" && at.is_some_and(|at| at >= after)
        })
        .await
    }

    pub async fn close(mut self) {
        let _ = self.framed.send(ws::Message::Close(None)).await;
    }
}
