//! Kite's historical candles (protocols.md B5: 3 requests/s):
//! `GET /instruments/historical/{instrument_token}/{minute|day}?from=..&to=..`, both
//! bounds included, IST wall-clock.

use chrono::{Duration, NaiveTime};
use mandi_domain::time::IST;
use mandi_protocol::kite::history::{history_target, KiteInterval};
use mandi_protocol::kite::rest as kite_rest;

use super::BROKER;
use crate::settings::Credentials;
use crate::upstream::history::{HistoryRequest, HistorySpan};
use crate::upstream::{CallError, HttpCall, Verb, USER_AGENT};

/// Kite's historical API takes 3 requests a second.
pub const MAX_REQUESTS_PER_S: f64 = 3.0;

/// Kite knows an instrument's history by its instrument token (0: not on Kite).
pub fn knows(instrument: &mandi_domain::Instrument) -> bool {
    instrument.kite_token != 0
}

/// The history request for `request` against `rest_url`, with the quote APIs' headers.
pub fn call(
    request: &HistoryRequest,
    credentials: &Credentials,
    rest_url: &str,
) -> Result<HttpCall, CallError> {
    let Credentials::Kite {
        api_key,
        access_token,
    } = credentials
    else {
        return Err(CallError::BrokerMismatch {
            credentials: credentials.broker().as_str(),
            upstream: BROKER.as_str(),
        });
    };
    let token = request.instrument.kite_token;
    let target = match request.span {
        HistorySpan::Daily { from, to } => {
            let last = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default();
            history_target(
                token,
                KiteInterval::Day,
                from.and_time(NaiveTime::MIN),
                to.and_time(last),
            )
        }
        HistorySpan::Minutes { from, to } => history_target(
            token,
            KiteInterval::Minute,
            from.with_timezone(&IST).naive_local(),
            // Kite includes `to`; our span does not.
            (to - Duration::seconds(1))
                .max(from)
                .with_timezone(&IST)
                .naive_local(),
        ),
    };
    Ok(HttpCall {
        verb: Verb::Get,
        url: format!("{}{target}", rest_url.trim_end_matches('/')),
        headers: vec![
            ("x-kite-version", kite_rest::API_VERSION.to_owned()),
            (
                "authorization",
                kite_rest::authorization(api_key, access_token),
            ),
            ("user-agent", USER_AGENT.to_owned()),
        ],
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::upstream::fixtures::nifty;

    #[test]
    fn daily_and_minute_targets() {
        let kite = Credentials::Kite {
            api_key: "key".into(),
            access_token: "tok".into(),
        };
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let ist = |d: u32, h: u32, m: u32| {
            IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let cases = [
            (
                "daily: the last day to its last second",
                HistorySpan::Daily {
                    from: date(19),
                    to: date(23),
                },
                "http://k/instruments/historical/256265/day?from=2026-11-19+00%3A00%3A00&to=2026-11-23+23%3A59%3A59",
            ),
            (
                "minutes: the end second before ours",
                HistorySpan::Minutes {
                    from: ist(24, 9, 15),
                    to: ist(24, 10, 2),
                },
                "http://k/instruments/historical/256265/minute?from=2026-11-24+09%3A15%3A00&to=2026-11-24+10%3A01%3A59",
            ),
        ];
        for (name, span, url) in cases {
            let request = HistoryRequest {
                instrument: Arc::new(nifty()),
                span,
            };
            let call = match call(&request, &kite, "http://k") {
                Ok(call) => call,
                Err(e) => panic!("{name}: {e}"),
            };
            assert_eq!(call.url, url, "{name}");
            assert!(
                call.headers
                    .iter()
                    .any(|(k, v)| *k == "authorization" && v == "token key:tok"),
                "{name}"
            );
        }
    }
}
