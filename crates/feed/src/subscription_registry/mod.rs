//! `SubscriptionRegistry`: the one place that knows what the upstream must carry.
//! Tells the feed on 0→1 and 1→0, and replays the whole set on every `FeedStatusChanged{Live}`.

mod messages;
mod state;

use actix::{Actor, Context, Handler, MessageResult, Recipient};

pub use messages::{AttachFeed, GetActiveSubscriptions, Release, ReleaseAll, Subscribe};
pub use state::{ActiveSubscription, RegistryState, SubscriberId};

use crate::feed_connection::messages::{
    ApplyUpstreamChanges, FeedState, FeedStatusChanged, ReplaySubscriptions, UpstreamChange,
};
use crate::instrument_directory::SharedIndex;

/// Actor wrapper around [`RegistryState`].
pub struct SubscriptionRegistry {
    index: SharedIndex,
    state: RegistryState,
    /// Everything that follows the upstream set: the feed, and the REST fallback poller.
    changes: Vec<Recipient<ApplyUpstreamChanges>>,
    replay: Vec<Recipient<ReplaySubscriptions>>,
}

impl SubscriptionRegistry {
    pub fn new(index: impl Into<SharedIndex>) -> SubscriptionRegistry {
        SubscriptionRegistry {
            index: index.into(),
            state: RegistryState::default(),
            changes: Vec::new(),
            replay: Vec::new(),
        }
    }

    fn forward(&self, changes: Vec<UpstreamChange>) {
        if changes.is_empty() {
            return;
        }
        // Control messages are rare and must not be dropped: a lost subscribe would be
        // a silent "subscribed but no ticks". The feed's mailbox only grows with them.
        for follower in &self.changes {
            follower.do_send(ApplyUpstreamChanges {
                changes: changes.clone(),
            });
        }
    }

    fn replay_to(&self, followers: &[Recipient<ReplaySubscriptions>]) {
        let active = self.state.upstream_set();
        for follower in followers {
            follower.do_send(ReplaySubscriptions {
                active: active.clone(),
            });
        }
    }
}

impl Actor for SubscriptionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4096);
    }
}

impl actix::Supervised for SubscriptionRegistry {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The subscriber table is the truth; the per-instrument counts are derived from
        // it and may be half-updated if a handler panicked, so recompute them, then send
        // the whole set: the feed sends the broker only what its socket lacks.
        self.state.rebuild(&self.index.load());
        self.replay_to(&self.replay);
        tracing::info!(
            instruments = self.state.upstream_set().len(),
            "subscription registry restarted; set rebuilt and replayed"
        );
    }
}

mandi_supervision::crash_handler!(SubscriptionRegistry);

impl Handler<Subscribe> for SubscriptionRegistry {
    type Result = MessageResult<Subscribe>;

    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Self::Result {
        let mut unknown = Vec::new();
        let mut known = Vec::new();
        for symbol in msg.symbols {
            match self.index.load().by_symbol(&symbol) {
                Some(inst) => known.push(inst.clone()),
                None => unknown.push(symbol),
            }
        }
        let changes = self.state.subscribe(&msg.subscriber, &known, msg.mode);
        self.forward(changes);
        MessageResult(unknown)
    }
}

impl Handler<Release> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: Release, _: &mut Context<Self>) {
        let changes = self.state.release(&msg.subscriber, &msg.symbols);
        self.forward(changes);
    }
}

impl Handler<ReleaseAll> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: ReleaseAll, _: &mut Context<Self>) {
        let changes = self.state.release_all(&msg.subscriber);
        self.forward(changes);
    }
}

impl Handler<AttachFeed> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: AttachFeed, _: &mut Context<Self>) {
        // A follower attached while subscriptions exist starts from the whole set.
        self.replay_to(std::slice::from_ref(&msg.replay));
        self.changes.push(msg.changes);
        self.replay.push(msg.replay);
    }
}

impl Handler<FeedStatusChanged> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: FeedStatusChanged, _: &mut Context<Self>) {
        // A fresh socket carries nothing: every connect gets the whole set, which is
        // what the Kite and Dhan clients that lost subscriptions after reconnect forgot.
        if msg.state == FeedState::Live {
            self.replay_to(&self.replay);
        }
    }
}

impl Handler<GetActiveSubscriptions> for SubscriptionRegistry {
    type Result = MessageResult<GetActiveSubscriptions>;

    fn handle(&mut self, _: GetActiveSubscriptions, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.active())
    }
}
