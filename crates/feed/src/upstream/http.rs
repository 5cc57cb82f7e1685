//! The REST requests every broker's module hands back ready to send: a quote call and a
//! profile check. Pure data; the actors own the client. The headers hold the token, so
//! none of these types has `Debug` and none is ever logged.

use mandi_protocol::dhan::rest::RestError;
use thiserror::Error;

/// Brokers ask API clients to identify themselves.
pub const USER_AGENT: &str = concat!("mandi/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

/// A ready-to-send quote request.
pub struct HttpCall {
    pub verb: Verb,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// JSON, for a POST (Dhan's quote endpoints).
    pub body: Option<String>,
}

/// A ready-to-send profile request (always a GET without a body).
pub struct ProfileRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
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
