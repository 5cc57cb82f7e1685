//! The session's reader and watchdog: one task per socket that decodes the client's
//! frames, hands commands to the broadcaster one at a time, pings, and enforces the
//! deadlines (liveness, drain, close). It runs whether or not the socket takes our data,
//! so a client that stops reading is still closed on time.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use actix::MailboxError;
use actix_web::web;
use bytes::BytesMut;
use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::frames::{FrameDecoder, Incoming};
use super::state::{Closing, DrainWatch, Liveness, PING_INTERVAL};
use super::{ClientSession, MAX_MESSAGE_BYTES};
use crate::broadcaster::{ClientSubscribe, ClientUnsubscribe, SessionKind};
use mandi_protocol::client::{self as client_protocol, ClientCommand};

/// How long a close frame may take to get out before the connection is dropped anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// The same for a client too slow to drain its queue: it has shown it does not read.
const TOO_SLOW_GRACE: Duration = Duration::from_millis(500);

/// Read buffer kept between messages; more is released once the buffer is empty.
const IDLE_BUFFER_BYTES: usize = 4096;

pub(super) const OVERFLOWED: &str = "client too slow: outgoing queue over its bound";
const NOT_DRAINED: &str = "client too slow: outgoing queue not drained in time";

/// The broadcaster's answer to a subscribe: the symbols it does not know.
type Answer = Pin<Box<dyn Future<Output = Result<Vec<String>, MailboxError>>>>;

pub(super) struct Reader {
    session: Arc<ClientSession>,
    kind: SessionKind,
    max_symbols: usize,
    decoder: FrameDecoder,
    /// At most one frame of at most the message limit, plus the last chunk read.
    buf: BytesMut,
    liveness: Liveness,
    drain: DrainWatch,
    next_drain_check: Instant,
    next_ping: Instant,
    /// When the close began; the connection is dropped a grace period after.
    closing_since: Option<Instant>,
}

impl Reader {
    pub(super) fn new(
        session: Arc<ClientSession>,
        kind: SessionKind,
        max_symbols: usize,
        drain_deadline: Duration,
        now: Instant,
    ) -> Reader {
        let drain = DrainWatch::new(drain_deadline);
        Reader {
            session,
            kind,
            max_symbols,
            decoder: FrameDecoder::new(MAX_MESSAGE_BYTES),
            buf: BytesMut::new(),
            liveness: Liveness::new(now),
            next_drain_check: now + drain.check_every(),
            drain,
            next_ping: now + PING_INTERVAL,
            closing_since: None,
        }
    }

    /// Run until the connection is finished (`done` completes) or, once closing, until
    /// the grace period has passed and the connection was dropped.
    pub(super) async fn run(mut self, mut payload: web::Payload, mut done: oneshot::Receiver<()>) {
        let mut pending: Option<Answer> = None;
        loop {
            let now = Instant::now();
            if self.closing_since.is_none() && self.session.closing().is_some() {
                self.closing_since = Some(now);
            }
            if let Some(since) = self.closing_since {
                if now >= since + self.grace() {
                    self.session.abort();
                    return;
                }
            }
            let closing = self.closing_since.is_some();
            let wake_at = self.next_wake();
            tokio::select! {
                biased;
                _ = &mut done => return,
                () = overflowed(&self.session), if !closing => {
                    self.session.close(Closing::too_slow(OVERFLOWED));
                }
                () = tokio::time::sleep_until(wake_at.into()) => self.on_timer(Instant::now()),
                answer = poll_answer(&mut pending), if pending.is_some() => {
                    self.on_answer(answer);
                    pending = self.process();
                }
                chunk = payload.next(), if pending.is_none() && !closing => match chunk {
                    Some(Ok(bytes)) => {
                        self.liveness.seen(Instant::now());
                        self.buf.extend_from_slice(&bytes);
                        pending = self.process();
                    }
                    // The peer or actix-http ended the connection.
                    Some(Err(_)) | None => self.session.close(Closing::gone()),
                },
            }
        }
    }

    fn grace(&self) -> Duration {
        match self.session.closing() {
            Some(c) if c.abort => TOO_SLOW_GRACE,
            _ => CLOSE_GRACE,
        }
    }

    fn next_wake(&self) -> Instant {
        if let Some(since) = self.closing_since {
            return since + self.grace();
        }
        let dies_at = self.liveness.dies_at() + Duration::from_millis(1);
        self.next_ping.min(self.next_drain_check).min(dies_at)
    }

    fn on_timer(&mut self, now: Instant) {
        if self.closing_since.is_some() {
            return;
        }
        if self.liveness.is_dead(now) {
            self.session.close(Closing::idle());
            return;
        }
        if now >= self.next_drain_check {
            self.next_drain_check = now + self.drain.check_every();
            let (drains, queued) = {
                let outbox = self.session.outbox();
                (outbox.drains(), !outbox.is_empty())
            };
            if self.drain.is_late(drains, queued, now) {
                self.session.close(Closing::too_slow(NOT_DRAINED));
                return;
            }
        }
        if now >= self.next_ping {
            self.next_ping = now + PING_INTERVAL;
            self.session.with_wire(|w| w.ping());
        }
    }

    /// Decode and act on whole messages in the buffer, stopping at a subscribe (whose
    /// answer must come before the next command) or at a close.
    fn process(&mut self) -> Option<Answer> {
        while self.session.closing().is_none() {
            match self.decoder.decode(&mut self.buf) {
                Ok(None) => {
                    // An idle session keeps no room a large message once needed.
                    if self.buf.is_empty() && self.buf.capacity() > IDLE_BUFFER_BYTES {
                        self.buf = BytesMut::new();
                    }
                    return None;
                }
                Ok(Some(message)) => {
                    if let Some(answer) = self.on_message(message) {
                        return Some(answer);
                    }
                }
                Err(violation) => {
                    tracing::debug!(
                        session = self.session.id,
                        code = violation.code,
                        reason = violation.reason,
                        "client broke the websocket protocol"
                    );
                    self.buf = BytesMut::new();
                    self.session.close(Closing::violation(&violation));
                }
            }
        }
        None
    }

    fn on_message(&mut self, message: Incoming) -> Option<Answer> {
        match message {
            Incoming::Text(text) => return self.command(&text),
            Incoming::Binary => self.session.send_text(client_protocol::error_message(
                "bad_request",
                "binary frames are not part of the protocol; send JSON text",
            )),
            Incoming::Ping(payload) => self.session.with_wire(|w| w.pong(payload)),
            Incoming::Pong => {}
            Incoming::Close(code) => self.session.close(Closing::echo(code)),
        }
        None
    }

    fn command(&mut self, text: &str) -> Option<Answer> {
        if self.kind == SessionKind::Prices {
            // The terminal's socket is push-only; its clients send nothing we act on.
            return None;
        }
        let session = self.session.id;
        let cmd = match ClientCommand::parse(text, self.max_symbols) {
            Ok(cmd) => cmd,
            Err(e) => {
                tracing::debug!(session, code = e.code, "client command refused");
                self.session
                    .send_text(client_protocol::error_message(e.code, &e.message));
                return None;
            }
        };
        match cmd {
            ClientCommand::Subscribe { symbols, mode } => {
                let request = self.session.broadcaster.send(ClientSubscribe {
                    session,
                    symbols,
                    mode,
                });
                return Some(Box::pin(request));
            }
            ClientCommand::Unsubscribe { symbols } => {
                self.session
                    .broadcaster
                    .do_send(ClientUnsubscribe { session, symbols });
            }
            ClientCommand::Ping {} => self
                .session
                .send_text(client_protocol::pong_message(Utc::now())),
        }
        None
    }

    fn on_answer(&mut self, answer: Result<Vec<String>, MailboxError>) {
        match answer {
            Ok(unknown) if !unknown.is_empty() => {
                let msg = format!(
                    "unknown symbol(s): {}; GET /api/instruments lists the known ones",
                    unknown.join(", ")
                );
                self.session
                    .send_text(client_protocol::error_message("unknown_symbol", &msg));
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(session = self.session.id, error = %e, "subscribe not answered")
            }
        }
    }
}

/// Completes once the session's outbox passes its bound.
fn overflowed(session: &ClientSession) -> impl Future<Output = ()> + '_ {
    poll_fn(move |cx| {
        let mut outbox = session.outbox();
        if outbox.overflowed() {
            Poll::Ready(())
        } else {
            outbox.register_watchdog(cx.waker());
            Poll::Pending
        }
    })
}

/// The pending subscribe's answer (only polled while there is one).
fn poll_answer(
    pending: &mut Option<Answer>,
) -> impl Future<Output = Result<Vec<String>, MailboxError>> + '_ {
    poll_fn(move |cx| match pending {
        Some(answer) => answer.as_mut().poll(cx),
        None => Poll::Pending,
    })
}
