//! Shared helpers for the simulator's integration tests: a simulator on port 0, WebSocket
//! clients, and waits that always end at a deadline.
#![allow(dead_code)] // each test file uses a different subset

pub mod pins;

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use awc::error::WsProtocolError;
use awc::ws::{Frame, Message};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use mandi_simulator::{start, CountersSnapshot, SimSettings, SimulatorHandle};

/// A client WebSocket as awc hands it out (its `Framed` type is not re-exported).
pub trait Ws:
    Stream<Item = Result<Frame, WsProtocolError>> + Sink<Message, Error = WsProtocolError> + Unpin
{
}
impl<T> Ws for T where
    T: Stream<Item = Result<Frame, WsProtocolError>>
        + Sink<Message, Error = WsProtocolError>
        + Unpin
{
}

/// Long enough for a slow CI box, short enough that a hang fails fast.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Fast clock and keep-alives so tests finish in milliseconds.
pub fn settings() -> SimSettings {
    SimSettings {
        tick_interval_ms: 20,
        kite_heartbeat_interval_ms: 100,
        dhan_ping_interval_ms: 1_000,
        // A lively market whatever the hour the tests run at.
        intraday_profile: false,
        ..SimSettings::default()
    }
}

pub fn start_sim(settings: SimSettings) -> SimulatorHandle {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    start(settings, listener).expect("simulator starts")
}

/// Fail the test instead of hanging when `fut` does not finish by the deadline.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match actix_rt::time::timeout(DEADLINE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

pub fn dhan_url(sim: &SimulatorHandle, client_id: &str, token: &str) -> String {
    format!(
        "{}/?version=2&token={token}&clientId={client_id}&authType=2",
        sim.ws_url()
    )
}

pub fn dhan_ok_url(sim: &SimulatorHandle) -> String {
    let c = &settings().credentials;
    dhan_url(sim, &c.dhan_client_id, &c.dhan_access_token)
}

pub fn kite_url(sim: &SimulatorHandle, api_key: &str, token: &str) -> String {
    format!(
        "{}/?api_key={api_key}&access_token={token}&uid=1700000000000",
        sim.ws_url()
    )
}

pub fn kite_ok_url(sim: &SimulatorHandle) -> String {
    let c = &settings().credentials;
    kite_url(sim, &c.kite_api_key, &c.kite_access_token)
}

pub async fn connect(url: &str) -> Result<impl Ws, awc::error::WsClientError> {
    let (_, ws) = awc::Client::new()
        .ws(url)
        .max_frame_size(1 << 20)
        .connect()
        .await?;
    Ok(ws)
}

pub async fn connect_ok(url: &str) -> impl Ws {
    within("websocket connect", connect(url))
        .await
        .expect("upgrade succeeds")
}

pub async fn send_text(ws: &mut impl Ws, text: impl Into<String>) {
    let text: String = text.into();
    within("send", ws.send(Message::Text(text.into())))
        .await
        .expect("send text");
}

/// What the server sent, pings and pongs skipped unless asked for.
#[derive(Debug)]
pub enum Received {
    Binary(Bytes),
    Text(String),
    Ping,
    Close,
}

/// Next data frame or the close; `None` when the stream ends without a close frame.
pub async fn next(ws: &mut impl Ws, keep_pings: bool) -> Option<Received> {
    within("next frame", async {
        loop {
            match ws.next().await? {
                Ok(Frame::Binary(b)) => return Some(Received::Binary(b)),
                Ok(Frame::Text(t)) => {
                    return Some(Received::Text(String::from_utf8_lossy(&t).into_owned()))
                }
                Ok(Frame::Close(_)) => return Some(Received::Close),
                Ok(Frame::Ping(_)) if keep_pings => return Some(Received::Ping),
                Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Continuation(_)) => continue,
                Err(e) => panic!("websocket protocol error: {e}"),
            }
        }
    })
    .await
}

pub async fn next_binary(ws: &mut impl Ws) -> Bytes {
    loop {
        match next(ws, false).await {
            Some(Received::Binary(b)) => return b,
            Some(Received::Text(_)) => continue,
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
}

/// Poll `cond` against the counters until it holds or the deadline passes.
pub async fn wait_counters(
    sim: &SimulatorHandle,
    what: &str,
    cond: impl Fn(&CountersSnapshot) -> bool,
) -> CountersSnapshot {
    let until = Instant::now() + DEADLINE;
    loop {
        let c = sim.counters();
        if cond(&c) {
            return c;
        }
        assert!(
            Instant::now() < until,
            "timed out waiting for counters: {what}; last {c:#?}"
        );
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `method` (GET, POST or DELETE) on a simulator admin `path`, with an optional JSON body:
/// the status and the JSON answer.
#[allow(dead_code)] // not every test binary that includes this module calls the admin API
pub async fn admin_request(
    sim: &SimulatorHandle,
    path: &str,
    method: &str,
    body: Option<serde_json::Value>,
) -> (awc::http::StatusCode, serde_json::Value) {
    within("admin request", async {
        let url = format!("{}{path}", sim.rest_url());
        let client = awc::Client::new();
        let req = match method {
            "POST" => client.post(url),
            "DELETE" => client.delete(url),
            _ => client.get(url),
        };
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("request sent");
        (
            resp.status(),
            resp.json::<serde_json::Value>().await.expect("json body"),
        )
    })
    .await
}
