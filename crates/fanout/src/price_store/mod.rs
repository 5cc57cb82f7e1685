//! `PriceStore`: merges upstream updates into the latest tick per instrument, builds
//! 1-minute candles, and publishes each frame's changes once. The broker's history
//! (`HistoryLoaded`) fills in the previous session and today's earlier minutes.

mod messages;
mod persist;
mod state;

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler, MessageResult, Recipient};
use chrono::Utc;

pub use messages::{
    GetCandles, GetLevelsInput, GetPriceStoreStats, GetSnapshot, LevelsInput, PersistNow,
    PriceStoreStats, TicksPublished,
};
pub use persist::{Restore, Snapshot, SNAPSHOT_FILE};
pub use state::{Candle, PriceBook};

use crate::settings::StoreSettings;

use mandi_feed::backplane::{HistoryLoaded, TicksReceived};

/// Mailbox size: a burst at market open is thousands of frames; past this the feed's
/// `try_send` drops frames (counted there) rather than queueing without bound.
const MAILBOX_CAPACITY: usize = 8192;

pub struct PriceStore {
    book: PriceBook,
    subscribers: Vec<Recipient<TicksPublished>>,
    publish_dropped: u64,
    settings: StoreSettings,
    /// Updates since the last snapshot; nothing is written while the market is quiet.
    dirty: bool,
    /// The disk snapshot was loaded once; a supervised restart must not load it again
    /// over newer prices.
    restored: bool,
}

impl PriceStore {
    pub fn new(subscribers: Vec<Recipient<TicksPublished>>, settings: StoreSettings) -> PriceStore {
        PriceStore {
            book: PriceBook::default(),
            subscribers,
            publish_dropped: 0,
            settings,
            dirty: false,
            restored: false,
        }
    }

    fn publish(&mut self, ticks: Vec<mandi_domain::Tick>) {
        let published = TicksPublished {
            ticks: Arc::from(ticks),
        };
        for sub in &self.subscribers {
            // Bounded hand-off: a subscriber that cannot keep up loses this frame's
            // snapshot (prices are conflated state; the next frame supersedes it).
            if sub.try_send(published.clone()).is_err() {
                self.publish_dropped += 1;
            }
        }
    }

    /// Last prices from the previous run, so a restart (or a closed market) still shows them.
    fn restore(&mut self) {
        let Some(dir) = self.settings.data_dir.clone() else {
            return;
        };
        match persist::load(&dir) {
            Ok(Some(snapshot)) => {
                let r = snapshot.for_restore(Utc::now());
                let restored = self.book.restore(r.ticks, r.candles, r.previous_days);
                tracing::info!(instruments = restored.len(), path = %persist::path(&dir).display(), "last prices restored");
                if !restored.is_empty() {
                    self.publish(restored);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                path = %persist::path(&dir).display(),
                error = %e,
                "price snapshot unreadable; starting empty — delete the file if it keeps failing"
            ),
        }
    }

    fn save(&mut self) {
        let Some(dir) = &self.settings.data_dir else {
            return;
        };
        if !self.dirty {
            return;
        }
        match persist::save(dir, &Snapshot::of(&self.book, Utc::now())) {
            Ok(()) => self.dirty = false,
            Err(e) => tracing::warn!(
                dir = %dir.display(),
                error = %e,
                "cannot write the price snapshot — check store.data_dir exists and is writable"
            ),
        }
    }
}

impl Actor for PriceStore {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        if !self.restored {
            self.restored = true;
            self.restore();
        }
        if self.settings.data_dir.is_some() {
            let every = Duration::from_millis(self.settings.persist_interval_ms.max(100));
            // Small file, written off the hot path at most once per interval; a kill -9
            // loses at most one interval of candles, never the previous snapshot.
            ctx.run_interval(every, |this, _| this.save());
        }
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.save();
    }
}

impl actix::Supervised for PriceStore {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The book in memory is newer than the file: keep it (a panic mid-merge leaves at
        // most one field of one tick behind, fixed by its next update), write it out, and
        // do not reload the older snapshot in `started`.
        self.restored = true;
        self.dirty = true;
        self.save();
        tracing::info!(
            instruments = self.book.len(),
            "price store restarted with its book"
        );
    }
}

mandi_supervision::crash_handler!(PriceStore);

impl Handler<PersistNow> for PriceStore {
    type Result = ();

    fn handle(&mut self, msg: PersistNow, _: &mut Context<Self>) {
        tracing::info!(reason = %msg.reason, instruments = self.book.len(), "writing the price snapshot");
        self.dirty = true;
        self.save();
    }
}

impl Handler<TicksReceived> for PriceStore {
    type Result = ();

    fn handle(&mut self, msg: TicksReceived, _: &mut Context<Self>) {
        let changed = self.book.apply(&msg.updates);
        if changed.is_empty() {
            return;
        }
        self.dirty = true;
        self.publish(changed);
    }
}

impl Handler<HistoryLoaded> for PriceStore {
    type Result = ();

    fn handle(&mut self, msg: HistoryLoaded, _: &mut Context<Self>) {
        self.book
            .adopt_history(&msg.symbol, msg.previous_day, msg.minutes);
        // Kept in the snapshot, so a restart has it without asking the broker again.
        self.dirty = true;
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

impl Handler<GetLevelsInput> for PriceStore {
    type Result = MessageResult<GetLevelsInput>;

    fn handle(&mut self, msg: GetLevelsInput, _: &mut Context<Self>) -> Self::Result {
        MessageResult(LevelsInput {
            previous_day: self.book.previous_day(&msg.symbol).copied(),
            candles: self.book.candles(&msg.symbol).to_vec(),
            tick: self.book.get(&msg.symbol).cloned(),
        })
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
