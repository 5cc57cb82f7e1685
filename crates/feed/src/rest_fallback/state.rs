//! The REST fallback's logic without IO: its settings, whether and when to send the next
//! quote request and what goes in it, and what each answer does to the pacing, the pause
//! and the counters. Every method takes the time as an argument.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Mode, TickUpdate};
use mandi_protocol::dhan::rest::RestError;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::activation::{Activation, Transition, Triggers};
use super::batch::PollSet;
use super::bucket::TokenBucket;
use super::messages::{FallbackStatus, FallbackStatusChanged};
use crate::feed_connection::messages::{FeedState, FeedStatusChanged, UpstreamChange};
use crate::settings::Broker;
use crate::upstream::{Converted, QuoteBatch};

/// Both brokers allow one quote request per second; no setting can go above it.
pub const BROKER_MAX_REQUESTS_PER_S: f64 = 1.0;
/// The lowest rate honoured (one request per 100 s); anything slower is taken as a typo.
const MIN_REQUESTS_PER_S: f64 = 0.01;
/// Added to the spacing as a margin against the broker timing requests at a different
/// point (its load balancer) than where they are answered.
pub const SPACING_SLACK: Duration = Duration::from_millis(50);
/// A 429 doubles the spacing up to this; each success halves it back.
pub const MAX_THROTTLED_INTERVAL: Duration = Duration::from_secs(10);
/// Failures other than auth are logged at most this often.
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(60);
/// What the operator does when the broker refuses the token.
pub const TOKEN_FIX: &str = "POST a new token to /api/auth/token or update the credentials file";
/// ... and when the account may not use the quote API at all.
pub const ACCESS_FIX: &str = "enable market-data API access for this account (Dhan: Data APIs plan; Kite: Connect market quotes)";

/// `[rest_fallback]` settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestFallbackSettings {
    pub enabled: bool,
    /// Take over after this many failed connection attempts in a row (0 = never on count).
    pub after_failures: u32,
    /// Take over when the feed has not been live for this long (0 = never on time).
    pub after_down_ms: u64,
    /// Quote requests per second. Clamped to the brokers' limit of 1.0 whatever the
    /// config says; non-finite or non-positive values mean 1.0.
    pub max_requests_per_s: f64,
    /// One request, credentials to body, must finish within this.
    pub poll_timeout_ms: u64,
    /// After the broker refuses the credentials, wait this long before asking again.
    pub auth_retry_ms: u64,
}

impl Default for RestFallbackSettings {
    fn default() -> Self {
        RestFallbackSettings {
            enabled: true,
            after_failures: 3,
            after_down_ms: 5_000,
            max_requests_per_s: 1.0,
            poll_timeout_ms: 5_000,
            auth_retry_ms: 60_000,
        }
    }
}

impl RestFallbackSettings {
    /// The rate actually used, within `[0.01, 1.0]` requests per second.
    pub fn effective_requests_per_s(&self) -> f64 {
        let rate = self.max_requests_per_s;
        if !rate.is_finite() || rate <= 0.0 {
            return BROKER_MAX_REQUESTS_PER_S;
        }
        rate.clamp(MIN_REQUESTS_PER_S, BROKER_MAX_REQUESTS_PER_S)
    }

    /// The spacing from one answer to the next request: 1 / rate, plus the slack.
    pub fn base_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.effective_requests_per_s()) + SPACING_SLACK
    }

    fn triggers(&self) -> Triggers {
        Triggers {
            enabled: self.enabled,
            after_failures: (self.after_failures > 0).then_some(self.after_failures),
            after_down: (self.after_down_ms > 0).then(|| Duration::from_millis(self.after_down_ms)),
        }
    }
}

/// Why a request produced no rows.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PollFailure {
    /// The broker answered with an error.
    #[error(transparent)]
    Broker(#[from] RestError),
    /// No usable answer: connection refused, timeout, body cut short.
    #[error("{0}")]
    Transport(String),
    /// No whole answer within the request's time limit.
    #[error("no answer within {after_ms} ms")]
    Timeout { after_ms: u64 },
    /// The request could not be made: credentials for the other broker, no auth manager.
    #[error("{0}")]
    Setup(String),
}

/// What a failure means for polling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// The broker refused the token: pause, tell the operator how to fix it.
    Token,
    /// The account may not use the API: pause likewise.
    Access,
    /// 429: slow down.
    Throttled,
    /// Anything else: count it, try again at the normal pace.
    Other,
}

impl PollFailure {
    pub fn class(&self) -> FailureClass {
        match self {
            PollFailure::Broker(RestError::TokenRejected { .. }) => FailureClass::Token,
            PollFailure::Broker(e) if e.is_auth() => FailureClass::Access,
            PollFailure::Broker(e) if e.is_throttled() => FailureClass::Throttled,
            _ => FailureClass::Other,
        }
    }
}

/// One request to make now.
#[derive(Clone, Debug, PartialEq)]
pub struct Poll {
    /// The takeover it belongs to; its answer is dropped if polling stopped meanwhile.
    pub epoch: u64,
    pub batch: QuoteBatch,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PollDecision {
    Send(Poll),
    /// Nothing before then (the bucket's token, or a pause).
    WaitUntil(Instant),
    /// Nothing until something changes (not active, market closed, nothing subscribed,
    /// a request in flight).
    Idle,
}

/// The one line to log after an answer, if any.
#[derive(Clone, Debug, PartialEq)]
pub enum LogLine {
    /// The broker refused the credentials or the account; once per episode.
    Paused {
        error: String,
        fix: &'static str,
        retry_in: Duration,
    },
    /// 429; `suppressed` similar lines were held back since the last one.
    Throttled {
        error: String,
        interval: Duration,
        suppressed: u64,
    },
    Failed {
        error: String,
        suppressed: u64,
    },
}

/// What the actor does with an answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerOutcome {
    /// For the price store (empty when the answer belongs to an earlier takeover).
    pub updates: Vec<TickUpdate>,
    pub log: Option<LogLine>,
    /// The poller started or stopped being refused: tell the fallback's listeners.
    pub status: Option<FallbackStatusChanged>,
}

/// Everything the fallback knows between messages.
#[derive(Debug)]
pub struct FallbackState {
    settings: RestFallbackSettings,
    activation: Activation,
    /// Bumped on every takeover.
    epoch: u64,
    since: Option<DateTime<Utc>>,
    reason: Option<String>,
    market_open: bool,
    set: PollSet,
    bucket: TokenBucket,
    /// The takeover whose request is out now; never more than one request at a time.
    in_flight: Option<u64>,
    /// Held after the broker refused the credentials.
    paused_until: Option<Instant>,
    /// The broker refused the current takeover's last request (token or account): the
    /// poller serves nothing. Cleared by a success or a new takeover.
    refused: Option<String>,
    /// The pause warning of the current episode was logged; a success ends the episode.
    pause_warned: bool,
    last_error_log: Option<Instant>,
    suppressed: u64,
    requests_total: u64,
    requests_failed: u64,
    responses_dropped: u64,
    rows_missing: u64,
    rows_rejected: u64,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

impl FallbackState {
    pub fn new(settings: RestFallbackSettings, broker: Broker, now: Instant) -> FallbackState {
        FallbackState {
            activation: Activation::new(settings.triggers(), now),
            bucket: TokenBucket::new(settings.base_interval()),
            settings,
            epoch: 0,
            since: None,
            reason: None,
            market_open: true,
            set: PollSet::new(broker),
            in_flight: None,
            paused_until: None,
            refused: None,
            pause_warned: false,
            last_error_log: None,
            suppressed: 0,
            requests_total: 0,
            requests_failed: 0,
            responses_dropped: 0,
            rows_missing: 0,
            rows_rejected: 0,
            last_success_at: None,
            last_error: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.activation.is_active()
    }

    /// The feed reported a state: maybe take over or hand back.
    pub fn on_feed_status(
        &mut self,
        msg: &FeedStatusChanged,
        now: Instant,
    ) -> Option<FallbackStatusChanged> {
        let was = self.activation.feed();
        // Leaving LoginRequired means the feed adopted new credentials: ask again now
        // rather than at the end of the pause.
        if was == FeedState::LoginRequired && msg.state != FeedState::LoginRequired {
            self.paused_until = None;
        }
        let transition = self.activation.on_feed_status(
            msg.state,
            msg.reason.as_deref(),
            msg.consecutive_failures,
            msg.rest_refused,
            now,
        )?;
        Some(self.transition(transition, msg.at))
    }

    /// The timer: has the feed been down long enough to take over?
    pub fn check_down(
        &mut self,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Option<FallbackStatusChanged> {
        let transition = self.activation.check(now)?;
        Some(self.transition(transition, wall))
    }

    pub fn replace_set(&mut self, active: &[(Instrument, Mode)]) {
        self.set.replace(active);
    }

    pub fn apply_changes(&mut self, changes: &[UpstreamChange]) {
        self.set.apply(changes);
    }

    pub fn set_market_open(&mut self, open: bool) {
        self.market_open = open;
    }

    /// What to do now. `Send` takes the bucket's token and marks the request in flight.
    pub fn next_poll(&mut self, now: Instant) -> PollDecision {
        if !self.is_active() || !self.market_open || self.in_flight.is_some() || self.set.is_empty()
        {
            return PollDecision::Idle;
        }
        if let Some(until) = self.paused_until {
            if now < until {
                return PollDecision::WaitUntil(until);
            }
            self.paused_until = None;
        }
        if let Err(at) = self.bucket.try_take(now) {
            return PollDecision::WaitUntil(at);
        }
        let Some(batch) = self.set.next_batch() else {
            return PollDecision::Idle;
        };
        self.in_flight = Some(self.epoch);
        self.requests_total += 1;
        PollDecision::Send(Poll {
            epoch: self.epoch,
            batch,
        })
    }

    /// The answer to the request of `epoch` arrived (or failed).
    pub fn on_answer(
        &mut self,
        epoch: u64,
        answer: Result<Converted, PollFailure>,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> AnswerOutcome {
        self.in_flight = None;
        // The spacing counts from this answer, not from when the request left: a slow
        // first request (a TLS handshake) would otherwise reach the broker less than an
        // interval before a fast second one.
        self.bucket.taken_at(now);
        let current = self.is_active() && epoch == self.epoch;
        let failure = match answer {
            Ok(converted) => {
                self.last_success_at = Some(wall);
                self.rows_missing += converted.missing as u64;
                self.rows_rejected += converted.rejected as u64;
                self.pause_warned = false;
                // Recover from a 429 a step at a time.
                let base = self.settings.base_interval();
                self.bucket
                    .set_interval((self.bucket.interval() / 2).max(base));
                let status = self.set_refused(current.then_some(None), wall);
                return AnswerOutcome {
                    updates: if current {
                        converted.updates
                    } else {
                        Vec::new()
                    },
                    log: None,
                    status,
                };
            }
            Err(failure) => failure,
        };
        self.requests_failed += 1;
        let error = failure.to_string();
        self.last_error = Some(error.clone());
        let refused = matches!(failure.class(), FailureClass::Token | FailureClass::Access);
        let status = self.set_refused((current && refused).then(|| Some(error.clone())), wall);
        let log = match failure.class() {
            class @ (FailureClass::Token | FailureClass::Access) => {
                let retry_in = Duration::from_millis(self.settings.auth_retry_ms);
                self.paused_until = Some(now + retry_in);
                let first = !std::mem::replace(&mut self.pause_warned, true);
                first.then_some(LogLine::Paused {
                    error,
                    fix: if class == FailureClass::Token {
                        TOKEN_FIX
                    } else {
                        ACCESS_FIX
                    },
                    retry_in,
                })
            }
            FailureClass::Throttled => {
                let interval = (self.bucket.interval() * 2).min(MAX_THROTTLED_INTERVAL);
                self.bucket.set_interval(interval);
                self.rate_limited_log(now)
                    .map(|suppressed| LogLine::Throttled {
                        error,
                        interval,
                        suppressed,
                    })
            }
            FailureClass::Other => self
                .rate_limited_log(now)
                .map(|suppressed| LogLine::Failed { error, suppressed }),
        };
        AnswerOutcome {
            updates: Vec::new(),
            log,
            status,
        }
    }

    /// Record whether the broker refuses the poller (`change: None` leaves it as is);
    /// returns the event to publish when that flips.
    fn set_refused(
        &mut self,
        change: Option<Option<String>>,
        at: DateTime<Utc>,
    ) -> Option<FallbackStatusChanged> {
        let refused = change?;
        if refused.is_some() == self.refused.is_some() {
            return None;
        }
        self.refused = refused;
        Some(FallbackStatusChanged {
            active: self.is_active(),
            reason: self.reason.clone().unwrap_or_default(),
            refused: self.refused.clone(),
            at,
        })
    }

    /// The price store's mailbox was full: the answer was dropped (the next replaces it).
    pub fn response_dropped(&mut self) {
        self.responses_dropped += 1;
    }

    /// After a restart the request that was out is gone with the old context.
    pub fn forget_in_flight(&mut self) {
        self.in_flight = None;
    }

    pub fn status(&self, now: Instant, wall: DateTime<Utc>) -> FallbackStatus {
        let paused_until = self
            .paused_until
            .filter(|until| *until > now)
            .and_then(|until| chrono::Duration::from_std(until - now).ok())
            .map(|left| wall + left);
        FallbackStatus {
            active: self.is_active(),
            since: self.since,
            reason: self.reason.clone(),
            requests_total: self.requests_total,
            requests_failed: self.requests_failed,
            last_success_at: self.last_success_at,
            instruments: self.set.len(),
            max_requests_per_s: self.settings.effective_requests_per_s(),
            market_open: self.market_open,
            interval_ms: u64::try_from(self.bucket.interval().as_millis()).unwrap_or(u64::MAX),
            paused_until,
            refused: self.refused.clone(),
            responses_dropped: self.responses_dropped,
            rows_missing: self.rows_missing,
            rows_rejected: self.rows_rejected,
            last_error: self.last_error.clone(),
        }
    }

    fn transition(&mut self, transition: Transition, at: DateTime<Utc>) -> FallbackStatusChanged {
        let (active, reason) = match transition {
            Transition::Activate { cause } => {
                self.epoch += 1;
                let market = if self.market_open {
                    ""
                } else {
                    " (market closed: polling starts at the open)"
                };
                let reason = format!(
                    "websocket down: {cause} — polling REST quotes at {} until the socket is back{market}",
                    rate_text(self.settings.effective_requests_per_s())
                );
                (true, reason)
            }
            Transition::Deactivate { cause } => (false, format!("{cause} — REST polling stopped")),
        };
        self.since = Some(at);
        self.reason = Some(reason.clone());
        // A new takeover (or a hand-back) starts with no refusal on record.
        self.refused = None;
        FallbackStatusChanged {
            active,
            reason,
            refused: None,
            at,
        }
    }

    /// `Some(held back since the last line)` when a line may be logged now.
    fn rate_limited_log(&mut self, now: Instant) -> Option<u64> {
        let due = match self.last_error_log {
            Some(at) => now.saturating_duration_since(at) >= ERROR_LOG_INTERVAL,
            None => true,
        };
        if !due {
            self.suppressed += 1;
            return None;
        }
        self.last_error_log = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

/// "1 request/s", "0.5 requests/s".
fn rate_text(rate: f64) -> String {
    if rate == 1.0 {
        "1 request/s".into()
    } else {
        format!("{} requests/s", (rate * 100.0).round() / 100.0)
    }
}

#[cfg(test)]
mod tests;
