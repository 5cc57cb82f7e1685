//! `PriceStore`: merges upstream updates into the latest tick per instrument, builds
//! 1-minute candles, and publishes each frame's changes once.

mod messages;
mod state;

use std::sync::Arc;

use actix::{Actor, Context, Handler, MessageResult, Recipient};

pub use messages::{GetCandles, GetPriceStoreStats, GetSnapshot, PriceStoreStats, TicksPublished};
pub use state::{Candle, PriceBook};

use crate::feed_connection::messages::TicksReceived;

/// Mailbox size: a burst at market open is thousands of frames; past this the feed's
/// `try_send` drops frames (counted there) rather than queueing without bound.
const MAILBOX_CAPACITY: usize = 8192;

pub struct PriceStore {
    book: PriceBook,
    subscribers: Vec<Recipient<TicksPublished>>,
    publish_dropped: u64,
}

impl PriceStore {
    pub fn new(subscribers: Vec<Recipient<TicksPublished>>) -> PriceStore {
        PriceStore {
            book: PriceBook::default(),
            subscribers,
            publish_dropped: 0,
        }
    }
}

impl Actor for PriceStore {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
    }
}

impl Handler<TicksReceived> for PriceStore {
    type Result = ();

    fn handle(&mut self, msg: TicksReceived, _: &mut Context<Self>) {
        let changed = self.book.apply(&msg.updates);
        if changed.is_empty() {
            return;
        }
        let published = TicksPublished {
            ticks: Arc::from(changed),
        };
        for sub in &self.subscribers {
            // Bounded hand-off: a subscriber that cannot keep up loses this frame's
            // snapshot (prices are conflated state; the next frame supersedes it).
            if sub.try_send(published.clone()).is_err() {
                self.publish_dropped += 1;
            }
        }
    }
}

impl Handler<GetSnapshot> for PriceStore {
    type Result = MessageResult<GetSnapshot>;

    fn handle(&mut self, msg: GetSnapshot, _: &mut Context<Self>) -> Self::Result {
        MessageResult(
            msg.symbols
                .iter()
                .filter_map(|s| self.book.get(s).cloned())
                .collect(),
        )
    }
}

impl Handler<GetCandles> for PriceStore {
    type Result = MessageResult<GetCandles>;

    fn handle(&mut self, msg: GetCandles, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.book.candles(&msg.symbol).to_vec())
    }
}

impl Handler<GetPriceStoreStats> for PriceStore {
    type Result = MessageResult<GetPriceStoreStats>;

    fn handle(&mut self, _: GetPriceStoreStats, _: &mut Context<Self>) -> Self::Result {
        MessageResult(PriceStoreStats {
            instruments: self.book.all().count(),
            updates: self.book.updates(),
            stale_rejected: self.book.stale_rejected(),
            last_update_at: self.book.last_update_at(),
            publish_dropped: self.publish_dropped,
        })
    }
}
