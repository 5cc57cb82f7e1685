//! A WebSocket client on a raw TCP socket, for what a well-behaved client library cannot
//! send: unmasked frames, reserved bits and opcodes, lying length headers, fragments, and
//! a client that never reads. Shared by the socket tests through `mod raw_ws;`, with the
//! few stack queries those tests share.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use mandi_testkit::{get_json, Stack};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

const MASK: [u8; 4] = [0x1f, 0x8b, 0x5a, 0xc3];

/// A client frame: FIN flag, opcode, reserved bits (`rsv` is or-ed into the first byte),
/// payload, masked unless `masked` is false.
pub fn client_frame(fin: bool, opcode: u8, rsv: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | rsv | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A whole masked text frame.
pub fn text(payload: &str) -> Vec<u8> {
    client_frame(true, OP_TEXT, 0, payload.as_bytes(), true)
}

/// What reading the socket gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Frame {
        opcode: u8,
        payload: Vec<u8>,
    },
    /// The server closed or reset the TCP connection.
    Closed,
    TimedOut,
}

pub struct RawWs {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawWs {
    pub async fn connect(addr: SocketAddr, path: &str) -> RawWs {
        let stream = TcpStream::connect(addr).await.expect("connect");
        RawWs::handshake(stream, addr, path).await
    }

    /// Connect with a small receive buffer, so a client that stops reading fills its side
    /// quickly (the kernel then stops taking data for it).
    pub async fn connect_with_recv_buffer(addr: SocketAddr, path: &str, bytes: u32) -> RawWs {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("connect");
        RawWs::handshake(stream, addr, path).await
    }

    async fn handshake(mut stream: TcpStream, addr: SocketAddr, path: &str) -> RawWs {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send handshake");
        let mut buf = Vec::new();
        let end = loop {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
                .await
                .expect("handshake answer within 10 s")
                .expect("read handshake");
            assert!(n > 0, "closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
        RawWs {
            stream,
            buf: buf.split_off(end),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    pub async fn send_text(&mut self, payload: &str) {
        self.send(&text(payload)).await.expect("send text frame");
    }

    /// The next server frame, or what ended the wait. Server frames are never masked.
    pub async fn next(&mut self, deadline: Duration) -> Read {
        let give_up = tokio::time::Instant::now() + deadline;
        loop {
            if let Some(frame) = self.parse() {
                return frame;
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let read = tokio::time::timeout_at(give_up, self.stream.read(&mut chunk)).await;
            match read {
                Err(_) => return Read::TimedOut,
                Ok(Ok(0)) | Ok(Err(_)) => return Read::Closed,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Read until the server's close frame (its code) or the end of the connection; pings
    /// are answered, everything else skipped. `None` when neither came in time.
    pub async fn until_closed(&mut self, deadline: Duration) -> Option<Closed> {
        let give_up = tokio::time::Instant::now() + deadline;
        loop {
            let left = give_up.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Read::Frame {
                    opcode: OP_CLOSE,
                    payload,
                } => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return Some(Closed::Frame(code));
                }
                Read::Frame { .. } => continue,
                Read::Closed => return Some(Closed::Connection),
                Read::TimedOut => return None,
            }
        }
    }

    /// The next text message, skipping other frames (pings are not answered).
    pub async fn next_text(&mut self, deadline: Duration) -> Option<String> {
        let give_up = tokio::time::Instant::now() + deadline;
        loop {
            let left = give_up.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Read::Frame {
                    opcode: OP_TEXT,
                    payload,
                } => return Some(String::from_utf8_lossy(&payload).into_owned()),
                Read::Frame { .. } => continue,
                Read::Closed | Read::TimedOut => return None,
            }
        }
    }

    /// Read and drop everything until the connection ends; the bytes read, or `None` if it
    /// was still open at the deadline.
    pub async fn drain_to_end(&mut self, deadline: Duration) -> Option<usize> {
        let give_up = tokio::time::Instant::now() + deadline;
        let mut total = self.buf.len();
        self.buf.clear();
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            match tokio::time::timeout_at(give_up, self.stream.read(&mut chunk)).await {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(total),
                Ok(Ok(n)) => total += n,
            }
        }
    }

    fn parse(&mut self) -> Option<Read> {
        let b = &self.buf;
        if b.len() < 2 {
            return None;
        }
        let (len, header) = match b[1] & 0x7F {
            126 if b.len() >= 4 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(n) as usize, 10)
            }
            126 | 127 => return None,
            n => (usize::from(n), 2),
        };
        if b.len() < header + len {
            return None;
        }
        let opcode = b[0] & 0x0F;
        let payload = b[header..header + len].to_vec();
        self.buf.drain(..header + len);
        Some(Read::Frame { opcode, payload })
    }
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    /// A close frame, with its code.
    Frame(Option<u16>),
    /// EOF or reset, without a close frame first.
    Connection,
}

/// This process's resident memory in KiB (the stack under test runs in it).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Up to `n` symbols the stack knows: the configured ones, then NIFTY futures and options,
/// enough to send a client far more than its bounds hold.
pub async fn many_symbols(stack: &Stack, n: usize) -> Vec<String> {
    let mut symbols: Vec<String> = get_json(&stack.url("/api/instruments"))
        .await
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["symbol"].as_str().map(String::from))
        .collect();
    let found = get_json(&stack.url("/api/instruments/search?q=NIFTY&limit=200")).await;
    for hit in found["results"].as_array().into_iter().flatten() {
        if let Some(s) = hit["symbol"].as_str() {
            if !symbols.iter().any(|k| k == s) {
                symbols.push(s.to_string());
            }
        }
    }
    symbols.truncate(n);
    symbols
}

/// `/health`'s tick-socket count and slow clients closed so far.
pub fn socket_counts(health: &Value) -> (u64, u64) {
    (
        health["broadcast"]["clients"].as_u64().unwrap_or(u64::MAX),
        health["broadcast"]["slow_clients_closed"]
            .as_u64()
            .unwrap_or(u64::MAX),
    )
}
