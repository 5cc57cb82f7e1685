//! Typed runtime settings. The server builds these from the layered config files and
//! validates them; the actors only ever see these plain structs.

use std::sync::Arc;

use mandi_domain::Instrument;

// Each crate owns the settings of its actors; the runtime only gathers them.
pub use mandi_fanout::settings::{BroadcastSettings, StoreSettings};
pub use mandi_feed::history_fetcher::HistorySettings;
pub use mandi_feed::rest_fallback::RestFallbackSettings;
pub use mandi_feed::settings::{Broker, Credentials, UpstreamSettings};
pub use mandi_trading::settings::TradingSettings;

/// Everything the runtime needs to start.
#[derive(Clone, Debug)]
pub struct RuntimeSettings {
    pub upstream: UpstreamSettings,
    pub credentials: Credentials,
    pub broadcast: BroadcastSettings,
    pub store: StoreSettings,
    pub instruments: Vec<Instrument>,
    /// The entries of `instruments` that stand for an underlying's nearest future,
    /// resolved from the master at each load and rolled before expiry.
    pub continuous: Vec<mandi_feed::instrument_directory::ContinuousFuture>,
    /// Instruments subscribed at start on behalf of the runtime itself (the `/prices` set).
    pub default_symbols: Vec<Arc<str>>,
    /// Watched for a new token (KEY=VALUE lines); None = environment only.
    pub credentials_file: Option<std::path::PathBuf>,
    /// When and how fast to poll REST quotes while the socket is down.
    pub rest_fallback: RestFallbackSettings,
    /// Whether and how fast to fetch the broker's history.
    pub history: HistorySettings,
    /// The paper account, its journal, and the bots.
    pub trading: TradingSettings,
    /// Record every upstream frame; `None` records nothing.
    pub recorder: Option<mandi_recording::RecorderSettings>,
}
