//! The raw reference: a plain tokio-tungstenite broadcast server fed the same batches as
//! mandi's upstream. One hub decodes each Dhan packet, serializes its tick once (the same JSON
//! shape and size as mandi's, via `mandi_protocol::client::tick_message`) and broadcasts the
//! shared bytes; each client task writes what has queued and flushes once, TCP_NODELAY on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use mandi_protocol::client::tick_message;
use mandi_protocol::dhan::decode_message;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::ticks::reference_tick;
use crate::upstream::Batch;

/// Ticks a client may fall behind before it skips (≈ 1.9 MB of full-mode ticks; mandi
/// conflates past half its 2 MiB bound per session).
const BROADCAST_CAPACITY: usize = 2048;
/// Most queued ticks written before one flush.
const MAX_PER_FLUSH: usize = 256;
/// A client whose socket takes nothing for this long is dropped (mandi's drain deadline).
const DRAIN_DEADLINE: Duration = Duration::from_secs(8);
const BATCH_QUEUE: usize = 256;
const SUBSCRIBED: &str = r#"{"type":"subscribed","mode":"full"}"#;

/// A running reference server.
pub struct ReferenceServer {
    /// `ws://127.0.0.1:P/ws`.
    pub url: String,
    pub port: u16,
    pub batches: mpsc::Sender<Batch>,
    pub stats: Arc<ReferenceStats>,
}

/// What the server itself saw, for the report.
#[derive(Default)]
pub struct ReferenceStats {
    /// Ticks skipped by clients that fell more than the channel's capacity behind.
    pub lagged: AtomicU64,
    /// Clients dropped for not taking data within the drain deadline.
    pub dropped_slow: AtomicU64,
}

impl ReferenceServer {
    /// Bind and spawn the hub and the accept loop on the current runtime.
    pub async fn start() -> std::io::Result<ReferenceServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (batches, rx) = mpsc::channel(BATCH_QUEUE);
        let (ticks, _) = broadcast::channel(BROADCAST_CAPACITY);
        let stats = Arc::new(ReferenceStats::default());
        tokio::spawn(hub(rx, ticks.clone()));
        tokio::spawn(accept_loop(listener, ticks, stats.clone()));
        Ok(ReferenceServer {
            url: format!("ws://127.0.0.1:{port}/ws"),
            port,
            batches,
            stats,
        })
    }
}

/// Decode, serialize once, broadcast the shared bytes.
async fn hub(mut batches: mpsc::Receiver<Batch>, ticks: broadcast::Sender<Utf8Bytes>) {
    while let Some(batch) = batches.recv().await {
        let received = Utc::now();
        for frame in batch.iter() {
            for packet in decode_message(frame).flatten() {
                let Some(tick) = reference_tick(&packet, received) else {
                    continue;
                };
                // `tick_message` builds valid UTF-8; the check is one pass over ~700 bytes.
                if let Ok(text) = Utf8Bytes::try_from(tick_message(&tick).into_bytes()) {
                    // No receiver yet is not an error for a broadcast server.
                    let _ = ticks.send(text);
                }
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    ticks: broadcast::Sender<Utf8Bytes>,
    stats: Arc<ReferenceStats>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(session(stream, ticks.clone(), stats.clone()));
    }
}

async fn session(stream: TcpStream, hub: broadcast::Sender<Utf8Bytes>, stats: Arc<ReferenceStats>) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    // Ticks flow once the client has said what it wants, as on mandi.
    loop {
        match rx.next().await {
            Some(Ok(Message::Text(_))) => break,
            Some(Ok(_)) => continue,
            _ => return,
        }
    }
    let mut ticks = hub.subscribe();
    if tx.send(Message::text(SUBSCRIBED)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            got = ticks.recv() => {
                let first = match got {
                    Ok(text) => text,
                    Err(RecvError::Lagged(n)) => {
                        stats.lagged.fetch_add(n, Ordering::Relaxed);
                        continue;
                    }
                    Err(RecvError::Closed) => break,
                };
                let write = async {
                    tx.feed(Message::Text(first)).await?;
                    for _ in 1..MAX_PER_FLUSH {
                        match ticks.try_recv() {
                            Ok(text) => tx.feed(Message::Text(text)).await?,
                            Err(TryRecvError::Lagged(n)) => {
                                stats.lagged.fetch_add(n, Ordering::Relaxed);
                            }
                            Err(_) => break,
                        }
                    }
                    tx.flush().await
                };
                match tokio::time::timeout(DRAIN_DEADLINE, write).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break,
                    Err(_) => {
                        stats.dropped_slow.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
            inbound = rx.next() => match inbound {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
