//! Trading in a cluster. One edge, `cluster.trading_node`, runs the paper executor, its
//! journal and the bots on ticks from the backplane, like any edge's clients get them.
//! - `TradingOutbox`, on that node, publishes every order, fill, position and bot update
//!   its broadcaster hears on one subject;
//! - [`follow`], on every other node, hands them to its broadcaster, so a `/ws` client
//!   hears its account's updates whichever edge it is on;
//! - [`api`] carries the trading REST calls of the other nodes to it as request and reply.
//!
//! ```text
//!  trading edge: PaperExecutor/StrategyHost ─TradingUpdate→ TradingOutbox ─<p>.trading.updates→ NATS
//!  other nodes:  NATS ─<p>.trading.updates→ follow ─TradingUpdate→ Broadcaster → /ws clients
//!                POST /api/orders → api::forward ─<p>.trading.api (request)→ api::serve on the trading edge
//! ```

pub mod api;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix::{Actor, Context, Handler, Recipient};
use bytes::Bytes;
use bytestring::ByteString;
use futures_util::StreamExt;
use mandi_fanout::broadcaster::TradingUpdate;
use tokio::sync::mpsc;

use crate::link::Backplane;

/// Updates waiting for NATS at most; past it they are dropped and counted (the account
/// itself is the journal's, and `/api/orders` answers it in full).
const QUEUE: usize = 4096;

/// The trading side's traffic on the backplane, for `/health`.
#[derive(Debug, Default)]
pub struct TradingCounters {
    pub updates_published: AtomicU64,
    pub updates_dropped: AtomicU64,
    pub updates_received: AtomicU64,
    /// Received updates that were not text (never sent by a mandi node).
    pub updates_rejected: AtomicU64,
    /// Trading API calls sent to the trading node, answered by it, and not answered.
    pub api_forwarded: AtomicU64,
    pub api_served: AtomicU64,
    pub api_failed: AtomicU64,
}

/// On the trading node: its updates, out to every other node.
pub struct TradingOutbox {
    queue: mpsc::Sender<Bytes>,
    counters: Arc<TradingCounters>,
}

impl TradingOutbox {
    /// Must be called inside an actix system (it spawns the sending task there).
    pub fn new(backplane: Backplane, counters: Arc<TradingCounters>) -> TradingOutbox {
        let (queue, mut updates) = mpsc::channel::<Bytes>(QUEUE);
        let (client, subject) = (
            backplane.client.clone(),
            backplane.settings.trading_updates_subject(),
        );
        let c = counters.clone();
        actix::spawn(async move {
            while let Some(payload) = updates.recv().await {
                if client.publish(subject.clone(), payload).await.is_ok() {
                    c.updates_published.fetch_add(1, Ordering::Relaxed);
                } else {
                    c.updates_dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        TradingOutbox { queue, counters }
    }
}

impl Actor for TradingOutbox {
    type Context = Context<Self>;
}

impl actix::Supervised for TradingOutbox {}

impl Handler<TradingUpdate> for TradingOutbox {
    type Result = ();

    fn handle(&mut self, msg: TradingUpdate, _: &mut Context<Self>) {
        let payload = msg.frame.into_bytes();
        if self.queue.try_send(payload).is_err() {
            self.counters
                .updates_dropped
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// On every node but the trading one: the trading node's updates, to `to` (the
/// broadcaster). The subscription outlives NATS reconnections by itself.
pub fn follow(backplane: Backplane, to: Recipient<TradingUpdate>, counters: Arc<TradingCounters>) {
    actix::spawn(async move {
        let subject = backplane.settings.trading_updates_subject();
        let mut sub = match backplane.client.subscribe(subject.clone()).await {
            Ok(sub) => sub,
            Err(e) => {
                tracing::error!(subject, error = %e, "cannot subscribe to the trading node's updates: /ws clients here hear no order or fill updates; restart this node once NATS is back");
                return;
            }
        };
        while let Some(msg) = sub.next().await {
            match ByteString::try_from(msg.payload) {
                Ok(frame) => {
                    counters.updates_received.fetch_add(1, Ordering::Relaxed);
                    to.do_send(TradingUpdate { frame });
                }
                Err(_) => {
                    counters.updates_rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
}
