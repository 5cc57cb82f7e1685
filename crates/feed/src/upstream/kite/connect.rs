//! Reaching Kite's ticker (protocols.md B1, B4): the URL with its auth query, the header
//! the official clients send on the upgrade, and what one connection may carry. Kite
//! keeps the socket alive with its own heartbeat byte, so there is no ping of ours.

use mandi_protocol::kite;

use crate::upstream::SubscribeLimits;

/// 3000 tokens per connection, 3 connections per API key. Kite sets no limit per message,
/// so one connection's worth is the most a message needs.
pub const LIMITS: SubscribeLimits = SubscribeLimits {
    per_message: kite::MAX_TOKENS_PER_CONNECTION,
    per_connection: kite::MAX_TOKENS_PER_CONNECTION,
    connections: kite::MAX_CONNECTIONS,
};

/// The official Python and JS tickers send it; cheap insurance against a server that
/// starts to insist.
pub const UPGRADE_HEADERS: &[(&str, &str)] = &[("X-Kite-Version", kite::rest::API_VERSION)];

/// `{base}/?api_key=..&access_token=..`, URL-encoded. `base` is a checked URL without its
/// trailing slash. Never log the result: it holds the token.
pub fn feed_url(base: &str, api_key: &str, access_token: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api_key", api_key)
        .append_pair("access_token", access_token)
        .finish();
    format!("{base}/?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_url_encodes_the_session() {
        assert_eq!(
            feed_url("wss://ws.kite.trade", "key 1", "t&k"),
            "wss://ws.kite.trade/?api_key=key+1&access_token=t%26k"
        );
    }
}
