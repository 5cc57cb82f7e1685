//! `SubscriptionRegistry`: the one place that knows what the upstream must carry, and on
//! which connection. It shards the set over up to the broker's number of connections
//! (filling each to the per-connection limit before the next is opened), refuses new
//! symbols past the total, gathers changes for `upstream.subscribe_flush_ms` and tells
//! each connection only the net ones, replays a connection's share on its every `Live`,
//! and tells the client side one feed state for all connections. A rolled continuous
//! future moves its upstream subscription to the new contract.

mod messages;
mod pending;
mod shards;
mod state;
mod status;

use std::time::{Duration, Instant};

use actix::{Actor, AsyncContext, Context, Handler, MessageResult, Recipient};
use chrono::Utc;

pub use messages::{
    AttachFeed, AttachShard, FollowFeedStatus, GetActiveSubscriptions, GetUpstreamCapacity,
    Release, ReleaseAll, ShardStatusChanged, ShardUsage, Subscribe, SubscribeAnswer,
    UpstreamCapacity,
};
pub use pending::{Flush, PendingChanges, ShardChange};
pub use shards::ShardTable;
pub use state::{ActiveSubscription, RegistryState, Subscribed, SubscriberId, Usage};
pub use status::StatusBoard;

use crate::feed_connection::messages::{
    ApplyUpstreamChanges, FeedState, FeedStatusChanged, ReplaySubscriptions,
};
use crate::instrument_directory::{ContractsRolled, SharedIndex};
use crate::upstream::SubscribeLimits;

/// Interest messages are `do_send`, which ignores the bound; a `Subscribe` asked with
/// `send` (so its answer comes back) would be held back by a full mailbox and could fall
/// behind a later `Release` of the same symbol. So the bound sits far above any burst.
const MAILBOX_CAPACITY: usize = 1 << 20;
/// Refusals are logged at most this often (a client retrying must not flood the log).
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// One connection's follower.
struct Shard {
    changes: Recipient<ApplyUpstreamChanges>,
    replay: Recipient<ReplaySubscriptions>,
}

/// Actor wrapper around [`RegistryState`] and [`StatusBoard`].
pub struct SubscriptionRegistry {
    index: SharedIndex,
    state: RegistryState,
    flush_after: Duration,
    /// The upstream connections, by shard number.
    shards: Vec<Option<Shard>>,
    /// Followers of the whole set (the REST fallback poller).
    changes: Vec<Recipient<ApplyUpstreamChanges>>,
    replay: Vec<Recipient<ReplaySubscriptions>>,
    /// The connections' states, and the one state clients were told.
    board: StatusBoard,
    status_followers: Vec<Recipient<FeedStatusChanged>>,
    /// A flush timer is armed; timers die with a restart, so this is reset there.
    flush_scheduled: bool,
    last_refusal_log: Option<Instant>,
}

impl SubscriptionRegistry {
    /// `limits` are the ones in force (`upstream::limits_in_force`); `flush_ms` is how long
    /// changes are gathered before the connections hear of them.
    pub fn new(
        index: impl Into<SharedIndex>,
        limits: SubscribeLimits,
        flush_ms: u64,
    ) -> SubscriptionRegistry {
        SubscriptionRegistry {
            index: index.into(),
            state: RegistryState::new(limits.per_connection, limits.connections),
            flush_after: Duration::from_millis(flush_ms),
            shards: (0..limits.connections.max(1)).map(|_| None).collect(),
            changes: Vec::new(),
            replay: Vec::new(),
            board: StatusBoard::new(limits.connections),
            status_followers: Vec::new(),
            flush_scheduled: false,
            last_refusal_log: None,
        }
    }

    /// Arm the flush timer if changes wait and none is armed.
    fn schedule_flush(&mut self, ctx: &mut Context<Self>) {
        if self.flush_scheduled || !self.state.has_pending() {
            return;
        }
        self.flush_scheduled = true;
        ctx.run_later(self.flush_after, |act, _| {
            act.flush_scheduled = false;
            act.flush();
        });
    }

    /// Tell each connection its net changes of the window, and the whole-set followers
    /// theirs. Control messages are rare (one per connection per window) and must not be
    /// dropped, so `do_send`.
    fn flush(&mut self) {
        let flush = self.state.take_pending();
        for (shard, changes) in flush.shards {
            if let Some(Some(follower)) = self.shards.get(shard) {
                follower.changes.do_send(ApplyUpstreamChanges { changes });
            }
        }
        if !flush.all.is_empty() {
            for follower in &self.changes {
                follower.do_send(ApplyUpstreamChanges {
                    changes: flush.all.clone(),
                });
            }
        }
    }

    fn replay_shard(&mut self, shard: usize) {
        let active = self.state.replay_shard(shard);
        if let Some(Some(follower)) = self.shards.get(shard) {
            follower.replay.do_send(ReplaySubscriptions { active });
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

    /// Tell the followers the one state, if it changed (a connection reported, or one
    /// came into or went out of use).
    fn publish_status(&mut self, at: chrono::DateTime<Utc>) {
        let needed = self.state.needed();
        if !self.board.has_reports(&needed) {
            return;
        }
        let was_live = self.board.published().map(|s| s.state) == Some(FeedState::Live);
        if let Some(status) = self.board.publishable(&needed, at) {
            for follower in &self.status_followers {
                follower.do_send(status.clone());
            }
            // The whole-set followers resync on every return to Live, as before sharding.
            if status.state == FeedState::Live && !was_live {
                self.replay_to(&self.replay);
            }
        }
    }

    fn log_refusal(&mut self, subscriber: &str, refused: &[std::sync::Arc<str>]) {
        let now = Instant::now();
        if self
            .last_refusal_log
            .is_some_and(|t| now.duration_since(t) < REFUSAL_LOG_INTERVAL)
        {
            return;
        }
        self.last_refusal_log = Some(now);
        let usage = self.state.usage();
        tracing::warn!(
            subscriber,
            refused = refused.len(),
            first = %refused[0],
            instruments = usage.instruments,
            per_connection = usage.per_connection,
            connections = usage.connections,
            refused_total = usage.refused_total,
            "upstream at capacity: symbols not subscribed (capacity_reached); every connection the broker allows is full"
        );
    }
}

impl Actor for SubscriptionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
    }
}

impl actix::Supervised for SubscriptionRegistry {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The subscriber table is the truth; the per-instrument counts and the connection
        // table are derived from it and may be half-updated if a handler panicked, so
        // recompute them, then send every connection its whole share: a connection sends
        // the broker only what its socket lacks, so no duplicate subscribes.
        self.flush_scheduled = false;
        self.state.rebuild(&self.index.load());
        for shard in 0..self.shards.len() {
            self.replay_shard(shard);
        }
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

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        let mut unknown = Vec::new();
        let mut known = Vec::new();
        let index = self.index.load();
        for symbol in msg.symbols {
            match index.by_symbol(&symbol) {
                Some(inst) => known.push(inst.clone()),
                None => unknown.push(symbol),
            }
        }
        let subscribed = self.state.subscribe(&msg.subscriber, &known, msg.mode);
        if !subscribed.over_capacity.is_empty() {
            self.log_refusal(&msg.subscriber, &subscribed.over_capacity);
        }
        self.publish_status(Utc::now());
        self.schedule_flush(ctx);
        MessageResult(SubscribeAnswer {
            unknown,
            over_capacity: subscribed.over_capacity,
        })
    }
}

impl Handler<ContractsRolled> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: ContractsRolled, ctx: &mut Context<Self>) {
        let moved: Vec<_> = msg.rolls.into_iter().map(|r| r.instrument).collect();
        let changes = self.state.rebind(&moved);
        tracing::debug!(
            moved = changes.len(),
            "subscriptions of rolled contracts moved"
        );
        self.schedule_flush(ctx);
    }
}

impl Handler<Release> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: Release, ctx: &mut Context<Self>) {
        self.state.release(&msg.subscriber, &msg.symbols);
        self.publish_status(Utc::now());
        self.schedule_flush(ctx);
    }
}

impl Handler<ReleaseAll> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: ReleaseAll, ctx: &mut Context<Self>) {
        self.state.release_all(&msg.subscriber);
        self.publish_status(Utc::now());
        self.schedule_flush(ctx);
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

impl Handler<AttachShard> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: AttachShard, _: &mut Context<Self>) {
        let Some(slot) = self.shards.get_mut(msg.shard) else {
            tracing::error!(
                shard = msg.shard,
                connections = self.shards.len(),
                "upstream connection beyond the configured number ignored"
            );
            return;
        };
        *slot = Some(Shard {
            changes: msg.changes,
            replay: msg.replay,
        });
        // It starts from its share; pending changes for it are in there.
        self.replay_shard(msg.shard);
    }
}

impl Handler<FollowFeedStatus> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: FollowFeedStatus, _: &mut Context<Self>) {
        if let Some(status) = self.board.published() {
            msg.follower.do_send(status.clone());
        }
        self.status_followers.push(msg.follower);
    }
}

impl Handler<ShardStatusChanged> for SubscriptionRegistry {
    type Result = ();

    fn handle(&mut self, msg: ShardStatusChanged, _: &mut Context<Self>) {
        let live = msg.status.state == FeedState::Live;
        let at = msg.status.at;
        self.board.report(msg.shard, msg.status);
        // A fresh socket carries nothing: every connect gets its whole share, which is
        // what the Kite and Dhan clients that lost subscriptions after reconnect forgot.
        if live {
            self.replay_shard(msg.shard);
        }
        self.publish_status(at);
    }
}

impl Handler<GetActiveSubscriptions> for SubscriptionRegistry {
    type Result = MessageResult<GetActiveSubscriptions>;

    fn handle(&mut self, _: GetActiveSubscriptions, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.active())
    }
}

impl Handler<GetUpstreamCapacity> for SubscriptionRegistry {
    type Result = MessageResult<GetUpstreamCapacity>;

    fn handle(&mut self, _: GetUpstreamCapacity, _: &mut Context<Self>) -> Self::Result {
        let usage = self.state.usage();
        let needed = self.state.needed();
        let now = self.board.aggregate(&needed, Utc::now());
        let shards = usage
            .by_shard
            .iter()
            .zip(&needed)
            .enumerate()
            .map(|(shard, (instruments, in_use))| ShardUsage {
                shard,
                instruments: *instruments,
                in_use: *in_use,
                state: in_use
                    .then(|| self.board.shard_state(shard).map(|s| s.state))
                    .flatten(),
            })
            .collect();
        MessageResult(UpstreamCapacity {
            per_connection: usage.per_connection,
            max_connections: usage.connections,
            capacity: usage.per_connection * usage.connections,
            instruments: usage.instruments,
            refused_total: usage.refused_total,
            state: now.state,
            reason: now.reason,
            shards,
        })
    }
}
