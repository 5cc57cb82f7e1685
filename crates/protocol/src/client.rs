//! The browser/bot socket protocol (docs/client-protocol.md): commands parsed from
//! clients, and the server messages, each serialized once into shared `Bytes`.

use std::sync::Arc;

use bytestring::ByteString;
use chrono::{DateTime, Utc};
use mandi_domain::time::IST;
use mandi_domain::{FeedQuality, FeedState, InstrumentStatus, Mode, Tick};
use serde::{Deserialize, Serialize};

/// Largest client text frame we parse; anything bigger is refused before parsing.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// A client command: `{"action":"subscribe","symbols":[..],"mode":"ltp"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum ClientCommand {
    Subscribe {
        symbols: Vec<String>,
        #[serde(default = "default_mode")]
        mode: Mode,
    },
    Unsubscribe {
        symbols: Vec<String>,
    },
    /// A struct variant (not a unit one) so unknown fields are refused here too.
    Ping {},
}

fn default_mode() -> Mode {
    Mode::Ltp
}

/// Why a command was refused; `code` is stable for programs, `message` for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl ClientCommand {
    /// Total parser: every input is a command or a typed error, never a panic.
    pub fn parse(text: &str, max_symbols: usize) -> Result<ClientCommand, CommandError> {
        if text.len() > MAX_COMMAND_BYTES {
            return Err(CommandError {
                code: "bad_request",
                message: format!(
                    "message is {} bytes; the limit is {MAX_COMMAND_BYTES}",
                    text.len()
                ),
            });
        }
        let cmd: ClientCommand = serde_json::from_str(text).map_err(|e| CommandError {
            code: "bad_json",
            message: format!(
                "{e}; expected e.g. {{\"action\":\"subscribe\",\"symbols\":[\"NIFTY\"],\"mode\":\"ltp\"}}"
            ),
        })?;
        let n = match &cmd {
            ClientCommand::Subscribe { symbols, .. } | ClientCommand::Unsubscribe { symbols } => {
                symbols.len()
            }
            ClientCommand::Ping {} => 0,
        };
        if n > max_symbols {
            return Err(CommandError {
                code: "too_many_symbols",
                message: format!(
                    "{n} symbols in one message; at most {max_symbols} per connection"
                ),
            });
        }
        Ok(cmd)
    }
}

/// The tick as clients see it: the stored tick plus derived fields.
#[derive(Serialize)]
struct TickData<'a> {
    #[serde(flatten)]
    tick: &'a Tick,
    change_pct: f64,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

/// One serialized text frame. `ByteString` is reference-counted, so the same frame is
/// handed to every session without copying or re-validating UTF-8.
pub type Frame = ByteString;

pub fn to_bytes<T: Serialize>(value: &T) -> Frame {
    // Serializing our own plain structs cannot fail (no maps with non-string keys).
    ByteString::from(serde_json::to_string(value).unwrap_or_default())
}

/// `{"type":"tick","data":{..}}` — built once per tick, shared by every session.
pub fn tick_message(tick: &Tick) -> Frame {
    to_bytes(&Envelope {
        kind: "tick",
        data: TickData {
            tick,
            change_pct: round2(tick.change_pct()),
        },
    })
}

/// `{"type":"snapshot","data":[..]}` with the last known tick of each symbol.
pub fn snapshot_message(ticks: &[&Tick]) -> Frame {
    let data: Vec<TickData<'_>> = ticks
        .iter()
        .map(|t| TickData {
            tick: t,
            change_pct: round2(t.change_pct()),
        })
        .collect();
    to_bytes(&Envelope {
        kind: "snapshot",
        data,
    })
}

pub fn subscribed_message(symbols: &[Arc<str>], mode: Mode) -> Frame {
    to_bytes(&serde_json::json!({"type": "subscribed", "symbols": symbols, "mode": mode}))
}

pub fn unsubscribed_message(symbols: &[Arc<str>]) -> Frame {
    to_bytes(&serde_json::json!({"type": "unsubscribed", "symbols": symbols}))
}

pub fn error_message(code: &str, message: &str) -> Frame {
    to_bytes(&serde_json::json!({"type": "error", "code": code, "message": message}))
}

pub fn pong_message(now: DateTime<Utc>) -> Frame {
    to_bytes(&serde_json::json!({"type": "pong", "timestamp": ist_rfc3339(now)}))
}

/// What clients are told about feed health (`connection_status`, `heartbeat` and the
/// `/ws/prices` `status`). The broadcaster refreshes `quality`, `markets` and
/// `data_age_s` on a clock, so a socket that stays open but carries nothing is reported
/// `quiet` and then `stale`, not `good`.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthView {
    pub state: FeedState,
    pub reason: Option<String>,
    pub broker: &'static str,
    /// Any exchange is in its session (the coarse `market_status`; `markets` is per exchange).
    pub market_open: bool,
    /// Each exchange's session, in display order: `("NSE", true)`.
    pub markets: Vec<(&'static str, bool)>,
    pub last_tick_at: Option<DateTime<Utc>>,
    /// The REST poller has taken over while the socket is down.
    pub fallback_active: bool,
    /// ... and the broker refuses its requests too; its operator-facing reason.
    pub fallback_refused: Option<String>,
    /// The data's worth, judged by `mandi_domain::feed_quality`.
    pub quality: FeedQuality,
    /// Seconds without market data inside a session (for the message); `None` outside.
    pub data_age_s: Option<f64>,
}

impl HealthView {
    /// REST polling serves prices in place of a socket that is not live.
    pub fn using_rest_fallback(&self) -> bool {
        self.fallback_active && self.fallback_refused.is_none() && self.state != FeedState::Live
    }

    /// The socket is not live and the REST poller standing in is refused too.
    fn refused_everywhere(&self) -> bool {
        self.fallback_active && self.fallback_refused.is_some() && self.state != FeedState::Live
    }

    pub fn mode(&self) -> &'static str {
        if self.refused_everywhere() {
            return FeedState::LoginRequired.as_str();
        }
        if self.using_rest_fallback() {
            return "rest_fallback";
        }
        self.state.as_str()
    }

    pub fn quality(&self) -> &'static str {
        self.quality.as_str()
    }

    /// Healthy only while data flows (or silence is normal): a quiet feed is not.
    pub fn is_healthy(&self) -> bool {
        self.quality == FeedQuality::Good
    }

    pub fn auth_required(&self) -> bool {
        self.state == FeedState::LoginRequired || self.refused_everywhere()
    }

    /// The `/ws/prices` `status`: `active` while the data is good, otherwise the worst
    /// of what the data and the connection say, so a frozen map never reads `active`.
    pub fn prices_status(&self) -> &'static str {
        match self.quality {
            FeedQuality::Good => "active",
            FeedQuality::Quiet | FeedQuality::Stale => self.quality.as_str(),
            FeedQuality::Degraded | FeedQuality::Down => self.mode(),
        }
    }

    fn message(&self) -> String {
        if let (Some(refused), true) = (&self.fallback_refused, self.refused_everywhere()) {
            let why = self.reason.as_deref().unwrap_or("websocket down");
            return format!("broker login required: {why}; REST quotes refused too ({refused})");
        }
        let frozen = |what: &str| {
            let age = self.data_age_s.unwrap_or_default();
            format!("{what}: no market data for {age:.0} s while the market is open")
        };
        match (self.quality, self.state) {
            (FeedQuality::Quiet | FeedQuality::Stale, FeedState::Live) => {
                return frozen(&format!("connected to {}", self.broker));
            }
            (FeedQuality::Stale, _) if !self.using_rest_fallback() => {
                return frozen(&self.state_message());
            }
            _ => {}
        }
        if self.using_rest_fallback() {
            let why = self.reason.as_deref().unwrap_or("websocket down");
            let stalled = if self.quality == FeedQuality::Stale {
                "; no answer with prices lately"
            } else {
                ""
            };
            return format!(
                "{why}; prices from REST polling (at most 1 request/s) until the socket is back{stalled}"
            );
        }
        self.state_message()
    }

    /// What the connection alone says: the feed's reason, or its state in words.
    fn state_message(&self) -> String {
        match (&self.reason, self.state) {
            (Some(r), _) => r.clone(),
            (None, FeedState::Live) => format!("streaming live from {}", self.broker),
            (None, FeedState::Connecting) => format!("connecting to {}", self.broker),
            (None, FeedState::Reconnecting) => "upstream lost; reconnecting".to_string(),
            (None, FeedState::LoginRequired) => "broker login required".to_string(),
            (None, FeedState::Stopped) => "feed stopped".to_string(),
        }
    }

    pub fn last_tick_seconds_ago(&self, now: DateTime<Utc>) -> Option<f64> {
        self.last_tick_at
            .map(|t| mandi_domain::time::seconds_since(t, now))
    }

    fn markets_json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .markets
            .iter()
            .map(|(name, open)| ((*name).to_string(), open_or_closed(*open).into()))
            .collect();
        serde_json::Value::Object(map)
    }
}

fn open_or_closed(open: bool) -> &'static str {
    if open {
        "open"
    } else {
        "closed"
    }
}

pub fn connection_status_message(h: &HealthView, now: DateTime<Utc>) -> Frame {
    to_bytes(&serde_json::json!({
        "type": "connection_status",
        "mode": h.mode(),
        "quality": h.quality(),
        "message": h.message(),
        "market_status": open_or_closed(h.market_open),
        "markets": h.markets_json(),
        "auth_required": h.auth_required(),
        "broker": h.broker,
        "timestamp": ist_rfc3339(now),
    }))
}

pub fn heartbeat_message(h: &HealthView, now: DateTime<Utc>) -> Frame {
    to_bytes(&serde_json::json!({
        "type": "heartbeat",
        "timestamp": ist_rfc3339(now),
        "connection_health": {
            "state": h.mode(),
            "is_healthy": h.is_healthy(),
            "connection_quality": h.quality(),
            "using_rest_fallback": h.using_rest_fallback(),
            "last_tick_seconds_ago": h.last_tick_seconds_ago(now),
        },
        "markets": h.markets_json(),
    }))
}

/// `{"type":"instrument_status","data":{"symbol":..,"state":"stale",..}}`, sent to the
/// sessions watching that symbol when its state changes.
pub fn instrument_status_message(status: &InstrumentStatus) -> Frame {
    to_bytes(&Envelope {
        kind: "instrument_status",
        data: status,
    })
}

fn ist_rfc3339(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed instant: the codec takes time as an argument.
    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default()
    }

    struct TestCase {
        name: &'static str,
        input: &'static str,
        want_code: Option<&'static str>,
    }

    #[test]
    fn command_parsing_cases() {
        let cases = [
            TestCase { name: "subscribe", input: r#"{"action":"subscribe","symbols":["NIFTY"],"mode":"full"}"#, want_code: None },
            TestCase { name: "default mode", input: r#"{"action":"subscribe","symbols":["NIFTY"]}"#, want_code: None },
            TestCase { name: "unsubscribe", input: r#"{"action":"unsubscribe","symbols":["NIFTY"]}"#, want_code: None },
            TestCase { name: "ping", input: r#"{"action":"ping"}"#, want_code: None },
            TestCase { name: "not json", input: "hello", want_code: Some("bad_json") },
            TestCase { name: "unknown action", input: r#"{"action":"buy"}"#, want_code: Some("bad_json") },
            TestCase { name: "bad mode", input: r#"{"action":"subscribe","symbols":[],"mode":"depth"}"#, want_code: Some("bad_json") },
            TestCase { name: "symbols not a list", input: r#"{"action":"subscribe","symbols":"NIFTY"}"#, want_code: Some("bad_json") },
            TestCase { name: "unknown field", input: r#"{"action":"ping","x":1}"#, want_code: Some("bad_json") },
            TestCase { name: "deep nesting", input: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", want_code: Some("bad_json") },
        ];
        for c in cases {
            let got = ClientCommand::parse(c.input, 3).err().map(|e| e.code);
            assert_eq!(got, c.want_code, "{}", c.name);
        }
    }

    #[test]
    fn too_many_symbols_is_refused() {
        let text = r#"{"action":"subscribe","symbols":["A","B","C","D"]}"#;
        let err = ClientCommand::parse(text, 3).err().map(|e| e.code);
        assert_eq!(err, Some("too_many_symbols"));
    }

    #[test]
    fn oversized_message_is_refused_before_parsing() {
        let text = "x".repeat(MAX_COMMAND_BYTES + 1);
        assert_eq!(
            ClientCommand::parse(&text, 3).err().map(|e| e.code),
            Some("bad_request")
        );
    }

    #[test]
    fn tick_message_has_type_symbol_and_change() {
        let mut t = Tick::empty("NIFTY".into(), at());
        t.ltp = 101.0;
        t.prev_close = 100.0;
        let v: serde_json::Value = serde_json::from_str(&tick_message(&t)).unwrap_or_default();
        assert_eq!(v["type"], "tick");
        assert_eq!(v["data"]["symbol"], "NIFTY");
        assert_eq!(v["data"]["ltp"], 101.0);
        assert_eq!(v["data"]["change_pct"], 1.0);
    }

    #[test]
    fn heartbeat_has_the_documented_fields() {
        let h = view(FeedState::Live, FeedQuality::Good, false, None);
        let v: serde_json::Value =
            serde_json::from_str(&heartbeat_message(&h, at())).unwrap_or_default();
        let ch = &v["connection_health"];
        for key in [
            "state",
            "is_healthy",
            "connection_quality",
            "using_rest_fallback",
            "last_tick_seconds_ago",
        ] {
            assert!(ch.get(key).is_some(), "missing {key}");
        }
        assert_eq!(ch["is_healthy"], true);
    }

    fn view(
        state: FeedState,
        quality: FeedQuality,
        fallback_active: bool,
        refused: Option<&str>,
    ) -> HealthView {
        HealthView {
            state,
            reason: None,
            broker: "dhan",
            market_open: true,
            markets: vec![("NSE", true), ("BSE", true), ("MCX", false)],
            last_tick_at: Some(at()),
            fallback_active,
            fallback_refused: refused.map(str::to_owned),
            quality,
            data_age_s: Some(37.0),
        }
    }

    struct StatusCase {
        name: &'static str,
        view: HealthView,
        mode: &'static str,
        quality: &'static str,
        healthy: bool,
        auth_required: bool,
        prices: &'static str,
        message_has: &'static str,
    }

    #[test]
    fn status_heartbeat_and_prices_tell_the_same_story() {
        use FeedQuality as Q;
        use FeedState as S;
        let case =
            |name, view, mode, quality, healthy, auth_required, prices, message_has| StatusCase {
                name,
                view,
                mode,
                quality,
                healthy,
                auth_required,
                prices,
                message_has,
            };
        let cases = [
            case(
                "streaming",
                view(S::Live, Q::Good, false, None),
                "live",
                "good",
                true,
                false,
                "active",
                "streaming live",
            ),
            case(
                "connected but mute",
                view(S::Live, Q::Stale, false, None),
                "live",
                "stale",
                false,
                false,
                "stale",
                "no market data for 37 s",
            ),
            case(
                "quiet",
                view(S::Live, Q::Quiet, false, None),
                "live",
                "quiet",
                false,
                false,
                "quiet",
                "no market data",
            ),
            case(
                "rest serving",
                view(S::LoginRequired, Q::Degraded, true, None),
                "rest_fallback",
                "degraded",
                false,
                true,
                "rest_fallback",
                "REST polling",
            ),
            case(
                "rest refused too",
                view(S::LoginRequired, Q::Down, true, Some("HTTP 401")),
                "login_required",
                "down",
                false,
                true,
                "login_required",
                "REST quotes refused too (HTTP 401)",
            ),
            case(
                "reconnecting, frozen",
                view(S::Reconnecting, Q::Stale, false, None),
                "reconnecting",
                "stale",
                false,
                false,
                "stale",
                "no market data",
            ),
            case(
                "never connected, frozen",
                view(S::Connecting, Q::Stale, false, None),
                "connecting",
                "stale",
                false,
                false,
                "stale",
                "connecting to dhan: no market data for 37 s",
            ),
        ];
        for c in cases {
            let status: serde_json::Value =
                serde_json::from_str(&connection_status_message(&c.view, at())).unwrap_or_default();
            let beat: serde_json::Value =
                serde_json::from_str(&heartbeat_message(&c.view, at())).unwrap_or_default();
            let health = &beat["connection_health"];
            assert_eq!(status["mode"], c.mode, "{}: mode", c.name);
            assert_eq!(status["quality"], c.quality, "{}: quality", c.name);
            assert_eq!(status["auth_required"], c.auth_required, "{}", c.name);
            assert_eq!(status["markets"]["MCX"], "closed", "{}: markets", c.name);
            assert_eq!(status["markets"]["NSE"], "open", "{}: markets", c.name);
            let message = status["message"].as_str().unwrap_or_default();
            assert!(message.contains(c.message_has), "{}: {message}", c.name);
            assert!(
                !message.contains("REST polling") || c.mode == "rest_fallback",
                "{}: {message}",
                c.name
            );
            assert_eq!(health["state"], c.mode, "{}: heartbeat state", c.name);
            assert_eq!(health["connection_quality"], c.quality, "{}", c.name);
            assert_eq!(health["is_healthy"], c.healthy, "{}: is_healthy", c.name);
            assert_eq!(
                c.view.prices_status(),
                c.prices,
                "{}: prices status",
                c.name
            );
        }
    }
}
