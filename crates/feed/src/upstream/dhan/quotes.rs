//! Dhan's REST quotes (protocols.md A5): `POST /v2/marketfeed/{ltp|quote}` with up to
//! 1000 instruments over all segments, and answer rows keyed by segment and security id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mandi_domain::Instrument;
use mandi_instruments::InstrumentIndex;
use mandi_protocol::dhan::rest::{self as dhan_rest, DhanQuoteEndpoint, RestError};

use super::BROKER;
use crate::settings::Credentials;
use crate::upstream::quote::converted;
use crate::upstream::{CallError, Converted, HttpCall, QuoteBatch, QuoteEndpoint, QuoteRow};
use crate::upstream::{Verb, USER_AGENT};

/// Dhan lists an instrument when it has a security id (0 means "not on Dhan").
pub fn knows(instrument: &Instrument) -> bool {
    instrument.security_id != 0
}

/// Both endpoints take 1000, whatever the set wants.
pub fn batch_limit(_set_ltp_only: bool) -> usize {
    dhan_rest::MAX_QUOTE_INSTRUMENTS
}

/// The batch is picked first; it goes to the LTP endpoint when every instrument in it
/// wants only the LTP.
pub fn endpoint(_set_ltp_only: bool, batch_ltp_only: bool) -> QuoteEndpoint {
    if batch_ltp_only {
        QuoteEndpoint::Ltp
    } else {
        QuoteEndpoint::Quote
    }
}

/// `POST {rest_url}/v2/marketfeed/{ltp|quote}` with `access-token`, `client-id` and the
/// JSON body.
pub fn call(
    batch: &QuoteBatch,
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
    let base = rest_url.trim_end_matches('/');
    let endpoint = match batch.endpoint {
        QuoteEndpoint::Ltp => DhanQuoteEndpoint::Ltp,
        QuoteEndpoint::Quote => DhanQuoteEndpoint::Quote,
    };
    let ids: Vec<_> = batch
        .instruments
        .iter()
        .map(|i| (i.segment, i.security_id))
        .collect();
    Ok(HttpCall {
        verb: Verb::Post,
        url: format!("{base}{}", endpoint.path()),
        headers: vec![
            ("access-token", access_token.clone()),
            ("client-id", client_id.clone()),
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
            ("user-agent", USER_AGENT.to_owned()),
        ],
        body: Some(dhan_rest::quote_body(&ids, client_id)?),
    })
}

/// Parse Dhan's answer to `batch` and convert every row it can place.
pub fn convert(
    batch: &QuoteBatch,
    status: u16,
    body: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Result<Converted, RestError> {
    let asked: HashMap<(u8, u32), &Instrument> = batch
        .instruments
        .iter()
        .map(|i| ((i.segment.code(), i.security_id), &**i))
        .collect();
    let mut rows = Vec::new();
    for row in dhan_rest::parse_quote_response(status, body)? {
        let key = (row.segment.code(), row.security_id);
        let found = asked
            .get(&key)
            .copied()
            .or_else(|| index.by_dhan(key.0, key.1).map(|i| &**i));
        if let Some(instrument) = found {
            rows.push(QuoteRow {
                instrument,
                exchange_ist_s: row.quote.last_trade_ist_s,
                quote: row.quote,
                // Dhan's `ohlc.close` is not documented as the previous close (its
                // binary feed's is today's close), so it is not used as one.
                prev_close_in_ohlc: false,
            });
        }
    }
    Ok(converted(batch, rows, received_time))
}

#[cfg(test)]
mod tests {
    use mandi_domain::{DepthLevel, Mode, TickUpdate};

    use super::*;
    use crate::upstream::fixtures::{
        check_quotes, header, quote_batch, rest_update, traded, QuoteCase,
    };

    fn credentials() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt".into(),
        }
    }

    #[test]
    fn endpoint_follows_the_batch() {
        let cases = [
            ("all ltp", true, QuoteEndpoint::Ltp),
            ("one quote-mode instrument", false, QuoteEndpoint::Quote),
        ];
        for (name, batch_ltp_only, want) in cases {
            assert_eq!(batch_limit(batch_ltp_only), 1000, "{name}");
            assert_eq!(endpoint(true, batch_ltp_only), want, "{name}");
        }
    }

    #[test]
    fn calls() {
        let cases = [
            (
                "ltp",
                QuoteEndpoint::Ltp,
                "http://127.0.0.1:9/v2/marketfeed/ltp",
            ),
            (
                "quote",
                QuoteEndpoint::Quote,
                "http://127.0.0.1:9/v2/marketfeed/quote",
            ),
        ];
        for (name, endpoint, url) in cases {
            let batch = quote_batch(endpoint, &["NIFTY", "TCS"]);
            let call = call(&batch, &credentials(), "http://127.0.0.1:9/");
            let Ok(call) = call else {
                panic!("{name}: {:?}", call.err());
            };
            assert_eq!((call.verb, call.url.as_str()), (Verb::Post, url), "{name}");
            assert_eq!(
                call.body.as_deref(),
                Some(r#"{"IDX_I":[13],"NSE_EQ":[11536],"dhanClientId":"1000000001"}"#),
                "{name}"
            );
            for (header_name, value) in [("access-token", "jwt"), ("client-id", "1000000001")] {
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
    fn conversions() {
        let mut tcs_depth = [DepthLevel::default(); 5];
        tcs_depth[0] = DepthLevel {
            bid_price: 4525.5,
            bid_qty: 20,
            bid_orders: 2,
            ask_price: 4525.55,
            ask_qty: 7,
            ask_orders: 1,
        };
        let cases = vec![
            QuoteCase {
                name: "ltp: f32-style residue back on the grid, no time",
                batch: quote_batch(QuoteEndpoint::Ltp, &["NIFTY", "TCS"]),
                status: 200,
                body: r#"{"data":{"IDX_I":{"13":{"last_price":25760.849976}},"NSE_EQ":{"11536":{"last_price":4520}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![
                        rest_update("NIFTY", Mode::Ltp, 25_760.85),
                        rest_update("TCS", Mode::Ltp, 4520.0),
                    ],
                    ..Converted::default()
                }),
            },
            QuoteCase {
                name: "quote: depth rounded, IST trade time to UTC, close is not prev close",
                batch: quote_batch(QuoteEndpoint::Quote, &["TCS"]),
                status: 200,
                body: r#"{"data":{"NSE_EQ":{"11536":{"last_price":4525.55,"last_quantity":2,"average_price":4516.6201,
                    "volume":412853,"buy_quantity":50433,"sell_quantity":44276,"oi":0,
                    "ohlc":{"open":4521.45,"close":4507.85,"high":4530,"low":4500},
                    "depth":{"buy":[{"quantity":20,"orders":2,"price":4525.4999}],"sell":[{"quantity":7,"orders":1,"price":4525.55}]},
                    "last_trade_time":"03/02/2026 09:09:55"}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![TickUpdate {
                        last_qty: Some(2),
                        avg_price: Some(4516.6),
                        volume: Some(412_853),
                        total_buy_qty: Some(50_433),
                        total_sell_qty: Some(44_276),
                        oi: Some(0),
                        open: Some(4521.45),
                        high: Some(4530.0),
                        low: Some(4500.0),
                        depth: Some(tcs_depth),
                        exchange_time: Some(traded()),
                        ..rest_update("TCS", Mode::Full, 4525.55)
                    }],
                    ..Converted::default()
                }),
            },
            QuoteCase {
                name: "a negative price drops the row",
                batch: quote_batch(QuoteEndpoint::Ltp, &["TCS"]),
                status: 200,
                body: r#"{"data":{"NSE_EQ":{"11536":{"last_price":-1}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![],
                    missing: 0,
                    rejected: 1,
                }),
            },
        ];
        check_quotes(cases, convert);
    }
}
