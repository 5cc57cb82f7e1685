//! The accepted TCP socket under a session, kept as a second descriptor so the session can
//! drop the connection whatever actix-http's writer is doing. actix-http stops polling a
//! response body while its write buffer is full, so a peer that never reads would keep a
//! body-only close waiting for ever; a shutdown on the socket fails actix's next write and
//! ends its dispatcher.

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Extensions;
use socket2::Socket;
use tokio::sync::oneshot;

/// Install with `HttpServer::on_connect`: turns Nagle's algorithm off on every accepted
/// socket and keeps, in its connection's data, a second descriptor of it and a signal
/// fired when actix-http is done with it.
pub fn remember_connection(conn: &dyn Any, data: &mut Extensions) {
    let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    // Every write to a client is a whole message it is waiting for. With Nagle's algorithm
    // a small write behind unacknowledged data waits for the peer's delayed ACK: a 40 ms
    // stall on a price that is 100 µs old.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY on an accepted socket");
    }
    match tcp.as_fd().try_clone_to_owned() {
        Ok(fd) => {
            let (finished, done) = oneshot::channel();
            data.insert(ConnectionSlot {
                socket: Arc::new(ConnectionSocket(Socket::from(fd))),
                done: Mutex::new(Some(done)),
                _finished: finished,
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot keep a handle on an accepted socket"),
    }
}

/// What `remember_connection` leaves in the connection's data. It is dropped with
/// actix-http's dispatcher (which holds the connection data), firing `done`.
pub(super) struct ConnectionSlot {
    socket: Arc<ConnectionSocket>,
    done: Mutex<Option<oneshot::Receiver<()>>>,
    /// Never sent on: its drop is the signal.
    _finished: oneshot::Sender<()>,
}

impl ConnectionSlot {
    /// The socket, and a receiver that completes (with an error) once actix-http has
    /// dropped the connection. Only the first caller gets the receiver.
    pub(super) fn claim(&self) -> Option<(Arc<ConnectionSocket>, oneshot::Receiver<()>)> {
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some((self.socket.clone(), done))
    }
}

/// A second descriptor of a client's TCP socket.
#[derive(Debug)]
pub(super) struct ConnectionSocket(Socket);

impl ConnectionSocket {
    /// Cap the kernel's send buffer (Linux doubles the figure for its bookkeeping). It
    /// autotunes to megabytes otherwise, all of it held for a client that stops reading
    /// before our own queue, with its bound and deadline, even starts to fill.
    pub(super) fn limit_send_buffer(&self, bytes: usize) {
        if let Err(e) = self.0.set_send_buffer_size(bytes) {
            tracing::debug!(error = %e, "send buffer size of a client socket");
        }
    }

    /// Drop the connection now: actix's next read or write fails and its dispatcher ends,
    /// and the last close sends a reset, so nothing queued for a peer that does not read
    /// stays in kernel buffers.
    pub(super) fn abort(&self) {
        self.reset_on_close();
        if let Err(e) = self.0.shutdown(Shutdown::Both) {
            tracing::debug!(error = %e, "shutdown of a client socket");
        }
    }

    /// Make the last close a reset instead of an orderly close that would wait, in an
    /// orphaned socket, for a peer that does not read.
    pub(super) fn reset_on_close(&self) {
        if let Err(e) = self.0.set_linger(Some(Duration::ZERO)) {
            tracing::debug!(error = %e, "linger on a client socket");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn accepted_sockets_have_nagle_off_and_are_remembered() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let _client = std::net::TcpStream::connect(addr).expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        let mut data = Extensions::new();
        remember_connection(&accepted, &mut data);
        assert!(
            accepted.nodelay().expect("read TCP_NODELAY"),
            "TCP_NODELAY set"
        );
        let slot = data.get::<ConnectionSlot>().expect("slot kept");
        assert!(slot.claim().is_some(), "first claim gets the socket");
        assert!(slot.claim().is_none(), "only once");
    }
}
