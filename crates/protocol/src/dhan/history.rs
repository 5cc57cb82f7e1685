//! Dhan v2 historical charts: the body of `POST /v2/charts/historical` (daily bars,
//! `toDate` not included) and `POST /v2/charts/intraday` (minute bars, IST date-times),
//! and their column-per-field answer as candles. Pure: the caller sends the request and
//! hands back the HTTP status and body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mandi_domain::{Candle, Segment};
use serde::Serialize;
use serde_json::{Map, Value};

use super::rest::{bad_body, dhan_error, RestError};

/// Minute intervals the intraday endpoint takes.
pub const DHAN_INTRADAY_INTERVALS_MIN: [u32; 5] = [1, 5, 15, 25, 60];

/// Which chart endpoint a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhanChart {
    /// One bar per session, stamped at IST midnight.
    Daily,
    /// Minute bars of the given interval.
    Intraday,
}

impl DhanChart {
    /// The path under the REST root.
    pub fn path(self) -> &'static str {
        match self {
            DhanChart::Daily => "/v2/charts/historical",
            DhanChart::Intraday => "/v2/charts/intraday",
        }
    }
}

/// The JSON body of both chart endpoints.
///
/// `{"securityId":"13","exchangeSegment":"IDX_I","instrument":"INDEX","expiryCode":0,
/// "oi":false,"fromDate":"2026-11-19","toDate":"2026-11-24"}` (fixture
/// `tests/fixtures/rest/dhan_chart_request.json`) asks for NIFTY's daily bars from the 19th
/// to the 23rd: Dhan's `toDate` is not included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DhanChartRequest {
    /// A decimal string on Dhan's wire.
    pub security_id: String,
    /// `IDX_I`, `NSE_EQ`, `NSE_FNO`, `MCX_COMM`, …
    pub exchange_segment: &'static str,
    /// Dhan's instrument type: `INDEX`, `EQUITY`, `FUTIDX`, `OPTSTK`, `FUTCOM`, …
    pub instrument: &'static str,
    /// 0: the contract itself (not a rolled continuous series).
    pub expiry_code: u8,
    /// Open interest columns are not asked for.
    pub oi: bool,
    /// Minutes, intraday only (`"1"`, `"5"`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// `YYYY-MM-DD` (daily) or IST `YYYY-MM-DD HH:MM:SS` (intraday).
    pub from_date: String,
    /// Same form; not included.
    pub to_date: String,
}

impl DhanChartRequest {
    /// Daily bars of the sessions in `[from, to_exclusive)` (IST dates).
    pub fn daily(
        segment: Segment,
        security_id: u32,
        instrument: &'static str,
        from: NaiveDate,
        to_exclusive: NaiveDate,
    ) -> DhanChartRequest {
        DhanChartRequest {
            security_id: security_id.to_string(),
            exchange_segment: segment.as_str(),
            instrument,
            expiry_code: 0,
            oi: false,
            interval: None,
            from_date: from.format("%Y-%m-%d").to_string(),
            to_date: to_exclusive.format("%Y-%m-%d").to_string(),
        }
    }

    /// `interval_min` bars starting in `[from, to)`, IST wall-clock bounds.
    pub fn intraday(
        segment: Segment,
        security_id: u32,
        instrument: &'static str,
        interval_min: u32,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> DhanChartRequest {
        DhanChartRequest {
            interval: Some(interval_min.to_string()),
            from_date: from.format("%Y-%m-%d %H:%M:%S").to_string(),
            to_date: to.format("%Y-%m-%d %H:%M:%S").to_string(),
            ..DhanChartRequest::daily(segment, security_id, instrument, from.date(), to.date())
        }
    }

    /// The body as sent.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and bools always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Dhan's instrument type for the chart request, from the segment and what the contract
/// is: indices `INDEX`, cash `EQUITY`, futures and options of an index (`index_underlying`)
/// `FUTIDX` / `OPTIDX`, of a stock `FUTSTK` / `OPTSTK`, on MCX `FUTCOM` / `OPTFUT`,
/// currency `FUTCUR` / `OPTCUR`.
pub fn chart_instrument(segment: Segment, option: bool, index_underlying: bool) -> &'static str {
    match (segment, option) {
        (Segment::IdxI, _) => "INDEX",
        (Segment::NseEq | Segment::BseEq, _) => "EQUITY",
        (Segment::McxComm, false) => "FUTCOM",
        (Segment::McxComm, true) => "OPTFUT",
        (Segment::NseCurrency | Segment::BseCurrency, false) => "FUTCUR",
        (Segment::NseCurrency | Segment::BseCurrency, true) => "OPTCUR",
        (Segment::NseFno | Segment::BseFno, false) if index_underlying => "FUTIDX",
        (Segment::NseFno | Segment::BseFno, true) if index_underlying => "OPTIDX",
        (Segment::NseFno | Segment::BseFno, false) => "FUTSTK",
        (Segment::NseFno | Segment::BseFno, true) => "OPTSTK",
    }
}

/// Parse a chart answer, `{"open":[..],"high":[..],"low":[..],"close":[..],"volume":[..],
/// "timestamp":[..]}` with Unix-second timestamps (fixture `dhan_chart_response.json`),
/// into candles in the order sent. Columns of different lengths are a [`RestError::BadBody`];
/// a row with a price that is not finite and positive is dropped. An error answer is
/// classified as for the quote APIs.
pub fn parse_chart_response(status: u16, body: &[u8]) -> Result<Vec<Candle>, RestError> {
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
    let columns: Vec<Vec<f64>> = ["open", "high", "low", "close", "volume", "timestamp"]
        .into_iter()
        .map(|key| column(obj, key))
        .collect::<Option<_>>()
        .ok_or_else(|| bad_body(status, "a column is not a list of numbers"))?;
    let rows = columns[5].len();
    if columns.iter().any(|c| c.len() != rows) {
        return Err(bad_body(status, "columns of different lengths"));
    }
    let mut candles = Vec::with_capacity(rows);
    let cell = |column: usize, row: usize| columns[column][row];
    for i in 0..rows {
        let (open, high, low, close) = (cell(0, i), cell(1, i), cell(2, i), cell(3, i));
        let usable = [open, high, low, close]
            .iter()
            .all(|p| p.is_finite() && *p > 0.0);
        let start = seconds(cell(5, i));
        let (true, Some(start)) = (usable, start) else {
            continue;
        };
        candles.push(Candle {
            start,
            open,
            high,
            low,
            close,
            volume: count(cell(4, i)),
        });
    }
    Ok(candles)
}

/// A list of numbers; a missing key is an empty column (Dhan leaves them out when there
/// is nothing to send).
fn column(obj: &Map<String, Value>, key: &str) -> Option<Vec<f64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(Value::as_f64).collect(),
        Some(_) => None,
    }
}

fn seconds(raw: f64) -> Option<DateTime<Utc>> {
    if !raw.is_finite() || !(0.0..=1e11).contains(&raw) {
        return None;
    }
    // Bars start on whole seconds; a fraction is float noise.
    DateTime::from_timestamp(raw.round() as i64, 0)
}

fn count(raw: f64) -> u64 {
    if raw.is_finite() && raw > 0.0 {
        raw.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::time::IST;

    use super::*;

    fn ist(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap_or_default()
    }

    #[test]
    fn the_request_fixture_is_what_daily_builds() {
        let want = include_str!("../../tests/fixtures/rest/dhan_chart_request.json");
        let got = DhanChartRequest::daily(
            Segment::IdxI,
            13,
            "INDEX",
            ist(19, 0, 0).date(),
            ist(24, 0, 0).date(),
        );
        assert_eq!(got.to_json(), want.trim());
        let intraday = DhanChartRequest::intraday(
            Segment::NseEq,
            11536,
            "EQUITY",
            1,
            ist(24, 9, 15),
            ist(24, 10, 0),
        );
        let v: Value = serde_json::from_str(&intraday.to_json()).unwrap_or_default();
        assert_eq!(v["interval"], "1");
        assert_eq!(v["fromDate"], "2026-11-24 09:15:00");
        assert_eq!(v["toDate"], "2026-11-24 10:00:00");
        assert_eq!(v["exchangeSegment"], "NSE_EQ");
    }

    #[test]
    fn the_response_fixture_gives_candles_at_ist_midnight() {
        let body = include_str!("../../tests/fixtures/rest/dhan_chart_response.json");
        let got = parse_chart_response(200, body.as_bytes()).unwrap_or_default();
        assert_eq!(got.len(), 2);
        let midnight = IST
            .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc));
        assert_eq!(Some(got[0].start), midnight);
        assert_eq!(
            (
                got[0].open,
                got[0].high,
                got[0].low,
                got[0].close,
                got[0].volume
            ),
            (25760.05, 25841.6, 25701.3, 25810.2, 0)
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
                name: "empty columns",
                status: 200,
                body: r#"{"open":[],"high":[],"low":[],"close":[],"volume":[],"timestamp":[]}"#,
                want: Ok(0),
            },
            TestCase {
                name: "nothing at all",
                status: 200,
                body: "{}",
                want: Ok(0),
            },
            TestCase {
                name: "a bad price drops its row",
                status: 200,
                body: r#"{"open":[0,2],"high":[1,2],"low":[1,2],"close":[1,2],"volume":[1,2],"timestamp":[1795372200,1795458600]}"#,
                want: Ok(1),
            },
            TestCase {
                name: "ragged columns",
                status: 200,
                body: r#"{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[],"timestamp":[1795372200]}"#,
                want: Err("bad_body"),
            },
            TestCase {
                name: "not json",
                status: 200,
                body: "<html>",
                want: Err("bad_body"),
            },
            TestCase {
                name: "token",
                status: 401,
                body: r#"{"errorType":"Invalid_Authentication","errorCode":"DH-901","errorMessage":"expired"}"#,
                want: Err("token_rejected"),
            },
            TestCase {
                name: "rate limit",
                status: 429,
                body: "",
                want: Err("rate_limited"),
            },
            TestCase {
                name: "input",
                status: 400,
                body: r#"{"errorType":"Input_Exception","errorCode":"DH-905","errorMessage":"no history"}"#,
                want: Err("http"),
            },
        ];
        for c in cases {
            let got = parse_chart_response(c.status, c.body.as_bytes())
                .map(|v| v.len())
                .map_err(|e| e.kind());
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn instrument_types() {
        let cases = [
            (Segment::IdxI, false, true, "INDEX"),
            (Segment::NseEq, false, false, "EQUITY"),
            (Segment::NseFno, true, true, "OPTIDX"),
            (Segment::NseFno, false, false, "FUTSTK"),
            (Segment::BseFno, true, true, "OPTIDX"),
            (Segment::McxComm, false, false, "FUTCOM"),
        ];
        for (segment, option, index, want) in cases {
            assert_eq!(
                chart_instrument(segment, option, index),
                want,
                "{segment:?} option={option} index={index}"
            );
        }
    }
}
