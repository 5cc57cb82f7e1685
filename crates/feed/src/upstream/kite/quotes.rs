//! Kite's REST quotes (protocols.md B5): `GET /quote/ltp` (1000 keys) when the whole set
//! wants only last prices, else `GET /quote` (500 keys), keyed by `EXCHANGE:SYMBOL`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mandi_domain::Instrument;
use mandi_instruments::InstrumentIndex;
use mandi_protocol::kite::rest::{self as kite_rest, KiteQuoteEndpoint, RestError};

use super::BROKER;
use crate::settings::Credentials;
use crate::upstream::quote::converted;
use crate::upstream::{CallError, Converted, HttpCall, QuoteBatch, QuoteEndpoint, QuoteRow};
use crate::upstream::{Verb, USER_AGENT};

/// Kite lists an instrument when it has a quote key (empty means "not on Kite").
pub fn knows(instrument: &Instrument) -> bool {
    !instrument.kite_key.is_empty()
}

/// A mixed set goes through `/quote` for everything (it answers the LTP too), so the
/// 500-key limit holds for every batch, whatever it picks.
pub fn batch_limit(set_ltp_only: bool) -> usize {
    match endpoint(set_ltp_only, set_ltp_only) {
        QuoteEndpoint::Ltp => kite_rest::MAX_LTP_KEYS,
        QuoteEndpoint::Quote => kite_rest::MAX_QUOTE_KEYS,
    }
}

/// Decided by the whole set, not the batch.
pub fn endpoint(set_ltp_only: bool, _batch_ltp_only: bool) -> QuoteEndpoint {
    if set_ltp_only {
        QuoteEndpoint::Ltp
    } else {
        QuoteEndpoint::Quote
    }
}

/// `GET {rest_url}/quote[/ltp]?i=..` with `X-Kite-Version: 3` and
/// `Authorization: token key:token`.
pub fn call(
    batch: &QuoteBatch,
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
    let base = rest_url.trim_end_matches('/');
    let endpoint = match batch.endpoint {
        QuoteEndpoint::Ltp => KiteQuoteEndpoint::Ltp,
        QuoteEndpoint::Quote => KiteQuoteEndpoint::Quote,
    };
    let keys: Vec<&str> = batch.instruments.iter().map(|i| &*i.kite_key).collect();
    Ok(HttpCall {
        verb: Verb::Get,
        url: format!("{base}{}", kite_rest::quote_target(endpoint, &keys)?),
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

/// Parse Kite's answer to `batch` and convert every row it can place: by key, else by
/// the row's instrument token (a key spelt differently).
pub fn convert(
    batch: &QuoteBatch,
    status: u16,
    body: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Result<Converted, RestError> {
    let asked: HashMap<&str, &Instrument> = batch
        .instruments
        .iter()
        .map(|i| (&*i.kite_key, &**i))
        .collect();
    let mut rows = Vec::new();
    for row in kite_rest::parse_quote_response(status, body)? {
        let found = asked.get(row.key.as_str()).copied().or_else(|| {
            row.instrument_token
                .and_then(|t| index.by_kite_token(t))
                .map(|i| &**i)
        });
        if let Some(instrument) = found {
            rows.push(QuoteRow {
                instrument,
                // `timestamp` is the exchange's stamp on this quote, the same clock as
                // the socket's exchange timestamp; the last trade can be older.
                exchange_ist_s: row.timestamp_ist_s.or(row.quote.last_trade_ist_s),
                quote: row.quote,
                prev_close_in_ohlc: true,
            });
        }
    }
    Ok(converted(batch, rows, received_time))
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Mode, TickUpdate};

    use super::*;
    use crate::upstream::fixtures::{
        check_quotes, header, quote_batch, rest_update, traded, QuoteCase,
    };

    fn credentials() -> Credentials {
        Credentials::Kite {
            api_key: "key".into(),
            access_token: "tok".into(),
        }
    }

    #[test]
    fn the_whole_set_picks_the_endpoint() {
        let cases = [
            ("all ltp", true, QuoteEndpoint::Ltp, 1000),
            (
                "one quote-mode instrument",
                false,
                QuoteEndpoint::Quote,
                500,
            ),
        ];
        for (name, set_ltp_only, want, limit) in cases {
            assert_eq!(endpoint(set_ltp_only, true), want, "{name}");
            assert_eq!(batch_limit(set_ltp_only), limit, "{name}");
        }
    }

    #[test]
    fn calls() {
        let cases = [
            (
                "ltp",
                QuoteEndpoint::Ltp,
                "http://127.0.0.1:9/quote/ltp?i=NSE%3ANIFTY+50&i=NSE%3ATCS",
            ),
            (
                "full quote",
                QuoteEndpoint::Quote,
                "http://127.0.0.1:9/quote?i=NSE%3ANIFTY+50&i=NSE%3ATCS",
            ),
        ];
        for (name, endpoint, url) in cases {
            let batch = quote_batch(endpoint, &["NIFTY", "TCS"]);
            let call = call(&batch, &credentials(), "http://127.0.0.1:9/");
            let Ok(call) = call else {
                panic!("{name}: {:?}", call.err());
            };
            assert_eq!((call.verb, call.url.as_str()), (Verb::Get, url), "{name}");
            assert!(call.body.is_none(), "{name}");
            for (header_name, value) in
                [("authorization", "token key:tok"), ("x-kite-version", "3")]
            {
                assert_eq!(
                    header(&call, header_name),
                    Some(value),
                    "{name}: {header_name}"
                );
            }
            assert!(header(&call, "user-agent").is_some_and(|ua| ua.starts_with("mandi/")));
        }
    }

    #[test]
    fn credentials_of_the_other_broker_are_refused() {
        let dhan = Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt".into(),
        };
        let batch = quote_batch(QuoteEndpoint::Ltp, &["TCS"]);
        assert_eq!(
            call(&batch, &dhan, "http://x").err(),
            Some(CallError::BrokerMismatch {
                credentials: "dhan",
                upstream: "kite"
            })
        );
    }

    #[test]
    fn conversions() {
        let cases = vec![
            QuoteCase {
                name:
                    "quote: timestamp wins over last trade, close is prev close, index has no book",
                batch: quote_batch(QuoteEndpoint::Quote, &["NIFTY"]),
                status: 200,
                body: r#"{"status":"success","data":{"NSE:NIFTY 50":{"instrument_token":256265,
                    "timestamp":"2026-02-03 09:09:55","last_trade_time":"2026-02-03 09:00:00","last_price":25760.85,
                    "ohlc":{"open":25700,"high":25800,"low":25650.05,"close":25751.65}}}}"#,
                want: Ok(Converted {
                    updates: vec![TickUpdate {
                        open: Some(25_700.0),
                        high: Some(25_800.0),
                        low: Some(25_650.05),
                        prev_close: Some(25_751.65),
                        exchange_time: Some(traded()),
                        ..rest_update("NIFTY", Mode::Quote, 25_760.85)
                    }],
                    ..Converted::default()
                }),
            },
            QuoteCase {
                name: "ltp: missing keys counted, an unknown key ignored",
                batch: quote_batch(QuoteEndpoint::Ltp, &["NIFTY", "TCS", "CRUDEOIL"]),
                status: 200,
                body: r#"{"status":"success","data":{"MCX:CRUDEOIL26DECFUT":{"instrument_token":60297479,"last_price":5545.3},
                    "NSE:UNKNOWN":{"instrument_token":1,"last_price":1}}}"#,
                want: Ok(Converted {
                    updates: vec![rest_update("CRUDEOIL", Mode::Ltp, 5545.0)],
                    missing: 2,
                    rejected: 0,
                }),
            },
            QuoteCase {
                name: "a key spelt differently is matched by its token",
                batch: quote_batch(QuoteEndpoint::Ltp, &["TCS"]),
                status: 200,
                body: r#"{"status":"success","data":{"NSE:tcs":{"instrument_token":2953217,"last_price":3462.1}}}"#,
                want: Ok(Converted {
                    updates: vec![rest_update("TCS", Mode::Ltp, 3462.1)],
                    ..Converted::default()
                }),
            },
            QuoteCase {
                name: "an error answer is the protocol's classified error",
                batch: quote_batch(QuoteEndpoint::Quote, &["TCS"]),
                status: 403,
                body: r#"{"status":"error","message":"Incorrect `api_key` or `access_token`.","data":null,"error_type":"TokenException"}"#,
                want: Err("token_rejected"),
            },
        ];
        check_quotes(cases, convert);
    }
}
