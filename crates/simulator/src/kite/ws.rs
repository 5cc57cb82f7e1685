//! `KiteSession`: the WebSocket actor of one Kite ticker connection, and the upgrade
//! handler (403 for bad credentials, 429 past the connection limit). The only Kite
//! file that knows actix-web-actors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use chrono::Utc;
use mandi_protocol::kite::{encode_frame, KitePacket, KiteRequest, HEARTBEAT};
use mandi_protocol::DecodeError;

use super::rest::{error_body, ErrorKind};
use super::session::KiteSubscriptions;
use crate::common;
use crate::counters::BrokerTally;
use crate::faults::{self, FaultKind};
use crate::limits::KITE_MAX_CONNECTIONS;
use crate::market::MarketTicked;
use crate::sessions::{Broker, OverLimit, SessionControl};
use crate::state::SimState;

/// 3000 tokens of JSON is about 24 KiB.
const MAX_FRAME_BYTES: usize = 1 << 20;

/// `GET /?api_key=..&access_token=..` (an extra `uid` is ignored).
pub async fn upgrade(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<SimState>,
) -> actix_web::Result<HttpResponse> {
    let state = state.into_inner();
    let (api_key, token) = common::query_pair(&req, "api_key", "access_token");
    let creds = &state.settings.credentials;
    let faults = state.faults.current();
    let now = Utc::now();
    if api_key != creds.kite_api_key || !faults.token_valid(now, &token, &creds.kite_access_token) {
        BrokerTally::bump(&state.counters.kite.auth_failures, 1);
        if faults.is_expired_token(now, &token, &creds.kite_access_token) {
            state.faults.bump(FaultKind::TokenExpired);
        }
        tracing::info!(api_key = %api_key, "kite upgrade refused: bad credentials");
        return Ok(HttpResponse::Forbidden().json(error_body(ErrorKind::Token)));
    }
    let admission = state.sessions.admit(
        Broker::Kite,
        &api_key,
        KITE_MAX_CONNECTIONS,
        OverLimit::RefuseNew,
    );
    let Some(admission) = admission else {
        BrokerTally::bump(&state.counters.kite.limit_violations, 1);
        tracing::info!(api_key = %api_key, "kite upgrade refused: connection limit");
        return Ok(HttpResponse::TooManyRequests().json(error_body(ErrorKind::TooManyConnections)));
    };
    let session = KiteSession::new(state.clone(), admission.id, token);
    let response = ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(MAX_FRAME_BYTES)
        .start()
        .inspect_err(|_| state.sessions.remove(admission.id))?;
    BrokerTally::bump(&state.counters.kite.connections_total, 1);
    tracing::info!(conn_id = admission.id, api_key = %api_key, "kite connection opened");
    Ok(response)
}

/// One Kite ticker connection.
pub struct KiteSession {
    state: Arc<SimState>,
    id: u64,
    /// The access token it connected with, rechecked when the token switches change.
    token: String,
    subs: KiteSubscriptions,
    /// When we last sent anything; the heartbeat fills silences longer than the interval.
    last_sent: Instant,
    /// Data frames sent so far, for `malformed_every`.
    sent: u64,
}

impl KiteSession {
    fn new(state: Arc<SimState>, id: u64, token: String) -> Self {
        KiteSession {
            state,
            id,
            token,
            subs: KiteSubscriptions::default(),
            last_sent: Instant::now(),
            sent: 0,
        }
    }

    /// All of this connection's packets for one moment go in one frame, through the
    /// `silent` and `malformed_every` switches.
    fn send(&mut self, ctx: &mut ws::WebsocketContext<Self>, packets: &[KitePacket]) {
        if packets.is_empty() {
            return;
        }
        let faults = self.state.faults.current();
        if faults.is_silent() {
            self.state.faults.bump(FaultKind::Silent);
            return;
        }
        for chunk in packets.chunks(usize::from(u16::MAX)) {
            self.sent += 1;
            let frame = encode_frame(chunk);
            if faults.should_corrupt(self.sent) {
                self.state.faults.bump(FaultKind::Malformed);
                ctx.binary(faults::corrupt(&frame));
            } else {
                ctx.binary(frame);
            }
            self.last_sent = Instant::now();
        }
    }

    fn send_error(&mut self, ctx: &mut ws::WebsocketContext<Self>, text: &str) {
        if self.state.faults.current().is_silent() {
            self.state.faults.bump(FaultKind::Silent);
            return;
        }
        let msg = serde_json::json!({ "type": "error", "data": text });
        ctx.text(msg.to_string());
        self.last_sent = Instant::now();
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let req = match KiteRequest::parse(text) {
            Ok(req) => req,
            Err(e @ DecodeError::TooMany { .. }) => {
                BrokerTally::bump(&self.state.counters.kite.limit_violations, 1);
                return self.send_error(ctx, &e.to_string());
            }
            Err(e) => {
                tracing::debug!(conn_id = self.id, error = %e, "kite request ignored");
                return;
            }
        };
        let market = self.state.snapshot();
        let reply = self.subs.handle(
            &req,
            &self.state.universe,
            &market,
            &self.state.counters.kite,
        );
        if let Some(err) = &reply.error {
            self.send_error(ctx, err);
        }
        // Playing a recording, prices come from it alone: no generated snapshot.
        if !self.state.settings.replay.is_on() {
            self.send(ctx, &reply.packets);
        }
        self.state
            .sessions
            .set_kite_subscriptions(self.id, self.subs.view());
    }
}

impl Actor for KiteSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let addr = ctx.address();
        self.state
            .sessions
            .attach(self.id, addr.clone().recipient(), addr.recipient());
        let idle = Duration::from_millis(self.state.settings.kite_heartbeat_interval_ms.max(1));
        // Check four times per interval so a silence never runs much past it.
        ctx.run_interval((idle / 4).max(Duration::from_millis(1)), move |act, ctx| {
            if act.last_sent.elapsed() < idle {
                return;
            }
            act.last_sent = Instant::now();
            let faults = act.state.faults.current();
            if !faults.is_silent() {
                ctx.binary(HEARTBEAT);
            } else if faults.pings_allowed() {
                // Kite never pings; this only exists to drill ping-based liveness.
                ctx.ping(b"");
            } else {
                act.state.faults.bump(FaultKind::Silent);
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.state.sessions.remove(self.id);
        tracing::info!(conn_id = self.id, "kite connection closed");
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for KiteSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match msg {
            Ok(msg) => common::on_frame(msg, ctx, |text, ctx| self.on_text(text, ctx)),
            Err(e) => {
                tracing::debug!(conn_id = self.id, error = %e, "kite protocol error");
                ctx.stop();
            }
        }
    }
}

impl Handler<MarketTicked> for KiteSession {
    type Result = ();

    fn handle(&mut self, msg: MarketTicked, ctx: &mut Self::Context) {
        if self.state.settings.replay.is_on() {
            // Recorded frames go out whole (a frame carries many tokens) to a connection
            // that subscribed anything, through the `silent` switch.
            if self.subs.is_empty() || msg.recorded.is_empty() {
                return;
            }
            if self.state.faults.current().is_silent() {
                self.state.faults.bump(FaultKind::Silent);
                return;
            }
            for frame in msg.recorded.iter() {
                self.sent += 1;
                ctx.binary(frame.clone());
            }
            self.last_sent = Instant::now();
            return;
        }
        let packets = self.subs.on_tick(&self.state.universe, &msg.snapshot);
        if !packets.is_empty() {
            self.send(ctx, &packets);
        }
    }
}

impl Handler<SessionControl> for KiteSession {
    type Result = ();

    fn handle(&mut self, msg: SessionControl, ctx: &mut Self::Context) {
        match msg {
            SessionControl::Kick { .. } => {
                ctx.close(Some(ws::CloseCode::Policy.into()));
                ctx.stop();
            }
            SessionControl::Drop => ctx.stop(),
            SessionControl::RecheckToken => {
                let configured = &self.state.settings.credentials.kite_access_token;
                let faults = self.state.faults.current();
                if !faults.token_valid(Utc::now(), &self.token, configured) {
                    // Kite has no disconnect message: a policy close, then a 403 on retry.
                    self.state.faults.bump(FaultKind::TokenExpired);
                    ctx.close(Some(ws::CloseCode::Policy.into()));
                    ctx.stop();
                }
            }
        }
    }
}
