//! `FeedConnection`: one upstream broker WebSocket (Dhan v2 or Kite v3), carrying its
//! share of the instruments (the registry shards the set over up to the broker's number
//! of connections). Connects after a backoff, replays and diffs subscriptions at a
//! paced rate, turns every binary frame into one `TicksReceived`, and stops itself on any
//! failure so supervision restarts it. What the broker expects on the wire comes from
//! `upstream`.

mod connect;
mod frames;
pub mod messages;
mod nodelay;
mod outbound;
mod pacing;
mod state;
mod subscriptions;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix::io::{SinkWrite, WriteHandler};
use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult,
    Recipient, Running, WrapFuture,
};
use awc::error::WsProtocolError;
use awc::ws;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use mandi_domain::MarketCalendar;
use mandi_domain::TickUpdate;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub use connect::MAX_FRAME_SIZE_BYTES;
// The failure classes live with the broker knowledge that produces them.
pub use crate::upstream::failure::{BrokerWait, Failure, FailureKind, RetryFloors};
pub use outbound::{Outgoing, SocketSet};
pub use pacing::MessagePacer;
pub use state::{BackoffPolicy, ConnectionState, Counters, JITTER_FRACTION, STABLE_CONNECTION};
// What each broker sends and receives moved to `upstream`; these paths stay for callers.
pub use crate::upstream::dhan::connect::PING_INTERVAL as DHAN_PING_INTERVAL;
pub use crate::upstream::kite::{classify_text, KiteText};
pub use crate::upstream::{
    change_commands, feed_url, replay_commands, Conversion, Skipped, UpstreamCommand,
};

use self::connect::{WsSink, WsStream};
use self::messages::{
    FeedHealth, FeedStatusChanged, GetFeedHealth, ReconnectNow, ShardStatusChanged, TicksReceived,
};
use crate::auth_manager::{AuthManager, ReportAuthFailure, TokenAdopted};
use crate::instrument_directory::SharedIndex;
use crate::settings::UpstreamSettings;
use crate::upstream;

/// The idle check runs at a fifth of the timeout, within these bounds.
const IDLE_CHECK_MIN: Duration = Duration::from_millis(50);
const IDLE_CHECK_MAX: Duration = Duration::from_secs(1);

/// The upstream connection. Its fields outlive each socket: actix `Supervised` restarts
/// this same value (`restarting()` then `started()`), so backoff, counters and the
/// upstream set carry over while the socket, its stream and timers are dropped.
pub struct FeedConnection {
    settings: UpstreamSettings,
    index: SharedIndex,
    auth: Addr<AuthManager>,
    ticks: Recipient<TicksReceived>,
    status: Vec<Recipient<FeedStatusChanged>>,
    /// Which upstream connection this is; 0 is always open, the others only while the
    /// registry gives them instruments.
    shard: usize,
    /// Told this connection's state with its shard (the registry, which replays per
    /// connection and aggregates the state clients see).
    shard_status: Vec<Recipient<ShardStatusChanged>>,
    state: ConnectionState,
    /// The open socket's write half; None between sockets.
    sink: Option<SinkWrite<ws::Message, WsSink>>,
    /// Jitter for the backoff.
    rng: SmallRng,
    /// IST sessions: a mute socket is stale only while its instruments trade.
    calendar: Option<Arc<MarketCalendar>>,
    /// A timer will send what the pace held back; per socket, like every timer.
    drain_scheduled: bool,
    /// Updates of the frames read in this turn, sent on as one `TicksReceived` when the
    /// stream yields (`frames`), with the first frame's receive time.
    pending: Vec<TickUpdate>,
    pending_since: Option<DateTime<Utc>>,
    /// A `FlushTicks` is queued behind the frames being read.
    flush_scheduled: bool,
    /// Every data frame is copied here as received (a queue: never waits).
    recorder: Option<mandi_recording::Recorder>,
}

impl FeedConnection {
    pub fn new(
        settings: UpstreamSettings,
        index: impl Into<SharedIndex>,
        auth: Addr<AuthManager>,
        ticks: Recipient<TicksReceived>,
        status: Vec<Recipient<FeedStatusChanged>>,
    ) -> FeedConnection {
        let state = ConnectionState::new(settings.broker, BackoffPolicy::from_settings(&settings))
            .with_limits(
                upstream::limits_in_force(&settings),
                settings.max_subscribe_messages_per_s,
            );
        FeedConnection {
            settings,
            index: index.into(),
            auth,
            ticks,
            status,
            shard: 0,
            shard_status: Vec::new(),
            state,
            sink: None,
            rng: SmallRng::seed_from_u64(seed()),
            calendar: None,
            drain_scheduled: false,
            pending: Vec::new(),
            pending_since: None,
            flush_scheduled: false,
            recorder: None,
        }
    }

    /// Record every data frame this connection receives (`recorder.enabled`).
    pub fn with_recorder(mut self, recorder: Option<mandi_recording::Recorder>) -> FeedConnection {
        self.recorder = recorder;
        self
    }

    /// Make this upstream connection number `shard` and report its state to `status`
    /// tagged with it. Connection 0 always connects; any other only while it carries
    /// instruments.
    pub fn as_shard(
        mut self,
        shard: usize,
        status: Recipient<ShardStatusChanged>,
    ) -> FeedConnection {
        self.shard = shard;
        self.shard_status.push(status);
        self
    }

    /// Turn on stale-feed detection (`stale_after_ms`), which needs market sessions.
    pub fn with_calendar(mut self, calendar: Arc<MarketCalendar>) -> FeedConnection {
        self.calendar = Some(calendar);
        self
    }

    /// Whether any instrument the socket carries is in its session now.
    fn any_in_session(&self, calendar: &MarketCalendar) -> bool {
        let now = Utc::now();
        let index = self.index.load();
        self.state.upstream_symbols().any(|s| {
            index
                .by_symbol(s)
                .is_some_and(|i| calendar.is_open(i.exchange, now))
        })
    }

    /// Connected but mute: no market data for `stale_after` while instruments trade.
    fn check_stale(&mut self, stale_after: Duration, ctx: &mut Context<Self>) {
        let Some(quiet) = self.state.data_quiet_for(Instant::now()) else {
            return;
        };
        let Some(calendar) = self.calendar.clone() else {
            return;
        };
        if quiet >= stale_after && self.any_in_session(&calendar) {
            let reason = format!(
                "no market data for {} s while subscribed instruments are in session (stale feed)",
                quiet.as_secs()
            );
            self.fail(Failure::network(reason), ctx);
        }
    }

    fn broker(&self) -> &'static str {
        self.settings.broker.as_str()
    }

    /// Connect after whatever wait the last failure left.
    fn schedule_connect(&mut self, ctx: &mut Context<Self>) {
        let delay = self.state.schedule_attempt(Utc::now());
        if delay.is_zero() {
            self.begin_connect(ctx);
        } else {
            ctx.run_later(delay, |act, ctx| act.begin_connect(ctx));
        }
    }

    fn begin_connect(&mut self, ctx: &mut Context<Self>) {
        self.state.attempt_started();
        tracing::debug!(
            broker = self.broker(),
            shard = self.shard,
            failures = self.state.failures(),
            "connecting upstream"
        );
        let opening = connect::open(self.settings.clone(), self.auth.clone());
        ctx.spawn(
            opening
                .into_actor(self)
                .map(|result, act, ctx| match result {
                    Ok((sink, stream)) => act.on_connected(sink, stream, ctx),
                    Err(failure) => act.fail(failure, ctx),
                }),
        );
    }

    fn on_connected(&mut self, sink: WsSink, stream: WsStream, ctx: &mut Context<Self>) {
        self.sink = Some(SinkWrite::new(sink, ctx));
        ctx.add_stream(stream);
        let changed = self.state.connected(Instant::now());
        tracing::info!(
            broker = self.broker(),
            shard = self.shard,
            connects = self.state.counters().connects,
            "upstream feed live"
        );
        if changed {
            // The registry answers Live with ReplaySubscriptions: a fresh socket carries
            // nothing until then.
            self.publish();
        }
        if self.settings.read_idle_timeout_ms > 0 {
            let timeout = Duration::from_millis(self.settings.read_idle_timeout_ms);
            let every = (timeout / 5).clamp(IDLE_CHECK_MIN, IDLE_CHECK_MAX);
            ctx.run_interval(every, move |act, ctx| {
                if act.state.is_idle(Instant::now(), timeout) {
                    let reason = format!(
                        "no frame for {} ms (read idle timeout)",
                        timeout.as_millis()
                    );
                    act.fail(Failure::network(reason), ctx);
                }
            });
        }
        if self.settings.stale_after_ms > 0 && self.calendar.is_some() {
            let stale_after = Duration::from_millis(self.settings.stale_after_ms);
            let every = (stale_after / 5).clamp(IDLE_CHECK_MIN, IDLE_CHECK_MAX);
            ctx.run_interval(every, move |act, ctx| act.check_stale(stale_after, ctx));
        }
        // Brokers that expect our pings (Dhan) see a half-open socket as idle on their
        // side too.
        if let Some(every) = upstream::ping_interval(self.settings.broker) {
            ctx.run_interval(every, |act, _| {
                act.write(ws::Message::Ping(Bytes::new()));
            });
        }
    }

    /// The one exit for every failure: classify, tell auth if it is about the token,
    /// log one line, publish the new state, and stop so supervision restarts us.
    fn fail(&mut self, failure: Failure, ctx: &mut Context<Self>) {
        // What the socket delivered before it failed goes out before the failure is told.
        self.flush_ticks();
        let jitter = self.rng.gen::<f64>();
        let Some(outcome) = self.state.failed(&failure, Instant::now(), jitter) else {
            return;
        };
        if failure.kind.is_auth() {
            self.auth.do_send(ReportAuthFailure {
                reason: failure.reason.clone(),
            });
        }
        let retry_in_ms = u64::try_from(outcome.delay.as_millis()).unwrap_or(u64::MAX);
        if outcome.warn {
            tracing::warn!(
                broker = self.broker(),
                shard = self.shard,
                state = self.state.state().as_str(),
                reason = %failure.reason,
                fix = failure.fix.unwrap_or("-"),
                retry_in_ms,
                "upstream feed down"
            );
        } else {
            tracing::debug!(broker = self.broker(), shard = self.shard, reason = %failure.reason, retry_in_ms, "upstream feed still down");
        }
        if outcome.status_changed {
            self.publish();
        }
        self.sink = None;
        ctx.stop();
    }

    /// Rare control message to a handful of actors that must not miss it: `do_send`.
    fn publish(&self) {
        let event = self.state.status_event(Utc::now());
        for recipient in &self.status {
            recipient.do_send(event.clone());
        }
        for recipient in &self.shard_status {
            recipient.do_send(ShardStatusChanged {
                shard: self.shard,
                status: event.clone(),
            });
        }
    }

    fn write(&mut self, message: ws::Message) -> bool {
        match &mut self.sink {
            Some(sink) => sink.write(message).is_ok(),
            None => false,
        }
    }
}

impl Actor for FeedConnection {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Timers died with the previous socket, and a queued `FlushTicks` with them.
        self.drain_scheduled = false;
        self.flush_scheduled = false;
        self.flush_ticks();
        if !self.needed() {
            if self.state.park() {
                self.publish();
            }
            tracing::debug!(
                broker = self.broker(),
                shard = self.shard,
                "upstream connection idle"
            );
            return;
        }
        self.schedule_connect(ctx);
    }
}

impl actix::Supervised for FeedConnection {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The context already dropped the stream and timers; drop the write half too.
        self.sink = None;
        // A stop or panic that did not come through `fail` (a crash) left the state
        // thinking the old socket is live: without this the next connect would not be
        // announced, and the registry would not replay onto the new socket.
        if self.state.is_live()
            && self
                .state
                .restart_now("feed restarted by supervision".into())
        {
            self.publish();
        }
    }
}

mandi_supervision::crash_handler!(FeedConnection);

impl WriteHandler<WsProtocolError> for FeedConnection {
    fn error(&mut self, err: WsProtocolError, ctx: &mut Context<Self>) -> Running {
        self.fail(
            Failure::network(format!("websocket write failed: {err}")),
            ctx,
        );
        Running::Stop
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        self.fail(Failure::network("upstream write side closed"), ctx);
    }
}

impl Handler<ReconnectNow> for FeedConnection {
    type Result = ();

    fn handle(&mut self, msg: ReconnectNow, ctx: &mut Context<Self>) {
        if self.state.is_parked() {
            return; // nothing to carry, so nothing to reconnect
        }
        tracing::info!(broker = self.broker(), shard = self.shard, reason = %msg.reason, "reconnecting upstream on request");
        if self.state.restart_now(msg.reason) {
            self.publish();
        }
        // Stopping drops the socket, its timers and any pending or in-flight attempt;
        // supervision restarts us and `started` connects with no delay.
        self.sink = None;
        ctx.stop();
    }
}

impl Handler<TokenAdopted> for FeedConnection {
    type Result = ();

    fn handle(&mut self, msg: TokenAdopted, ctx: &mut Context<Self>) {
        self.handle(ReconnectNow { reason: msg.reason }, ctx);
    }
}

impl Handler<GetFeedHealth> for FeedConnection {
    type Result = MessageResult<GetFeedHealth>;

    fn handle(&mut self, _: GetFeedHealth, _: &mut Context<Self>) -> Self::Result {
        let health = FeedHealth {
            shard: self.shard,
            ..self.state.health()
        };
        MessageResult(health)
    }
}

/// Jitter only has to differ between processes started together, not be unpredictable.
fn seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 ^ u64::from(std::process::id()))
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
}
