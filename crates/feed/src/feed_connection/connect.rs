//! Opening the upstream socket: pre-flight token check, credentials, the broker's URL
//! and upgrade headers (from `upstream`), and the awc upgrade with a deadline. Every way
//! it can fail comes back classified.

use std::pin::Pin;
use std::time::Duration;

use actix::Addr;
use awc::error::WsProtocolError;
use awc::ws;
use futures_util::{Sink, Stream, StreamExt};

use super::nodelay::NoDelayConnector;
use crate::auth_manager::{AuthManager, GetCredentials, ValidateToken};
use crate::settings::UpstreamSettings;
use crate::upstream;
use crate::upstream::Failure;

/// Largest WebSocket message accepted. A Kite frame with 3000 full packets is ~560 KB;
/// Dhan packets are at most 162 bytes.
pub const MAX_FRAME_SIZE_BYTES: usize = 1024 * 1024;

/// The write half, boxed so the actor can name its type.
pub type WsSink = Pin<Box<dyn Sink<ws::Message, Error = WsProtocolError>>>;
/// The read half.
pub type WsStream = Pin<Box<dyn Stream<Item = Result<ws::Frame, WsProtocolError>>>>;

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
            return Err(upstream::token_rejected(broker, status))
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "token pre-flight check skipped"),
        Err(e) => tracing::debug!(error = %e, "auth manager did not answer the pre-flight check"),
    }
    let credentials = auth
        .send(GetCredentials)
        .await
        .map_err(|e| Failure::network(format!("auth manager unavailable: {e}")))?;
    let url = upstream::feed_url(broker, &settings.ws_url, &credentials)?;
    let timeout = Duration::from_millis(settings.connect_timeout_ms.max(1));
    let client = awc::Client::builder()
        .connector(
            awc::Connector::new()
                .connector(NoDelayConnector::default())
                .timeout(timeout),
        )
        .max_http_version(awc::http::Version::HTTP_11)
        .timeout(timeout)
        .finish();
    let mut request = client.ws(url).max_frame_size(MAX_FRAME_SIZE_BYTES);
    for (name, value) in upstream::upgrade_headers(broker) {
        request = request.header(*name, *value);
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
            return Err(upstream::upgrade_rejected(broker, status.as_u16()))
        }
        // awc's errors describe the transport, never the URL, so the token stays out.
        Ok(Err(e)) => return Err(Failure::network(format!("connect failed: {e}"))),
        Ok(Ok(ok)) => ok,
    };
    let (sink, stream) = framed.split();
    Ok((Box::pin(sink), Box::pin(stream)))
}
