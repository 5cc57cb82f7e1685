//! The fake Dhan upstream mandi connects to: a v2 binary feed WebSocket (`feed`) that streams
//! the generator's batches to whichever connection holds the feed, and the REST profile
//! endpoint of mandi's token pre-flight check (`rest`). Loopback, port 0, one tokio runtime.

mod feed;
mod rest;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::DhanRequest;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::symbols::INSTRUMENTS;

/// What the fake accepts as `DHAN_CLIENT_ID` / `DHAN_ACCESS_TOKEN`.
pub const CLIENT_ID: &str = "1000000001";
pub const ACCESS_TOKEN: &str = "loadgen-access-token";
/// Batches waiting for the feed connection. Bounded so that a mandi that reads slower than
/// the generator sends pushes back on the generator, and the step reports the rate it got.
const BATCH_QUEUE: usize = 256;

/// The packets of one generator wake-up, shared by every sink. Dhan sends one packet per
/// WebSocket message, so each entry becomes one binary message.
pub type Batch = Arc<Vec<Bytes>>;

/// A running fake upstream.
pub struct FakeDhan {
    /// `ws://127.0.0.1:P` for `MANDI__UPSTREAM__WS_URL`.
    pub ws_url: String,
    /// `http://127.0.0.1:Q` for `MANDI__UPSTREAM__REST_URL`.
    pub rest_url: String,
    /// Where the generator hands batches; the connection holding the feed writes them.
    pub batches: mpsc::Sender<Batch>,
    pub subscriptions: Arc<UpstreamSubscriptions>,
}

impl FakeDhan {
    /// Bind both listeners and spawn their accept loops on the current runtime.
    pub async fn start() -> std::io::Result<FakeDhan> {
        let ws = TcpListener::bind("127.0.0.1:0").await?;
        let rest = TcpListener::bind("127.0.0.1:0").await?;
        let ws_url = format!("ws://{}", ws.local_addr()?);
        let rest_url = format!("http://{}", rest.local_addr()?);
        let (batches, rx) = mpsc::channel(BATCH_QUEUE);
        let subscriptions = Arc::new(UpstreamSubscriptions::default());
        tokio::spawn(feed::accept_loop(
            ws,
            Arc::new(tokio::sync::Mutex::new(rx)),
            subscriptions.clone(),
        ));
        tokio::spawn(rest::accept_loop(rest));
        Ok(FakeDhan {
            ws_url,
            rest_url,
            batches,
            subscriptions,
        })
    }
}

/// What mandi asked the fake for, so a phase starts measuring only once mandi has
/// subscribed every instrument in full mode.
#[derive(Default)]
pub struct UpstreamSubscriptions {
    entries: Mutex<HashSet<(Segment, u32, Mode)>>,
    /// Feed connections accepted with good credentials, reconnects included.
    connections: AtomicU64,
}

impl UpstreamSubscriptions {
    /// How many of the load's instruments mandi holds in full mode.
    pub fn full_count(&self) -> usize {
        let entries = self.lock();
        INSTRUMENTS
            .iter()
            .filter(|i| entries.contains(&(i.segment, i.security_id, Mode::Full)))
            .count()
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Apply a request; returns the instruments newly subscribed (Dhan answers each with a
    /// previous-close packet).
    fn apply(&self, req: &DhanRequest) -> Vec<(Segment, u32)> {
        let Some((mode, subscribe)) = req.mode_action() else {
            return Vec::new();
        };
        let mut entries = self.lock();
        let mut fresh = Vec::new();
        for &(segment, id) in &req.instruments {
            if !subscribe {
                entries.remove(&(segment, id, mode));
            } else if entries.insert((segment, id, mode)) {
                fresh.push((segment, id));
            }
        }
        fresh
    }

    /// A new connection starts with no subscriptions, as on Dhan.
    fn connected(&self) {
        self.lock().clear();
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, HashSet<(Segment, u32, Mode)>> {
        // A panic elsewhere cannot leave the set half-written: every update is one insert.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use mandi_protocol::dhan::{parse_request, request_code};

    use super::*;

    #[test]
    fn full_subscriptions_are_counted_per_mode() {
        let subs = UpstreamSubscriptions::default();
        subs.connected();
        let req = |code: u8, ids: &[(&str, u32)]| {
            let list: Vec<_> = ids
                .iter()
                .map(|(seg, id)| serde_json::json!({"ExchangeSegment": seg, "SecurityId": id.to_string()}))
                .collect();
            let text = serde_json::json!({"RequestCode": code, "InstrumentCount": list.len(), "InstrumentList": list});
            parse_request(&text.to_string()).expect("a valid request")
        };
        let fresh = subs.apply(&req(request_code::SUBSCRIBE_TICKER, &[("IDX_I", 13)]));
        assert_eq!(fresh.len(), 1, "ticker subscription is new");
        assert_eq!(subs.full_count(), 0, "ticker is not full");
        subs.apply(&req(
            request_code::SUBSCRIBE_FULL,
            &[("IDX_I", 13), ("NSE_EQ", 2885)],
        ));
        assert_eq!(subs.full_count(), 2);
        subs.apply(&req(request_code::UNSUBSCRIBE_FULL, &[("NSE_EQ", 2885)]));
        assert_eq!(subs.full_count(), 1);
        subs.connected();
        assert_eq!(subs.full_count(), 0, "a reconnect starts empty");
        assert_eq!(subs.connections(), 2);
    }
}
