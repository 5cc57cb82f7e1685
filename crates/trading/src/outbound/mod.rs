//! How the trading actors reach out: frames to the client sockets through an
//! [`UpdateSink`] (drops counted and warned about, throttled) and [`StreamingChange`]s to
//! the feed's registry.

mod streaming;
mod throttle;

use std::sync::Arc;
use std::time::Instant;

use actix::Recipient;
use mandi_feed::backplane::{Interest, Release, Subscribe};
use mandi_protocol::client::Frame;

pub use streaming::StreamingChange;
use throttle::DropThrottle;

use mandi_fanout::broadcaster::TradingUpdate;

/// The client sockets' recipients of one sender, with its drop count.
pub struct UpdateSink {
    /// Who sends, for the warning: `paper:executor`, `bot:<name>`.
    sender: Arc<str>,
    recipients: Vec<Recipient<TradingUpdate>>,
    drops: DropThrottle,
}

impl UpdateSink {
    pub fn new(sender: impl Into<Arc<str>>, recipients: Vec<Recipient<TradingUpdate>>) -> Self {
        UpdateSink {
            sender: sender.into(),
            recipients,
            drops: DropThrottle::default(),
        }
    }

    /// Hands `frame` to every recipient without waiting. A full or closed mailbox drops
    /// it for that recipient: counted, and warned about at most once per interval.
    pub fn push(&mut self, frame: &Frame) {
        let mut dropped = 0;
        for to in &self.recipients {
            let update = TradingUpdate {
                frame: frame.clone(),
            };
            if to.try_send(update).is_err() {
                dropped += 1;
            }
        }
        if dropped > 0 {
            if let Some(count) = self.drops.record(dropped, Instant::now()) {
                self.warn(count);
            }
        }
    }

    /// Says drops still unreported once the interval has passed; senders call it from a
    /// timer or their busiest handler, so the tail of a burst is not left unsaid.
    pub fn warn_if_due(&mut self) {
        if self.drops.unreported() == 0 {
            return;
        }
        if let Some(count) = self.drops.due(Instant::now()) {
            self.warn(count);
        }
    }

    /// Updates dropped since the sender started.
    pub fn dropped(&self) -> u64 {
        self.drops.total()
    }

    fn warn(&self, count: u64) {
        tracing::warn!(sender = %self.sender, dropped = count, dropped_total = self.drops.total(), "trading updates dropped: the client sockets' broadcaster is full or gone, so clients miss order, fill or bot frames until they refetch");
    }
}

/// Asks the registry for `change` under `subscriber`; without a registry (tests of a
/// single actor) there is nobody to ask.
pub fn request_streaming(registry: Option<&Interest>, subscriber: &str, change: StreamingChange) {
    let Some(registry) = registry else {
        return;
    };
    if !change.subscribe.is_empty() {
        registry.subscribe(Subscribe {
            subscriber: subscriber.into(),
            symbols: change.subscribe,
            mode: mandi_domain::Mode::Full,
        });
    }
    if !change.release.is_empty() {
        registry.release(Release {
            subscriber: subscriber.into(),
            symbols: change.release,
        });
    }
}
