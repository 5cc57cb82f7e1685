//! Dhan JSON control messages (protocols.md A2): building subscribe/unsubscribe batches
//! for the runtime, and parsing them back for the simulator.

use std::collections::HashSet;
use std::fmt::Write as _;

use mandi_domain::{Mode, Segment};
use serde_json::{Map, Value};

use crate::DecodeError;

/// At most this many instruments in one subscribe/unsubscribe message.
pub const MAX_INSTRUMENTS_PER_MESSAGE: usize = 100;
/// At most this many instruments on one connection.
pub const MAX_INSTRUMENTS_PER_CONNECTION: usize = 5000;
/// At most this many connections per client id.
pub const MAX_CONNECTIONS: usize = 5;

/// `RequestCode` values of the v2 main feed (annexure).
pub mod request_code {
    /// `{"RequestCode":12}`: the client is leaving.
    pub const DISCONNECT: u8 = 12;
    /// Subscribe in ticker (ltp) mode.
    pub const SUBSCRIBE_TICKER: u8 = 15;
    /// Unsubscribe a ticker subscription.
    pub const UNSUBSCRIBE_TICKER: u8 = 16;
    /// Subscribe in quote mode.
    pub const SUBSCRIBE_QUOTE: u8 = 17;
    /// Unsubscribe a quote subscription.
    pub const UNSUBSCRIBE_QUOTE: u8 = 18;
    /// Subscribe in full mode.
    pub const SUBSCRIBE_FULL: u8 = 21;
    /// Unsubscribe a full subscription.
    pub const UNSUBSCRIBE_FULL: u8 = 22;
}

/// A parsed client request, as the simulator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhanRequest {
    /// Raw `RequestCode`; see [`request_code_mode`] for its meaning.
    pub request_code: u8,
    /// In message order, duplicates kept; empty for a disconnect.
    pub instruments: Vec<(Segment, u32)>,
}

impl DhanRequest {
    /// `(mode, subscribe?)` for a subscribe or unsubscribe; `None` for a disconnect.
    pub fn mode_action(&self) -> Option<(Mode, bool)> {
        request_code_mode(self.request_code)
    }

    /// True for `{"RequestCode":12}`.
    pub fn is_disconnect(&self) -> bool {
        self.request_code == request_code::DISCONNECT
    }

    /// This request as one JSON text frame, exactly as `subscribe_messages` writes it
    /// (no batching: the caller keeps `instruments` within the per-message limit).
    pub fn to_json(&self) -> String {
        if self.is_disconnect() {
            return disconnect_message();
        }
        instrument_message(self.request_code, &self.instruments)
    }
}

/// The subscribe `RequestCode` for a mode: Ltp (Dhan's "Ticker") 15, Quote 17, Full 21.
pub fn subscribe_code(mode: Mode) -> u8 {
    match mode {
        Mode::Ltp => request_code::SUBSCRIBE_TICKER,
        Mode::Quote => request_code::SUBSCRIBE_QUOTE,
        Mode::Full => request_code::SUBSCRIBE_FULL,
    }
}

/// The unsubscribe `RequestCode` for a mode: the subscribe code + 1.
pub fn unsubscribe_code(mode: Mode) -> u8 {
    subscribe_code(mode) + 1
}

/// What a `RequestCode` does: `Some((mode, true))` subscribes, `Some((mode, false))`
/// unsubscribes, `None` for anything else (12 disconnect, v1 depth 19/20, unknown).
pub fn request_code_mode(code: u8) -> Option<(Mode, bool)> {
    Mode::ALL.into_iter().find_map(|mode| {
        if code == subscribe_code(mode) {
            Some((mode, true))
        } else if code == unsubscribe_code(mode) {
            Some((mode, false))
        } else {
            None
        }
    })
}

/// Subscribe messages for `instruments` in `mode`, batched by 100.
/// Duplicates are dropped keeping first-seen order (the official client dedupes too, but
/// through a set, so its order is arbitrary). No instruments → no messages.
pub fn subscribe_messages(mode: Mode, instruments: &[(Segment, u32)]) -> Vec<String> {
    batched(subscribe_code(mode), instruments)
}

/// Unsubscribe messages (subscribe code + 1), batched by 100.
pub fn unsubscribe_messages(mode: Mode, instruments: &[(Segment, u32)]) -> Vec<String> {
    batched(unsubscribe_code(mode), instruments)
}

/// `{"RequestCode":12}`.
pub fn disconnect_message() -> String {
    format!("{{\"RequestCode\":{}}}", request_code::DISCONNECT)
}

/// Parse a client text frame (SecurityId as string or number).
///
/// Accepts `RequestCode` 12 (any other keys ignored) and 15/16/17/18/21/22 with an
/// `InstrumentCount` equal to the length of `InstrumentList` and at most 100 entries
/// (`TooMany` above that). Everything else is `BadJson` with the reason.
pub fn parse_request(text: &str) -> Result<DhanRequest, DecodeError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| DecodeError::bad_json(format!("not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| DecodeError::bad_json("expected a JSON object"))?;
    let request_code = obj
        .get("RequestCode")
        .and_then(Value::as_u64)
        .and_then(|c| u8::try_from(c).ok())
        .ok_or_else(|| DecodeError::bad_json("RequestCode must be an integer 0..=255"))?;
    if request_code == request_code::DISCONNECT {
        return Ok(DhanRequest {
            request_code,
            instruments: Vec::new(),
        });
    }
    if request_code_mode(request_code).is_none() {
        return Err(DecodeError::bad_json(format!(
            "unsupported RequestCode {request_code} (expected 12, 15-18, 21 or 22)"
        )));
    }
    Ok(DhanRequest {
        request_code,
        instruments: parse_instrument_list(obj)?,
    })
}

fn parse_instrument_list(obj: &Map<String, Value>) -> Result<Vec<(Segment, u32)>, DecodeError> {
    let too_many = DecodeError::TooMany {
        what: "instruments per message",
        limit: MAX_INSTRUMENTS_PER_MESSAGE,
    };
    let list = obj
        .get("InstrumentList")
        .and_then(Value::as_array)
        .ok_or_else(|| DecodeError::bad_json("InstrumentList must be an array"))?;
    let count = obj
        .get("InstrumentCount")
        .and_then(Value::as_u64)
        .ok_or_else(|| DecodeError::bad_json("InstrumentCount must be a non-negative integer"))?;
    // The limit is checked before the entries are looked at, so an oversized list costs
    // no per-entry work.
    if list.len() > MAX_INSTRUMENTS_PER_MESSAGE || count > MAX_INSTRUMENTS_PER_MESSAGE as u64 {
        return Err(too_many);
    }
    if count != list.len() as u64 {
        return Err(DecodeError::bad_json(format!(
            "InstrumentCount {count} but InstrumentList has {} entries",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, entry)| parse_instrument(i, entry))
        .collect()
}

fn parse_instrument(index: usize, entry: &Value) -> Result<(Segment, u32), DecodeError> {
    let at = |what: &str| DecodeError::bad_json(format!("InstrumentList[{index}]: {what}"));
    let obj = entry.as_object().ok_or_else(|| at("expected an object"))?;
    let segment_name = obj
        .get("ExchangeSegment")
        .and_then(Value::as_str)
        .ok_or_else(|| at("ExchangeSegment must be a string"))?;
    let segment = Segment::parse(segment_name).ok_or_else(|| {
        // Echo at most a short prefix: the reason ends up in logs.
        let shown: String = segment_name.chars().take(32).collect();
        at(&format!("unknown ExchangeSegment {shown:?}"))
    })?;
    // The docs and examples send a string; the official client passes through whatever
    // the caller gave it, so integers reach the server too.
    let security_id = match obj.get("SecurityId") {
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u32>().ok()
        }
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
    .ok_or_else(|| at("SecurityId must be a u32, as a decimal string or an integer"))?;
    Ok((segment, security_id))
}

fn batched(code: u8, instruments: &[(Segment, u32)]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(instruments.len());
    let unique: Vec<(Segment, u32)> = instruments
        .iter()
        .copied()
        .filter(|instrument| seen.insert(*instrument))
        .collect();
    unique
        .chunks(MAX_INSTRUMENTS_PER_MESSAGE)
        .map(|batch| instrument_message(code, batch))
        .collect()
}

/// Written by hand rather than through serde so the bytes are exactly the documented
/// compact form and the function cannot fail.
fn instrument_message(code: u8, instruments: &[(Segment, u32)]) -> String {
    let mut out = String::with_capacity(64 + instruments.len() * 48);
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        out,
        "{{\"RequestCode\":{code},\"InstrumentCount\":{},\"InstrumentList\":[",
        instruments.len()
    );
    for (i, (segment, security_id)) in instruments.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"ExchangeSegment\":\"{}\",\"SecurityId\":\"{security_id}\"}}",
            segment.as_str()
        );
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_json_is_exact() {
        let msgs = subscribe_messages(Mode::Ltp, &[(Segment::NseEq, 1333), (Segment::IdxI, 13)]);
        assert_eq!(
            msgs,
            vec![
                "{\"RequestCode\":15,\"InstrumentCount\":2,\"InstrumentList\":[\
                 {\"ExchangeSegment\":\"NSE_EQ\",\"SecurityId\":\"1333\"},\
                 {\"ExchangeSegment\":\"IDX_I\",\"SecurityId\":\"13\"}]}"
                    .to_owned()
            ]
        );
        assert_eq!(disconnect_message(), "{\"RequestCode\":12}");
        assert!(subscribe_messages(Mode::Full, &[]).is_empty());
    }

    #[test]
    fn codes_per_mode_and_direction() {
        struct TestCase {
            mode: Mode,
            subscribe: u8,
            unsubscribe: u8,
        }
        let cases = [
            TestCase {
                mode: Mode::Ltp,
                subscribe: 15,
                unsubscribe: 16,
            },
            TestCase {
                mode: Mode::Quote,
                subscribe: 17,
                unsubscribe: 18,
            },
            TestCase {
                mode: Mode::Full,
                subscribe: 21,
                unsubscribe: 22,
            },
        ];
        for case in cases {
            let name = case.mode.as_str();
            assert_eq!(subscribe_code(case.mode), case.subscribe, "{name}");
            assert_eq!(unsubscribe_code(case.mode), case.unsubscribe, "{name}");
            assert_eq!(
                request_code_mode(case.subscribe),
                Some((case.mode, true)),
                "{name}"
            );
            assert_eq!(
                request_code_mode(case.unsubscribe),
                Some((case.mode, false)),
                "{name}"
            );
            let unsub = unsubscribe_messages(case.mode, &[(Segment::NseFno, 7)]);
            let parsed = parse_request(&unsub[0]).expect("own output parses");
            assert_eq!(parsed.request_code, case.unsubscribe, "{name}");
            assert_eq!(parsed.mode_action(), Some((case.mode, false)), "{name}");
        }
        for code in [0, 11, 12, 19, 20, 23, 24, 255] {
            assert_eq!(request_code_mode(code), None, "code {code}");
        }
    }

    #[test]
    fn batches_by_100() {
        let instruments: Vec<(Segment, u32)> = (0..250).map(|i| (Segment::NseEq, i)).collect();
        let msgs = subscribe_messages(Mode::Quote, &instruments);
        let sizes: Vec<usize> = msgs
            .iter()
            .map(|m| {
                parse_request(m)
                    .expect("own output parses")
                    .instruments
                    .len()
            })
            .collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        let all: Vec<(Segment, u32)> = msgs
            .iter()
            .flat_map(|m| parse_request(m).expect("parses").instruments)
            .collect();
        assert_eq!(all, instruments, "order preserved across batches");
    }

    #[test]
    fn dedupes_keeping_first_seen_order() {
        let input = [
            (Segment::NseEq, 3),
            (Segment::NseEq, 1),
            (Segment::BseEq, 3),
            (Segment::NseEq, 3),
            (Segment::NseEq, 1),
        ];
        let msgs = subscribe_messages(Mode::Full, &input);
        assert_eq!(msgs.len(), 1);
        let parsed = parse_request(&msgs[0]).expect("parses");
        assert_eq!(
            parsed.instruments,
            vec![
                (Segment::NseEq, 3),
                (Segment::NseEq, 1),
                (Segment::BseEq, 3)
            ]
        );
        // 150 copies of 100 distinct instruments still fit one message.
        let many: Vec<(Segment, u32)> = (0..150).map(|i| (Segment::McxComm, i % 100)).collect();
        assert_eq!(subscribe_messages(Mode::Ltp, &many).len(), 1);
    }

    #[test]
    fn parses_official_client_shapes() {
        struct TestCase {
            name: &'static str,
            text: &'static str,
            want: Result<DhanRequest, DecodeError>,
        }
        let ok = |request_code: u8, instruments: Vec<(Segment, u32)>| {
            Ok(DhanRequest {
                request_code,
                instruments,
            })
        };
        let too_many = Err(DecodeError::TooMany {
            what: "instruments per message",
            limit: MAX_INSTRUMENTS_PER_MESSAGE,
        });
        let cases = [
            TestCase {
                name: "python json.dumps spacing, string id",
                text: r#"{"RequestCode": 15, "InstrumentCount": 1, "InstrumentList": [{"ExchangeSegment": "NSE_EQ", "SecurityId": "1333"}]}"#,
                want: ok(15, vec![(Segment::NseEq, 1333)]),
            },
            TestCase {
                name: "integer id",
                text: r#"{"RequestCode":21,"InstrumentCount":2,"InstrumentList":[{"ExchangeSegment":"IDX_I","SecurityId":13},{"ExchangeSegment":"BSE_FNO","SecurityId":"4294967295"}]}"#,
                want: ok(21, vec![(Segment::IdxI, 13), (Segment::BseFno, u32::MAX)]),
            },
            TestCase {
                name: "disconnect",
                text: r#"{"RequestCode":12}"#,
                want: ok(12, vec![]),
            },
            TestCase {
                name: "empty list",
                text: r#"{"RequestCode":17,"InstrumentCount":0,"InstrumentList":[]}"#,
                want: ok(17, vec![]),
            },
            TestCase {
                name: "count disagrees with list",
                text: r#"{"RequestCode":15,"InstrumentCount":2,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"1"}]}"#,
                want: Err(DecodeError::bad_json("InstrumentCount 2 but InstrumentList has 1 entries")),
            },
            TestCase {
                name: "count over the limit",
                text: r#"{"RequestCode":15,"InstrumentCount":101,"InstrumentList":[]}"#,
                want: too_many.clone(),
            },
            TestCase {
                name: "unknown segment",
                text: r#"{"RequestCode":15,"InstrumentCount":1,"InstrumentList":[{"ExchangeSegment":"INX_EQ","SecurityId":"1"}]}"#,
                want: Err(DecodeError::bad_json("InstrumentList[0]: unknown ExchangeSegment \"INX_EQ\"")),
            },
            TestCase {
                name: "negative id",
                text: r#"{"RequestCode":15,"InstrumentCount":1,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":-1}]}"#,
                want: Err(DecodeError::bad_json("InstrumentList[0]: SecurityId must be a u32, as a decimal string or an integer")),
            },
            TestCase {
                name: "non-digit id string",
                text: r#"{"RequestCode":15,"InstrumentCount":1,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"+5"}]}"#,
                want: Err(DecodeError::bad_json("InstrumentList[0]: SecurityId must be a u32, as a decimal string or an integer")),
            },
            TestCase {
                name: "v1 depth code",
                text: r#"{"RequestCode":19,"InstrumentCount":0,"InstrumentList":[]}"#,
                want: Err(DecodeError::bad_json("unsupported RequestCode 19 (expected 12, 15-18, 21 or 22)")),
            },
            TestCase {
                name: "code as string",
                text: r#"{"RequestCode":"15"}"#,
                want: Err(DecodeError::bad_json("RequestCode must be an integer 0..=255")),
            },
            TestCase {
                name: "missing count",
                text: r#"{"RequestCode":15,"InstrumentList":[]}"#,
                want: Err(DecodeError::bad_json("InstrumentCount must be a non-negative integer")),
            },
            TestCase {
                name: "array at top level",
                text: "[]",
                want: Err(DecodeError::bad_json("expected a JSON object")),
            },
        ];
        for case in cases {
            assert_eq!(parse_request(case.text), case.want, "case: {}", case.name);
        }
    }

    #[test]
    fn oversized_list_is_too_many() {
        let instruments: Vec<(Segment, u32)> = (0..101).map(|i| (Segment::NseEq, i)).collect();
        let text = DhanRequest {
            request_code: 15,
            instruments,
        }
        .to_json();
        assert!(matches!(
            parse_request(&text),
            Err(DecodeError::TooMany { limit: 100, .. })
        ));
    }

    #[test]
    fn garbage_is_bad_json_not_a_panic() {
        for text in [
            "",
            "{",
            "null",
            "{\"RequestCode\":1e400}",
            "\u{0}",
            &"[".repeat(10_000),
        ] {
            assert_eq!(
                parse_request(text).map_err(|e| e.kind()),
                Err("bad_json"),
                "{text:.20}"
            );
        }
    }
}
