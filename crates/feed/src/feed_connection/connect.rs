//! Opening the upstream socket: pre-flight token check, credentials, the broker's URL,
//! and the awc upgrade with a deadline. Every way it can fail comes back classified.

use std::pin::Pin;
use std::time::Duration;

use actix::Addr;
use awc::error::WsProtocolError;
use awc::ws;
use futures_util::{Sink, Stream, StreamExt};

use super::failure::Failure;
use crate::auth_manager::{AuthManager, GetCredentials, ValidateToken};
use crate::settings::{Broker, Credentials, UpstreamSettings};

/// Largest WebSocket message accepted. A Kite frame with 3000 full packets is ~560 KB;
/// Dhan packets are at most 162 bytes.
pub const MAX_FRAME_SIZE_BYTES: usize = 1024 * 1024;

/// The write half, boxed so the actor can name its type.
pub type WsSink = Pin<Box<dyn Sink<ws::Message, Error = WsProtocolError>>>;
/// The read half.
pub type WsStream = Pin<Box<dyn Stream<Item = Result<ws::Frame, WsProtocolError>>>>;

/// The feed URL with credentials as query parameters (URL-encoded):
/// Dhan `{ws_url}/?version=2&token=..&clientId=..&authType=2`,
/// Kite `{ws_url}/?api_key=..&access_token=..`. Never log the result: it holds the token.
pub fn feed_url(
    broker: Broker,
    ws_url: &str,
    credentials: &Credentials,
) -> Result<String, Failure> {
    let base = ws_url.trim_end_matches('/');
    if let Err(e) = url::Url::parse(base) {
        return Err(Failure::config(
            format!("upstream ws_url {base:?} is not a URL: {e}"),
            "fix upstream.ws_url in the config",
        ));
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    match (broker, credentials) {
        (
            Broker::Dhan,
            Credentials::Dhan {
                client_id,
                access_token,
            },
        ) => {
            query
                .append_pair("version", "2")
                .append_pair("token", access_token)
                .append_pair("clientId", client_id)
                .append_pair("authType", "2");
        }
        (
            Broker::Kite,
            Credentials::Kite {
                api_key,
                access_token,
            },
        ) => {
            query
                .append_pair("api_key", api_key)
                .append_pair("access_token", access_token);
        }
        _ => {
            return Err(Failure::config(
                format!(
                    "upstream broker is {} but the credentials are for the other broker",
                    broker.as_str()
                ),
                "set the credentials of the configured broker",
            ))
        }
    }
    Ok(format!("{base}/?{}", query.finish()))
}

/// Check the token, fetch the credentials, and open the socket.
pub async fn open(
    settings: UpstreamSettings,
    auth: Addr<AuthManager>,
) -> Result<(WsSink, WsStream), Failure> {
    let broker = settings.broker;
    // A token the broker's REST API refuses would be refused by the socket too; asking
    // first keeps a dead token from turning into a stream of rejected upgrades.
    match auth.send(ValidateToken).await {
        Ok(Ok(status)) if status.is_rejected() => {
            return Err(Failure::token_rejected(broker, status))
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "token pre-flight check skipped"),
        Err(e) => tracing::debug!(error = %e, "auth manager did not answer the pre-flight check"),
    }
    let credentials = auth
        .send(GetCredentials)
        .await
        .map_err(|e| Failure::network(format!("auth manager unavailable: {e}")))?;
    let url = feed_url(broker, &settings.ws_url, &credentials)?;
    let timeout = Duration::from_millis(settings.connect_timeout_ms.max(1));
    let client = awc::Client::builder()
        .max_http_version(awc::http::Version::HTTP_11)
        .timeout(timeout)
        .finish();
    let mut request = client.ws(url).max_frame_size(MAX_FRAME_SIZE_BYTES);
    if broker == Broker::Kite {
        // The official Python and JS tickers send it; cheap insurance against a server
        // that starts to insist.
        request = request.header("X-Kite-Version", mandi_protocol::kite::rest::API_VERSION);
    }
    let connected = tokio::time::timeout(timeout, request.connect()).await;
    let (_response, framed) = match connected {
        Err(_) => {
            return Err(Failure::network(format!(
                "connect timed out after {} ms",
                timeout.as_millis()
            )))
        }
        Ok(Err(awc::error::WsClientError::InvalidResponseStatus(status))) => {
            return Err(Failure::upgrade_rejected(broker, status.as_u16()))
        }
        // awc's errors describe the transport, never the URL, so the token stays out.
        Ok(Err(e)) => return Err(Failure::network(format!("connect failed: {e}"))),
        Ok(Ok(ok)) => ok,
    };
    let (sink, stream) = framed.split();
    Ok((Box::pin(sink), Box::pin(stream)))
}

#[cfg(test)]
mod tests {
    use super::super::failure::FailureKind;
    use super::*;

    fn dhan() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "eyJ.a+b/c=".into(),
        }
    }

    fn kite() -> Credentials {
        Credentials::Kite {
            api_key: "key 1".into(),
            access_token: "t&k".into(),
        }
    }

    struct TestCase {
        name: &'static str,
        broker: Broker,
        ws_url: &'static str,
        credentials: Credentials,
        want: &'static str,
    }

    #[test]
    fn feed_urls() {
        let cases = [
            TestCase {
                name: "dhan, no trailing slash, token encoded",
                broker: Broker::Dhan,
                ws_url: "wss://api-feed.dhan.co",
                credentials: dhan(),
                want: "wss://api-feed.dhan.co/?version=2&token=eyJ.a%2Bb%2Fc%3D&clientId=1000000001&authType=2",
            },
            TestCase {
                name: "dhan, trailing slash",
                broker: Broker::Dhan,
                ws_url: "ws://127.0.0.1:9001/",
                credentials: dhan(),
                want: "ws://127.0.0.1:9001/?version=2&token=eyJ.a%2Bb%2Fc%3D&clientId=1000000001&authType=2",
            },
            TestCase {
                name: "kite",
                broker: Broker::Kite,
                ws_url: "wss://ws.kite.trade",
                credentials: kite(),
                want: "wss://ws.kite.trade/?api_key=key+1&access_token=t%26k",
            },
        ];
        for c in cases {
            let got = feed_url(c.broker, c.ws_url, &c.credentials).map_err(|f| f.reason);
            assert_eq!(got.as_deref(), Ok(c.want), "{}", c.name);
        }
    }

    #[test]
    fn mismatched_or_bad_config_is_a_config_failure() {
        let err = feed_url(Broker::Kite, "wss://ws.kite.trade", &dhan()).err();
        assert_eq!(err.map(|f| f.kind), Some(FailureKind::Config));
        let err = feed_url(Broker::Dhan, "not a url", &dhan()).err();
        assert_eq!(err.map(|f| f.kind), Some(FailureKind::Config));
    }
}
