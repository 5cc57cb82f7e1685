//! One Dhan feed connection: checks the `clientId`/`token` query as Dhan does (bad ones get a
//! code-50 packet and a close), answers subscribe requests with previous-close packets, pings
//! every 10 s like the live server, and writes the generator's batches, one packet per message.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use mandi_protocol::dhan::{
    parse_request, DhanDisconnect, DhanDisconnectReason, DhanInstrument, DhanPacket, DhanPrevClose,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

use super::{Batch, UpstreamSubscriptions, ACCESS_TOKEN, CLIENT_ID};
use crate::symbols;

/// Dhan's server pings every 10 s; mandi counts 40 s of silence as a dead socket.
const PING_INTERVAL: Duration = Duration::from_secs(10);

type Feed = Arc<Mutex<mpsc::Receiver<Batch>>>;

pub async fn accept_loop(listener: TcpListener, feed: Feed, subs: Arc<UpstreamSubscriptions>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream, feed.clone(), subs.clone()));
    }
}

async fn serve(stream: TcpStream, feed: Feed, subs: Arc<UpstreamSubscriptions>) {
    // Ticks are small and latency is what is measured: never wait to coalesce them.
    let _ = stream.set_nodelay(true);
    let mut query = String::new();
    // The signature, large error type included, is tungstenite's handshake `Callback`.
    #[allow(clippy::result_large_err)]
    let grab_query = |req: &Request, resp: Response| {
        query = req.uri().query().unwrap_or_default().to_owned();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, grab_query).await else {
        return;
    };
    if !credentials_ok(&query) {
        // Dhan upgrades anyway, then says why in a disconnect packet and closes.
        let reason = DhanDisconnectReason::AuthFailed;
        let _ = ws.send(binary(disconnect(reason))).await;
        let _ = ws.close(None).await;
        return;
    }
    subs.connected();
    let (mut tx, mut rx) = ws.split();
    // One connection feeds at a time; a second one waits until the first has gone.
    let mut batches = feed.lock().await;
    let mut ping = tokio::time::interval(PING_INTERVAL);
    loop {
        let sent = tokio::select! {
            batch = batches.recv() => match batch {
                Some(batch) => write_all(&mut tx, batch.iter().cloned()).await,
                None => break,
            },
            inbound = rx.next() => match inbound {
                Some(Ok(Message::Text(text))) => {
                    let replies = answer(&subs, &text);
                    write_all(&mut tx, replies.into_iter()).await
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => Ok(()),
            },
            _ = ping.tick() => tx.send(Message::Ping(Bytes::new())).await,
        };
        if sent.is_err() {
            break;
        }
    }
}

/// Feed every packet as its own message, then flush once.
async fn write_all<S>(tx: &mut S, packets: impl Iterator<Item = Bytes>) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
{
    for p in packets {
        tx.feed(Message::Binary(p)).await?;
    }
    tx.flush().await
}

/// The packets Dhan answers a request with: a previous close for each new subscription.
fn answer(subs: &UpstreamSubscriptions, text: &str) -> Vec<Bytes> {
    let Ok(req) = parse_request(text) else {
        return Vec::new();
    };
    subs.apply(&req)
        .into_iter()
        .filter_map(|(segment, security_id)| {
            let i = symbols::by_dhan_id(segment, security_id)?;
            Some(Bytes::from(
                DhanPacket::PrevClose(DhanPrevClose {
                    instrument: DhanInstrument {
                        segment: segment.code(),
                        security_id,
                    },
                    prev_close: i.base_price as f32,
                    prev_oi: 0,
                })
                .encode(),
            ))
        })
        .collect()
}

fn credentials_ok(query: &str) -> bool {
    let value = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    };
    value("clientId") == Some(CLIENT_ID) && value("token") == Some(ACCESS_TOKEN)
}

fn disconnect(reason: DhanDisconnectReason) -> DhanPacket {
    DhanPacket::Disconnect(DhanDisconnect {
        instrument: DhanInstrument {
            segment: 0,
            security_id: 0,
        },
        reason: reason.code(),
    })
}

fn binary(packet: DhanPacket) -> Message {
    Message::Binary(Bytes::from(packet.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_the_query() {
        let good = format!("version=2&token={ACCESS_TOKEN}&clientId={CLIENT_ID}&authType=2");
        let cases = [
            ("good", good.as_str(), true),
            (
                "wrong token",
                "version=2&token=x&clientId=1000000001",
                false,
            ),
            ("missing id", "token=loadgen-access-token", false),
            ("empty", "", false),
        ];
        for (name, query, want) in cases {
            assert_eq!(credentials_ok(query), want, "{name}");
        }
    }
}
