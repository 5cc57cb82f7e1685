//! Kite v3 market quotes over REST (protocols.md B5): the target of `GET /quote/ltp`,
//! `/quote/ohlc` and `/quote` with repeated, URL-encoded `i=EXCHANGE:TRADINGSYMBOL`,
//! their answers as typed rows, and Kite's error envelope as a [`RestError`]. Pure.

use std::collections::HashSet;

use serde_json::Value;

use crate::dhan::rest::{
    bad_body, clock, digits, ist_wall_seconds, quote_fields, rest_error, text, Verdict,
};
pub use crate::dhan::rest::{RestError, RestOhlc, RestQuote};

/// Keys one `/quote/ltp` or `/quote/ohlc` request may carry.
pub const MAX_LTP_KEYS: usize = 1000;
/// Keys one full `/quote` request may carry.
pub const MAX_QUOTE_KEYS: usize = 500;
/// The `X-Kite-Version` header value every call sends.
pub const API_VERSION: &str = "3";

/// Which of the three quote endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KiteQuoteEndpoint {
    /// `last_price` (and `instrument_token`) only; up to 1000 keys.
    Ltp,
    /// Adds the day's `ohlc`; up to 1000 keys.
    Ohlc,
    /// The full quote with depth and timestamps; up to 500 keys.
    Quote,
}

impl KiteQuoteEndpoint {
    /// The path under the REST root.
    pub fn path(self) -> &'static str {
        match self {
            KiteQuoteEndpoint::Ltp => "/quote/ltp",
            KiteQuoteEndpoint::Ohlc => "/quote/ohlc",
            KiteQuoteEndpoint::Quote => "/quote",
        }
    }

    /// Keys one request may carry.
    pub fn max_keys(self) -> usize {
        match self {
            KiteQuoteEndpoint::Ltp | KiteQuoteEndpoint::Ohlc => MAX_LTP_KEYS,
            KiteQuoteEndpoint::Quote => MAX_QUOTE_KEYS,
        }
    }
}

/// One instrument's row in a Kite quote answer, keyed as it was asked for.
///
/// From `{"status":"success","data":{"NSE:INFY":{"instrument_token":408065,"last_price":1074.35}}}`
/// comes `KiteQuoteRow { key: "NSE:INFY", instrument_token: Some(408065), quote: RestQuote
/// { last_price: 1074.35, .. }, .. }` (fixture `tests/fixtures/rest/kite_ltp_response.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct KiteQuoteRow {
    /// `EXCHANGE:TRADINGSYMBOL`, the key in `data`.
    pub key: String,
    /// `instrument_token`, when sent.
    pub instrument_token: Option<u32>,
    /// `timestamp` (full quote only): when the exchange stamped this quote, as IST
    /// wall-clock seconds like [`RestQuote::last_trade_ist_s`].
    pub timestamp_ist_s: Option<i64>,
    /// What the row says; `ohlc.close` is the previous session's close.
    pub quote: RestQuote,
}

/// `Authorization` header value: `token <api_key>:<access_token>`.
pub fn authorization(api_key: &str, access_token: &str) -> String {
    format!("token {api_key}:{access_token}")
}

/// Path and query for `keys`, each as `i=` form-encoded the way the official client does:
/// `["NSE:INFY", "NSE:NIFTY 50"]` on [`KiteQuoteEndpoint::Ltp`] gives
/// `/quote/ltp?i=NSE%3AINFY&i=NSE%3ANIFTY+50` (fixture `kite_ltp_query.txt`).
/// Repeated keys are sent once; more than the endpoint's limit is an error.
pub fn quote_target(endpoint: KiteQuoteEndpoint, keys: &[&str]) -> Result<String, RestError> {
    let mut seen = HashSet::with_capacity(keys.len());
    let keys: Vec<&str> = keys.iter().copied().filter(|k| seen.insert(*k)).collect();
    if keys.len() > endpoint.max_keys() {
        return Err(RestError::TooMany {
            count: keys.len(),
            limit: endpoint.max_keys(),
        });
    }
    let mut target = String::with_capacity(16 + 24 * keys.len());
    target.push_str(endpoint.path());
    for (i, key) in keys.iter().enumerate() {
        target.push_str(if i == 0 { "?i=" } else { "&i=" });
        form_encode(key, &mut target);
    }
    Ok(target)
}

/// Parse a quote answer. A 2xx `{"status":"success","data":{..}}` gives one row per key
/// Kite knows: unknown or expired keys are simply missing, as on Kite, and rows without
/// a numeric `last_price` are skipped; unknown fields are ignored. Anything else is a
/// classified [`RestError`] from the envelope
/// `{"status":"error","message":"..","data":null,"error_type":"TokenException"}`.
pub fn parse_quote_response(status: u16, body: &[u8]) -> Result<Vec<KiteQuoteRow>, RestError> {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        return Err(kite_error(status, value.as_ref()));
    }
    let obj = value
        .as_ref()
        .and_then(Value::as_object)
        .ok_or_else(|| bad_body(status, "expected a JSON object"))?;
    if text(obj, "status").is_some_and(|s| s != "success") {
        return Err(kite_error(status, value.as_ref()));
    }
    let data = match obj.get("data") {
        Some(Value::Object(data)) => data,
        // Nothing Kite knows about: an empty answer, not a broken one.
        Some(Value::Null) => return Ok(Vec::new()),
        _ => return Err(bad_body(status, "no `data` object")),
    };
    let mut rows = Vec::with_capacity(data.len());
    for (key, entry) in data {
        let Some(entry) = entry.as_object() else {
            continue;
        };
        let traded = text(entry, "last_trade_time").and_then(kite_time);
        let Some(quote) = quote_fields(entry, traded) else {
            continue;
        };
        rows.push(KiteQuoteRow {
            key: key.clone(),
            instrument_token: entry
                .get("instrument_token")
                .and_then(Value::as_u64)
                .and_then(|t| u32::try_from(t).ok()),
            timestamp_ist_s: text(entry, "timestamp").and_then(kite_time),
            quote,
        });
    }
    Ok(rows)
}

/// `YYYY-MM-DD HH:MM:SS` (IST; a `T` separator and a `+05:30` suffix are accepted too).
pub(crate) fn kite_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text
        .strip_suffix("+05:30")
        .or_else(|| text.strip_suffix("+0530"))
        .unwrap_or(text);
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut parts = date.split('-');
    let (year, month, day) = (
        digits(parts.next()?)?,
        digits(parts.next()?)?,
        digits(parts.next()?)?,
    );
    if parts.next().is_some() {
        return None;
    }
    ist_wall_seconds(year, month, day, clock(time)?)
}

/// Kite names the failure in `error_type`; 429 is a throttle whatever the body says (its
/// `error_type` there is not documented).
pub(crate) fn kite_error(status: u16, value: Option<&Value>) -> RestError {
    let obj = value.and_then(Value::as_object);
    let field = |key: &str| obj.and_then(|o| text(o, key)).map(str::to_string);
    let error_type = field("error_type");
    let verdict = match (status, error_type.as_deref()) {
        (429, _) => Verdict::Throttled,
        (_, Some("TokenException")) => Verdict::Token,
        (_, Some("PermissionException")) => Verdict::Access,
        (401 | 403, _) => Verdict::Token,
        _ => Verdict::Other,
    };
    rest_error(verdict, status, error_type, field("message"))
}

/// `application/x-www-form-urlencoded`: alphanumerics and `*-._` as they are, space as
/// `+`, every other byte as `%XX`.
pub(crate) fn form_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::DepthLevel;

    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "kite_ltp_query" => include_str!("../../tests/fixtures/rest/kite_ltp_query.txt"),
            "kite_ltp_response" => include_str!("../../tests/fixtures/rest/kite_ltp_response.json"),
            "kite_ohlc_response" => {
                include_str!("../../tests/fixtures/rest/kite_ohlc_response.json")
            }
            "kite_quote_response" => {
                include_str!("../../tests/fixtures/rest/kite_quote_response.json")
            }
            "kite_error_token" => include_str!("../../tests/fixtures/rest/kite_error_token.json"),
            "kite_error_permission" => {
                include_str!("../../tests/fixtures/rest/kite_error_permission.json")
            }
            "kite_error_429" => include_str!("../../tests/fixtures/rest/kite_error_429.json"),
            _ => panic!("no fixture {name}"),
        }
    }

    fn parse_sorted(status: u16, body: &str) -> Result<Vec<KiteQuoteRow>, RestError> {
        let mut rows = parse_quote_response(status, body.as_bytes())?;
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(rows)
    }

    #[test]
    fn query_fixture() {
        let target = quote_target(KiteQuoteEndpoint::Ltp, &["NSE:INFY", "NSE:NIFTY 50"]);
        assert_eq!(target.as_deref(), Ok(fixture("kite_ltp_query").trim()));
    }

    #[test]
    fn query_encoding_and_limits() {
        struct TestCase {
            name: &'static str,
            endpoint: KiteQuoteEndpoint,
            keys: Vec<String>,
            want: Result<String, RestError>,
        }
        let many = |n: usize| (0..n).map(|i| format!("NSE:S{i}")).collect::<Vec<_>>();
        let cases = [
            TestCase {
                name: "full quote path, ampersand and slash escaped",
                endpoint: KiteQuoteEndpoint::Quote,
                keys: vec!["NSE:M&M".into(), "BSE:A/B".into()],
                want: Ok("/quote?i=NSE%3AM%26M&i=BSE%3AA%2FB".into()),
            },
            TestCase {
                name: "repeats sent once",
                endpoint: KiteQuoteEndpoint::Ohlc,
                keys: vec!["NSE:INFY".into(), "NSE:INFY".into()],
                want: Ok("/quote/ohlc?i=NSE%3AINFY".into()),
            },
            TestCase {
                name: "500 keys fit a full quote",
                endpoint: KiteQuoteEndpoint::Quote,
                keys: many(500),
                want: Ok(String::new()),
            },
            TestCase {
                name: "501 do not",
                endpoint: KiteQuoteEndpoint::Quote,
                keys: many(501),
                want: Err(RestError::TooMany {
                    count: 501,
                    limit: 500,
                }),
            },
            TestCase {
                name: "1000 fit an LTP request",
                endpoint: KiteQuoteEndpoint::Ltp,
                keys: many(1000),
                want: Ok(String::new()),
            },
            TestCase {
                name: "1001 do not",
                endpoint: KiteQuoteEndpoint::Ltp,
                keys: many(1001),
                want: Err(RestError::TooMany {
                    count: 1001,
                    limit: 1000,
                }),
            },
        ];
        for c in cases {
            let keys: Vec<&str> = c.keys.iter().map(String::as_str).collect();
            let got = quote_target(c.endpoint, &keys);
            match (&got, &c.want) {
                // An empty expectation only checks success, not the long query.
                (Ok(_), Ok(want)) if want.is_empty() => {}
                _ => assert_eq!(got, c.want, "{}", c.name),
            }
        }
    }

    #[test]
    fn authorization_header() {
        assert_eq!(authorization("k", "t"), "token k:t");
    }

    #[test]
    fn ltp_response_fixture() {
        let rows = parse_sorted(200, fixture("kite_ltp_response"));
        assert_eq!(
            rows,
            Ok(vec![KiteQuoteRow {
                key: "NSE:INFY".into(),
                instrument_token: Some(408_065),
                timestamp_ist_s: None,
                quote: RestQuote {
                    last_price: 1074.35,
                    ..RestQuote::default()
                },
            }])
        );
    }

    #[test]
    fn ohlc_response_fixture() {
        let rows = parse_sorted(200, fixture("kite_ohlc_response")).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].quote.last_price, 1075.05);
        assert_eq!(
            rows[0].quote.ohlc,
            Some(RestOhlc {
                open: 1085.8,
                high: 1085.9,
                low: 1070.9,
                close: 1075.8,
            })
        );
    }

    #[test]
    fn quote_response_fixture() {
        let rows = parse_sorted(200, fixture("kite_quote_response")).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        let infy = &rows[0];
        assert_eq!(infy.key, "NSE:INFY");
        assert_eq!(infy.instrument_token, Some(408_065));
        // 2021-06-08 15:45:56 and 15:45:52 IST as wall-clock seconds.
        assert_eq!(infy.timestamp_ist_s, Some(1_623_167_156));
        assert_eq!(infy.quote.last_trade_ist_s, Some(1_623_167_152));
        assert_eq!(infy.quote.volume, Some(7_360_198));
        assert_eq!(infy.quote.last_quantity, Some(5));
        assert_eq!(infy.quote.average_price, Some(1412.47));
        assert_eq!(
            (infy.quote.buy_quantity, infy.quote.sell_quantity),
            (Some(0), Some(5191))
        );
        assert_eq!(infy.quote.ohlc.map(|o| o.close), Some(1389.65));
        let depth = infy.quote.depth.unwrap_or_default();
        assert_eq!(
            depth[0],
            DepthLevel {
                bid_price: 1412.9,
                bid_qty: 24,
                bid_orders: 2,
                ask_price: 1412.95,
                ask_qty: 5191,
                ask_orders: 13,
            }
        );
        let nifty = &rows[1];
        assert_eq!(nifty.key, "NSE:NIFTY 50");
        assert_eq!(nifty.quote.last_trade_ist_s, None, "null last_trade_time");
        assert_eq!(nifty.quote.depth, None, "indices have no book");
    }

    #[test]
    fn error_fixtures() {
        struct TestCase {
            name: &'static str,
            status: u16,
            body: &'static str,
            kind: &'static str,
            auth: bool,
            throttled: bool,
        }
        let cases = [
            TestCase {
                name: "expired session",
                status: 403,
                body: fixture("kite_error_token"),
                kind: "token_rejected",
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "no market-data permission",
                status: 403,
                body: fixture("kite_error_permission"),
                kind: "access_denied",
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "rate limit",
                status: 429,
                body: fixture("kite_error_429"),
                kind: "rate_limited",
                auth: false,
                throttled: true,
            },
            TestCase {
                name: "error envelope on a 200",
                status: 200,
                body: fixture("kite_error_token"),
                kind: "token_rejected",
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "input error",
                status: 400,
                body: r#"{"status":"error","message":"bad key","data":null,"error_type":"InputException"}"#,
                kind: "http",
                auth: false,
                throttled: false,
            },
            TestCase {
                name: "outage with an HTML page",
                status: 503,
                body: "<html>down</html>",
                kind: "http",
                auth: false,
                throttled: false,
            },
        ];
        for c in cases {
            let Err(err) = parse_quote_response(c.status, c.body.as_bytes()) else {
                panic!("{}: parsed as rows", c.name);
            };
            assert_eq!(err.kind(), c.kind, "{}", c.name);
            assert_eq!(
                (err.is_auth(), err.is_throttled()),
                (c.auth, c.throttled),
                "{}",
                c.name
            );
        }
        let shown = parse_quote_response(403, fixture("kite_error_token").as_bytes())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            shown.as_deref(),
            Some(
                "token rejected (HTTP 403, TokenException): Incorrect `api_key` or `access_token`."
            )
        );
    }

    #[test]
    fn missing_and_unknown_entries_are_tolerated() {
        let body = r#"{"status":"success","data":{
            "NSE:GONE":null,
            "NSE:ODD":{"instrument_token":"x","last_price":1.5,"future_field":{}}}}"#;
        let rows = parse_sorted(200, body).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].key.as_str(), rows[0].instrument_token),
            ("NSE:ODD", None)
        );
        assert_eq!(
            parse_sorted(200, r#"{"status":"success","data":{}}"#),
            Ok(vec![])
        );
        assert_eq!(
            parse_sorted(200, r#"{"status":"success","data":null}"#),
            Ok(vec![])
        );
        assert_eq!(
            parse_quote_response(200, b"not json").map_err(|e| e.kind()),
            Err("bad_body")
        );
    }

    #[test]
    fn timestamps() {
        let cases = [
            ("2021-06-08 15:45:56", Some(1_623_167_156)),
            ("2021-06-08T15:45:56+05:30", Some(1_623_167_156)),
            ("2021-06-08", None),
            ("2021-13-08 15:45:56", None),
            ("08/06/2021 15:45:56", None),
        ];
        for (text, want) in cases {
            assert_eq!(kite_time(text), want, "{text}");
        }
    }
}
