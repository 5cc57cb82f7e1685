//! `EdgeUplink`, on an edge: attached to the edge's own registry in place of the broker
//! side, it gets the union of the edge's clients' interest and
//! - writes it to the edge's key in the interest bucket (at once on a change, and three
//!   times per TTL so the key lives while the edge does);
//! - receives the ticks of exactly those instruments (one subscription per instrument's
//!   subject, its last tick from the bucket first) into the edge's price store;
//! - relays the leader's feed and fallback status to the broadcaster, and tells it the
//!   feed is reconnecting while NATS is lost (clients keep their last prices; the
//!   subscriptions come back by themselves with the connection) and while the leader is
//!   silent (its lease unrenewed for half the TTL and no tick coming; see
//!   [`leader_watch`]), rather than relay a dead leader's last `live`.

pub mod leader_watch;
pub mod messages;
pub mod state;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix::{Actor, ActorContext, AsyncContext, Context, Handler, MessageResult, Recipient};
use bytes::Bytes;
use chrono::Utc;
use futures_util::StreamExt;
use mandi_domain::FeedState;
use mandi_feed::backplane::{FallbackStatusChanged, FeedStatusChanged, TicksReceived};
use mandi_feed::feed_connection::messages::{ApplyUpstreamChanges, ReplaySubscriptions};
use tokio::sync::watch;

use crate::codec::{self, symbol_token};
use crate::link::Backplane;
use crate::report::ReceiveCounters;
use crate::settings::{FALLBACK_STATUS_KEY, FEED_STATUS_KEY, LEADER_KEY};
use leader_watch::{LeaderChange, LeaderWatch, LeaseRead};
use messages::{
    EdgeFeedView, GetEdgeFeed, LeaseObserved, LeaveCluster, LinkChanged, StatusArrived,
};
use state::{Delta, EdgeSet};

pub struct EdgeUplink {
    backplane: Backplane,
    ticks: Recipient<TicksReceived>,
    feed_status: Vec<Recipient<FeedStatusChanged>>,
    fallback_status: Vec<Recipient<FallbackStatusChanged>>,
    counters: Arc<ReceiveCounters>,
    set: EdgeSet,
    /// One receiving task per instrument; aborting it unsubscribes.
    receivers: HashMap<Arc<str>, actix::prelude::SpawnHandle>,
    interest: watch::Sender<Bytes>,
    last_status: Option<FeedStatusChanged>,
    /// The leader's last status as it published it (what clients hear again when a
    /// silent leader renews after all).
    leader_status: Option<FeedStatusChanged>,
    leader: LeaderWatch,
    /// The backplane link as last reported, so only a change acts.
    link_up: bool,
    /// The task that writes and renews the interest key; cancelled on leaving.
    renewer: Option<actix::prelude::SpawnHandle>,
}

impl EdgeUplink {
    pub fn new(
        backplane: Backplane,
        ticks: Recipient<TicksReceived>,
        feed_status: Vec<Recipient<FeedStatusChanged>>,
        fallback_status: Vec<Recipient<FallbackStatusChanged>>,
        counters: Arc<ReceiveCounters>,
    ) -> EdgeUplink {
        let (interest, _) = watch::channel(Bytes::new());
        let leader = LeaderWatch::new(backplane.settings.lease_ttl());
        EdgeUplink {
            backplane,
            ticks,
            feed_status,
            fallback_status,
            counters,
            set: EdgeSet::default(),
            receivers: HashMap::new(),
            interest,
            last_status: None,
            leader_status: None,
            leader,
            link_up: true,
            renewer: None,
        }
    }

    fn apply(&mut self, delta: Delta, ctx: &mut Context<Self>) {
        for symbol in delta.removed {
            if let Some(handle) = self.receivers.remove(&symbol) {
                ctx.cancel_future(handle);
            }
        }
        for symbol in delta.added {
            let handle = ctx.spawn(actix::fut::wrap_future(receive(
                self.backplane.clone(),
                symbol.clone(),
                self.ticks.clone(),
                self.counters.clone(),
            )));
            self.receivers.insert(symbol, handle);
        }
        match serde_json::to_vec(&self.set.interest()) {
            Ok(json) => {
                self.interest.send_replace(Bytes::from(json));
            }
            Err(e) => tracing::error!(error = %e, "interest not encodable"),
        }
    }

    fn tell_feed(&mut self, status: FeedStatusChanged) {
        for r in &self.feed_status {
            r.do_send(status.clone());
        }
        self.last_status = Some(status);
    }

    /// Clients hear the feed is reconnecting, for `reason` (NATS lost, a silent leader):
    /// one more failure in a row than the last status said.
    fn tell_reconnecting(&mut self, reason: String) {
        let failures = self
            .last_status
            .as_ref()
            .map_or(0, |s| s.consecutive_failures);
        self.tell_feed(FeedStatusChanged {
            state: FeedState::Reconnecting,
            reason: Some(reason),
            consecutive_failures: failures + 1,
            rest_refused: false,
            at: Utc::now(),
        });
    }
}

/// How long a new subscriber waits for its instrument's last tick from the bucket; past
/// it the next live tick is the first price.
const SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Receive one instrument: subscribe first, then read its last tick, so nothing falls
/// between the snapshot and the stream (an older tick is rejected by the store).
async fn receive(
    backplane: Backplane,
    symbol: Arc<str>,
    ticks: Recipient<TicksReceived>,
    counters: Arc<ReceiveCounters>,
) {
    let subject = backplane.settings.tick_subject(&symbol);
    let mut sub = match backplane.client.subscribe(subject.clone()).await {
        Ok(sub) => sub,
        Err(e) => {
            tracing::error!(%symbol, subject, error = %e, "cannot subscribe to the instrument's ticks; it gets none until the set changes");
            return;
        }
    };
    // The snapshot is read beside the stream, not before it: the read goes through
    // JetStream, which stalls for seconds while the loss of a NATS server re-elects the
    // bucket's leader, and live ticks (core NATS) must not queue behind it. A snapshot
    // that lands after a newer tick is rejected by the store.
    let (bp, token) = (backplane.clone(), symbol_token(&symbol));
    let (snapshot_to, snapshot_counters) = (ticks.clone(), counters.clone());
    actix::spawn(async move {
        let read = tokio::time::timeout(SNAPSHOT_WAIT, bp.ticks.get(token)).await;
        if let Ok(Ok(Some(last))) = read {
            if let Ok(wire) = codec::decode(&last) {
                snapshot_counters.snapshots.fetch_add(1, Ordering::Relaxed);
                snapshot_to.do_send(TicksReceived {
                    updates: vec![codec::as_update(&wire.tick)],
                    received_time: Utc::now(),
                });
            }
        }
    });
    while let Some(msg) = sub.next().await {
        match codec::decode(&msg.payload) {
            Ok(wire) => {
                let now = Utc::now();
                counters.record(wire.published_at, now);
                ticks.do_send(TicksReceived {
                    updates: vec![codec::as_update(&wire.tick)],
                    received_time: now,
                });
            }
            Err(e) => {
                if counters.decode_errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::error!(%symbol, error = %e, "tick from the backplane not decodable (first of its kind; counted in /health)");
                }
            }
        }
    }
}

impl Actor for EdgeUplink {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The interest key: written on each change and renewed three times per TTL.
        let (bp, mut rx) = (self.backplane.clone(), self.interest.subscribe());
        let renew = bp.settings.interest_renew();
        self.renewer = Some(ctx.spawn(actix::fut::wrap_future(async move {
            let key = bp.settings.node.clone();
            let mut every = tokio::time::interval(renew);
            loop {
                tokio::select! {
                    changed = rx.changed() => if changed.is_err() { return },
                    _ = every.tick() => {}
                }
                let value = rx.borrow_and_update().clone();
                if value.is_empty() {
                    continue;
                }
                if let Err(e) = bp.interest.put(&key, value).await {
                    tracing::warn!(error = %e, "interest key not written; retrying at the next renewal");
                }
            }
        })));
        // The leader's status, the last one first.
        let (bp, me) = (self.backplane.clone(), ctx.address());
        ctx.spawn(actix::fut::wrap_future(async move {
            let subject = format!("$KV.{}.>", bp.settings.status_bucket());
            let mut sub = match bp.client.subscribe(subject).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot follow the feed status on NATS");
                    return;
                }
            };
            for key in [FEED_STATUS_KEY, FALLBACK_STATUS_KEY] {
                if let Ok(Some(payload)) = bp.status.get(key).await {
                    me.do_send(StatusArrived {
                        key: key.into(),
                        payload,
                    });
                }
            }
            while let Some(msg) = sub.next().await {
                let key = msg
                    .subject
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                me.do_send(StatusArrived {
                    key,
                    payload: msg.payload,
                });
            }
        }));
        // The lease, read as often as the leader renews it: a revision that stops
        // changing is a silent leader.
        let (bp, me) = (self.backplane.clone(), ctx.address());
        ctx.spawn(actix::fut::wrap_future(async move {
            let every = bp.settings.lease_renew();
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let read = match tokio::time::timeout(every, bp.lease.entry(LEADER_KEY)).await {
                    Ok(Ok(Some(e))) if e.operation == async_nats::jetstream::kv::Operation::Put => {
                        LeaseRead::Held {
                            leader: String::from_utf8_lossy(&e.value).into_owned(),
                            revision: e.revision,
                        }
                    }
                    Ok(Ok(_)) => LeaseRead::Absent,
                    _ => LeaseRead::Unknown,
                };
                me.do_send(LeaseObserved { read });
            }
        }));
        // The backplane link: down is a feed state clients hear.
        let (mut link, me) = (self.backplane.connected.clone(), ctx.address());
        // What the link is now is known; only changes from here on matter.
        self.link_up = *link.borrow_and_update();
        ctx.spawn(actix::fut::wrap_future(async move {
            while link.changed().await.is_ok() {
                let up = *link.borrow_and_update();
                me.do_send(LinkChanged { up });
            }
        }));
        let delta = Delta {
            added: self.set.symbols(),
            removed: Vec::new(),
        };
        self.apply(delta, ctx);
    }
}

impl actix::Supervised for EdgeUplink {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The receiving tasks died with the old context; `started` starts the whole set
        // again (the registry does not replay it).
        self.receivers.clear();
    }
}

impl Handler<ReplaySubscriptions> for EdgeUplink {
    type Result = ();

    fn handle(&mut self, msg: ReplaySubscriptions, ctx: &mut Context<Self>) {
        let delta = self.set.replace(&msg.active);
        self.apply(delta, ctx);
    }
}

impl Handler<ApplyUpstreamChanges> for EdgeUplink {
    type Result = ();

    fn handle(&mut self, msg: ApplyUpstreamChanges, ctx: &mut Context<Self>) {
        let delta = self.set.apply(&msg.changes);
        self.apply(delta, ctx);
    }
}

impl Handler<StatusArrived> for EdgeUplink {
    type Result = ();

    fn handle(&mut self, msg: StatusArrived, _: &mut Context<Self>) {
        match msg.key.as_str() {
            FEED_STATUS_KEY => match serde_json::from_slice::<FeedStatusChanged>(&msg.payload) {
                Ok(status) => {
                    self.leader_status = Some(status.clone());
                    self.tell_feed(status)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "feed status from NATS unreadable; is every node the same mandi version?")
                }
            },
            FALLBACK_STATUS_KEY => {
                match serde_json::from_slice::<FallbackStatusChanged>(&msg.payload) {
                    Ok(status) => {
                        for r in &self.fallback_status {
                            r.do_send(status.clone());
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "fallback status from NATS unreadable"),
                }
            }
            other => tracing::debug!(key = other, "status key ignored"),
        }
    }
}

impl Handler<LinkChanged> for EdgeUplink {
    type Result = ();

    fn handle(&mut self, msg: LinkChanged, ctx: &mut Context<Self>) {
        if msg.up == self.link_up {
            return;
        }
        self.link_up = msg.up;
        if msg.up {
            tracing::info!("backplane back: reading the feed's status again");
            // The status stream missed what happened meanwhile: restart the followers,
            // which read the last status first and rewrite the interest key.
            ctx.stop();
        } else {
            self.tell_reconnecting(
                "backplane (NATS) connection lost: prices are the last received; reconnecting"
                    .into(),
            );
        }
    }
}

impl Handler<LeaseObserved> for EdgeUplink {
    type Result = ();

    fn handle(&mut self, msg: LeaseObserved, _: &mut Context<Self>) {
        let last_us = self.counters.last_at_us.load(Ordering::Relaxed);
        let window = self.leader.threshold().as_micros() as i64;
        let ticking = last_us > 0 && Utc::now().timestamp_micros() - last_us < window;
        match self
            .leader
            .observe(msg.read, ticking, std::time::Instant::now())
        {
            // While NATS itself is lost, clients already hear that.
            Some(LeaderChange::Silent { reason }) if self.link_up => {
                tracing::warn!(
                    reason,
                    "feed leader silent: telling clients the feed is reconnecting"
                );
                self.tell_reconnecting(reason);
            }
            // A new leader's own status is on its way; the old one's is not its.
            Some(LeaderChange::Back { same: true }) => {
                if let Some(status) = self.leader_status.clone() {
                    self.tell_feed(status);
                }
            }
            _ => {}
        }
    }
}

/// How long a leaving edge waits for its key's delete.
const LEAVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Handler<LeaveCluster> for EdgeUplink {
    type Result = actix::ResponseFuture<Result<(), String>>;

    fn handle(&mut self, _: LeaveCluster, ctx: &mut Context<Self>) -> Self::Result {
        if let Some(renewer) = self.renewer.take() {
            ctx.cancel_future(renewer);
        }
        let bp = self.backplane.clone();
        Box::pin(async move {
            let key = bp.settings.node.clone();
            match tokio::time::timeout(LEAVE_WAIT, bp.interest.delete(&key)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer within {} s", LEAVE_WAIT.as_secs())),
            }
        })
    }
}

impl Handler<GetEdgeFeed> for EdgeUplink {
    type Result = MessageResult<GetEdgeFeed>;

    fn handle(&mut self, _: GetEdgeFeed, _: &mut Context<Self>) -> Self::Result {
        MessageResult(EdgeFeedView {
            status: self.last_status.clone(),
            instruments: self.set.len(),
        })
    }
}
