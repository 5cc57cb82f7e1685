//! The feed's memory across reconnects and supervised restarts: lifecycle state,
//! backoff, counters, liveness and the upstream set. Plain data; time is an argument.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode};

use super::messages::{FeedHealth, FeedState, FeedStatusChanged, UpstreamChange};
use super::outbound::{Outgoing, SocketSet};
use crate::settings::{Broker, UpstreamSettings};
use crate::upstream::{subscribe_limits, SubscribeLimits};
use crate::upstream::{Failure, RetryFloors};

/// The reason an idle extra connection gives (it is not in use, so clients never see it).
pub const IDLE_REASON: &str = "idle: carries no instruments";
/// Messages a second when no settings say otherwise (`upstream.max_subscribe_messages_per_s`).
const DEFAULT_MESSAGES_PER_S: u32 = 10;

/// Jitter only ever shortens a delay, by up to this fraction, so the schedule's upper
/// bound (and the cap) hold while many clients still spread out.
pub const JITTER_FRACTION: f64 = 0.2;
/// A connection that stayed up this long counts as good even without data (Kite after
/// hours sends only heartbeats), so the next drop starts the backoff from the bottom.
pub const STABLE_CONNECTION: Duration = Duration::from_secs(30);
/// The same failure is repeated as a warning at most this often; in between it is debug.
pub const REPEAT_WARNING_INTERVAL: Duration = Duration::from_secs(600);
/// Decode errors and dropped frames: at most one warning each per minute.
pub const NOISY_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Exponential backoff with jitter: `initial · factor^(n-1)`, capped at `max`; a failure
/// class's floor raises it, within `max` too unless the broker asked for the wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub factor: f64,
    pub floors: RetryFloors,
}

impl BackoffPolicy {
    pub fn from_settings(s: &UpstreamSettings) -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_millis(s.backoff_initial_ms),
            max: Duration::from_millis(s.backoff_max_ms.max(s.backoff_initial_ms)),
            factor: s.backoff_factor,
            floors: RetryFloors {
                auth: Duration::from_millis(s.auth_retry_floor_ms),
                throttled: Duration::from_millis(s.throttled_retry_floor_ms),
                fatal: Duration::from_millis(s.fatal_retry_floor_ms),
            },
        }
    }

    /// The wait before the next attempt after `failures` consecutive failures (0 means
    /// "never failed": connect at once). `jitter` is a uniform draw from [0, 1).
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        // A factor below 1 (or NaN) from a bad config would shrink the delay; hold it flat.
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exponent = i32::try_from(failures - 1).unwrap_or(i32::MAX);
        let max_ms = self.max.as_secs_f64() * 1000.0;
        let base_ms = (self.initial.as_secs_f64() * 1000.0 * factor.powi(exponent)).min(max_ms);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Duration::from_secs_f64((base_ms * (1.0 - JITTER_FRACTION * jitter)).max(0.0) / 1000.0)
    }
}

/// Counters reported by `GetFeedHealth`; they survive reconnects and restarts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub connects: u64,
    pub frames: u64,
    pub packets: u64,
    pub decode_errors: u64,
    pub unknown_instruments: u64,
    pub rejected_prices: u64,
    pub dropped_frames: u64,
}

/// At most one log line per interval; counts what it held back.
#[derive(Clone, Copy, Debug)]
pub struct LogThrottle {
    interval: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl LogThrottle {
    pub fn new(interval: Duration) -> LogThrottle {
        LogThrottle {
            interval,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(n)` when a line may be written now, `n` being how many were held back
    /// since the last one.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// What a failure did to the lifecycle.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureOutcome {
    /// Wait this long before the next attempt.
    pub delay: Duration,
    /// The state or reason changed: publish `FeedStatusChanged`.
    pub status_changed: bool,
    /// Log the failure as a warning (else debug: it is a repeat).
    pub warn: bool,
}

/// Everything the feed remembers. One instance lives for the process; the actor's
/// per-socket handles (sink, stream, timers) are not here and die with each restart.
pub struct ConnectionState {
    broker: Broker,
    policy: BackoffPolicy,
    state: FeedState,
    reason: Option<String>,
    /// The last failure was the REST pre-flight refusing the token.
    rest_refused: bool,
    /// Consecutive failed attempts since the last good connection; drives the backoff.
    failures: u32,
    /// Set when a connection ends, consumed by the next `started()`.
    next_delay: Duration,
    next_attempt_at: Option<DateTime<Utc>>,
    /// Some while a socket is open.
    live_since: Option<Instant>,
    got_data: bool,
    /// A failure is being handled and the actor is stopping: later errors from the same
    /// dying socket (close frame, then stream end) must not count twice.
    closing: bool,
    last_frame: Option<Instant>,
    last_frame_at: Option<DateTime<Utc>>,
    /// Last decoded market data on the open socket (its open counts as the start).
    last_data: Option<Instant>,
    counters: Counters,
    /// What this connection should carry and what its socket has been told.
    set: SocketSet,
    /// An extra connection with nothing to carry: no socket, no attempts, until the
    /// registry gives it instruments again.
    parked: bool,
    last_warning: Option<(String, Instant)>,
    decode_warnings: LogThrottle,
    drop_warnings: LogThrottle,
}

impl ConnectionState {
    pub fn new(broker: Broker, policy: BackoffPolicy) -> ConnectionState {
        ConnectionState {
            broker,
            policy,
            state: FeedState::Connecting,
            reason: None,
            rest_refused: false,
            failures: 0,
            next_delay: Duration::ZERO,
            next_attempt_at: None,
            live_since: None,
            got_data: false,
            closing: false,
            last_frame: None,
            last_frame_at: None,
            last_data: None,
            counters: Counters::default(),
            set: SocketSet::new(broker, subscribe_limits(broker), DEFAULT_MESSAGES_PER_S),
            parked: false,
            last_warning: None,
            decode_warnings: LogThrottle::new(NOISY_WARNING_INTERVAL),
            drop_warnings: LogThrottle::new(NOISY_WARNING_INTERVAL),
        }
    }

    /// Per-connection limits and pace in force instead of the broker's maximums.
    pub fn with_limits(mut self, limits: SubscribeLimits, messages_per_s: u32) -> ConnectionState {
        self.set = SocketSet::new(self.broker, limits, messages_per_s);
        self
    }

    pub fn state(&self) -> FeedState {
        self.state
    }

    pub fn is_parked(&self) -> bool {
        self.parked
    }

    /// Nothing to carry on an extra connection: drop the socket without counting a
    /// failure and stay down. The state leaves Live (connecting, reason "idle"), so the
    /// next connect is announced (and replayed) again. True when that is news to publish.
    pub fn park(&mut self) -> bool {
        self.parked = true;
        self.closing = true;
        self.live_since = None;
        self.got_data = false;
        self.next_attempt_at = None;
        self.set_status(FeedState::Connecting, Some(IDLE_REASON.into()))
    }

    /// Instruments arrived for a parked connection.
    pub fn unpark(&mut self) {
        self.parked = false;
    }

    pub fn is_live(&self) -> bool {
        self.live_since.is_some() && !self.closing
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The actor (re)started: how long to wait before connecting.
    pub fn schedule_attempt(&mut self, now: DateTime<Utc>) -> Duration {
        self.closing = false;
        let delay = self.next_delay;
        self.next_attempt_at = chrono::Duration::from_std(delay)
            .ok()
            .and_then(|d| now.checked_add_signed(d));
        delay
    }

    pub fn attempt_started(&mut self) {
        self.next_attempt_at = None;
    }

    /// The socket is open. Returns true (status changed) unless it already was Live.
    pub fn connected(&mut self, now: Instant) -> bool {
        self.counters.connects += 1;
        self.set.connected();
        self.live_since = Some(now);
        self.got_data = false;
        // The idle clock starts at the upgrade, not at the previous socket's last frame.
        self.last_frame = Some(now);
        self.last_data = Some(now);
        self.set_status(FeedState::Live, None)
    }

    /// Any frame at all (data, heartbeat, ping, pong) proves the socket alive.
    pub fn frame_seen(&mut self, now: Instant, at: DateTime<Utc>) {
        self.last_frame = Some(now);
        self.last_frame_at = Some(at);
    }

    /// A data frame (text or binary) arrived.
    pub fn data_frame(&mut self) {
        self.counters.frames += 1;
    }

    /// Market data decoded: the connection is good, so the backoff starts over.
    pub fn data_seen(&mut self, packets: u64, now: Instant) {
        self.counters.packets += packets;
        if packets > 0 {
            self.last_data = Some(now);
            self.got_data = true;
            self.failures = 0;
        }
    }

    /// How long the open socket has been up without market data; None once data came
    /// (or when no socket is open).
    pub fn quiet_since_connect(&self, now: Instant) -> Option<Duration> {
        match (self.live_since, self.got_data) {
            (Some(since), false) => Some(now.saturating_duration_since(since)),
            _ => None,
        }
    }

    /// How long the open socket has carried no market data (heartbeats do not count).
    pub fn data_quiet_for(&self, now: Instant) -> Option<Duration> {
        match (self.is_live(), self.last_data) {
            (true, Some(last)) => Some(now.saturating_duration_since(last)),
            _ => None,
        }
    }

    /// Symbols the upstream should carry.
    pub fn upstream_symbols(&self) -> impl Iterator<Item = &Arc<str>> {
        self.set.wanted_symbols()
    }

    /// Whether the open socket has been silent for `timeout`.
    pub fn is_idle(&self, now: Instant, timeout: Duration) -> bool {
        match (self.is_live(), self.last_frame) {
            (true, Some(last)) => now.saturating_duration_since(last) >= timeout,
            _ => false,
        }
    }

    /// Counts a decode error; `Some(held_back)` when it may be logged.
    pub fn decode_error(&mut self, now: Instant) -> Option<u64> {
        self.counters.decode_errors += 1;
        self.decode_warnings.allow(now)
    }

    /// Counts a frame the price store had no room for; `Some(held_back)` when it may be
    /// logged.
    pub fn frame_dropped(&mut self, now: Instant) -> Option<u64> {
        self.counters.dropped_frames += 1;
        self.drop_warnings.allow(now)
    }

    pub fn unknown_instrument(&mut self) {
        self.counters.unknown_instruments += 1;
    }

    pub fn rejected_price(&mut self) {
        self.counters.rejected_prices += 1;
    }

    /// A connection attempt failed or an open socket died. `None` when a failure is
    /// already being handled (the same dying socket reporting twice).
    pub fn failed(
        &mut self,
        failure: &Failure,
        now: Instant,
        jitter: f64,
    ) -> Option<FailureOutcome> {
        if self.closing {
            return None;
        }
        self.closing = true;
        let stable = self
            .live_since
            .is_some_and(|t| now.saturating_duration_since(t) >= STABLE_CONNECTION);
        if stable || self.got_data {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        self.live_since = None;
        self.got_data = false;
        let delay = failure.retry_delay(
            self.policy.delay(self.failures, jitter),
            &self.policy.floors,
            self.policy.max,
        );
        self.next_delay = delay;
        self.rest_refused = failure.rest_refused;
        let never_live = self.counters.connects == 0;
        let status_changed =
            self.set_status(failure.kind.state(never_live), Some(failure.reason.clone()));
        let warn = match &self.last_warning {
            Some((reason, at)) => {
                *reason != failure.reason
                    || now.saturating_duration_since(*at) >= REPEAT_WARNING_INTERVAL
            }
            None => true,
        };
        if warn {
            self.last_warning = Some((failure.reason.clone(), now));
        }
        Some(FailureOutcome {
            delay,
            status_changed,
            warn,
        })
    }

    /// Drop the socket on purpose and connect again at once (new credentials). Publishes
    /// Reconnecting, so the Live that follows makes the registry replay every subscription.
    pub fn restart_now(&mut self, reason: String) -> bool {
        self.closing = true;
        self.failures = 0;
        self.next_delay = Duration::ZERO;
        self.live_since = None;
        self.got_data = false;
        self.set_status(FeedState::Reconnecting, Some(reason))
    }

    /// The registry's whole set, sent after each connect: it replaces ours.
    pub fn replace_upstream(&mut self, active: &[(Instrument, Mode)]) {
        self.set.replace(active);
    }

    pub fn apply_upstream(&mut self, changes: &[UpstreamChange]) {
        self.set.apply(changes);
    }

    /// Whether a replay now is the open socket's first (sent whole, not paced).
    pub fn first_replay(&mut self) -> bool {
        self.set.take_fresh()
    }

    /// The messages to write now to bring the socket to the wanted set (see
    /// [`SocketSet::outgoing`]).
    pub fn outgoing(&mut self, now: Instant, unpaced: bool) -> Outgoing {
        self.set.outgoing(now, unpaced)
    }

    /// Instruments this connection should carry.
    pub fn subscribed(&self) -> usize {
        self.set.wanted_len()
    }

    /// Instruments the open socket has been told to carry.
    pub fn carried(&self) -> usize {
        self.set.sent_len()
    }

    pub fn upstream_mode(&self, symbol: &str) -> Option<Mode> {
        self.set.wanted_mode(symbol)
    }

    pub fn status_event(&self, at: DateTime<Utc>) -> FeedStatusChanged {
        FeedStatusChanged {
            state: self.state,
            reason: self.reason.clone(),
            consecutive_failures: self.failures,
            rest_refused: self.rest_refused && self.state != FeedState::Live,
            at,
        }
    }

    pub fn health(&self) -> FeedHealth {
        let c = &self.counters;
        FeedHealth {
            shard: 0,
            state: self.state,
            broker: self.broker.as_str(),
            reason: self.reason.clone(),
            connects: c.connects,
            frames: c.frames,
            packets: c.packets,
            decode_errors: c.decode_errors,
            last_frame_at: self.last_frame_at,
            subscribed: self.set.wanted_len(),
            carried: self.set.sent_len(),
            idle: self.parked,
            unknown_instruments: c.unknown_instruments,
            rejected_prices: c.rejected_prices,
            dropped_frames: c.dropped_frames,
            consecutive_failures: self.failures,
            next_attempt_at: self.next_attempt_at,
        }
    }

    fn set_status(&mut self, state: FeedState, reason: Option<String>) -> bool {
        let changed = self.state != state || self.reason != reason;
        self.state = state;
        self.reason = reason;
        changed
    }
}

#[cfg(test)]
mod restart_tests {
    use super::*;

    #[test]
    fn restart_now_reconnects_without_delay_and_announces_it() {
        let policy = BackoffPolicy {
            initial: Duration::from_millis(500),
            factor: 2.0,
            max: Duration::from_secs(60),
            floors: RetryFloors::default(),
        };
        let mut s = ConnectionState::new(Broker::Dhan, policy);
        s.connected(Instant::now());
        assert!(
            s.restart_now("new token".into()),
            "Live → Reconnecting is a change"
        );
        assert_eq!(s.state(), FeedState::Reconnecting);
        assert!(!s.is_live());
        assert_eq!(s.schedule_attempt(Utc::now()), Duration::ZERO);
        assert!(
            s.connected(Instant::now()),
            "the next Live is published, so replay happens"
        );
    }
}

#[cfg(test)]
mod park_tests {
    use super::*;

    #[test]
    fn a_parked_connection_is_announced_again_when_it_reconnects() {
        let policy = BackoffPolicy {
            initial: Duration::from_millis(500),
            factor: 2.0,
            max: Duration::from_secs(60),
            floors: RetryFloors::default(),
        };
        let mut s = ConnectionState::new(Broker::Dhan, policy);
        assert!(s.connected(Instant::now()));
        assert!(s.park(), "going idle is reported");
        assert!(!s.park(), "once");
        assert!(s.is_parked() && !s.is_live());
        assert_eq!(
            s.state(),
            FeedState::Connecting,
            "no longer live, not a failure"
        );
        assert_eq!(s.failures(), 0);
        assert!(s.health().idle);
        s.unpark();
        assert_eq!(s.schedule_attempt(Utc::now()), Duration::ZERO);
        assert!(
            s.connected(Instant::now()),
            "Live is published again, so the registry replays its share"
        );
        assert!(s.first_replay(), "and that replay is the socket's first");
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Exchange, Segment};

    use super::*;
    use crate::upstream::FailureKind;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_millis(1000),
            max: Duration::from_millis(60_000),
            factor: 2.0,
            floors: RetryFloors::default(),
        }
    }

    struct DelayCase {
        name: &'static str,
        failures: u32,
        jitter: f64,
        want_ms: u64,
    }

    #[test]
    fn backoff_delay_cases() {
        let cases = [
            DelayCase {
                name: "never failed",
                failures: 0,
                jitter: 0.5,
                want_ms: 0,
            },
            DelayCase {
                name: "first retry",
                failures: 1,
                jitter: 0.0,
                want_ms: 1000,
            },
            DelayCase {
                name: "second doubles",
                failures: 2,
                jitter: 0.0,
                want_ms: 2000,
            },
            DelayCase {
                name: "fifth",
                failures: 5,
                jitter: 0.0,
                want_ms: 16_000,
            },
            DelayCase {
                name: "capped",
                failures: 7,
                jitter: 0.0,
                want_ms: 60_000,
            },
            DelayCase {
                name: "huge count stays capped",
                failures: u32::MAX,
                jitter: 0.0,
                want_ms: 60_000,
            },
            DelayCase {
                name: "full jitter shortens by 20%",
                failures: 1,
                jitter: 1.0,
                want_ms: 800,
            },
            DelayCase {
                name: "half jitter at cap",
                failures: 10,
                jitter: 0.5,
                want_ms: 54_000,
            },
            DelayCase {
                name: "bad jitter ignored",
                failures: 2,
                jitter: f64::NAN,
                want_ms: 2000,
            },
            DelayCase {
                name: "jitter clamped",
                failures: 2,
                jitter: 7.0,
                want_ms: 1600,
            },
        ];
        for c in cases {
            let got = policy().delay(c.failures, c.jitter).as_millis();
            assert_eq!(got, u128::from(c.want_ms), "{}", c.name);
        }
    }

    #[test]
    fn backoff_ignores_a_shrinking_factor() {
        let p = BackoffPolicy {
            factor: 0.5,
            ..policy()
        };
        assert_eq!(p.delay(4, 0.0), Duration::from_millis(1000));
        let p = BackoffPolicy {
            factor: f64::NAN,
            ..policy()
        };
        assert_eq!(p.delay(4, 0.0), Duration::from_millis(1000));
    }

    fn network() -> Failure {
        Failure::network("upstream closed the socket")
    }

    #[test]
    fn failures_escalate_until_data_resets() {
        let t0 = Instant::now();
        let mut s = ConnectionState::new(Broker::Dhan, policy());
        assert_eq!(
            s.schedule_attempt(Utc::now()),
            Duration::ZERO,
            "first start is immediate"
        );

        let out = s.failed(&network(), t0, 0.0).expect("handled");
        assert_eq!(out.delay, Duration::from_millis(1000));
        assert_eq!(s.state(), FeedState::Connecting, "never live yet");
        assert!(
            s.failed(&network(), t0, 0.0).is_none(),
            "same dying socket twice"
        );

        s.schedule_attempt(Utc::now());
        let out = s.failed(&network(), t0, 0.0).expect("handled");
        assert_eq!(out.delay, Duration::from_millis(2000));
        assert!(!out.warn, "the same failure again is not a new warning");

        s.schedule_attempt(Utc::now());
        assert!(s.connected(t0));
        assert_eq!(s.state(), FeedState::Live);
        assert_eq!(s.quiet_since_connect(t0), Some(Duration::ZERO));
        s.data_seen(3, Instant::now());
        assert_eq!(s.quiet_since_connect(t0), None);
        assert_eq!(s.failures(), 0);
        let out = s.failed(&network(), t0, 0.0).expect("handled");
        assert_eq!(
            out.delay,
            Duration::from_millis(1000),
            "backoff reset by data"
        );
        assert_eq!(s.state(), FeedState::Reconnecting);
    }

    #[test]
    fn a_long_quiet_connection_also_resets_backoff() {
        let t0 = Instant::now();
        let mut s = ConnectionState::new(Broker::Kite, policy());
        for _ in 0..4 {
            s.schedule_attempt(Utc::now());
            s.failed(&network(), t0, 0.0);
        }
        s.schedule_attempt(Utc::now());
        s.connected(t0);
        let out = s
            .failed(&network(), t0 + STABLE_CONNECTION, 0.0)
            .expect("handled");
        assert_eq!(out.delay, Duration::from_millis(1000));
    }

    #[test]
    fn auth_failures_wait_at_least_a_minute() {
        let t0 = Instant::now();
        let mut s = ConnectionState::new(Broker::Kite, policy());
        let out = s
            .failed(
                &crate::upstream::upgrade_rejected(Broker::Kite, 403),
                t0,
                0.0,
            )
            .expect("handled");
        assert!(out.delay >= Duration::from_secs(60));
        assert!(out.status_changed && out.warn);
        assert_eq!(s.state(), FeedState::LoginRequired);
        assert!(s.health().reason.unwrap_or_default().contains("403"));
        s.schedule_attempt(Utc::now());
        assert!(s.health().next_attempt_at.is_some());
        let out = s
            .failed(
                &crate::upstream::upgrade_rejected(Broker::Kite, 403),
                t0,
                0.0,
            )
            .expect("handled");
        assert!(
            !out.status_changed,
            "still LoginRequired, same reason: no new status event"
        );
        assert_eq!(
            FailureKind::Auth.retry_floor(&RetryFloors::default()),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn idle_only_while_live() {
        let t0 = Instant::now();
        let timeout = Duration::from_secs(5);
        let mut s = ConnectionState::new(Broker::Kite, policy());
        assert!(
            !s.is_idle(t0 + timeout * 10, timeout),
            "not connected: nothing to time out"
        );
        s.connected(t0);
        assert!(!s.is_idle(t0 + Duration::from_secs(4), timeout));
        s.frame_seen(t0 + Duration::from_secs(4), Utc::now());
        assert!(!s.is_idle(t0 + Duration::from_secs(8), timeout));
        assert!(s.is_idle(t0 + Duration::from_secs(9), timeout));
    }

    #[test]
    fn throttle_allows_one_per_interval() {
        let t0 = Instant::now();
        let mut th = LogThrottle::new(Duration::from_secs(60));
        assert_eq!(th.allow(t0), Some(0));
        assert_eq!(th.allow(t0 + Duration::from_secs(1)), None);
        assert_eq!(th.allow(t0 + Duration::from_secs(59)), None);
        assert_eq!(th.allow(t0 + Duration::from_secs(60)), Some(2));
    }

    fn inst(symbol: &str, id: u32) -> Instrument {
        Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment: Segment::NseEq,
            security_id: id,
            kite_token: id << 8 | 1,
            kite_key: format!("NSE:{symbol}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    #[test]
    fn upstream_set_follows_replay_and_changes() {
        let mut s = ConnectionState::new(Broker::Dhan, policy());
        s.replace_upstream(&[(inst("A", 1), Mode::Ltp), (inst("B", 2), Mode::Full)]);
        assert_eq!(s.subscribed(), 2);
        s.apply_upstream(&[
            UpstreamChange {
                instrument: inst("A", 1),
                from: Some(Mode::Ltp),
                to: Some(Mode::Quote),
            },
            UpstreamChange {
                instrument: inst("B", 2),
                from: Some(Mode::Full),
                to: None,
            },
            UpstreamChange {
                instrument: inst("C", 3),
                from: None,
                to: Some(Mode::Ltp),
            },
        ]);
        assert_eq!(s.subscribed(), 2);
        assert_eq!(s.upstream_mode("A"), Some(Mode::Quote));
        assert_eq!(s.upstream_mode("B"), None);
        assert_eq!(s.health().subscribed, 2);
        s.replace_upstream(&[]);
        assert_eq!(s.subscribed(), 0);
    }
}
