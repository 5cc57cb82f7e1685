//! The one broker seam. Everything the broker side knows about a particular broker lives
//! in its folder (`dhan/`, `kite/`), one file per concern; each operation below picks the
//! broker's module with a single `match`. The actors call these functions and never
//! match on `Broker` themselves. How to add a broker: `docs/adding-a-broker.md`.
//!
//! ```text
//!  feed_connection ─ feed_url, upgrade_headers, ping_interval, subscribe_limits,
//!                    replay_commands, change_commands, change_messages, decode_frame,
//!                    text_frame, closed, upgrade_rejected, token_rejected
//!  subscription_registry ─ limits_in_force (how many connections, how full each)
//!  auth_manager ──── credentials_from, profile_request, classify_profile, token_expiry
//!  rest_fallback ─── knows_instrument, quote_batch_limit, quote_endpoint, quote_call,
//!                    convert_quotes
//!  instrument_directory ─ master_needs_session, master_headers
//!  history_fetcher ── knows_history, history_rate_limit, history_call, parse_history
//!  whoever picks the master (master.source = "broker") ─ master_url, master_kind
//! ```

mod change;
pub mod conversion;
pub mod dhan;
pub mod failure;
#[cfg(test)]
mod fixtures;
pub mod history;
pub mod http;
pub mod kite;
pub mod quote;
pub mod verdict;

use std::time::Duration;

use chrono::{DateTime, Utc};
use mandi_domain::{Candle, Instrument, Mode};
use mandi_instruments::{InstrumentIndex, MasterKind};
use mandi_protocol::dhan::rest::RestError;

pub use conversion::{checked_price, Conversion, FrameEnd, FrameError, Skipped};
pub use dhan::DhanCommand;
pub use history::{HistoryRequest, HistorySpan};
pub use http::{CallError, HttpCall, ProfileRequest, Verb, USER_AGENT};
pub use kite::{KiteCommand, KiteText};
pub use quote::{Converted, QuoteBatch, QuoteEndpoint, QuoteRow};

pub use change::UpstreamChange;
pub use failure::{BrokerWait, Failure, FailureKind, RetryFloors};
pub use verdict::{AuthError, TokenStatus};

use crate::settings::{Broker, Credentials, UpstreamSettings};

/// What a broker's feed lets one account carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscribeLimits {
    /// Instruments in one subscribe or unsubscribe message.
    pub per_message: usize,
    /// Instruments on one connection; the broker refuses the excess.
    pub per_connection: usize,
    /// Feed connections open at once per account or API key.
    pub connections: usize,
}

impl SubscribeLimits {
    /// Instruments every connection together may carry.
    pub fn capacity(&self) -> usize {
        self.per_connection.saturating_mul(self.connections)
    }
}

/// One text frame for the broker's feed, and what the socket carries once it is sent:
/// each instrument the frame names with its mode afterwards (`None`: no longer carried).
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamMessage {
    pub text: String,
    pub carries: Vec<(Instrument, Option<Mode>)>,
}

/// One logical request to the broker's feed; `encode` may split it into several messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamCommand {
    Dhan(DhanCommand),
    Kite(KiteCommand),
}

impl UpstreamCommand {
    /// The text frames to send, each within the broker's per-message limit.
    pub fn encode(&self) -> Vec<String> {
        match self {
            UpstreamCommand::Dhan(command) => command.encode(),
            UpstreamCommand::Kite(command) => command.encode(),
        }
    }
}

// ---- the feed connection ----

/// The feed URL with the credentials as its (URL-encoded) query:
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
    match (broker, credentials) {
        (
            Broker::Dhan,
            Credentials::Dhan {
                client_id,
                access_token,
            },
        ) => Ok(dhan::connect::feed_url(base, client_id, access_token)),
        (
            Broker::Kite,
            Credentials::Kite {
                api_key,
                access_token,
            },
        ) => Ok(kite::connect::feed_url(base, api_key, access_token)),
        _ => Err(Failure::config(
            format!(
                "upstream broker is {} but the credentials are for the other broker",
                broker.as_str()
            ),
            "set the credentials of the configured broker",
        )),
    }
}

/// Extra headers on the WebSocket upgrade request.
pub fn upgrade_headers(broker: Broker) -> &'static [(&'static str, &'static str)] {
    match broker {
        Broker::Dhan => &[],
        Broker::Kite => kite::connect::UPGRADE_HEADERS,
    }
}

/// How often we ping the broker on an open socket, if the broker expects it.
pub fn ping_interval(broker: Broker) -> Option<Duration> {
    match broker {
        Broker::Dhan => Some(dhan::connect::PING_INTERVAL),
        Broker::Kite => None,
    }
}

pub fn subscribe_limits(broker: Broker) -> SubscribeLimits {
    match broker {
        Broker::Dhan => dhan::connect::LIMITS,
        Broker::Kite => kite::connect::LIMITS,
    }
}

/// The limits in force: the broker's, lowered by `upstream.max_instruments_per_connection`
/// and `upstream.max_connections` (never below one instrument and one connection).
pub fn limits_in_force(settings: &UpstreamSettings) -> SubscribeLimits {
    let broker = subscribe_limits(settings.broker);
    SubscribeLimits {
        per_message: broker.per_message,
        per_connection: settings
            .max_instruments_per_connection
            .clamp(1, broker.per_connection),
        connections: settings.max_connections.clamp(1, broker.connections),
    }
}

/// Everything in `active`, for a fresh socket.
pub fn replay_commands(broker: Broker, active: &[(Instrument, Mode)]) -> Vec<UpstreamCommand> {
    match broker {
        Broker::Dhan => wrap(dhan::subscribe::replay(active), UpstreamCommand::Dhan),
        Broker::Kite => wrap(kite::subscribe::replay(active), UpstreamCommand::Kite),
    }
}

/// The wire diff for registry changes; a change whose mode stays put sends nothing.
pub fn change_commands(broker: Broker, changes: &[UpstreamChange]) -> Vec<UpstreamCommand> {
    let changes: Vec<&UpstreamChange> = changes.iter().filter(|c| c.from != c.to).collect();
    match broker {
        Broker::Dhan => wrap(dhan::subscribe::changes(&changes), UpstreamCommand::Dhan),
        Broker::Kite => wrap(kite::subscribe::changes(&changes), UpstreamCommand::Kite),
    }
}

/// [`change_commands`] as single frames of at most `per_message` instruments (never more
/// than the broker takes), each with what it leaves on the socket. Every removal comes
/// before any addition, so sending any prefix of the list never makes the socket carry
/// more than the larger of its old and its new set.
pub fn change_messages(
    broker: Broker,
    changes: &[UpstreamChange],
    per_message: usize,
) -> Vec<UpstreamMessage> {
    let changes: Vec<&UpstreamChange> = changes.iter().filter(|c| c.from != c.to).collect();
    let per_message = per_message.clamp(1, subscribe_limits(broker).per_message);
    match broker {
        Broker::Dhan => dhan::subscribe::messages(&changes, per_message),
        Broker::Kite => kite::subscribe::messages(&changes, per_message),
    }
}

/// Decode one binary frame, handing each market-data packet to `on_packet` converted
/// (no allocation per frame beyond the codec's), and say how the frame ended.
pub fn decode_frame(
    broker: Broker,
    bytes: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
    on_packet: impl FnMut(Conversion),
) -> FrameEnd {
    match broker {
        Broker::Dhan => dhan::packet::decode_frame(bytes, index, received_time, on_packet),
        Broker::Kite => kite::packet::decode_frame(bytes, index, received_time, on_packet),
    }
}

/// A text frame from the broker: classified and logged; none changes the feed.
pub fn text_frame(broker: Broker, text: &str) {
    match broker {
        Broker::Dhan => dhan::packet::on_text(text),
        Broker::Kite => kite::text::on_text(text),
    }
}

/// The broker closed an open socket (a close frame or the stream's end);
/// `quiet_since_connect` is how long it was up without data, if none came.
pub fn closed(broker: Broker, detail: String, quiet_since_connect: Option<Duration>) -> Failure {
    match broker {
        Broker::Dhan => dhan::failure::closed(detail, quiet_since_connect),
        Broker::Kite => kite::failure::closed(detail, quiet_since_connect),
    }
}

/// The WebSocket upgrade answered with a non-101 HTTP status.
pub fn upgrade_rejected(broker: Broker, status: u16) -> Failure {
    match broker {
        Broker::Dhan => dhan::failure::upgrade_rejected(status),
        Broker::Kite => kite::failure::upgrade_rejected(status),
    }
}

/// The pre-flight profile check refused the token.
pub fn token_rejected(broker: Broker, status: TokenStatus) -> Failure {
    match broker {
        Broker::Dhan => dhan::failure::token_rejected(status),
        Broker::Kite => kite::failure::token_rejected(status),
    }
}

// ---- the auth manager ----

/// The broker's credentials through `lookup` (the environment or a credentials file).
pub fn credentials_from(
    broker: Broker,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, AuthError> {
    match broker {
        Broker::Dhan => dhan::auth::credentials(lookup),
        Broker::Kite => kite::auth::credentials(lookup),
    }
}

/// The profile request for `credentials` against `base` (a checked REST URL without its
/// trailing slash).
pub fn profile_request(credentials: &Credentials, base: &str) -> ProfileRequest {
    match credentials {
        Credentials::Dhan {
            client_id,
            access_token,
        } => dhan::auth::profile_request(base, client_id, access_token),
        Credentials::Kite {
            api_key,
            access_token,
        } => kite::auth::profile_request(base, api_key, access_token),
    }
}

/// Map the profile endpoint's answer to a verdict on the token.
pub fn classify_profile(broker: Broker, status: u16, body: &[u8]) -> TokenStatus {
    match broker {
        Broker::Dhan => dhan::auth::classify_profile(status, body),
        Broker::Kite => kite::auth::classify_profile(status, body),
    }
}

/// The instant `credentials` stop working by the broker's rule, if it has one;
/// `adopted_at` is when the runtime got the token.
pub fn token_expiry(credentials: &Credentials, adopted_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match credentials {
        Credentials::Dhan { access_token, .. } => dhan::auth::token_expiry(access_token),
        Credentials::Kite { .. } => Some(kite::auth::token_expiry(adopted_at)),
    }
}

// ---- the REST fallback ----

/// Whether the broker has an identifier for the instrument (zero ids and empty keys mean
/// "not listed on this broker"); only those are polled.
pub fn knows_instrument(broker: Broker, instrument: &Instrument) -> bool {
    match broker {
        Broker::Dhan => dhan::quotes::knows(instrument),
        Broker::Kite => kite::quotes::knows(instrument),
    }
}

/// Instruments one quote request may carry, given whether the whole polled set wants
/// only last prices.
pub fn quote_batch_limit(broker: Broker, set_ltp_only: bool) -> usize {
    match broker {
        Broker::Dhan => dhan::quotes::batch_limit(set_ltp_only),
        Broker::Kite => kite::quotes::batch_limit(set_ltp_only),
    }
}

/// The endpoint a picked batch goes to, given whether the whole set and the batch want
/// only last prices.
pub fn quote_endpoint(broker: Broker, set_ltp_only: bool, batch_ltp_only: bool) -> QuoteEndpoint {
    match broker {
        Broker::Dhan => dhan::quotes::endpoint(set_ltp_only, batch_ltp_only),
        Broker::Kite => kite::quotes::endpoint(set_ltp_only, batch_ltp_only),
    }
}

/// The HTTP request for one batch, from the credentials of the moment (so a hot-swapped
/// token is used at once).
pub fn quote_call(
    broker: Broker,
    batch: &QuoteBatch,
    credentials: &Credentials,
    rest_url: &str,
) -> Result<HttpCall, CallError> {
    match broker {
        Broker::Dhan => dhan::quotes::call(batch, credentials, rest_url),
        Broker::Kite => kite::quotes::call(batch, credentials, rest_url),
    }
}

/// Parse the broker's answer to `batch` and convert every row to a `TickUpdate`.
pub fn convert_quotes(
    broker: Broker,
    batch: &QuoteBatch,
    status: u16,
    body: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Result<Converted, RestError> {
    match broker {
        Broker::Dhan => dhan::quotes::convert(batch, status, body, index, received_time),
        Broker::Kite => kite::quotes::convert(batch, status, body, index, received_time),
    }
}

// ---- the history fetcher ----

/// Whether the broker can be asked for the instrument's history.
pub fn knows_history(broker: Broker, instrument: &Instrument) -> bool {
    match broker {
        Broker::Dhan => dhan::quotes::knows(instrument),
        Broker::Kite => kite::history::knows(instrument),
    }
}

/// Historical requests per second the broker takes.
pub fn history_rate_limit(broker: Broker) -> f64 {
    match broker {
        Broker::Dhan => dhan::history::MAX_REQUESTS_PER_S,
        Broker::Kite => kite::history::MAX_REQUESTS_PER_S,
    }
}

/// The HTTP request for `request`, from the credentials of the moment.
pub fn history_call(
    broker: Broker,
    request: &HistoryRequest,
    credentials: &Credentials,
    rest_url: &str,
) -> Result<HttpCall, CallError> {
    match broker {
        Broker::Dhan => dhan::history::call(request, credentials, rest_url),
        Broker::Kite => kite::history::call(request, credentials, rest_url),
    }
}

/// The broker's history answer as candles, oldest first as sent.
pub fn parse_history(broker: Broker, status: u16, body: &[u8]) -> Result<Vec<Candle>, RestError> {
    match broker {
        Broker::Dhan => mandi_protocol::dhan::history::parse_chart_response(status, body),
        Broker::Kite => mandi_protocol::kite::history::parse_history_response(status, body),
    }
}

// ---- the instrument master ----

/// The broker's own instrument master (`master.source = "broker"`).
pub fn master_url(broker: Broker) -> &'static str {
    match broker {
        Broker::Dhan => dhan::master::COMPACT_URL,
        Broker::Kite => kite::master::INSTRUMENTS_URL,
    }
}

/// The file layout of the broker's master.
pub fn master_kind(broker: Broker) -> MasterKind {
    match broker {
        Broker::Dhan => MasterKind::Dhan,
        Broker::Kite => MasterKind::Kite,
    }
}

/// Whether a master of this layout is downloaded with the current session's headers.
pub fn master_needs_session(kind: MasterKind) -> bool {
    match kind {
        MasterKind::Dhan => dhan::master::NEEDS_SESSION,
        MasterKind::Kite => kite::master::NEEDS_SESSION,
    }
}

/// The headers the broker's master download wants from these credentials.
pub fn master_headers(credentials: &Credentials) -> Vec<(String, String)> {
    match credentials {
        Credentials::Dhan { .. } => dhan::master::headers(),
        Credentials::Kite {
            api_key,
            access_token,
        } => kite::master::headers(api_key, access_token),
    }
}

fn wrap<C>(commands: Vec<C>, into: impl Fn(C) -> UpstreamCommand) -> Vec<UpstreamCommand> {
    commands.into_iter().map(into).collect()
}

#[cfg(test)]
mod tests {
    use super::fixtures::{change, nifty};
    use super::*;

    fn dhan_credentials() -> Credentials {
        Credentials::Dhan {
            client_id: "1000000001".into(),
            access_token: "eyJ.a+b/c=".into(),
        }
    }

    #[test]
    fn feed_url_checks_the_url_and_the_credentials_first() {
        struct TestCase {
            name: &'static str,
            broker: Broker,
            ws_url: &'static str,
            want: Result<&'static str, FailureKind>,
        }
        let cases = [
            TestCase {
                name: "a trailing slash is dropped",
                broker: Broker::Dhan,
                ws_url: "ws://127.0.0.1:9001/",
                want: Ok("ws://127.0.0.1:9001/?version=2&token=eyJ.a%2Bb%2Fc%3D&clientId=1000000001&authType=2"),
            },
            TestCase {
                name: "credentials of the other broker",
                broker: Broker::Kite,
                ws_url: "wss://ws.kite.trade",
                want: Err(FailureKind::Config),
            },
            TestCase {
                name: "not a url",
                broker: Broker::Dhan,
                ws_url: "not a url",
                want: Err(FailureKind::Config),
            },
        ];
        for c in cases {
            let got = feed_url(c.broker, c.ws_url, &dhan_credentials());
            let got = got.as_deref().map_err(|f| f.kind);
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn a_change_that_keeps_its_mode_sends_nothing() {
        let same = [change(nifty(), Some(Mode::Ltp), Some(Mode::Ltp))];
        for broker in [Broker::Dhan, Broker::Kite] {
            assert_eq!(change_commands(broker, &same), vec![], "{broker:?}");
        }
    }

    #[test]
    fn the_config_only_lowers_the_brokers_limits() {
        struct TestCase {
            name: &'static str,
            broker: Broker,
            per_connection: usize,
            connections: usize,
            want: (usize, usize, usize),
        }
        let cases = [
            TestCase {
                name: "dhan's own",
                broker: Broker::Dhan,
                per_connection: 5000,
                connections: 5,
                want: (5000, 5, 25_000),
            },
            TestCase {
                name: "lowered for a test",
                broker: Broker::Dhan,
                per_connection: 200,
                connections: 3,
                want: (200, 3, 600),
            },
            TestCase {
                name: "kite capped at 3000 × 3",
                broker: Broker::Kite,
                per_connection: 5000,
                connections: 5,
                want: (3000, 3, 9000),
            },
            TestCase {
                name: "never below one of each",
                broker: Broker::Kite,
                per_connection: 0,
                connections: 0,
                want: (1, 1, 1),
            },
        ];
        for c in cases {
            let settings = UpstreamSettings {
                max_instruments_per_connection: c.per_connection,
                max_connections: c.connections,
                ..fixtures::upstream_settings(c.broker)
            };
            let got = limits_in_force(&settings);
            assert_eq!(
                (got.per_connection, got.connections, got.capacity()),
                c.want,
                "{}",
                c.name
            );
            assert_eq!(got.per_message, subscribe_limits(c.broker).per_message);
        }
    }

    #[test]
    fn each_broker_answers_every_operation() {
        struct TestCase {
            broker: Broker,
            ping: bool,
            upgrade_headers: usize,
            per_connection: usize,
        }
        let cases = [
            TestCase {
                broker: Broker::Dhan,
                ping: true,
                upgrade_headers: 0,
                per_connection: 5000,
            },
            TestCase {
                broker: Broker::Kite,
                ping: false,
                upgrade_headers: 1,
                per_connection: 3000,
            },
        ];
        for c in cases {
            let name = c.broker.as_str();
            assert_eq!(ping_interval(c.broker).is_some(), c.ping, "{name}");
            assert_eq!(upgrade_headers(c.broker).len(), c.upgrade_headers, "{name}");
            assert_eq!(
                subscribe_limits(c.broker).per_connection,
                c.per_connection,
                "{name}"
            );
            let kind = master_kind(c.broker);
            assert_eq!(kind.as_str(), name, "{name}: master layout");
            assert!(master_url(c.broker).starts_with("https://"), "{name}");
            assert_eq!(
                master_needs_session(kind),
                c.broker == Broker::Kite,
                "{name}: only Kite's dump wants the session"
            );
        }
    }
}
