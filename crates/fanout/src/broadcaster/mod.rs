//! `Broadcaster`: fans published ticks out to client sessions. Each tick is serialized
//! once and the same frame queued for every interested session's bounded outbox.

mod health;
mod messages;
pub mod outbox;
mod rolled;
mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, MessageResult, WrapFuture};
use chrono::Utc;
use mandi_domain::MarketCalendar;

pub use health::{FeedWatch, HealthBook};
pub use mandi_domain::InstrumentStatus;
pub use messages::{
    BroadcastStats, ClientSubscribe, ClientUnsubscribe, CloseSessions, GetBroadcastStats,
    GetInstrumentHealth, GetPricesPayload, SessionClosed, SessionKind, SessionOpened,
    TradingUpdate,
};
pub use outbox::{Outbox, PushOutcome, Wakeup};
pub use state::{prices_payload, FanoutState};

use crate::price_store::TicksPublished;
use crate::settings::BroadcastSettings;
use mandi_domain::FeedState;
use mandi_feed::backplane::{
    FallbackStatusChanged, FeedStatusChanged, Interest, Release, ReleaseAll, Subscribe,
};
use mandi_feed::instrument_directory::ContractsRolled;
use mandi_instruments::SharedIndex;
use mandi_protocol::client::{self as client_protocol, HealthView};

/// Price data arrives in bursts at the open; the price store `try_send`s into this.
const MAILBOX_CAPACITY: usize = 8192;
/// How often per-instrument states are re-evaluated.
const INSTRUMENT_HEALTH_CHECK: Duration = Duration::from_secs(1);
/// Most ticks queued before the writers owed a wake-up are woken, however long the burst:
/// bounds the latency a burst adds to its first tick.
const MAX_DEFERRED_TICKS: usize = 64;
/// The key under which a `/ws/prices` session's one pending payload is conflated.
const PRICES_KEY: &str = "__prices__";

struct SessionEntry {
    kind: SessionKind,
    outbox: Arc<Mutex<Outbox>>,
}

pub struct Broadcaster {
    settings: BroadcastSettings,
    index: SharedIndex,
    registry: Interest,
    /// Symbols of the terminal's `/prices` map, in config order.
    price_symbols: Vec<Arc<str>>,
    /// IST sessions per exchange; `always_open` in it makes every moment market hours.
    calendar: Arc<MarketCalendar>,
    sessions: HashMap<u64, SessionEntry>,
    fanout: FanoutState,
    health: HealthView,
    /// Per-instrument states last announced to clients.
    instrument_health: HealthBook,
    /// The feed's quality and sessions as last told to clients.
    feed_watch: FeedWatch,
    /// Writers owed a wake-up for ticks queued in this burst (see `TicksPublished`).
    deferred_wakeups: Vec<Wakeup>,
    /// Ticks queued since the deferred wake-ups were last fired.
    deferred_ticks: usize,
    stats: BroadcastStats,
}

impl Broadcaster {
    pub fn new(
        settings: BroadcastSettings,
        index: impl Into<SharedIndex>,
        registry: Interest,
        price_symbols: Vec<Arc<str>>,
        broker: &'static str,
        calendar: Arc<MarketCalendar>,
    ) -> Broadcaster {
        Broadcaster {
            settings,
            index: index.into(),
            registry,
            price_symbols,
            calendar: calendar.clone(),
            sessions: HashMap::new(),
            deferred_wakeups: Vec::new(),
            deferred_ticks: 0,
            fanout: FanoutState::default(),
            instrument_health: HealthBook::default(),
            feed_watch: FeedWatch::default(),
            health: HealthView {
                state: FeedState::Connecting,
                reason: None,
                broker,
                market_open: calendar.always_open(),
                markets: Vec::new(),
                last_tick_at: None,
                fallback_active: false,
                fallback_refused: None,
                quality: mandi_domain::FeedQuality::Degraded,
                data_age_s: None,
            },
            stats: BroadcastStats {
                clients: 0,
                prices_clients: 0,
                ticks_in: 0,
                serializations: 0,
                wakeups: 0,
                slow_clients_closed: 0,
                feed_state: FeedState::Connecting.as_str(),
                feed_quality: mandi_domain::FeedQuality::Degraded,
                last_tick_at: None,
            },
        }
    }

    fn subscriber_id(session: u64) -> Arc<str> {
        format!("client-{session}").into()
    }

    /// Queue into one session and wake its writer if it was idle. A session past its bound
    /// wakes its watchdog too: it closes the connection with 4008, and is counted in
    /// `slow_clients_closed` once that connection is gone (`SessionClosed`).
    fn deliver(&mut self, session: u64, push: impl FnOnce(&mut Outbox) -> PushOutcome) {
        if let Some(wakeup) = self.queue(session, push) {
            wakeup.wake();
        }
    }

    /// Queue into one session; the wake-up it is owed, if any, is the caller's to fire.
    fn queue(
        &mut self,
        session: u64,
        push: impl FnOnce(&mut Outbox) -> PushOutcome,
    ) -> Option<Wakeup> {
        let entry = self.sessions.get(&session)?;
        // A lock poisoned by a panic elsewhere still guards a consistent queue (every
        // push completes before it can fail), so take it over rather than go deaf.
        let mut outbox = entry.outbox.lock().unwrap_or_else(|e| e.into_inner());
        if outbox.overflowed() {
            return None;
        }
        let outcome = push(&mut outbox);
        // At most one wake-up is pending per session (the outbox tracks it), and waking
        // costs no mailbox space, so a stuck socket cannot back anything up here.
        let wakeup = outbox.wakeup(outcome);
        drop(outbox);
        match outcome {
            PushOutcome::Queued => None,
            PushOutcome::Notify => {
                self.stats.wakeups += 1;
                Some(wakeup)
            }
            PushOutcome::Overflow => Some(wakeup),
        }
    }

    /// Wake every writer owed a wake-up by the ticks queued so far.
    fn fire_deferred_wakeups(&mut self) {
        self.deferred_ticks = 0;
        for wakeup in self.deferred_wakeups.drain(..) {
            wakeup.wake();
        }
    }

    /// Re-judge the feed's quality and the sessions.
    fn refresh_health(&mut self) {
        let streamed = health::streamed_exchanges(
            self.fanout
                .known()
                .chain(self.fanout.watched())
                .chain(&self.price_symbols),
            &self.index.load(),
        );
        let thresholds = mandi_domain::HealthThresholds {
            quiet_after_s: self.settings.feed_quiet_after_s as f64,
            stale_after_s: self.settings.feed_stale_after_s as f64,
        };
        let (calendar, now) = (&self.calendar, Utc::now());
        self.feed_watch
            .refresh(&mut self.health, &streamed, calendar, thresholds, now);
        self.stats.feed_quality = self.health.quality;
    }

    /// The feed's quality moves with time too (a mute socket turning stale, a session
    /// opening): tell every client when it changed.
    fn announce_feed_health(&mut self) {
        self.refresh_health();
        if self.feed_watch.tell(&self.health) {
            let status = client_protocol::connection_status_message(&self.health, Utc::now());
            self.push_control_to_all(SessionKind::Ticks, status);
        }
    }

    fn health_inputs(&self, now: chrono::DateTime<Utc>) -> health::HealthInputs<'_> {
        health::HealthInputs {
            feed: self.health.state,
            fallback_active: self.health.fallback_active,
            calendar: &self.calendar,
            index: self.index.load(),
            thresholds: mandi_domain::HealthThresholds {
                quiet_after_s: self.settings.instrument_quiet_after_ms as f64 / 1000.0,
                stale_after_s: self.settings.instrument_stale_after_ms as f64 / 1000.0,
            },
            now,
        }
    }

    /// Tell each session about the watched instruments whose state changed.
    fn announce_instrument_health(&mut self) {
        let mut book = std::mem::take(&mut self.instrument_health);
        let changed = book.refresh(&self.health_inputs(Utc::now()), &self.fanout);
        self.instrument_health = book;
        for status in changed {
            let frame = client_protocol::instrument_status_message(&status);
            let listeners: Vec<u64> = self.fanout.listeners(&status.symbol).collect();
            for id in listeners {
                let f = frame.clone();
                self.deliver(id, |o| o.push_control(f));
            }
        }
    }

    fn session_ids(&self, kind: SessionKind) -> Vec<u64> {
        self.sessions
            .iter()
            .filter(|(_, e)| e.kind == kind)
            .map(|(id, _)| *id)
            .collect()
    }

    fn push_control_to_all(&mut self, kind: SessionKind, msg: client_protocol::Frame) {
        for id in self.session_ids(kind) {
            let m = msg.clone();
            self.deliver(id, |o| o.push_control(m));
        }
    }

    /// The terminal's price map as of now.
    fn prices_now(&self) -> serde_json::Value {
        prices_payload(
            &self.price_symbols,
            &self.fanout,
            self.health.prices_status(),
            Utc::now(),
        )
    }

    fn push_prices(&mut self, session: u64, frame: client_protocol::Frame) {
        self.deliver(session, |o| o.push_latest(PRICES_KEY.into(), frame));
    }
}

impl Actor for Broadcaster {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        let heartbeat = Duration::from_millis(self.settings.heartbeat_interval_ms);
        self.refresh_health();
        ctx.run_interval(heartbeat, |this, _| {
            this.announce_feed_health();
            let msg = client_protocol::heartbeat_message(&this.health, Utc::now());
            this.push_control_to_all(SessionKind::Ticks, msg);
        });
        // Per-instrument states move with time alone (a tick ageing into quiet, a
        // session opening), so they are re-checked on a clock as well as on events.
        ctx.run_interval(INSTRUMENT_HEALTH_CHECK, |this, _| {
            this.announce_instrument_health();
            this.announce_feed_health();
        });
        let prices = Duration::from_millis(self.settings.prices_push_interval_ms);
        ctx.run_interval(prices, |this, _| {
            let frame = client_protocol::Frame::from(this.prices_now().to_string());
            for id in this.session_ids(SessionKind::Prices) {
                this.push_prices(id, frame.clone());
            }
        });
    }
}

impl actix::Supervised for Broadcaster {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The burst's `FireWakeups` went with the old context.
        self.fire_deferred_wakeups();
        // Sessions, their outboxes and interests are kept, so no browser notices; a
        // panic while an outbox was locked is healed where the lock is taken. Tell every
        // session the current state again in case the failure ate a status message.
        self.refresh_health();
        self.feed_watch.tell(&self.health);
        let status = client_protocol::connection_status_message(&self.health, Utc::now());
        self.push_control_to_all(SessionKind::Ticks, status);
        tracing::info!(
            sessions = self.sessions.len(),
            "broadcaster restarted with its sessions"
        );
    }
}

mandi_supervision::crash_handler!(Broadcaster);

impl Handler<TicksPublished> for Broadcaster {
    type Result = ();

    /// Sessions' writers run on the server's worker threads, and waking an idle one costs
    /// a system call and a context switch. While a burst of frames waits in the mailbox,
    /// the wake-ups wait for the end of it (or for `MAX_DEFERRED_TICKS`): a writer woken
    /// once takes the whole burst in one write.
    fn handle(&mut self, msg: TicksPublished, ctx: &mut Context<Self>) {
        let first_of_burst = self.deferred_ticks == 0;
        for tick in msg.ticks.iter() {
            self.stats.ticks_in += 1;
            self.stats.serializations += 1;
            let bytes = client_protocol::tick_message(tick);
            self.health.last_tick_at = Some(tick.received_time);
            self.stats.last_tick_at = Some(tick.received_time);
            let listeners: Vec<u64> = self.fanout.listeners(&tick.symbol).collect();
            for id in listeners {
                let (k, b) = (tick.symbol.clone(), bytes.clone());
                if let Some(wakeup) = self.queue(id, |o| o.push_tick(k, b)) {
                    self.deferred_wakeups.push(wakeup);
                }
            }
            self.fanout.store(tick.clone(), bytes);
            self.deferred_ticks += 1;
        }
        if self.deferred_ticks >= MAX_DEFERRED_TICKS {
            self.fire_deferred_wakeups();
        } else if first_of_burst {
            // Runs once the mailbox is empty: actix handles every queued message before
            // the context's own items.
            ctx.notify(FireWakeups);
        }
    }
}

/// The end of a burst of ticks: wake the writers it queued for.
#[derive(actix::Message)]
#[rtype(result = "()")]
struct FireWakeups;

impl Handler<FireWakeups> for Broadcaster {
    type Result = ();

    fn handle(&mut self, _: FireWakeups, _: &mut Context<Self>) {
        self.fire_deferred_wakeups();
    }
}

impl Handler<TradingUpdate> for Broadcaster {
    type Result = ();

    /// Order, fill, position and bot updates go to every tick socket: a trading client
    /// needs them whatever it subscribed to.
    fn handle(&mut self, msg: TradingUpdate, _: &mut Context<Self>) {
        self.push_control_to_all(SessionKind::Ticks, msg.frame);
    }
}

impl Handler<ContractsRolled> for Broadcaster {
    type Result = ();

    /// A continuous future streams another contract from now on: every tick socket hears
    /// it, as for trading updates.
    fn handle(&mut self, msg: ContractsRolled, _: &mut Context<Self>) {
        let now = Utc::now();
        for roll in &msg.rolls {
            self.push_control_to_all(
                SessionKind::Ticks,
                rolled::contract_rolled_message(roll, now),
            );
        }
    }
}

impl Handler<FeedStatusChanged> for Broadcaster {
    type Result = ();

    fn handle(&mut self, msg: FeedStatusChanged, _: &mut Context<Self>) {
        self.health.state = msg.state;
        self.health.reason = msg.reason;
        self.stats.feed_state = msg.state.as_str();
        self.refresh_health();
        self.feed_watch.tell(&self.health);
        let status = client_protocol::connection_status_message(&self.health, msg.at);
        self.push_control_to_all(SessionKind::Ticks, status);
        self.announce_instrument_health();
    }
}

impl Handler<FallbackStatusChanged> for Broadcaster {
    type Result = ();

    fn handle(&mut self, msg: FallbackStatusChanged, _: &mut Context<Self>) {
        self.health.fallback_active = msg.active;
        self.health.fallback_refused = msg.refused;
        self.refresh_health();
        self.feed_watch.tell(&self.health);
        let status = client_protocol::connection_status_message(&self.health, msg.at);
        self.push_control_to_all(SessionKind::Ticks, status);
        self.announce_instrument_health();
    }
}

impl Handler<GetInstrumentHealth> for Broadcaster {
    type Result = MessageResult<GetInstrumentHealth>;

    fn handle(&mut self, _: GetInstrumentHealth, _: &mut Context<Self>) -> Self::Result {
        let inputs = self.health_inputs(Utc::now());
        let mut symbols: Vec<Arc<str>> = self
            .fanout
            .known()
            .chain(self.fanout.watched())
            .cloned()
            .collect();
        symbols.sort();
        symbols.dedup();
        MessageResult(
            symbols
                .iter()
                .map(|s| inputs.status(s, &self.fanout))
                .collect(),
        )
    }
}

impl Handler<SessionOpened> for Broadcaster {
    type Result = ();

    fn handle(&mut self, msg: SessionOpened, _: &mut Context<Self>) {
        let (id, kind) = (msg.session, msg.kind);
        let entry = SessionEntry {
            kind,
            outbox: msg.outbox,
        };
        self.sessions.insert(id, entry);
        match kind {
            SessionKind::Ticks => {
                self.stats.clients += 1;
                self.refresh_health();
                let status = client_protocol::connection_status_message(&self.health, Utc::now());
                self.deliver(id, |o| o.push_control(status));
            }
            SessionKind::Prices => {
                self.stats.prices_clients += 1;
                let frame = client_protocol::Frame::from(self.prices_now().to_string());
                self.push_prices(id, frame);
            }
        }
    }
}

impl Handler<CloseSessions> for Broadcaster {
    type Result = usize;

    fn handle(&mut self, _: CloseSessions, _: &mut Context<Self>) -> usize {
        for entry in self.sessions.values() {
            let wakeup = entry
                .outbox
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .go_away();
            wakeup.wake();
        }
        self.sessions.len()
    }
}

impl Handler<SessionClosed> for Broadcaster {
    type Result = ();

    fn handle(&mut self, msg: SessionClosed, _: &mut Context<Self>) {
        if msg.too_slow {
            self.stats.slow_clients_closed += 1;
        }
        if let Some(entry) = self.sessions.remove(&msg.session) {
            match entry.kind {
                SessionKind::Ticks => self.stats.clients = self.stats.clients.saturating_sub(1),
                SessionKind::Prices => {
                    self.stats.prices_clients = self.stats.prices_clients.saturating_sub(1)
                }
            }
        }
        if !self.fanout.remove_session(msg.session).is_empty() {
            self.registry.release_all(ReleaseAll {
                subscriber: Self::subscriber_id(msg.session),
            });
        }
    }
}

impl Handler<ClientSubscribe> for Broadcaster {
    type Result = MessageResult<ClientSubscribe>;

    fn handle(&mut self, msg: ClientSubscribe, ctx: &mut Context<Self>) -> Self::Result {
        let mut unknown = Vec::new();
        let mut known: Vec<Arc<str>> = Vec::new();
        for s in msg.symbols {
            // A broker trading symbol is an alias: the client is subscribed under the
            // canonical symbol, which its ticks carry.
            match self.index.load().resolve(&s) {
                Some(inst) if !known.contains(&inst.symbol) => known.push(inst.symbol.clone()),
                Some(_) => {}
                None => unknown.push(s),
            }
        }
        if known.is_empty() {
            return MessageResult(unknown);
        }
        for s in &known {
            self.fanout.add_interest(msg.session, s.clone());
        }
        let asked = self.registry.subscribe_answered(Subscribe {
            subscriber: Self::subscriber_id(msg.session),
            symbols: known.clone(),
            mode: msg.mode,
        });
        // The upstream may have no room for some: those are taken back and the client
        // told, after the `subscribed` below (which lists what it asked for).
        let session = msg.session;
        ctx.spawn(asked.into_actor(self).map(move |answer, act, _| {
            let refused = answer.map(|a| a.over_capacity).unwrap_or_default();
            if refused.is_empty() {
                return;
            }
            for s in &refused {
                act.fanout.remove_interest(session, s);
            }
            let names: Vec<&str> = refused.iter().map(|s| &**s).collect();
            let text = format!(
                "the broker's connections are full; not subscribed: {}",
                names.join(", ")
            );
            let error = client_protocol::error_message("capacity_reached", &text);
            act.deliver(session, |o| {
                for s in &refused {
                    o.forget(s);
                }
                o.push_control(error)
            });
        }));
        // The snapshot comes from our own cache, in this same handler, so no tick
        // published after it can overtake it.
        let ticks: Vec<&mandi_domain::Tick> = known
            .iter()
            .filter_map(|s| self.fanout.latest(s).map(|l| &l.tick))
            .collect();
        let snapshot = client_protocol::snapshot_message(&ticks);
        let ack = client_protocol::subscribed_message(&known, msg.mode);
        // Instrument states are announced on a change only: a symbol someone else already
        // watches will not change for this client's sake, so it hears the state now. A
        // symbol nobody watched is announced to everyone by the next health pass.
        let inputs = self.health_inputs(Utc::now());
        let states: Vec<client_protocol::Frame> = known
            .iter()
            .filter(|s| self.instrument_health.is_announced(s))
            .map(|s| client_protocol::instrument_status_message(&inputs.status(s, &self.fanout)))
            .collect();
        drop(inputs);
        let frames = [ack, snapshot].into_iter().chain(states);
        self.deliver(msg.session, |o| o.push_controls(frames));
        MessageResult(unknown)
    }
}

impl Handler<ClientUnsubscribe> for Broadcaster {
    type Result = ();

    fn handle(&mut self, msg: ClientUnsubscribe, _: &mut Context<Self>) {
        let symbols: Vec<Arc<str>> = msg.symbols.iter().map(|s| Arc::from(s.as_str())).collect();
        for s in &symbols {
            self.fanout.remove_interest(msg.session, s);
        }
        self.registry.release(Release {
            subscriber: Self::subscriber_id(msg.session),
            symbols: symbols.clone(),
        });
        let ack = client_protocol::unsubscribed_message(&symbols);
        self.deliver(msg.session, |o| {
            for s in &symbols {
                o.forget(s);
            }
            o.push_control(ack)
        });
    }
}

impl Handler<GetPricesPayload> for Broadcaster {
    type Result = MessageResult<GetPricesPayload>;

    fn handle(&mut self, _: GetPricesPayload, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.prices_now())
    }
}

impl Handler<GetBroadcastStats> for Broadcaster {
    type Result = MessageResult<GetBroadcastStats>;

    fn handle(&mut self, _: GetBroadcastStats, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.stats.clone())
    }
}
