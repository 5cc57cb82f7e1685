use super::*;

const LIMIT: usize = 64 * 1024;
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client frame: FIN flag, opcode, payload; masked unless `masked` is false.
fn frame(fin: bool, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
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

fn text(s: &str) -> Vec<u8> {
    frame(true, OP_TEXT, s.as_bytes(), true)
}

/// Everything `bytes` decodes to, stopping at the first violation.
fn decode_all(bytes: &[u8]) -> (Vec<Incoming>, Option<Violation>, usize) {
    let mut decoder = FrameDecoder::new(LIMIT);
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, None, buf.len()),
            Err(v) => return (out, Some(v), buf.len()),
        }
    }
}

struct TestCase {
    name: &'static str,
    input: Vec<u8>,
    messages: Vec<Incoming>,
    close: Option<u16>,
}

#[test]
fn frames_decode_or_name_their_close_code() {
    let four_gib_header = {
        let mut h = vec![0x81, 0x80 | 127];
        h.extend_from_slice(&(4u64 << 30).to_be_bytes());
        h.extend_from_slice(&MASK);
        h
    };
    let cases = vec![
        TestCase {
            name: "masked text",
            input: text("{\"action\":\"ping\"}"),
            messages: vec![Incoming::Text("{\"action\":\"ping\"}".into())],
            close: None,
        },
        TestCase {
            name: "unmasked text",
            input: frame(true, OP_TEXT, b"hi", false),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "reserved bit RSV1",
            input: {
                let mut f = text("hi");
                f[0] |= 0x40;
                f
            },
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "reserved data opcode 0x3",
            input: frame(true, 0x3, b"", true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "reserved control opcode 0xB",
            input: frame(true, 0xB, b"", true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "4 GiB length, header only",
            input: four_gib_header,
            messages: vec![],
            close: Some(close_code::TOO_BIG),
        },
        TestCase {
            name: "64-bit length with the top bit set",
            input: {
                let mut h = vec![0x81, 0x80 | 127];
                h.extend_from_slice(&u64::MAX.to_be_bytes());
                h
            },
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "one byte over the limit",
            input: frame(true, OP_TEXT, &vec![b'a'; LIMIT + 1], true),
            messages: vec![],
            close: Some(close_code::TOO_BIG),
        },
        TestCase {
            name: "exactly the limit",
            input: frame(true, OP_TEXT, &vec![b'a'; LIMIT], true),
            messages: vec![Incoming::Text("a".repeat(LIMIT))],
            close: None,
        },
        TestCase {
            name: "three fragments with a ping between",
            input: [
                frame(false, OP_TEXT, b"{\"action\":", true),
                frame(true, OP_PING, b"p", true),
                frame(false, OP_CONTINUATION, b"\"pi", true),
                frame(true, OP_CONTINUATION, b"ng\"}", true),
            ]
            .concat(),
            messages: vec![
                Incoming::Ping(Bytes::from_static(b"p")),
                Incoming::Text("{\"action\":\"ping\"}".into()),
            ],
            close: None,
        },
        TestCase {
            name: "fragments adding up past the limit",
            input: [
                frame(false, OP_TEXT, &vec![b'a'; LIMIT - 10], true),
                frame(true, OP_CONTINUATION, &[b'a'; 11], true),
            ]
            .concat(),
            messages: vec![],
            close: Some(close_code::TOO_BIG),
        },
        TestCase {
            name: "continuation with nothing begun",
            input: frame(true, OP_CONTINUATION, b"x", true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "new text inside a fragmented one",
            input: [frame(false, OP_TEXT, b"a", true), text("b")].concat(),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "fragmented ping",
            input: frame(false, OP_PING, b"", true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "ping over 125 bytes",
            input: frame(true, OP_PING, &[0; 126], true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "text that is not UTF-8",
            input: frame(true, OP_TEXT, &[0xff, 0xfe], true),
            messages: vec![],
            close: Some(close_code::INVALID_PAYLOAD),
        },
        TestCase {
            name: "binary, fragmented, then text",
            input: [
                frame(false, OP_BINARY, &[1, 2], true),
                frame(true, OP_CONTINUATION, &[3], true),
                text("ok"),
            ]
            .concat(),
            messages: vec![Incoming::Binary, Incoming::Text("ok".into())],
            close: None,
        },
        TestCase {
            name: "close with a code and reason",
            input: frame(true, OP_CLOSE, &[0x03, 0xe8, b'b', b'y', b'e'], true),
            messages: vec![Incoming::Close(Some(1000))],
            close: None,
        },
        TestCase {
            name: "empty close",
            input: frame(true, OP_CLOSE, b"", true),
            messages: vec![Incoming::Close(None)],
            close: None,
        },
        TestCase {
            name: "close with one byte",
            input: frame(true, OP_CLOSE, &[0x03], true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "close with code 1005, never sent on the wire",
            input: frame(true, OP_CLOSE, &[0x03, 0xed], true),
            messages: vec![],
            close: Some(close_code::PROTOCOL_ERROR),
        },
        TestCase {
            name: "pong",
            input: frame(true, OP_PONG, b"x", true),
            messages: vec![Incoming::Pong],
            close: None,
        },
    ];
    for c in cases {
        let (messages, violation, _) = decode_all(&c.input);
        assert_eq!(messages, c.messages, "{}", c.name);
        assert_eq!(violation.map(|v| v.code), c.close, "{}", c.name);
    }
}

#[test]
fn oversize_is_refused_from_the_header_alone() {
    // Only the ten header bytes of a 4 GiB frame: refused before any payload exists.
    let mut decoder = FrameDecoder::new(LIMIT);
    let mut buf = BytesMut::from(&[0x82u8, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0][..]);
    let err = decoder.decode(&mut buf).expect_err("refused");
    assert_eq!(err.code, close_code::TOO_BIG);
    assert!(buf.capacity() < 1024, "nothing reserved for the payload");
}

#[test]
fn byte_at_a_time_gives_the_same_messages() {
    let input = [
        text("one"),
        frame(false, OP_TEXT, b"t", true),
        frame(true, OP_CONTINUATION, b"wo", true),
        frame(true, OP_TEXT, &vec![b'x'; 300], true),
    ]
    .concat();
    let mut decoder = FrameDecoder::new(LIMIT);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for b in input {
        buf.put_u8(b);
        while let Some(m) = decoder.decode(&mut buf).expect("valid") {
            out.push(m);
        }
    }
    assert_eq!(
        out,
        vec![
            Incoming::Text("one".into()),
            Incoming::Text("two".into()),
            Incoming::Text("x".repeat(300)),
        ]
    );
    assert!(buf.is_empty());
}

#[test]
fn encoder_picks_the_shortest_length_form() {
    for (len, header) in [
        (5usize, vec![0x81u8, 5]),
        (126, vec![0x81, 126, 0, 126]),
        (70_000, vec![0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]),
    ] {
        let mut dst = BytesMut::new();
        encode(&mut dst, Outgoing::Text, &vec![b'a'; len]);
        assert_eq!(&dst[..header.len()], &header[..], "length {len}");
        assert_eq!(dst.len(), header.len() + len, "length {len}");
    }
}

#[test]
fn close_frames_carry_code_and_a_cut_reason() {
    let mut dst = BytesMut::new();
    encode_close(&mut dst, close_code::TOO_SLOW, &"é".repeat(100));
    assert_eq!(dst[0], 0x88);
    let len = usize::from(dst[1]);
    assert!(len <= 125, "a control frame: {len}");
    assert_eq!(&dst[2..4], &4008u16.to_be_bytes());
    assert!(
        std::str::from_utf8(&dst[4..]).is_ok(),
        "cut on a char boundary"
    );
}
