//! Kite v3 historical candles: the target of `GET /instruments/historical/{token}/{interval}`
//! (both bounds included, IST) and its answer as candles. Pure: the caller sends the
//! request and hands back the HTTP status and body.

use chrono::{DateTime, NaiveDateTime, Utc};
use mandi_domain::time::IST_OFFSET_S;
use mandi_domain::Candle;
use serde_json::Value;

use super::rest::{form_encode, kite_error, kite_time};
use crate::dhan::rest::{bad_body, text, RestError};

/// A Kite candle interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KiteInterval {
    /// `minute`.
    Minute,
    /// `day`: one bar per session, stamped at IST midnight.
    Day,
}

impl KiteInterval {
    /// As it sits in the path.
    pub fn as_str(self) -> &'static str {
        match self {
            KiteInterval::Minute => "minute",
            KiteInterval::Day => "day",
        }
    }
}

/// Path and query: token 256265, [`KiteInterval::Day`], 2026-11-19 00:00:00 to
/// 2026-11-23 23:59:59 gives
/// `/instruments/historical/256265/day?from=2026-11-19+00%3A00%3A00&to=2026-11-23+23%3A59%3A59`,
/// the form-encoding the official client sends.
pub fn history_target(
    token: u32,
    interval: KiteInterval,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> String {
    let mut target = format!(
        "/instruments/historical/{token}/{}?from=",
        interval.as_str()
    );
    form_encode(&from.format("%Y-%m-%d %H:%M:%S").to_string(), &mut target);
    target.push_str("&to=");
    form_encode(&to.format("%Y-%m-%d %H:%M:%S").to_string(), &mut target);
    target
}

/// Parse a history answer, `{"status":"success","data":{"candles":[["2026-11-23T09:15:00+0530",
/// 25760.05,25771.4,25751.2,25766.0,0]]}}` (fixture `kite_history_response.json`; a
/// seventh column, open interest, is ignored), into candles in the order sent. A row
/// whose time does not parse or whose price is not finite and positive is dropped. An
/// error answer is classified as for the quote APIs.
pub fn parse_history_response(status: u16, body: &[u8]) -> Result<Vec<Candle>, RestError> {
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
    let rows = obj
        .get("data")
        .and_then(|d| d.get("candles"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad_body(status, "no `data.candles` list"))?;
    Ok(rows.iter().filter_map(candle).collect())
}

fn candle(row: &Value) -> Option<Candle> {
    let row = row.as_array()?;
    let start = row.first()?.as_str().and_then(kite_time)?;
    let start = DateTime::<Utc>::from_timestamp(start - IST_OFFSET_S, 0)?;
    let price = |i: usize| {
        row.get(i)
            .and_then(Value::as_f64)
            .filter(|p| p.is_finite() && *p > 0.0)
    };
    Some(Candle {
        start,
        open: price(1)?,
        high: price(2)?,
        low: price(3)?,
        close: price(4)?,
        volume: row
            .get(5)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v > 0.0)
            .map_or(0, |v| v.round() as u64),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use mandi_domain::time::IST;

    use super::*;

    fn at(d: u32, h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .unwrap_or_default()
    }

    #[test]
    fn the_target_is_form_encoded() {
        assert_eq!(
            history_target(256265, KiteInterval::Day, at(19, 0, 0, 0), at(23, 23, 59, 59)),
            "/instruments/historical/256265/day?from=2026-11-19+00%3A00%3A00&to=2026-11-23+23%3A59%3A59"
        );
    }

    #[test]
    fn the_response_fixture_gives_candles() {
        let body = include_str!("../../tests/fixtures/rest/kite_history_response.json");
        let got = parse_history_response(200, body.as_bytes()).unwrap_or_default();
        let open = IST
            .with_ymd_and_hms(2026, 11, 23, 9, 15, 0)
            .single()
            .map(|t| t.with_timezone(&Utc));
        assert_eq!(got.len(), 2);
        assert_eq!(Some(got[0].start), open);
        assert_eq!(
            (
                got[0].open,
                got[0].high,
                got[0].low,
                got[0].close,
                got[0].volume
            ),
            (25760.05, 25771.4, 25751.2, 25766.0, 0)
        );
        assert_eq!(
            got[1].volume, 1200,
            "the open interest column is not volume"
        );
    }

    #[test]
    fn answers_are_classified() {
        struct TestCase {
            name: &'static str,
            status: u16,
            body: &'static str,
            want: Result<usize, &'static str>,
        }
        let cases = [
            TestCase {
                name: "no candles",
                status: 200,
                body: r#"{"status":"success","data":{"candles":[]}}"#,
                want: Ok(0),
            },
            TestCase {
                name: "a bad row is dropped",
                status: 200,
                body: r#"{"status":"success","data":{"candles":[["yesterday",1,1,1,1,0],["2026-11-23T00:00:00+0530",1,2,1,2,0]]}}"#,
                want: Ok(1),
            },
            TestCase {
                name: "no candle list",
                status: 200,
                body: r#"{"status":"success","data":{}}"#,
                want: Err("bad_body"),
            },
            TestCase {
                name: "token",
                status: 403,
                body: r#"{"status":"error","message":"Invalid token","data":null,"error_type":"TokenException"}"#,
                want: Err("token_rejected"),
            },
            TestCase {
                name: "throttled",
                status: 429,
                body: r#"{"status":"error","message":"Too many requests","error_type":"NetworkException"}"#,
                want: Err("rate_limited"),
            },
            TestCase {
                name: "input",
                status: 400,
                body: r#"{"status":"error","message":"invalid token 1","error_type":"InputException"}"#,
                want: Err("http"),
            },
        ];
        for c in cases {
            let got = parse_history_response(c.status, c.body.as_bytes())
                .map(|v| v.len())
                .map_err(|e| e.kind());
            assert_eq!(got, c.want, "{}", c.name);
        }
    }
}
