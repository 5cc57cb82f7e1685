//! `ClientSession`: one browser or bot WebSocket (`/ws` or `/ws/prices`). Parses commands,
//! forwards them to the broadcaster, and drains its outbox onto the socket.
//! The only file that uses the deprecated `actix-web-actors`, so moving to `actix-ws`
//! touches this file alone.

mod messages;
mod state;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, ContextFutureSpawner, Handler,
    StreamHandler, WrapFuture,
};
use actix_web::{HttpRequest, HttpResponse};
use actix_web_actors::ws;
use chrono::Utc;

pub use messages::OutboxReady;
pub use state::{Liveness, CLIENT_TIMEOUT, PING_INTERVAL};

use crate::broadcaster::{
    Broadcaster, ClientSubscribe, ClientUnsubscribe, Outbox, SessionClosed, SessionKind,
    SessionOpened,
};
use mandi_protocol::client::{self as client_protocol, ClientCommand, MAX_COMMAND_BYTES};

/// Close code for a client that stayed behind past its outbox bound.
const CLOSE_TOO_SLOW: u16 = 4008;

pub struct ClientSession {
    kind: SessionKind,
    broadcaster: Addr<Broadcaster>,
    outbox: Arc<Mutex<Outbox>>,
    max_symbols: usize,
    id: Option<u64>,
    liveness: Liveness,
}

impl ClientSession {
    pub fn new(
        kind: SessionKind,
        broadcaster: Addr<Broadcaster>,
        max_symbols: usize,
        max_queued_bytes: usize,
    ) -> ClientSession {
        ClientSession {
            kind,
            broadcaster,
            outbox: Arc::new(Mutex::new(Outbox::new(max_queued_bytes))),
            max_symbols,
            id: None,
            liveness: Liveness::new(Instant::now()),
        }
    }

    /// Upgrade an HTTP request into a session.
    pub fn start(
        self,
        req: &HttpRequest,
        stream: actix_web::web::Payload,
    ) -> actix_web::Result<HttpResponse> {
        ws::WsResponseBuilder::new(self, req, stream)
            .frame_size(MAX_COMMAND_BYTES)
            .start()
    }

    fn command(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(session) = self.id else { return };
        if self.kind == SessionKind::Prices {
            // The terminal's socket is push-only; its clients send nothing we act on.
            return;
        }
        let cmd = match ClientCommand::parse(text, self.max_symbols) {
            Ok(cmd) => cmd,
            Err(e) => {
                tracing::debug!(session, code = e.code, "client command refused");
                ctx.text(client_protocol::error_message(e.code, &e.message));
                return;
            }
        };
        match cmd {
            ClientCommand::Subscribe { symbols, mode } => {
                self.broadcaster
                    .send(ClientSubscribe { session, symbols, mode })
                    .into_actor(self)
                    .map(|res, _, ctx| {
                        if let Ok(unknown) = res {
                            if !unknown.is_empty() {
                                let msg = format!(
                                    "unknown symbol(s): {}; GET /api/instruments lists the known ones",
                                    unknown.join(", ")
                                );
                                ctx.text(client_protocol::error_message("unknown_symbol", &msg));
                            }
                        }
                    })
                    .wait(ctx);
            }
            ClientCommand::Unsubscribe { symbols } => {
                self.broadcaster
                    .do_send(ClientUnsubscribe { session, symbols });
            }
            ClientCommand::Ping {} => ctx.text(client_protocol::pong_message(Utc::now())),
        }
    }
}

impl Actor for ClientSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let opened = SessionOpened {
            kind: self.kind,
            outbox: self.outbox.clone(),
            notify: ctx.address().recipient(),
        };
        // `wait` holds every other event until we have our id, so no command is
        // handled by a session the broadcaster does not know yet.
        self.broadcaster
            .send(opened)
            .into_actor(self)
            .map(|res, this, ctx| match res {
                Ok(id) => this.id = Some(id),
                Err(_) => ctx.stop(),
            })
            .wait(ctx);
        ctx.run_interval(PING_INTERVAL, |this, ctx| {
            if this.liveness.is_dead(Instant::now()) {
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(session) = self.id {
            self.broadcaster.do_send(SessionClosed { session });
        }
    }
}

impl Handler<OutboxReady> for ClientSession {
    type Result = ();

    fn handle(&mut self, _: OutboxReady, ctx: &mut Self::Context) {
        // Poisoned only if the broadcaster panicked mid-push; the queue is still whole and
        // the broadcaster is being restarted, so keep the browser connected.
        let (frames, overflowed) = {
            let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
            (outbox.drain(), outbox.overflowed())
        };
        if overflowed {
            ctx.close(Some(ws::CloseReason {
                code: ws::CloseCode::Other(CLOSE_TOO_SLOW),
                description: Some("client too slow: outgoing queue exceeded its bound".into()),
            }));
            ctx.stop();
            return;
        }
        for frame in frames {
            ctx.text(frame);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for ClientSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.liveness.seen(Instant::now());
        match msg {
            Ok(ws::Message::Text(text)) => self.command(&text, ctx),
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Binary(_)) | Ok(ws::Message::Continuation(_)) => {
                ctx.text(client_protocol::error_message(
                    "bad_request",
                    "binary frames are not part of the protocol; send JSON text",
                ));
            }
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                // Oversized or malformed frames: tell the client, keep the session.
                tracing::debug!(error = %e, "client websocket protocol error");
                ctx.text(client_protocol::error_message(
                    "bad_request",
                    &e.to_string(),
                ));
            }
        }
    }
}
