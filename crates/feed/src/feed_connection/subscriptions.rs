//! The outbound side of the socket: the registry's set for this connection (a replay, or
//! changes gathered over a flush window) turned into paced messages, and an extra
//! connection opened when it gets instruments and closed when it has none.

use std::time::Instant;

use actix::{ActorContext, AsyncContext, Context, Handler};
use awc::ws;

use super::messages::{ApplyUpstreamChanges, ReplaySubscriptions};
use super::FeedConnection;

impl FeedConnection {
    /// Connection 0 always has a socket (it carries the runtime's own symbols and tells
    /// whether the broker takes us at all); the others only while they carry instruments.
    pub(super) fn needed(&self) -> bool {
        self.shard == 0 || self.state.subscribed() > 0
    }

    /// Open or close an extra connection after its set changed. False when the actor is
    /// stopping to close its socket (nothing more to do in this handler).
    fn follow_demand(&mut self, ctx: &mut Context<Self>) -> bool {
        match (self.needed(), self.state.is_parked()) {
            (true, true) => {
                tracing::info!(
                    broker = self.broker(),
                    shard = self.shard,
                    instruments = self.state.subscribed(),
                    "opening an upstream connection: the ones before it are full"
                );
                self.state.unpark();
                self.schedule_connect(ctx);
                true
            }
            (false, false) => {
                tracing::info!(
                    broker = self.broker(),
                    shard = self.shard,
                    "closing an upstream connection: it carries nothing now"
                );
                // Parked first, so neither the stop nor the restart counts as a failure;
                // `started` sees it parked and stays down. The registry hears it is idle,
                // so if it is needed again it counts as connecting until it is live.
                if self.state.park() {
                    self.publish();
                }
                self.sink = None;
                ctx.stop();
                false
            }
            _ => true,
        }
    }

    /// Write what the socket owes, within the pace; look again when the pace allows.
    fn drain(&mut self, unpaced: bool, ctx: &mut Context<Self>) {
        if !self.state.is_live() {
            return; // the replay after the next connect carries the set
        }
        let out = self.state.outgoing(Instant::now(), unpaced);
        if out.over_limit > 0 {
            tracing::error!(
                broker = self.broker(),
                shard = self.shard,
                left_off = out.over_limit,
                "asked to carry more than one connection may; the excess stays off the socket"
            );
        }
        for text in out.texts {
            if !self.write(ws::Message::Text(text.into())) {
                return;
            }
        }
        if let Some(wait) = out.retry_in {
            if !self.drain_scheduled {
                self.drain_scheduled = true;
                ctx.run_later(wait, |act, ctx| {
                    act.drain_scheduled = false;
                    act.drain(false, ctx);
                });
            }
        }
    }
}

impl Handler<ReplaySubscriptions> for FeedConnection {
    type Result = ();

    fn handle(&mut self, msg: ReplaySubscriptions, ctx: &mut Context<Self>) {
        self.state.replace_upstream(&msg.active);
        if !self.follow_demand(ctx) || !self.state.is_live() {
            return;
        }
        // A fresh socket gets its whole set at once (at most a connection's worth), as
        // the brokers' own clients do; a replay onto a socket that already carries a set
        // (the registry restarted) is a diff like any other, paced.
        let first = self.state.first_replay();
        self.drain(first, ctx);
        tracing::info!(
            broker = self.broker(),
            shard = self.shard,
            instruments = msg.active.len(),
            "subscriptions replayed"
        );
    }
}

impl Handler<ApplyUpstreamChanges> for FeedConnection {
    type Result = ();

    fn handle(&mut self, msg: ApplyUpstreamChanges, ctx: &mut Context<Self>) {
        self.state.apply_upstream(&msg.changes);
        if self.follow_demand(ctx) {
            self.drain(false, ctx);
        }
    }
}
