//! `ClientSession`: one browser or bot WebSocket (`/ws` or `/ws/prices`), with no actor.
//! A reader task decodes the client's frames, forwards commands to the broadcaster and
//! keeps the deadlines; the upgraded response's body (`SessionWriter`) drains the outbox
//! onto the socket. Framing is ours (`frames`), so sizes are judged from frame headers and
//! every protocol error ends the session with its close code.
//!
//! ```text
//!  socket ──Payload──▶ Reader ──ClientSubscribe/Unsubscribe──▶ Broadcaster
//!                        │ pong, ping, close, errors              │ ticks, status (Outbox)
//!                        ▼                                        ▼
//!                      ClientSession (shared) ◀──── SessionWriter (response body) ──▶ socket
//! ```

mod connection;
mod frames;
mod reader;
mod state;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use actix::Addr;
use actix_web::{web, HttpRequest, HttpResponse};
use tokio::sync::oneshot;

pub use connection::remember_connection;
pub use frames::close_code;
pub use state::{Liveness, CLIENT_TIMEOUT, PING_INTERVAL};
pub use writer::ClientTooSlow;

use crate::broadcaster::{Broadcaster, Outbox, SessionClosed, SessionKind, SessionOpened};
use crate::settings::BroadcastSettings;
use connection::{ConnectionSlot, ConnectionSocket};
use mandi_protocol::client::{Frame, MAX_COMMAND_BYTES};
use reader::Reader;
use state::{Closing, Due, Wire};
use writer::SessionWriter;

/// The limit a whole client message is held to, fragments included.
const MAX_MESSAGE_BYTES: usize = MAX_COMMAND_BYTES;
/// Session ids are chosen here, not by the broadcaster, so a session can name itself in
/// `SessionClosed` whenever it ends.
static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);
/// Most a client socket's kernel send buffer holds (less if `max_queued_bytes` is less).
/// Data there can no longer be conflated, and the kernel would autotune it to megabytes
/// for a client that stopped reading before our outbox, with its bound and deadline, sees
/// anything; 256 KiB still carries 2.5 MB/s over a 100 ms round trip.
const MAX_SEND_BUFFER_BYTES: usize = 256 * 1024;
/// Warn once if the server does not install `remember_connection`.
static WARNED_NO_SOCKET: AtomicBool = AtomicBool::new(false);

/// What the reader task and the response body share. Dropped when both are gone, which is
/// when the connection really is closed: only then does the broadcaster hear of it.
pub struct ClientSession {
    id: u64,
    outbox: Arc<Mutex<Outbox>>,
    wire: Mutex<Wire>,
    /// The TCP socket, to drop the connection even while actix waits on a full buffer.
    socket: Option<Arc<ConnectionSocket>>,
    broadcaster: Addr<Broadcaster>,
}

impl ClientSession {
    /// Upgrade an HTTP request into a session.
    pub fn start(
        kind: SessionKind,
        req: &HttpRequest,
        payload: web::Payload,
        broadcaster: Addr<Broadcaster>,
        settings: &BroadcastSettings,
    ) -> actix_web::Result<HttpResponse> {
        let mut response = actix_http::ws::handshake(req.head())?;
        let id = NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed);
        let outbox = Arc::new(Mutex::new(Outbox::new(settings.max_queued_bytes)));
        let send_buffer = settings.max_queued_bytes.min(MAX_SEND_BUFFER_BYTES);
        let (socket, done, gone) = connection_of(req, send_buffer);
        // Sent before anything else from this session, so it reaches the broadcaster first.
        broadcaster.do_send(SessionOpened {
            session: id,
            kind,
            outbox: outbox.clone(),
        });
        let session = Arc::new(ClientSession {
            id,
            outbox,
            wire: Mutex::new(Wire::default()),
            socket,
            broadcaster,
        });
        tracing::debug!(session = id, ?kind, "client session opened");
        let reader = Reader::new(
            session.clone(),
            kind,
            settings.max_symbols_per_client,
            Duration::from_millis(settings.drain_deadline_ms),
            Instant::now(),
        );
        actix_web::rt::spawn(reader.run(payload, done));
        let body = SessionWriter::new(session, gone);
        Ok(HttpResponse::from(response.message_body(body)?).map_into_boxed_body())
    }

    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // Poisoned only if the broadcaster panicked mid-push; the queue is still whole and
        // the broadcaster is being restarted, so keep the client connected.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wire(&self) -> MutexGuard<'_, Wire> {
        self.wire.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// For the writer: everything due now. Its waker is registered first, under the
    /// outbox lock, so nothing queued or closed after this call goes unnoticed.
    fn take_due(&self, waker: &Waker) -> (Due, Vec<Frame>) {
        let mut outbox = self.outbox();
        outbox.register_writer(waker);
        let mut wire = self.wire();
        if outbox.overflowed() {
            wire.close(Closing::too_slow(reader::OVERFLOWED));
        } else if outbox.going_away() {
            wire.close(Closing::server_stopping());
        }
        let due = wire.take();
        // Once closing, nothing more of the outbox is sent.
        let frames = match wire.closing() {
            Some(_) => Vec::new(),
            None => outbox.drain(),
        };
        (due, frames)
    }

    /// Queue a message of our own (an error, a pong) behind what is already queued.
    fn send_text(&self, msg: Frame) {
        let wakeup = {
            let mut outbox = self.outbox();
            if outbox.overflowed() {
                return;
            }
            let outcome = outbox.push_control(msg);
            outbox.wakeup(outcome)
        };
        wakeup.wake();
    }

    fn with_wire(&self, f: impl FnOnce(&mut Wire)) {
        f(&mut self.wire());
        let wakeup = self.outbox().wake_writer();
        wakeup.wake();
    }

    /// Begin closing (the first reason wins).
    fn close(&self, closing: Closing) {
        let session = self.id;
        self.with_wire(|w| {
            if w.close(closing) {
                tracing::debug!(session, ?closing, "closing client session");
            }
        });
    }

    fn closing(&self) -> Option<Closing> {
        self.wire().closing()
    }

    /// Drop the TCP connection now, whatever actix is waiting for.
    fn abort(&self) {
        if let Some(socket) = &self.socket {
            socket.abort();
        }
    }
}

/// The socket of the request's connection (its send buffer capped) and the signal that
/// actix-http is done with that connection. Without `remember_connection` installed, the
/// signal is the response body's drop, handed back to be moved into it.
fn connection_of(
    req: &HttpRequest,
    send_buffer_bytes: usize,
) -> (
    Option<Arc<ConnectionSocket>>,
    oneshot::Receiver<()>,
    Option<oneshot::Sender<()>>,
) {
    if let Some((socket, done)) = req
        .conn_data::<ConnectionSlot>()
        .and_then(ConnectionSlot::claim)
    {
        socket.limit_send_buffer(send_buffer_bytes);
        return (Some(socket), done, None);
    }
    if !WARNED_NO_SOCKET.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "the server does not install client_session::remember_connection: \
             stalled websocket clients are closed only once they read"
        );
    }
    let (gone, done) = oneshot::channel();
    (None, done, Some(gone))
}

impl Drop for ClientSession {
    fn drop(&mut self) {
        let too_slow = self.closing().is_some_and(|c| c.is_too_slow());
        if too_slow {
            if let Some(socket) = &self.socket {
                socket.reset_on_close();
            }
        }
        tracing::debug!(session = self.id, too_slow, "client session closed");
        self.broadcaster.do_send(SessionClosed {
            session: self.id,
            too_slow,
        });
    }
}
