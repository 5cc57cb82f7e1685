//! Kite's instruments dump (protocols.md B6): where it is published, and the session
//! headers an authenticated client sends with the download.

use mandi_protocol::kite::rest as kite_rest;

/// The full dump, the one `master.source = "broker"` loads.
pub const INSTRUMENTS_URL: &str = "https://api.kite.trade/instruments";

/// The endpoint may want the session: the current credentials are fetched before each
/// download.
pub const NEEDS_SESSION: bool = true;

/// `X-Kite-Version` and the session's `Authorization`.
pub fn headers(api_key: &str, access_token: &str) -> Vec<(String, String)> {
    vec![
        ("X-Kite-Version".into(), kite_rest::API_VERSION.into()),
        (
            "Authorization".into(),
            kite_rest::authorization(api_key, access_token),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_the_session() {
        let want: Vec<(String, String)> = vec![
            ("X-Kite-Version".into(), "3".into()),
            ("Authorization".into(), "token key:tok".into()),
        ];
        assert_eq!(headers("key", "tok"), want);
    }
}
