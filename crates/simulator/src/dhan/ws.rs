//! `DhanSession`: the WebSocket actor of one Dhan feed connection, and the upgrade
//! handler that authenticates it. The only Dhan file that knows actix-web-actors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use chrono::Utc;
use mandi_protocol::dhan::{decode_packet, parse_request, DhanDisconnectReason, DhanPacket};
use mandi_protocol::DecodeError;

use super::packets;
use super::session::{DhanAction, DhanSubscriptions};
use crate::common;
use crate::counters::BrokerTally;
use crate::faults::{self, FaultKind};
use crate::limits::DHAN_MAX_CONNECTIONS;
use crate::market::MarketTicked;
use crate::sessions::{Broker, OverLimit, SessionControl};
use crate::state::SimState;

/// Largest client frame accepted; 100 instruments of JSON is about 6 KiB.
const MAX_FRAME_BYTES: usize = 1 << 20;
/// The live feed drops a client that has not answered for 40 s with pings every 10 s.
const SILENT_PINGS_BEFORE_DROP: u32 = 4;

/// `GET /?version=2&token=..&clientId=..&authType=2`. Always upgrades (HTTP 101), as
/// the live feed does; bad credentials get a code-50 packet and a close afterwards.
pub async fn upgrade(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<SimState>,
) -> actix_web::Result<HttpResponse> {
    let state = state.into_inner();
    let (client_id, token) = common::query_pair(&req, "clientId", "token");
    let creds = &state.settings.credentials;
    let faults = state.faults.current();
    let now = Utc::now();
    let verdict = if client_id != creds.dhan_client_id {
        Err(DhanDisconnectReason::AuthFailed)
    } else if faults.is_expired_token(now, &token, &creds.dhan_access_token) {
        state.faults.bump(FaultKind::TokenExpired);
        Err(DhanDisconnectReason::TokenExpired)
    } else if !faults.token_valid(now, &token, &creds.dhan_access_token) {
        Err(DhanDisconnectReason::TokenInvalid)
    } else {
        Ok(())
    };
    if let Err(code) = verdict {
        BrokerTally::bump(&state.counters.dhan.auth_failures, 1);
        tracing::info!(client_id = %client_id, reason = code.code(), "dhan connection rejected");
        return start(
            DhanSession::new(state, None, Some(code), client_id, token),
            &req,
            stream,
        );
    }
    if let Some(reason) = faults.dhan_disconnect_reason {
        state.faults.bump(FaultKind::DhanDisconnect);
        let reason = DhanDisconnectReason::from_code(reason);
        tracing::info!(client_id = %client_id, reason = reason.code(), "fault: dhan disconnect on open");
        return start(
            DhanSession::new(state, None, Some(reason), client_id, token),
            &req,
            stream,
        );
    }
    let admission = state.sessions.admit(
        Broker::Dhan,
        &client_id,
        DHAN_MAX_CONNECTIONS,
        OverLimit::KickOldest,
    );
    let Some(admission) = admission else {
        return Ok(HttpResponse::ServiceUnavailable().finish());
    };
    let session = DhanSession::new(
        state.clone(),
        Some(admission.id),
        None,
        client_id.clone(),
        token,
    );
    let response =
        start(session, &req, stream).inspect_err(|_| state.sessions.remove(admission.id))?;
    BrokerTally::bump(&state.counters.dhan.connections_total, 1);
    if let Some(oldest) = admission.evict {
        BrokerTally::bump(&state.counters.dhan.limit_violations, 1);
        tracing::info!(client_id = %client_id, "dhan connection limit reached, dropping the oldest");
        oldest.do_send(SessionControl::Kick {
            reason: DhanDisconnectReason::TooManyConnections.code(),
        });
    }
    tracing::info!(conn_id = admission.id, client_id = %client_id, "dhan connection opened");
    Ok(response)
}

fn start(
    session: DhanSession,
    req: &HttpRequest,
    stream: web::Payload,
) -> actix_web::Result<HttpResponse> {
    ws::WsResponseBuilder::new(session, req, stream)
        .frame_size(MAX_FRAME_BYTES)
        .start()
}

/// One Dhan feed connection.
pub struct DhanSession {
    state: Arc<SimState>,
    /// Registry id; `None` for a connection being turned away.
    id: Option<u64>,
    /// Set when the credentials were bad: send this reason and close on start.
    reject: Option<DhanDisconnectReason>,
    client_id: String,
    /// The access token it connected with, rechecked when the token switches change.
    token: String,
    subs: DhanSubscriptions,
    last_heard: Instant,
    /// Data messages sent so far, for `malformed_every`.
    sent: u64,
}

impl DhanSession {
    fn new(
        state: Arc<SimState>,
        id: Option<u64>,
        reject: Option<DhanDisconnectReason>,
        client_id: String,
        token: String,
    ) -> Self {
        DhanSession {
            state,
            id,
            reject,
            client_id,
            token,
            subs: DhanSubscriptions::default(),
            last_heard: Instant::now(),
            sent: 0,
        }
    }

    /// Market data out, through the `silent` and `malformed_every` switches.
    fn send(&mut self, ctx: &mut ws::WebsocketContext<Self>, packets: Vec<DhanPacket>) {
        if packets.is_empty() {
            return;
        }
        let faults = self.state.faults.current();
        if faults.is_silent() {
            self.state.faults.bump(FaultKind::Silent);
            return;
        }
        // One packet per message: the official client parses from offset 0 only.
        for p in packets {
            self.sent += 1;
            let bytes = p.encode();
            if faults.should_corrupt(self.sent) {
                self.state.faults.bump(FaultKind::Malformed);
                ctx.binary(faults::corrupt(&bytes));
            } else {
                ctx.binary(bytes);
            }
        }
    }

    /// Replay: the recorded messages whose instrument this connection holds, as recorded
    /// (one packet per message, as Dhan sends them), through the `silent` switch.
    fn send_recorded(&mut self, ctx: &mut ws::WebsocketContext<Self>, frames: &[bytes::Bytes]) {
        if self.state.faults.current().is_silent() {
            self.state.faults.bump(FaultKind::Silent);
            return;
        }
        for frame in frames {
            let held = decode_packet(frame).ok().is_some_and(|(p, _)| {
                let i = p.instrument();
                i.known_segment()
                    .is_ok_and(|seg| self.subs.carries(seg, i.security_id))
            });
            if held {
                self.sent += 1;
                ctx.binary(frame.clone());
            }
        }
    }

    fn disconnect(&mut self, ctx: &mut ws::WebsocketContext<Self>, reason: DhanDisconnectReason) {
        tracing::info!(conn_id = ?self.id, client_id = %self.client_id, reason = reason.code(), "dhan disconnect sent");
        // Control, not data: goes out even when silent, never corrupted.
        ctx.binary(packets::disconnect(reason).encode());
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Policy,
            description: None,
        }));
        ctx.stop();
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let req = match parse_request(text) {
            Ok(req) => req,
            Err(DecodeError::TooMany { .. }) => {
                BrokerTally::bump(&self.state.counters.dhan.limit_violations, 1);
                return self.disconnect(ctx, DhanDisconnectReason::InstrumentLimit);
            }
            Err(e) => {
                tracing::debug!(conn_id = ?self.id, error = %e, "dhan request ignored");
                return;
            }
        };
        let market = self.state.snapshot();
        let action = self.subs.handle(
            &req,
            &self.state.universe,
            &market,
            &self.state.counters.dhan,
        );
        match action {
            // Playing a recording, prices come from it alone: no generated snapshot.
            DhanAction::Send(_) if self.state.settings.replay.is_on() => {}
            DhanAction::Send(packets) => self.send(ctx, packets),
            DhanAction::Disconnect { reason } => return self.disconnect(ctx, reason),
            DhanAction::Close => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
        }
        if let Some(id) = self.id {
            self.state
                .sessions
                .set_dhan_subscriptions(id, self.subs.view());
        }
    }
}

impl Actor for DhanSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(reason) = self.reject {
            return self.disconnect(ctx, reason);
        }
        if let Some(id) = self.id {
            let addr = ctx.address();
            self.state
                .sessions
                .attach(id, addr.clone().recipient(), addr.recipient());
        }
        let every = Duration::from_millis(self.state.settings.dhan_ping_interval_ms.max(1));
        ctx.run_interval(every, move |act, ctx| {
            let faults = act.state.faults.current();
            if faults.is_silent() {
                // A server playing dead must not also drop the client for being quiet.
                act.last_heard = Instant::now();
                if !faults.pings_allowed() {
                    act.state.faults.bump(FaultKind::Silent);
                    return;
                }
            } else if act.last_heard.elapsed() > every * SILENT_PINGS_BEFORE_DROP {
                tracing::info!(conn_id = ?act.id, "dhan client silent, dropping");
                ctx.stop();
                return;
            }
            ctx.ping(b"");
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(id) = self.id {
            self.state.sessions.remove(id);
            tracing::info!(conn_id = id, client_id = %self.client_id, "dhan connection closed");
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for DhanSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(msg) => common::on_frame(msg, ctx, |text, ctx| self.on_text(text, ctx)),
            Err(e) => {
                tracing::debug!(conn_id = ?self.id, error = %e, "dhan protocol error");
                ctx.stop();
            }
        }
    }
}

impl Handler<MarketTicked> for DhanSession {
    type Result = ();

    fn handle(&mut self, msg: MarketTicked, ctx: &mut Self::Context) {
        if self.state.settings.replay.is_on() {
            return self.send_recorded(ctx, &msg.recorded);
        }
        let packets = self.subs.on_tick(&self.state.universe, &msg.snapshot);
        self.send(ctx, packets);
    }
}

impl Handler<SessionControl> for DhanSession {
    type Result = ();

    fn handle(&mut self, msg: SessionControl, ctx: &mut Self::Context) {
        match msg {
            SessionControl::Kick { reason } => {
                self.disconnect(ctx, DhanDisconnectReason::from_code(reason))
            }
            SessionControl::Drop => ctx.stop(),
            SessionControl::RecheckToken => {
                let configured = &self.state.settings.credentials.dhan_access_token;
                let faults = self.state.faults.current();
                if !faults.token_valid(Utc::now(), &self.token, configured) {
                    self.state.faults.bump(FaultKind::TokenExpired);
                    self.disconnect(ctx, DhanDisconnectReason::TokenExpired);
                }
            }
        }
    }
}
