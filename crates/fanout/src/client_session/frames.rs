//! The WebSocket framing of a client socket (RFC 6455 §5), server side, with no IO: bytes
//! in, whole messages out, and the encoder for what we send. Every refusal names the close
//! code the connection must end with; sizes are judged from the frame header alone, so a
//! frame over the limit is refused before any of its payload is buffered.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Close codes we send (RFC 6455 §7.4.1, plus our own in the private 4000–4999 range).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down, or the client stayed silent past its liveness timeout.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the framing rules (mask, reserved bits or opcodes, fragmentation).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A frame or message over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The client did not drain its outgoing queue in time.
    pub const TOO_SLOW: u16 = 4008;
}

/// Control frames carry at most this many payload bytes (§5.5).
const MAX_CONTROL_PAYLOAD_BYTES: usize = 125;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// A whole message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// Not part of our protocol; its bytes are dropped, only the fact is kept.
    Binary,
    Ping(Bytes),
    Pong,
    /// The client's close frame, with its code if it sent one.
    Close(Option<u16>),
}

/// Why the connection must close, and with which code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: u16,
    pub reason: &'static str,
}

impl Violation {
    fn protocol(reason: &'static str) -> Violation {
        Violation {
            code: close_code::PROTOCOL_ERROR,
            reason,
        }
    }

    fn too_big() -> Violation {
        Violation {
            code: close_code::TOO_BIG,
            reason: "message over the size limit",
        }
    }
}

/// A data message being reassembled from fragments.
#[derive(Debug)]
enum Partial {
    Text(BytesMut),
    Binary { len: usize },
}

/// One frame's header, read before its payload arrives.
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    header_len: usize,
    payload_len: usize,
}

/// Reassembles client frames into messages of at most `max_message_bytes`.
#[derive(Debug)]
pub struct FrameDecoder {
    max_message_bytes: usize,
    partial: Option<Partial>,
}

impl FrameDecoder {
    pub fn new(max_message_bytes: usize) -> FrameDecoder {
        FrameDecoder {
            max_message_bytes,
            partial: None,
        }
    }

    /// Take the next whole message out of `buf`, consuming its frames. `Ok(None)`: more
    /// bytes are needed; `buf` then never holds more than one frame of at most the limit
    /// plus what the caller appended since. After an `Err` the decoder must not be used.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, Violation> {
        loop {
            let Some(header) = self.header(buf)? else {
                return Ok(None);
            };
            if buf.len() < header.header_len + header.payload_len {
                // Make room once for the rest of this frame (bounded by the checks above).
                buf.reserve(header.header_len + header.payload_len - buf.len());
                return Ok(None);
            }
            buf.advance(header.header_len);
            let mut payload = buf.split_to(header.payload_len);
            unmask(&mut payload, header.mask);
            if let Some(message) = self.frame(header.fin, header.opcode, payload)? {
                return Ok(Some(message));
            }
        }
    }

    /// Parse and judge the header at the start of `buf`, if it is all there.
    fn header(&self, buf: &[u8]) -> Result<Option<Header>, Violation> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let (first, second) = (buf[0], buf[1]);
        if first & 0x70 != 0 {
            return Err(Violation::protocol(
                "reserved bits set (no extension agreed)",
            ));
        }
        if second & 0x80 == 0 {
            return Err(Violation::protocol("client frames must be masked"));
        }
        let fin = first & 0x80 != 0;
        let opcode = first & 0x0F;
        let control = opcode & 0x08 != 0;
        match opcode {
            OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG => {}
            _ => return Err(Violation::protocol("reserved opcode")),
        }
        if control && !fin {
            return Err(Violation::protocol("control frames must not be fragmented"));
        }
        let (len, len_bytes) = match second & 0x7F {
            126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 2),
            127 if buf.len() >= 10 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[2..10]);
                (u64::from_be_bytes(b), 8)
            }
            126 | 127 => return Ok(None),
            n => (u64::from(n), 0),
        };
        if len >> 63 != 0 {
            return Err(Violation::protocol("payload length has its top bit set"));
        }
        if control && len > MAX_CONTROL_PAYLOAD_BYTES as u64 {
            return Err(Violation::protocol("control frame over 125 bytes"));
        }
        match (opcode, &self.partial) {
            (OP_CONTINUATION, None) => {
                return Err(Violation::protocol(
                    "continuation frame with no message begun",
                ))
            }
            (OP_TEXT | OP_BINARY, Some(_)) => {
                return Err(Violation::protocol("new message inside a fragmented one"))
            }
            _ => {}
        }
        let so_far = match (&self.partial, control) {
            (Some(Partial::Text(b)), false) => b.len(),
            (Some(Partial::Binary { len }), false) => *len,
            _ => 0,
        };
        if len > (self.max_message_bytes - so_far.min(self.max_message_bytes)) as u64 {
            return Err(Violation::too_big());
        }
        let header_len = 2 + len_bytes + 4;
        if buf.len() < header_len {
            return Ok(None);
        }
        let mut mask = [0u8; 4];
        mask.copy_from_slice(&buf[header_len - 4..header_len]);
        Ok(Some(Header {
            fin,
            opcode,
            mask,
            header_len,
            // Bounded by max_message_bytes just above, so it fits.
            payload_len: len as usize,
        }))
    }

    /// Fold one complete, unmasked frame into the message in progress.
    fn frame(
        &mut self,
        fin: bool,
        opcode: u8,
        payload: BytesMut,
    ) -> Result<Option<Incoming>, Violation> {
        match opcode {
            OP_PING => return Ok(Some(Incoming::Ping(payload.freeze()))),
            OP_PONG => return Ok(Some(Incoming::Pong)),
            OP_CLOSE => return close_payload(&payload).map(|code| Some(Incoming::Close(code))),
            _ => {}
        }
        // Of a binary message only the running length is kept, to hold it to the limit.
        let partial = match (opcode, self.partial.take()) {
            (OP_TEXT, _) => Partial::Text(payload),
            (OP_BINARY, _) => Partial::Binary { len: payload.len() },
            (_, Some(Partial::Text(mut text))) => {
                text.extend_from_slice(&payload);
                Partial::Text(text)
            }
            (_, Some(Partial::Binary { len })) => Partial::Binary {
                len: len + payload.len(),
            },
            // header() refuses a continuation with nothing begun.
            (_, None) => {
                return Err(Violation::protocol(
                    "continuation frame with no message begun",
                ))
            }
        };
        if !fin {
            self.partial = Some(partial);
            return Ok(None);
        }
        match partial {
            Partial::Binary { .. } => Ok(Some(Incoming::Binary)),
            Partial::Text(text) => String::from_utf8(Vec::from(text))
                .map(|s| Some(Incoming::Text(s)))
                .map_err(|_| Violation {
                    code: close_code::INVALID_PAYLOAD,
                    reason: "text message is not UTF-8",
                }),
        }
    }
}

/// A close frame's payload: empty, or a valid code and a UTF-8 reason (§5.5.1, §7.4).
fn close_payload(payload: &[u8]) -> Result<Option<u16>, Violation> {
    match payload.len() {
        0 => return Ok(None),
        1 => return Err(Violation::protocol("close frame with a one-byte payload")),
        _ => {}
    }
    let code = u16::from_be_bytes([payload[0], payload[1]]);
    if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
        return Err(Violation::protocol("close code not allowed on the wire"));
    }
    if std::str::from_utf8(&payload[2..]).is_err() {
        return Err(Violation {
            code: close_code::INVALID_PAYLOAD,
            reason: "close reason is not UTF-8",
        });
    }
    Ok(Some(code))
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// What the server sends: always a single, unmasked, final frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outgoing {
    Text,
    Ping,
    Pong,
    Close,
}

/// Append one frame to `dst`.
pub fn encode(dst: &mut BytesMut, kind: Outgoing, payload: &[u8]) {
    let opcode = match kind {
        Outgoing::Text => OP_TEXT,
        Outgoing::Ping => OP_PING,
        Outgoing::Pong => OP_PONG,
        Outgoing::Close => OP_CLOSE,
    };
    let len = payload.len();
    dst.reserve(len + 10);
    dst.put_u8(0x80 | opcode);
    if len < 126 {
        dst.put_u8(len as u8);
    } else if len <= usize::from(u16::MAX) {
        dst.put_u8(126);
        dst.put_u16(len as u16);
    } else {
        dst.put_u8(127);
        dst.put_u64(len as u64);
    }
    dst.put_slice(payload);
}

/// Append a close frame with `code` and a short `reason` (cut to fit a control frame).
pub fn encode_close(dst: &mut BytesMut, code: u16, reason: &str) {
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD_BYTES - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode(dst, Outgoing::Close, &payload);
}

#[cfg(test)]
mod tests;
