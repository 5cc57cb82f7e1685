//! Reaching Dhan's feed (protocols.md A1, A4): the URL with its auth query, what one
//! connection may carry, and our side of the keep-alive.

use std::time::Duration;

use mandi_protocol::dhan;

use crate::upstream::SubscribeLimits;

/// 100 instruments per request message, 5000 per connection, 5 connections per account.
pub const LIMITS: SubscribeLimits = SubscribeLimits {
    per_message: dhan::MAX_INSTRUMENTS_PER_MESSAGE,
    per_connection: dhan::MAX_INSTRUMENTS_PER_CONNECTION,
    connections: dhan::MAX_CONNECTIONS,
};

/// Dhan pings us every 10 s and we ping back at the same cadence, so a half-open
/// socket shows up as read-idle on both sides.
pub const PING_INTERVAL: Duration = Duration::from_secs(10);

/// `{base}/?version=2&token=..&clientId=..&authType=2`, URL-encoded. `base` is a checked
/// URL without its trailing slash. Never log the result: it holds the token.
pub fn feed_url(base: &str, client_id: &str, access_token: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("version", "2")
        .append_pair("token", access_token)
        .append_pair("clientId", client_id)
        .append_pair("authType", "2")
        .finish();
    format!("{base}/?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls() {
        let cases = [
            (
                "token encoded",
                "wss://api-feed.dhan.co",
                "wss://api-feed.dhan.co/?version=2&token=eyJ.a%2Bb%2Fc%3D&clientId=1000000001&authType=2",
            ),
            (
                "simulator",
                "ws://127.0.0.1:9001",
                "ws://127.0.0.1:9001/?version=2&token=eyJ.a%2Bb%2Fc%3D&clientId=1000000001&authType=2",
            ),
        ];
        for (name, base, want) in cases {
            assert_eq!(feed_url(base, "1000000001", "eyJ.a+b/c="), want, "{name}");
        }
    }
}
