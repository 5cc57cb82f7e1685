//! Kite JSON control messages (protocols.md B2): `{"a":..,"v":..}` with integer tokens.

use std::fmt::Write as _;

use mandi_domain::Mode;
use serde_json::Value;

use crate::DecodeError;

/// At most this many tokens on one connection (older docs said 1000).
pub const MAX_TOKENS_PER_CONNECTION: usize = 3000;
/// At most this many connections per api_key.
pub const MAX_CONNECTIONS: usize = 3;

/// A client request: `{"a":"subscribe","v":[..]}`, `unsubscribe`, or
/// `{"a":"mode","v":["full",[..]]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteRequest {
    /// Start streaming these tokens; the server's default mode is `quote`.
    Subscribe {
        /// Instrument tokens, as JSON integers.
        tokens: Vec<u32>,
    },
    /// Stop streaming these tokens.
    Unsubscribe {
        /// Instrument tokens, as JSON integers.
        tokens: Vec<u32>,
    },
    /// Change the mode of already subscribed tokens.
    SetMode {
        /// `"ltp"`, `"quote"` or `"full"` on the wire.
        mode: Mode,
        /// Instrument tokens, as JSON integers.
        tokens: Vec<u32>,
    },
}

impl KiteRequest {
    /// The compact JSON text frame, e.g. `{"a":"mode","v":["full",[408065]]}`.
    /// Written by hand so the bytes are exact and the function cannot fail.
    pub fn to_json(&self) -> String {
        let (action, mode, tokens) = match self {
            KiteRequest::Subscribe { tokens } => ("subscribe", None, tokens),
            KiteRequest::Unsubscribe { tokens } => ("unsubscribe", None, tokens),
            KiteRequest::SetMode { mode, tokens } => ("mode", Some(*mode), tokens),
        };
        let mut out = String::with_capacity(32 + tokens.len() * 11);
        // `write!` into a String cannot fail; the results are ignored for that reason.
        let _ = write!(out, "{{\"a\":\"{action}\",\"v\":");
        if let Some(mode) = mode {
            let _ = write!(out, "[\"{}\",", mode.as_str());
        }
        out.push('[');
        for (i, token) in tokens.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{token}");
        }
        out.push(']');
        if mode.is_some() {
            out.push(']');
        }
        out.push('}');
        out
    }

    /// Parse a client text frame. Total: anything but the three documented shapes with
    /// u32 tokens is `BadJson`; more than 3000 tokens in one message is `TooMany`.
    pub fn parse(text: &str) -> Result<KiteRequest, DecodeError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| DecodeError::bad_json(format!("not JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| DecodeError::bad_json("expected a JSON object"))?;
        let action = obj
            .get("a")
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::bad_json("\"a\" must be a string"))?;
        let v = obj
            .get("v")
            .ok_or_else(|| DecodeError::bad_json("missing \"v\""))?;
        match action {
            "subscribe" => Ok(KiteRequest::Subscribe {
                tokens: parse_tokens(v)?,
            }),
            "unsubscribe" => Ok(KiteRequest::Unsubscribe {
                tokens: parse_tokens(v)?,
            }),
            "mode" => {
                let shape =
                    || DecodeError::bad_json("\"v\" of a mode request must be [mode, [tokens]]");
                let [mode, tokens] = v.as_array().map(Vec::as_slice).ok_or_else(shape)? else {
                    return Err(shape());
                };
                let mode = mode.as_str().and_then(Mode::parse).ok_or_else(|| {
                    DecodeError::bad_json("mode must be \"ltp\", \"quote\" or \"full\"")
                })?;
                Ok(KiteRequest::SetMode {
                    mode,
                    tokens: parse_tokens(tokens)?,
                })
            }
            other => Err(DecodeError::bad_json(format!(
                "unknown action {:?}",
                other.chars().take(32).collect::<String>()
            ))),
        }
    }
}

fn parse_tokens(v: &Value) -> Result<Vec<u32>, DecodeError> {
    let list = v
        .as_array()
        .ok_or_else(|| DecodeError::bad_json("tokens must be an array"))?;
    if list.len() > MAX_TOKENS_PER_CONNECTION {
        return Err(DecodeError::TooMany {
            what: "tokens per message",
            limit: MAX_TOKENS_PER_CONNECTION,
        });
    }
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            t.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| DecodeError::bad_json(format!("token {i} is not a u32 integer")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        request: KiteRequest,
        json: &'static str,
    }

    fn cases() -> Vec<TestCase> {
        vec![
            TestCase {
                name: "subscribe",
                request: KiteRequest::Subscribe {
                    tokens: vec![408065, 884737],
                },
                json: r#"{"a":"subscribe","v":[408065,884737]}"#,
            },
            TestCase {
                name: "unsubscribe",
                request: KiteRequest::Unsubscribe {
                    tokens: vec![884737],
                },
                json: r#"{"a":"unsubscribe","v":[884737]}"#,
            },
            TestCase {
                name: "mode full",
                request: KiteRequest::SetMode {
                    mode: Mode::Full,
                    tokens: vec![408065],
                },
                json: r#"{"a":"mode","v":["full",[408065]]}"#,
            },
            TestCase {
                name: "mode ltp, two tokens",
                request: KiteRequest::SetMode {
                    mode: Mode::Ltp,
                    tokens: vec![1, u32::MAX],
                },
                json: r#"{"a":"mode","v":["ltp",[1,4294967295]]}"#,
            },
            TestCase {
                name: "empty subscribe",
                request: KiteRequest::Subscribe { tokens: vec![] },
                json: r#"{"a":"subscribe","v":[]}"#,
            },
        ]
    }

    #[test]
    fn json_is_exact_and_parses_back() {
        for case in cases() {
            assert_eq!(case.request.to_json(), case.json, "case: {}", case.name);
            assert_eq!(
                KiteRequest::parse(case.json),
                Ok(case.request),
                "case: {}",
                case.name
            );
        }
    }

    #[test]
    fn parses_python_spacing() {
        let got = KiteRequest::parse(r#"{"a": "mode", "v": ["quote", [408065, 884737]]}"#);
        assert_eq!(
            got,
            Ok(KiteRequest::SetMode {
                mode: Mode::Quote,
                tokens: vec![408065, 884737]
            })
        );
    }

    #[test]
    fn rejects_everything_else() {
        let bad = [
            ("not json", ""),
            ("array", "[]"),
            ("missing a", r#"{"v":[1]}"#),
            ("missing v", r#"{"a":"subscribe"}"#),
            ("unknown action", r#"{"a":"subscribe_all","v":[1]}"#),
            ("string token", r#"{"a":"subscribe","v":["408065"]}"#),
            ("negative token", r#"{"a":"subscribe","v":[-1]}"#),
            ("float token", r#"{"a":"subscribe","v":[1.5]}"#),
            ("token over u32", r#"{"a":"subscribe","v":[4294967296]}"#),
            ("mode not a pair", r#"{"a":"mode","v":["full"]}"#),
            ("mode triple", r#"{"a":"mode","v":["full",[1],[2]]}"#),
            ("unknown mode", r#"{"a":"mode","v":["depth",[1]]}"#),
            ("mode tokens not array", r#"{"a":"mode","v":["full",1]}"#),
            ("v not array", r#"{"a":"unsubscribe","v":{"x":1}}"#),
        ];
        for (name, text) in bad {
            let got = KiteRequest::parse(text);
            assert_eq!(got.map_err(|e| e.kind()), Err("bad_json"), "case: {name}");
        }
    }

    #[test]
    fn too_many_tokens() {
        let tokens: Vec<u32> = (0..=3000).collect();
        let text = KiteRequest::Subscribe { tokens }.to_json();
        assert!(matches!(
            KiteRequest::parse(&text),
            Err(DecodeError::TooMany { limit: 3000, .. })
        ));
    }
}
