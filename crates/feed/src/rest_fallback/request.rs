//! The HTTP request for one batch, built from the credentials of the moment (so a
//! hot-swapped token is used at once). Pure. The headers hold the token: `HttpCall` has
//! no `Debug` and is never logged.

use mandi_protocol::dhan::rest::{self as dhan_rest, DhanQuoteEndpoint, RestError};
use mandi_protocol::kite::rest::{self as kite_rest, KiteQuoteEndpoint};
use thiserror::Error;

use super::batch::{Batch, Endpoint};
use crate::auth_manager::credentials_broker;
use crate::settings::Credentials;

/// Brokers ask API clients to identify themselves.
const USER_AGENT: &str = concat!("mandi/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

/// A ready-to-send request.
pub struct HttpCall {
    pub verb: Verb,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// JSON, for Dhan's POST.
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CallError {
    #[error("credentials are for {credentials} but the batch is for {upstream}: set the credentials of the configured broker")]
    BrokerMismatch {
        credentials: &'static str,
        upstream: &'static str,
    },
    #[error(transparent)]
    Request(#[from] RestError),
}

/// Dhan: `POST {rest_url}/v2/marketfeed/{ltp|quote}` with `access-token` and `client-id`
/// and the JSON body. Kite: `GET {rest_url}/quote[/ltp]?i=..` with `X-Kite-Version: 3`
/// and `Authorization: token key:token`.
pub fn build_call(
    batch: &Batch,
    credentials: &Credentials,
    rest_url: &str,
) -> Result<HttpCall, CallError> {
    let base = rest_url.trim_end_matches('/');
    let user_agent = ("user-agent", USER_AGENT.to_owned());
    match (batch.endpoint, credentials) {
        (
            Endpoint::DhanLtp | Endpoint::DhanQuote,
            Credentials::Dhan {
                client_id,
                access_token,
            },
        ) => {
            let endpoint = match batch.endpoint {
                Endpoint::DhanLtp => DhanQuoteEndpoint::Ltp,
                _ => DhanQuoteEndpoint::Quote,
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
                    user_agent,
                ],
                body: Some(dhan_rest::quote_body(&ids, client_id)?),
            })
        }
        (
            Endpoint::KiteLtp | Endpoint::KiteQuote,
            Credentials::Kite {
                api_key,
                access_token,
            },
        ) => {
            let endpoint = match batch.endpoint {
                Endpoint::KiteLtp => KiteQuoteEndpoint::Ltp,
                _ => KiteQuoteEndpoint::Quote,
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
                    user_agent,
                ],
                body: None,
            })
        }
        (endpoint, credentials) => Err(CallError::BrokerMismatch {
            credentials: credentials_broker(credentials).as_str(),
            upstream: match endpoint {
                Endpoint::DhanLtp | Endpoint::DhanQuote => "dhan",
                Endpoint::KiteLtp | Endpoint::KiteQuote => "kite",
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mandi_domain::{Exchange, Instrument, Segment};

    use super::*;

    fn batch(endpoint: Endpoint) -> Batch {
        let inst = |symbol: &str, segment, id, key: &str| {
            Arc::new(Instrument {
                symbol: symbol.into(),
                exchange: Exchange::Nse,
                segment,
                security_id: id,
                kite_token: id << 8,
                kite_key: key.into(),
                tick_size: 0.05,
                lot_size: 1,
                derivative: None,
            })
        };
        Batch {
            endpoint,
            instruments: vec![
                inst("NIFTY", Segment::IdxI, 13, "NSE:NIFTY 50"),
                inst("TCS", Segment::NseEq, 11536, "NSE:TCS"),
            ],
        }
    }

    fn dhan() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "jwt".into(),
        }
    }

    fn kite() -> Credentials {
        Credentials::Kite {
            api_key: "key".into(),
            access_token: "tok".into(),
        }
    }

    fn header<'a>(call: &'a HttpCall, name: &str) -> Option<&'a str> {
        call.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn calls_per_broker() {
        struct TestCase {
            name: &'static str,
            endpoint: Endpoint,
            credentials: Credentials,
            verb: Verb,
            url: &'static str,
            body: Option<&'static str>,
            auth_headers: &'static [(&'static str, &'static str)],
        }
        let cases = [
            TestCase {
                name: "dhan ltp",
                endpoint: Endpoint::DhanLtp,
                credentials: dhan(),
                verb: Verb::Post,
                url: "http://127.0.0.1:9/v2/marketfeed/ltp",
                body: Some(r#"{"IDX_I":[13],"NSE_EQ":[11536],"dhanClientId":"1000000001"}"#),
                auth_headers: &[("access-token", "jwt"), ("client-id", "1000000001")],
            },
            TestCase {
                name: "dhan quote",
                endpoint: Endpoint::DhanQuote,
                credentials: dhan(),
                verb: Verb::Post,
                url: "http://127.0.0.1:9/v2/marketfeed/quote",
                body: Some(r#"{"IDX_I":[13],"NSE_EQ":[11536],"dhanClientId":"1000000001"}"#),
                auth_headers: &[("access-token", "jwt"), ("client-id", "1000000001")],
            },
            TestCase {
                name: "kite ltp",
                endpoint: Endpoint::KiteLtp,
                credentials: kite(),
                verb: Verb::Get,
                url: "http://127.0.0.1:9/quote/ltp?i=NSE%3ANIFTY+50&i=NSE%3ATCS",
                body: None,
                auth_headers: &[("authorization", "token key:tok"), ("x-kite-version", "3")],
            },
            TestCase {
                name: "kite full quote",
                endpoint: Endpoint::KiteQuote,
                credentials: kite(),
                verb: Verb::Get,
                url: "http://127.0.0.1:9/quote?i=NSE%3ANIFTY+50&i=NSE%3ATCS",
                body: None,
                auth_headers: &[("authorization", "token key:tok"), ("x-kite-version", "3")],
            },
        ];
        for c in cases {
            let call = build_call(&batch(c.endpoint), &c.credentials, "http://127.0.0.1:9/");
            let Ok(call) = call else {
                panic!("{}: {:?}", c.name, call.err());
            };
            assert_eq!(
                (call.verb, call.url.as_str()),
                (c.verb, c.url),
                "{}",
                c.name
            );
            assert_eq!(call.body.as_deref(), c.body, "{}", c.name);
            for (name, value) in c.auth_headers {
                assert_eq!(header(&call, name), Some(*value), "{}: {name}", c.name);
            }
            assert!(header(&call, "user-agent").is_some_and(|ua| ua.starts_with("mandi/")));
        }
    }

    #[test]
    fn credentials_of_the_other_broker_are_refused() {
        let err = build_call(&batch(Endpoint::KiteLtp), &dhan(), "http://x").err();
        assert_eq!(
            err,
            Some(CallError::BrokerMismatch {
                credentials: "dhan",
                upstream: "kite"
            })
        );
    }
}
