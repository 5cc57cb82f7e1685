//! The client side's settings: fan-out limits and where the price store keeps its
//! snapshot.

/// Client-facing fan-out limits.
#[derive(Clone, Debug)]
pub struct BroadcastSettings {
    pub max_symbols_per_client: usize,
    /// Per-session bound on queued bytes; a client past it is closed (4008).
    pub max_queued_bytes: usize,
    /// A client whose queued data waits this long without being taken by its socket is
    /// closed (4008) and its connection dropped, whether or not it ever reads again.
    pub drain_deadline_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub prices_push_interval_ms: u64,
    /// An instrument that has not ticked for this long (in its session) is `quiet`.
    pub instrument_quiet_after_ms: u64,
    /// ... and for this long `stale`: bots must not trade on it.
    pub instrument_stale_after_ms: u64,
    /// No market data at all from the feed for this long, inside the session of some
    /// streamed instrument, makes the connection `quiet` (socket live) ...
    pub feed_quiet_after_s: u64,
    /// ... and for this long `stale`, whatever the socket says.
    pub feed_stale_after_s: u64,
}

/// Where the price store keeps its snapshot; `data_dir: None` keeps nothing on disk.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    pub data_dir: Option<std::path::PathBuf>,
    pub persist_interval_ms: u64,
}
