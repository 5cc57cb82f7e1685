//! Dhan's historical charts (protocols.md A5 rates: Data APIs 5 requests/s):
//! `POST /v2/charts/historical` for daily bars (`toDate` not included) and
//! `POST /v2/charts/intraday` for one-minute bars (IST bounds, `toDate` not included).

use chrono::Days;
use mandi_domain::time::IST;
use mandi_protocol::dhan::history::{self as dhan_history, DhanChart, DhanChartRequest};

use super::BROKER;
use crate::settings::Credentials;
use crate::upstream::history::{HistoryRequest, HistorySpan};
use crate::upstream::{CallError, HttpCall, Verb, USER_AGENT};

/// Dhan's Data APIs take 5 requests a second.
pub const MAX_REQUESTS_PER_S: f64 = 5.0;

/// Underlyings whose derivatives Dhan files as index contracts (`FUTIDX`, `OPTIDX`).
const INDEX_UNDERLYINGS: [&str; 8] = [
    "NIFTY",
    "BANKNIFTY",
    "FINNIFTY",
    "MIDCPNIFTY",
    "NIFTYNXT50",
    "SENSEX",
    "BANKEX",
    "SENSEX50",
];

/// The chart request for `request` against `rest_url`, with `access-token` and
/// `client-id` as on the quote APIs.
pub fn call(
    request: &HistoryRequest,
    credentials: &Credentials,
    rest_url: &str,
) -> Result<HttpCall, CallError> {
    let Credentials::Dhan {
        client_id,
        access_token,
    } = credentials
    else {
        return Err(CallError::BrokerMismatch {
            credentials: credentials.broker().as_str(),
            upstream: BROKER.as_str(),
        });
    };
    let i = &request.instrument;
    let derivative = i.derivative.as_ref();
    let kind = dhan_history::chart_instrument(
        i.segment,
        derivative.is_some_and(|d| d.option_type.is_some()),
        derivative.is_some_and(|d| INDEX_UNDERLYINGS.contains(&&*d.underlying)),
    );
    let (chart, body) = match request.span {
        HistorySpan::Daily { from, to } => (
            DhanChart::Daily,
            DhanChartRequest::daily(
                i.segment,
                i.security_id,
                kind,
                from,
                to.checked_add_days(Days::new(1)).unwrap_or(to),
            ),
        ),
        HistorySpan::Minutes { from, to } => (
            DhanChart::Intraday,
            DhanChartRequest::intraday(
                i.segment,
                i.security_id,
                kind,
                1,
                from.with_timezone(&IST).naive_local(),
                to.with_timezone(&IST).naive_local(),
            ),
        ),
    };
    Ok(HttpCall {
        verb: Verb::Post,
        url: format!("{}{}", rest_url.trim_end_matches('/'), chart.path()),
        headers: vec![
            ("access-token", access_token.clone()),
            ("client-id", client_id.clone()),
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
            ("user-agent", USER_AGENT.to_owned()),
        ],
        body: Some(body.to_json()),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::upstream::fixtures::nifty;

    fn dhan() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "tok".into(),
        }
    }

    #[test]
    fn daily_and_minute_calls() {
        struct TestCase {
            name: &'static str,
            span: HistorySpan,
            url: &'static str,
            body: serde_json::Value,
        }
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let ist = |d: u32, h: u32, m: u32| {
            IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let cases = [
            TestCase {
                name: "daily: toDate is the day after the last",
                span: HistorySpan::Daily {
                    from: date(19),
                    to: date(23),
                },
                url: "http://127.0.0.1:9/v2/charts/historical",
                body: serde_json::json!({"securityId":"13","exchangeSegment":"IDX_I",
                    "instrument":"INDEX","expiryCode":0,"oi":false,
                    "fromDate":"2026-11-19","toDate":"2026-11-24"}),
            },
            TestCase {
                name: "minutes: IST wall-clock bounds",
                span: HistorySpan::Minutes {
                    from: ist(24, 9, 15),
                    to: ist(24, 10, 2),
                },
                url: "http://127.0.0.1:9/v2/charts/intraday",
                body: serde_json::json!({"securityId":"13","exchangeSegment":"IDX_I",
                    "instrument":"INDEX","expiryCode":0,"oi":false,"interval":"1",
                    "fromDate":"2026-11-24 09:15:00","toDate":"2026-11-24 10:02:00"}),
            },
        ];
        for c in cases {
            let request = HistoryRequest {
                instrument: Arc::new(nifty()),
                span: c.span,
            };
            let call = match call(&request, &dhan(), "http://127.0.0.1:9/") {
                Ok(call) => call,
                Err(e) => panic!("{}: {e}", c.name),
            };
            assert_eq!(call.url, c.url, "{}", c.name);
            assert_eq!(call.verb, Verb::Post, "{}", c.name);
            let body: serde_json::Value =
                serde_json::from_str(call.body.as_deref().unwrap_or_default()).unwrap_or_default();
            assert_eq!(body, c.body, "{}", c.name);
            assert!(
                call.headers
                    .iter()
                    .any(|(k, v)| *k == "access-token" && v == "tok"),
                "{}",
                c.name
            );
        }
    }
}
