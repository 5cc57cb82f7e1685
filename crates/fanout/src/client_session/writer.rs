//! `SessionWriter`: the upgraded response's body. actix-http polls it whenever its write
//! buffer has room; each poll turns everything due (protocol frames, then the whole outbox)
//! into one chunk, so a burst costs one socket write. A close is the last chunk; for a
//! client too slow to drain its queue the body then fails, which makes actix-http drop the
//! connection instead of waiting to flush it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use super::frames::{encode, encode_close, Outgoing};
use super::state::{Closing, Due};
use super::ClientSession;

/// Why the body failed: the connection is dropped on purpose.
#[derive(Debug)]
pub struct ClientTooSlow;

impl std::fmt::Display for ClientTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("websocket client too slow; connection dropped (close code 4008)")
    }
}

impl std::error::Error for ClientTooSlow {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// The close frame went out in the last chunk. actix-http polls the body again at once
    /// while its buffer has room, before writing anything: wait one turn so it flushes.
    CloseSent {
        abort: bool,
    },
    /// Flushed (or as far as the peer lets it): end the body.
    CloseFlushed {
        abort: bool,
    },
    Closed,
}

pub(super) struct SessionWriter {
    session: Arc<ClientSession>,
    phase: Phase,
    /// Dropped with the body, when the server has no connection signal to watch instead.
    _gone: Option<oneshot::Sender<()>>,
}

impl SessionWriter {
    pub(super) fn new(session: Arc<ClientSession>, gone: Option<oneshot::Sender<()>>) -> Self {
        SessionWriter {
            session,
            phase: Phase::Open,
            _gone: gone,
        }
    }
}

impl MessageBody for SessionWriter {
    type Error = ClientTooSlow;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        match this.phase {
            Phase::Open => {}
            Phase::CloseSent { abort } => {
                this.phase = Phase::CloseFlushed { abort };
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Phase::CloseFlushed { abort } => {
                this.phase = Phase::Closed;
                return Poll::Ready(if abort {
                    Some(Err(ClientTooSlow))
                } else {
                    None
                });
            }
            Phase::Closed => return Poll::Ready(None),
        }
        let (due, frames) = this.session.take_due(cx.waker());
        if frames.is_empty() && due == Due::default() {
            return Poll::Pending;
        }
        // Frame headers are at most 10 bytes; the control frames fit in the slack.
        let size: usize = frames.iter().map(|f| f.len() + 10).sum();
        let mut chunk = BytesMut::with_capacity(size + 256);
        if let Some(payload) = &due.pong {
            encode(&mut chunk, Outgoing::Pong, payload);
        }
        if due.ping {
            encode(&mut chunk, Outgoing::Ping, b"");
        }
        for frame in &frames {
            encode(&mut chunk, Outgoing::Text, frame.as_bytes());
        }
        if let Some(Closing { frame, abort }) = due.close {
            let Some((code, reason)) = frame else {
                // The connection is already gone: nothing to say.
                this.phase = Phase::Closed;
                return Poll::Ready(None);
            };
            encode_close(&mut chunk, code, reason);
            this.phase = Phase::CloseSent { abort };
        }
        Poll::Ready(Some(Ok(chunk.freeze())))
    }
}
