//! `Publisher`, on the feed leader: every merged tick the price store publishes goes out
//! on its instrument's subject (which is also its key in the ticks bucket, so the last
//! one is every late subscriber's snapshot), and the feed's and the fallback's status
//! changes on theirs. Messages queue in order into one task that owns the sends, so the
//! actor never waits on NATS; past the queue's bound ticks are dropped (counted: the next
//! tick of the instrument supersedes them), status never is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix::{Actor, Context, Handler};
use bytes::Bytes;
use chrono::Utc;
use mandi_fanout::price_store::TicksPublished;
use mandi_feed::backplane::{FallbackStatusChanged, FeedStatusChanged};
use tokio::sync::mpsc;

use crate::codec;
use crate::link::Backplane;
use crate::settings::{FALLBACK_STATUS_KEY, FEED_STATUS_KEY};

/// Ticks waiting for NATS at most; ~150 bytes each.
const QUEUE: usize = 65_536;

/// What the leader has published, for `/health`.
#[derive(Debug, Default)]
pub struct PublishCounters {
    pub ticks: AtomicU64,
    pub dropped: AtomicU64,
    pub statuses: AtomicU64,
    pub failed: AtomicU64,
}

pub struct Publisher {
    backplane: Backplane,
    queue: mpsc::Sender<(String, Bytes)>,
    status: mpsc::UnboundedSender<(String, Bytes)>,
    counters: Arc<PublishCounters>,
}

impl Publisher {
    /// Must be called inside an actix system (it spawns the sending tasks there).
    pub fn new(backplane: Backplane, counters: Arc<PublishCounters>) -> Publisher {
        let (queue, mut ticks) = mpsc::channel::<(String, Bytes)>(QUEUE);
        let (status, mut statuses) = mpsc::unbounded_channel::<(String, Bytes)>();
        let client = backplane.client.clone();
        let c = counters.clone();
        actix::spawn(async move {
            while let Some((subject, payload)) = ticks.recv().await {
                if client.publish(subject, payload).await.is_err() {
                    c.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let client = backplane.client.clone();
        let c = counters.clone();
        actix::spawn(async move {
            while let Some((subject, payload)) = statuses.recv().await {
                if let Err(e) = client.publish(subject.clone(), payload).await {
                    c.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(subject, error = %e, "status not published to NATS");
                }
            }
        });
        Publisher {
            backplane,
            queue,
            status,
            counters,
        }
    }

    fn publish_status<T: serde::Serialize>(&self, key: &str, msg: &T) {
        match serde_json::to_vec(msg) {
            Ok(json) => {
                let subject = self.backplane.settings.status_subject(key);
                let _ = self.status.send((subject, Bytes::from(json)));
                self.counters.statuses.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::error!(key, error = %e, "status not encodable; not published"),
        }
    }
}

impl Actor for Publisher {
    type Context = Context<Self>;
}

/// The sending tasks run on the arbiter, not in the actor's context: a restart keeps
/// them and the queue.
impl actix::Supervised for Publisher {}

impl Handler<TicksPublished> for Publisher {
    type Result = ();

    fn handle(&mut self, msg: TicksPublished, _: &mut Context<Self>) {
        let now = Utc::now();
        for tick in msg.ticks.iter() {
            let subject = self.backplane.settings.tick_subject(&tick.symbol);
            let payload = Bytes::from(codec::encode(now, tick));
            match self.queue.try_send((subject, payload)) {
                Ok(()) => self.counters.ticks.fetch_add(1, Ordering::Relaxed),
                Err(_) => self.counters.dropped.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
}

impl Handler<FeedStatusChanged> for Publisher {
    type Result = ();

    fn handle(&mut self, msg: FeedStatusChanged, _: &mut Context<Self>) {
        self.publish_status(FEED_STATUS_KEY, &msg);
    }
}

impl Handler<FallbackStatusChanged> for Publisher {
    type Result = ();

    fn handle(&mut self, msg: FallbackStatusChanged, _: &mut Context<Self>) {
        self.publish_status(FALLBACK_STATUS_KEY, &msg);
    }
}
