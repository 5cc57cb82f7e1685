//! Dhan v2 market quotes over REST (protocols.md A5): the body of
//! `POST /v2/marketfeed/{ltp,ohlc,quote}`, its answer as typed rows, and typed errors.
//! Also home of what both brokers' quote APIs share ([`RestQuote`], [`RestError`]),
//! which `kite::rest` reuses. Pure: the caller sends the request and hands back the
//! HTTP status and body.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use mandi_domain::{DepthLevel, Segment};
use serde_json::{Map, Value};
use thiserror::Error;

/// Security ids one quote request may carry, all segments together.
pub const MAX_QUOTE_INSTRUMENTS: usize = 1000;
/// Dhan's `last_trade_time` for an instrument that has not traded yet.
pub const NO_TRADE_TIME: &str = "01/01/1980 00:00:00";
/// Broker error messages are cut to this many characters: they end up in log lines.
const MAX_MESSAGE_CHARS: usize = 200;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const UNIX_EPOCH_DAYS: i64 = 719_468;

/// Which of the three market-quote endpoints; all take the same body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DhanQuoteEndpoint {
    /// `last_price` only.
    Ltp,
    /// `last_price` and the day's `ohlc`.
    Ohlc,
    /// Everything: depth, volume, OI, last trade time.
    Quote,
}

impl DhanQuoteEndpoint {
    /// The path under the REST root, e.g. `/v2/marketfeed/ltp`.
    pub fn path(self) -> &'static str {
        match self {
            DhanQuoteEndpoint::Ltp => "/v2/marketfeed/ltp",
            DhanQuoteEndpoint::Ohlc => "/v2/marketfeed/ohlc",
            DhanQuoteEndpoint::Quote => "/v2/marketfeed/quote",
        }
    }
}

/// One instrument's row in a Dhan quote answer.
///
/// From `{"data":{"NSE_EQ":{"11536":{"last_price":4520}}},"status":"success"}` comes
/// `DhanQuoteRow { segment: NseEq, security_id: 11536, quote: RestQuote { last_price: 4520.0, .. } }`
/// (fixture `tests/fixtures/rest/dhan_ltp_response.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct DhanQuoteRow {
    /// The segment key the row sat under.
    pub segment: Segment,
    /// The inner key, a decimal string on the wire.
    pub security_id: u32,
    /// What the row says.
    pub quote: RestQuote,
}

/// What one quote row says, for either broker. Only `last_price` is always there: the
/// LTP endpoints send nothing else, the OHLC ones add `ohlc`, the full quote the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestQuote {
    /// Rupees, as sent (not yet on the tick grid).
    pub last_price: f64,
    /// `last_quantity`.
    pub last_quantity: Option<u32>,
    /// `average_price` (the day's VWAP).
    pub average_price: Option<f64>,
    /// `volume`, cumulative for the day.
    pub volume: Option<u64>,
    /// `buy_quantity`: total pending buy quantity.
    pub buy_quantity: Option<u64>,
    /// `sell_quantity`: total pending sell quantity.
    pub sell_quantity: Option<u64>,
    /// `oi`, open interest (0 for cash instruments).
    pub oi: Option<u64>,
    /// `ohlc`; Kite's `close` is the previous session's close.
    pub ohlc: Option<RestOhlc>,
    /// `depth.buy[i]` and `depth.sell[i]` side by side; missing levels stay zero.
    pub depth: Option<[DepthLevel; 5]>,
    /// `last_trade_time` as seconds since 1970-01-01 00:00:00 *IST wall clock*, the
    /// convention of Dhan's binary LTT (UTC = this − 19 800). `None` when absent or when
    /// the broker says there has been no trade (Dhan `01/01/1980 00:00:00`).
    pub last_trade_ist_s: Option<i64>,
}

/// `{"open":..,"high":..,"low":..,"close":..}`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RestOhlc {
    /// Day's open.
    pub open: f64,
    /// Day's high.
    pub high: f64,
    /// Day's low.
    pub low: f64,
    /// See [`RestQuote::ohlc`] for what each broker means by it.
    pub close: f64,
}

/// Why a quote request could not be built or its answer holds no rows. Shared by both
/// brokers; `code` is Dhan's `errorCode` (or the data-API code such as `806`) or Kite's
/// `error_type`. Messages come from the broker and never contain credentials.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RestError {
    /// The request would name more instruments than the endpoint takes.
    #[error("{count} instruments in one request; the endpoint takes at most {limit}")]
    TooMany {
        /// Distinct instruments asked for.
        count: usize,
        /// The endpoint's limit.
        limit: usize,
    },
    /// The token is expired or invalid (401, Dhan DH-901/807-810, Kite `TokenException`).
    #[error("token rejected (HTTP {status}{}): {message}", code_suffix(.code))]
    TokenRejected {
        /// HTTP status.
        status: u16,
        /// Broker error code or type.
        code: Option<String>,
        /// Broker message, shortened.
        message: String,
    },
    /// The account may not use the API (Dhan DH-902/806 data plan, Kite `PermissionException`).
    #[error("access denied (HTTP {status}{}): {message}", code_suffix(.code))]
    AccessDenied {
        /// HTTP status.
        status: u16,
        /// Broker error code or type.
        code: Option<String>,
        /// Broker message, shortened.
        message: String,
    },
    /// Too many requests (429, Dhan DH-904).
    #[error("rate limited (HTTP {status}{}): {message}", code_suffix(.code))]
    RateLimited {
        /// HTTP status.
        status: u16,
        /// Broker error code or type.
        code: Option<String>,
        /// Broker message, shortened.
        message: String,
    },
    /// Any other error answer (bad input, broker outage).
    #[error("HTTP {status}{}: {message}", code_suffix(.code))]
    Http {
        /// HTTP status.
        status: u16,
        /// Broker error code or type.
        code: Option<String>,
        /// Broker message, shortened.
        message: String,
    },
    /// A success status whose body is not the expected JSON.
    #[error("unreadable answer (HTTP {status}): {reason}")]
    BadBody {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
}

impl RestError {
    /// The broker refused the credentials or the account: retrying soon will not help.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            RestError::TokenRejected { .. } | RestError::AccessDenied { .. }
        )
    }

    /// The broker asked us to slow down.
    pub fn is_throttled(&self) -> bool {
        matches!(self, RestError::RateLimited { .. })
    }

    /// The HTTP status of the answer; `None` for a request that was never built.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::TooMany { .. } => None,
            RestError::TokenRejected { status, .. }
            | RestError::AccessDenied { status, .. }
            | RestError::RateLimited { status, .. }
            | RestError::Http { status, .. }
            | RestError::BadBody { status, .. } => Some(*status),
        }
    }

    /// A short stable label for metrics and status pages.
    pub fn kind(&self) -> &'static str {
        match self {
            RestError::TooMany { .. } => "too_many",
            RestError::TokenRejected { .. } => "token_rejected",
            RestError::AccessDenied { .. } => "access_denied",
            RestError::RateLimited { .. } => "rate_limited",
            RestError::Http { .. } => "http",
            RestError::BadBody { .. } => "bad_body",
        }
    }
}

/// The JSON body for any quote endpoint: security ids grouped under their segment string
/// (integers, segments in Dhan's numeric order), then the `dhanClientId` key the official
/// client adds to every POST. `[(NseEq, 11536)]` with client `1000000001` gives
/// `{"NSE_EQ":[11536],"dhanClientId":"1000000001"}` (fixture `dhan_ltp_body.json`).
/// Repeated instruments are sent once; more than [`MAX_QUOTE_INSTRUMENTS`] is an error.
pub fn quote_body(instruments: &[(Segment, u32)], client_id: &str) -> Result<String, RestError> {
    let mut seen = HashSet::with_capacity(instruments.len());
    let mut by_segment: BTreeMap<Segment, Vec<u32>> = BTreeMap::new();
    for &(segment, id) in instruments {
        if seen.insert((segment, id)) {
            by_segment.entry(segment).or_default().push(id);
        }
    }
    if seen.len() > MAX_QUOTE_INSTRUMENTS {
        return Err(RestError::TooMany {
            count: seen.len(),
            limit: MAX_QUOTE_INSTRUMENTS,
        });
    }
    let mut body = String::with_capacity(32 + 8 * seen.len());
    body.push('{');
    for (segment, ids) in &by_segment {
        let _ = write!(body, "\"{}\":[", segment.as_str());
        for (i, id) in ids.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(body, "{sep}{id}");
        }
        body.push_str("],");
    }
    // serde_json escapes whatever the client id holds; it cannot fail on a &str.
    let client = serde_json::to_string(client_id).unwrap_or_else(|_| "\"\"".into());
    let _ = write!(body, "\"dhanClientId\":{client}}}");
    Ok(body)
}

/// Parse a quote answer. A 2xx `{"status":"success","data":{..}}` gives one row per
/// instrument; unknown segments, non-numeric ids and rows without a numeric `last_price`
/// are skipped, unknown keys ignored. Anything else is a classified [`RestError`]: the
/// trading shape `{"errorType","errorCode","errorMessage"}` and the data-API shape
/// `{"data":{"806":"Data APIs not Subscribed"},"status":"failed"}` alike.
pub fn parse_quote_response(status: u16, body: &[u8]) -> Result<Vec<DhanQuoteRow>, RestError> {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        return Err(dhan_error(status, value.as_ref()));
    }
    let obj = value
        .as_ref()
        .and_then(Value::as_object)
        .ok_or_else(|| bad_body(status, "expected a JSON object"))?;
    if obj
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s != "success")
    {
        return Err(dhan_error(status, value.as_ref()));
    }
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_body(status, "no `data` object"))?;
    let mut rows = Vec::new();
    for (segment_name, entries) in data {
        let (Some(segment), Some(entries)) = (Segment::parse(segment_name), entries.as_object())
        else {
            continue;
        };
        for (id, entry) in entries {
            let (Ok(security_id), Some(entry)) = (id.trim().parse::<u32>(), entry.as_object())
            else {
                continue;
            };
            let traded = text(entry, "last_trade_time").and_then(dhan_trade_time);
            if let Some(quote) = quote_fields(entry, traded) {
                rows.push(DhanQuoteRow {
                    segment,
                    security_id,
                    quote,
                });
            }
        }
    }
    Ok(rows)
}

/// How a broker's error answer is classified, before it becomes a [`RestError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Token,
    Access,
    Throttled,
    Other,
}

/// Build the error for a classified answer; the message is shortened for logs.
pub(crate) fn rest_error(
    verdict: Verdict,
    status: u16,
    code: Option<String>,
    message: Option<String>,
) -> RestError {
    let message = match message {
        Some(m) if !m.trim().is_empty() => m.trim().chars().take(MAX_MESSAGE_CHARS).collect(),
        _ => "no error message".to_string(),
    };
    match verdict {
        Verdict::Token => RestError::TokenRejected {
            status,
            code,
            message,
        },
        Verdict::Access => RestError::AccessDenied {
            status,
            code,
            message,
        },
        Verdict::Throttled => RestError::RateLimited {
            status,
            code,
            message,
        },
        Verdict::Other => RestError::Http {
            status,
            code,
            message,
        },
    }
}

pub(crate) fn bad_body(status: u16, reason: &str) -> RestError {
    RestError::BadBody {
        status,
        reason: reason.to_string(),
    }
}

/// The fields both brokers' quote rows share; `None` without a numeric `last_price`.
pub(crate) fn quote_fields(
    entry: &Map<String, Value>,
    last_trade_ist_s: Option<i64>,
) -> Option<RestQuote> {
    Some(RestQuote {
        last_price: number(entry, "last_price")?,
        last_quantity: count(entry, "last_quantity").map(saturate_u32),
        average_price: number(entry, "average_price"),
        volume: count(entry, "volume"),
        buy_quantity: count(entry, "buy_quantity"),
        sell_quantity: count(entry, "sell_quantity"),
        oi: count(entry, "oi"),
        ohlc: entry.get("ohlc").and_then(Value::as_object).and_then(ohlc),
        depth: entry
            .get("depth")
            .and_then(Value::as_object)
            .and_then(depth),
        last_trade_ist_s,
    })
}

/// A string field, if it is one.
pub(crate) fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// `HH:MM:SS`.
pub(crate) fn clock(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let (h, m, s) = (
        digits(parts.next()?)?,
        digits(parts.next()?)?,
        digits(parts.next()?)?,
    );
    parts.next().is_none().then_some((h, m, s))
}

/// A plain decimal of one to four digits.
pub(crate) fn digits(text: &str) -> Option<u32> {
    let ok = (1..=4).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// Seconds since 1970-01-01 00:00:00 of an IST wall-clock date and time; `None` for a
/// date or time that does not exist (31 April, 24:00).
pub(crate) fn ist_wall_seconds(
    year: u32,
    month: u32,
    day: u32,
    (hour, minute, second): (u32, u32, u32),
) -> Option<i64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from civil (H. Hinnant): a year that starts in March puts the leap day last.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let march_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * march_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - UNIX_EPOCH_DAYS;
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// `DD/MM/YYYY HH:MM:SS` (IST); `None` for [`NO_TRADE_TIME`] or anything malformed.
fn dhan_trade_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == NO_TRADE_TIME {
        return None;
    }
    let (date, time) = text.split_once(' ')?;
    let mut parts = date.split('/');
    let (day, month, year) = (
        digits(parts.next()?)?,
        digits(parts.next()?)?,
        digits(parts.next()?)?,
    );
    if parts.next().is_some() {
        return None;
    }
    ist_wall_seconds(year, month, day, clock(time.trim())?)
}

/// Dhan's error answer: `errorCode`/`errorMessage`, or the data-API `{"data":{"806":".."}}`.
pub(crate) fn dhan_error(status: u16, value: Option<&Value>) -> RestError {
    let obj = value.and_then(Value::as_object);
    let field = |key: &str| obj.and_then(|o| text(o, key)).map(str::to_string);
    let (code, message) = match field("errorCode") {
        Some(code) => (
            Some(code),
            field("errorMessage").or_else(|| field("errorType")),
        ),
        None => obj
            .and_then(|o| o.get("data"))
            .and_then(Value::as_object)
            .and_then(|data| {
                data.iter()
                    .find_map(|(k, v)| Some((k.clone(), v.as_str()?)))
            })
            .map(|(code, message)| (Some(code), Some(message.to_string())))
            .unwrap_or((None, None)),
    };
    let verdict = match (status, code.as_deref()) {
        (429, _) | (_, Some("DH-904")) => Verdict::Throttled,
        (_, Some("DH-901" | "807" | "808" | "809" | "810")) => Verdict::Token,
        (_, Some("DH-902" | "DH-911" | "806")) => Verdict::Access,
        (401, _) => Verdict::Token,
        (403, _) => Verdict::Access,
        _ => Verdict::Other,
    };
    rest_error(verdict, status, code, message)
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_deref()
        .map(|c| format!(", {c}"))
        .unwrap_or_default()
}

/// A finite number, sent as a JSON number or a numeric string.
fn number(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    let v = match obj.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// A non-negative quantity; fractional values are truncated.
fn count(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    number(obj, key).filter(|v| *v >= 0.0).map(|v| v as u64)
}

fn saturate_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn ohlc(obj: &Map<String, Value>) -> Option<RestOhlc> {
    Some(RestOhlc {
        open: number(obj, "open")?,
        high: number(obj, "high")?,
        low: number(obj, "low")?,
        close: number(obj, "close")?,
    })
}

fn depth(obj: &Map<String, Value>) -> Option<[DepthLevel; 5]> {
    let side = |name: &str| obj.get(name).and_then(Value::as_array);
    let (buy, sell) = (side("buy"), side("sell"));
    if buy.is_none() && sell.is_none() {
        return None;
    }
    let level = |side: Option<&Vec<Value>>, i: usize| {
        let entry = side?.get(i)?.as_object()?;
        Some((
            number(entry, "price").unwrap_or(0.0),
            count(entry, "quantity").map_or(0, saturate_u32),
            count(entry, "orders").map_or(0, saturate_u32),
        ))
    };
    let mut levels = [DepthLevel::default(); 5];
    for (i, out) in levels.iter_mut().enumerate() {
        if let Some((price, qty, orders)) = level(buy, i) {
            (out.bid_price, out.bid_qty, out.bid_orders) = (price, qty, orders);
        }
        if let Some((price, qty, orders)) = level(sell, i) {
            (out.ask_price, out.ask_qty, out.ask_orders) = (price, qty, orders);
        }
    }
    Some(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "dhan_ltp_body" => include_str!("../../tests/fixtures/rest/dhan_ltp_body.json"),
            "dhan_multi_segment_body" => {
                include_str!("../../tests/fixtures/rest/dhan_multi_segment_body.json")
            }
            "dhan_ltp_response" => include_str!("../../tests/fixtures/rest/dhan_ltp_response.json"),
            "dhan_ohlc_response" => {
                include_str!("../../tests/fixtures/rest/dhan_ohlc_response.json")
            }
            "dhan_quote_response" => {
                include_str!("../../tests/fixtures/rest/dhan_quote_response.json")
            }
            "dhan_error_dh901" => include_str!("../../tests/fixtures/rest/dhan_error_dh901.json"),
            "dhan_error_dh904" => include_str!("../../tests/fixtures/rest/dhan_error_dh904.json"),
            "dhan_error_806" => include_str!("../../tests/fixtures/rest/dhan_error_806.json"),
            "dhan_error_813" => include_str!("../../tests/fixtures/rest/dhan_error_813.json"),
            _ => panic!("no fixture {name}"),
        }
    }

    /// Rows in a stable order (the answer is a JSON object, so its order is not).
    fn parse_sorted(status: u16, body: &str) -> Result<Vec<DhanQuoteRow>, RestError> {
        let mut rows = parse_quote_response(status, body.as_bytes())?;
        rows.sort_by_key(|r| (r.segment, r.security_id));
        Ok(rows)
    }

    fn ltp(segment: Segment, security_id: u32, last_price: f64) -> DhanQuoteRow {
        DhanQuoteRow {
            segment,
            security_id,
            quote: RestQuote {
                last_price,
                ..RestQuote::default()
            },
        }
    }

    #[test]
    fn body_fixtures() {
        struct TestCase {
            name: &'static str,
            instruments: Vec<(Segment, u32)>,
            fixture: &'static str,
        }
        let cases = [
            TestCase {
                name: "the official client's LTP body, dhanClientId included",
                instruments: vec![(Segment::NseEq, 11536)],
                fixture: "dhan_ltp_body",
            },
            TestCase {
                name: "segments grouped, ids stay integers, repeats sent once",
                instruments: vec![
                    (Segment::NseFno, 49081),
                    (Segment::NseEq, 11536),
                    (Segment::NseFno, 49082),
                    (Segment::NseFno, 49081),
                ],
                fixture: "dhan_multi_segment_body",
            },
        ];
        for c in cases {
            let body = quote_body(&c.instruments, "1000000001");
            assert_eq!(body.as_deref(), Ok(fixture(c.fixture).trim()), "{}", c.name);
        }
    }

    #[test]
    fn body_limit_counts_distinct_instruments() {
        let ids = |n: u32| (1..=n).map(|id| (Segment::NseFno, id)).collect::<Vec<_>>();
        assert!(quote_body(&ids(1000), "1").is_ok());
        let mut repeated = ids(1000);
        repeated.extend(ids(10));
        assert!(quote_body(&repeated, "1").is_ok(), "repeats do not count");
        assert_eq!(
            quote_body(&ids(1001), "1"),
            Err(RestError::TooMany {
                count: 1001,
                limit: 1000
            })
        );
    }

    #[test]
    fn client_id_is_escaped() {
        let body = quote_body(&[(Segment::IdxI, 13)], "a\"b").unwrap_or_default();
        let value: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(value["dhanClientId"], "a\"b");
        assert_eq!(value["IDX_I"], serde_json::json!([13]));
    }

    #[test]
    fn ltp_response_fixture() {
        let rows = parse_sorted(200, fixture("dhan_ltp_response"));
        assert_eq!(
            rows,
            Ok(vec![
                ltp(Segment::NseEq, 11536, 4520.0),
                ltp(Segment::NseFno, 49081, 368.15),
                ltp(Segment::NseFno, 49082, 694.35),
            ])
        );
    }

    #[test]
    fn ohlc_response_fixture() {
        let rows = parse_sorted(200, fixture("dhan_ohlc_response")).unwrap_or_default();
        let want = DhanQuoteRow {
            quote: RestQuote {
                ohlc: Some(RestOhlc {
                    open: 4521.45,
                    high: 4530.0,
                    low: 4500.0,
                    close: 4507.85,
                }),
                ..ltp(Segment::NseEq, 11536, 4525.55).quote
            },
            ..ltp(Segment::NseEq, 11536, 4525.55)
        };
        assert_eq!(rows, vec![want]);
    }

    #[test]
    fn quote_response_fixture() {
        let rows = parse_sorted(200, fixture("dhan_quote_response")).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        let traded = &rows[0].quote;
        assert_eq!(
            (rows[0].segment, rows[0].security_id),
            (Segment::NseEq, 11536)
        );
        assert_eq!(traded.last_price, 4525.55);
        assert_eq!(traded.last_quantity, Some(2));
        assert_eq!(traded.average_price, Some(4516.62));
        assert_eq!(traded.volume, Some(412_853));
        assert_eq!(
            (traded.buy_quantity, traded.sell_quantity),
            (Some(50_433), Some(44_276))
        );
        assert_eq!(traded.oi, Some(0));
        assert_eq!(traded.ohlc.map(|o| o.close), Some(4507.85));
        // 03/02/2026 09:09:55 IST, counted as wall-clock seconds.
        assert_eq!(traded.last_trade_ist_s, Some(1_770_109_795));
        let depth = traded.depth.unwrap_or_default();
        assert_eq!(
            depth[0],
            DepthLevel {
                bid_price: 4525.5,
                bid_qty: 20,
                bid_orders: 2,
                ask_price: 4525.55,
                ask_qty: 7,
                ask_orders: 1,
            }
        );
        assert_eq!(depth[4].ask_price, 4525.75);

        let untraded = &rows[1].quote;
        assert_eq!(
            (rows[1].segment, rows[1].security_id),
            (Segment::NseFno, 49081)
        );
        assert_eq!(untraded.last_trade_ist_s, None, "01/01/1980 means no trade");
        assert_eq!(untraded.depth.map(|d| d[1].bid_price), Some(50.0));
    }

    #[test]
    fn error_fixtures() {
        struct TestCase {
            name: &'static str,
            status: u16,
            fixture: &'static str,
            kind: &'static str,
            code: Option<&'static str>,
            auth: bool,
            throttled: bool,
        }
        let cases = [
            TestCase {
                name: "expired token, trading-API shape",
                status: 401,
                fixture: "dhan_error_dh901",
                kind: "token_rejected",
                code: Some("DH-901"),
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "no data plan, data-API shape",
                status: 401,
                fixture: "dhan_error_806",
                kind: "access_denied",
                code: Some("806"),
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "no data plan on a 200 still fails",
                status: 200,
                fixture: "dhan_error_806",
                kind: "access_denied",
                code: Some("806"),
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "bad security id is neither auth nor throttle",
                status: 400,
                fixture: "dhan_error_813",
                kind: "http",
                code: Some("813"),
                auth: false,
                throttled: false,
            },
            TestCase {
                name: "rate limit code",
                status: 429,
                fixture: "dhan_error_dh904",
                kind: "rate_limited",
                code: Some("DH-904"),
                auth: false,
                throttled: true,
            },
            TestCase {
                name: "429 without a body",
                status: 429,
                fixture: "",
                kind: "rate_limited",
                code: None,
                auth: false,
                throttled: true,
            },
            TestCase {
                name: "403 from a proxy",
                status: 403,
                fixture: "",
                kind: "access_denied",
                code: None,
                auth: true,
                throttled: false,
            },
            TestCase {
                name: "gateway error page",
                status: 502,
                fixture: "",
                kind: "http",
                code: None,
                auth: false,
                throttled: false,
            },
        ];
        for c in cases {
            let body = if c.fixture.is_empty() {
                "<html>bad gateway</html>"
            } else {
                fixture(c.fixture)
            };
            let Err(err) = parse_quote_response(c.status, body.as_bytes()) else {
                panic!("{}: parsed as rows", c.name);
            };
            assert_eq!(err.kind(), c.kind, "{}", c.name);
            assert_eq!(
                (err.is_auth(), err.is_throttled()),
                (c.auth, c.throttled),
                "{}",
                c.name
            );
            assert_eq!(err.status(), Some(c.status), "{}", c.name);
            let code = match &err {
                RestError::TokenRejected { code, .. }
                | RestError::AccessDenied { code, .. }
                | RestError::RateLimited { code, .. }
                | RestError::Http { code, .. } => code.clone(),
                _ => None,
            };
            assert_eq!(code.as_deref(), c.code, "{}", c.name);
        }
        let shown = parse_quote_response(401, fixture("dhan_error_dh901").as_bytes())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            shown.as_deref(),
            Some("token rejected (HTTP 401, DH-901): Client ID or user generated access token is invalid or expired.")
        );
    }

    #[test]
    fn tolerates_unknown_keys_and_skips_junk_rows() {
        let body = r#"{"status":"success","extra":1,"data":{
            "XYZ_SEG":{"1":{"last_price":1}},
            "NSE_EQ":{"abc":{"last_price":2},"7":{"ltp":3},"8":"x","9":{"last_price":"4.5","new_field":[1]}},
            "IDX_I":[]}}"#;
        assert_eq!(
            parse_sorted(200, body),
            Ok(vec![ltp(Segment::NseEq, 9, 4.5)])
        );
        assert_eq!(
            parse_sorted(200, r#"{"data":{},"status":"success"}"#),
            Ok(vec![])
        );
        for junk in ["", "[1]", r#"{"status":"success"}"#] {
            assert_eq!(
                parse_quote_response(200, junk.as_bytes()).map_err(|e| e.kind()),
                Err("bad_body"),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn wall_clock_seconds() {
        struct TestCase {
            name: &'static str,
            text: &'static str,
            want: Option<i64>,
        }
        let cases = [
            TestCase {
                name: "a trading morning",
                text: "03/02/2026 09:09:55",
                want: Some(1_770_109_795),
            },
            TestCase {
                name: "leap day",
                text: "29/02/2024 23:59:59",
                want: Some(1_709_251_199),
            },
            TestCase {
                name: "century leap year",
                text: "01/03/2000 00:00:00",
                want: Some(951_868_800),
            },
            TestCase {
                name: "no trade yet",
                text: "01/01/1980 00:00:00",
                want: None,
            },
            TestCase {
                name: "no such day",
                text: "29/02/2023 10:00:00",
                want: None,
            },
            TestCase {
                name: "no such hour",
                text: "01/02/2026 24:00:00",
                want: None,
            },
            TestCase {
                name: "ISO order is not Dhan's",
                text: "2026-02-03 09:09:55",
                want: None,
            },
            TestCase {
                name: "no time",
                text: "03/02/2026",
                want: None,
            },
        ];
        for c in cases {
            assert_eq!(dhan_trade_time(c.text), c.want, "{}", c.name);
        }
    }
}
