//! `RestFallback`: keeps prices flowing while the broker WebSocket is down by polling the
//! broker's REST quote API, one request at a time and never faster than 1 request/s, and
//! hands back as soon as the feed is live again. Start it before the feed and list it
//! among the feed's status recipients; attach it to the registry like the feed.

mod activation;
mod batch;
pub(crate) mod bucket;
pub mod messages;
pub mod recorded;
mod state;

use std::time::{Duration, Instant};

use actix::prelude::SendError;
use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult, Recipient,
    SpawnHandle, WrapFuture,
};
use bytes::Bytes;
use chrono::Utc;

pub use messages::{FallbackStatus, FallbackStatusChanged, GetFallbackStatus, SetMarketOpen};
pub use state::{RestFallbackSettings, ACCESS_FIX, BROKER_MAX_REQUESTS_PER_S, TOKEN_FIX};

pub(crate) use self::state::PollFailure;
use self::state::{FallbackState, LogLine, Poll, PollDecision};
use crate::auth_manager::{AuthManager, GetCredentials};
use crate::feed_connection::messages::{
    ApplyUpstreamChanges, FeedStatusChanged, ReplaySubscriptions, TicksReceived,
};
use crate::instrument_directory::SharedIndex;
use crate::settings::{Broker, UpstreamSettings};
use crate::upstream::{self, CallError, HttpCall, QuoteBatch, Verb};

/// A 1000-instrument full quote is well under this.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The down-for-too-long check runs at a fifth of `after_down_ms`, within these bounds.
const DOWN_CHECK_MIN: Duration = Duration::from_millis(50);
const DOWN_CHECK_MAX: Duration = Duration::from_secs(1);

/// The REST poller. Its fields outlive a restart by supervision: counters, pacing and
/// the polled set carry over; the request in flight and the timers do not.
pub struct RestFallback {
    upstream: UpstreamSettings,
    index: SharedIndex,
    auth: Addr<AuthManager>,
    ticks: Recipient<TicksReceived>,
    status: Vec<Recipient<FallbackStatusChanged>>,
    state: FallbackState,
    poll_timeout: Duration,
    after_down: Option<Duration>,
    /// One HTTP client for the actor's life, so connections are reused between polls.
    client: Option<awc::Client>,
    /// The timer for the next poll, replaced whenever the plan changes.
    wake: Option<SpawnHandle>,
    /// Every answer is recorded as a REST poll (`recorder.enabled`).
    recorder: Option<mandi_recording::Recorder>,
}

impl RestFallback {
    pub fn new(
        settings: RestFallbackSettings,
        upstream: UpstreamSettings,
        index: impl Into<SharedIndex>,
        auth: Addr<AuthManager>,
        ticks: Recipient<TicksReceived>,
        status: Vec<Recipient<FallbackStatusChanged>>,
    ) -> RestFallback {
        let effective = settings.effective_requests_per_s();
        if settings.max_requests_per_s != effective {
            tracing::warn!(
                configured = settings.max_requests_per_s,
                used = effective,
                "rest fallback rate adjusted: the brokers' quote APIs allow at most 1 request/s"
            );
        }
        RestFallback {
            poll_timeout: Duration::from_millis(settings.poll_timeout_ms.max(1)),
            after_down: (settings.after_down_ms > 0)
                .then(|| Duration::from_millis(settings.after_down_ms)),
            state: FallbackState::new(settings, upstream.broker, Instant::now()),
            upstream,
            index: index.into(),
            auth,
            ticks,
            status,
            client: None,
            wake: None,
            recorder: None,
        }
    }

    /// Record every poll answer, as what it is: a REST poll, not a socket frame.
    pub fn with_recorder(mut self, recorder: Option<mandi_recording::Recorder>) -> RestFallback {
        self.recorder = recorder;
        self
    }

    fn broker(&self) -> &'static str {
        self.upstream.broker.as_str()
    }

    /// Send the next request if one is due, else set the timer for when it will be.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.wake.take() {
            ctx.cancel_future(handle);
        }
        let now = Instant::now();
        match self.state.next_poll(now) {
            PollDecision::Send(poll) => self.send(poll, ctx),
            PollDecision::WaitUntil(at) => {
                let wait = at.saturating_duration_since(now);
                self.wake = Some(ctx.run_later(wait, |act, ctx| {
                    act.wake = None;
                    act.pump(ctx);
                }));
            }
            PollDecision::Idle => {}
        }
    }

    fn send(&mut self, poll: Poll, ctx: &mut Context<Self>) {
        let client = self
            .client
            .get_or_insert_with(|| {
                awc::Client::builder()
                    .max_http_version(awc::http::Version::HTTP_11)
                    .finish()
            })
            .clone();
        let fetching = fetch(
            client,
            self.auth.clone(),
            self.upstream.broker,
            poll.batch.clone(),
            self.upstream.rest_url.clone(),
            self.poll_timeout,
        );
        ctx.spawn(
            fetching
                .into_actor(self)
                .map(move |answer, act, ctx| act.on_answer(poll, answer, ctx)),
        );
    }

    fn on_answer(
        &mut self,
        poll: Poll,
        answer: Result<(u16, Bytes), PollFailure>,
        ctx: &mut Context<Self>,
    ) {
        let received_time = Utc::now();
        if let (Some(recorder), Ok((status, body))) = (&self.recorder, &answer) {
            recorder.record(mandi_recording::Record {
                received_ns: received_time.timestamp_nanos_opt().unwrap_or_default(),
                connection: mandi_recording::REST_CONNECTION,
                kind: mandi_recording::RecordKind::RestPoll,
                payload: recorded::encode(&poll.batch, *status, body),
            });
        }
        let converted = answer.and_then(|(status, body)| {
            upstream::convert_quotes(
                self.upstream.broker,
                &poll.batch,
                status,
                &body,
                &self.index.load(),
                received_time,
            )
            .map_err(PollFailure::Broker)
        });
        let outcome = self
            .state
            .on_answer(poll.epoch, converted, Instant::now(), received_time);
        if let Some(line) = outcome.log {
            self.log(line);
        }
        if let Some(event) = outcome.status {
            // The refusal itself was logged once above (`Paused`), with its fix.
            self.notify(event);
        }
        if !outcome.updates.is_empty() {
            // try_send, never do_send: a slow price store must not grow our memory. A
            // dropped answer is superseded by the next one a second later.
            let sent = self.ticks.try_send(TicksReceived {
                updates: outcome.updates,
                received_time,
            });
            if let Err(e) = sent {
                self.state.response_dropped();
                let why = match e {
                    SendError::Full(_) => "price store mailbox full",
                    SendError::Closed(_) => "price store gone",
                };
                tracing::debug!(broker = self.broker(), why, "dropped a REST quote answer");
            }
        }
        self.pump(ctx);
    }

    fn log(&self, line: LogLine) {
        let broker = self.broker();
        match line {
            LogLine::Paused {
                error,
                fix,
                retry_in,
            } => tracing::warn!(
                broker,
                %error,
                fix,
                retry_in_ms = u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
                "rest fallback paused: the broker refused the credentials"
            ),
            LogLine::Throttled {
                error,
                interval,
                suppressed,
            } => tracing::warn!(
                broker,
                %error,
                interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
                suppressed,
                "rest fallback rate limited by the broker; slowing down"
            ),
            LogLine::Failed { error, suppressed } => tracing::warn!(
                broker,
                %error,
                suppressed,
                "rest fallback request failed; retrying at the normal pace"
            ),
        }
    }

    /// Rare control message to a handful of actors that must not miss it: `do_send`.
    fn publish(&self, event: FallbackStatusChanged) {
        if event.active {
            // Info, not a warning: the feed already logged the incident with its fix.
            tracing::info!(broker = self.broker(), reason = %event.reason, "rest fallback active");
        } else {
            tracing::info!(broker = self.broker(), reason = %event.reason, "rest fallback stopped");
        }
        self.notify(event);
    }

    fn notify(&self, event: FallbackStatusChanged) {
        for recipient in &self.status {
            recipient.do_send(event.clone());
        }
    }
}

impl Actor for RestFallback {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(after_down) = self.after_down {
            let every = (after_down / 5).clamp(DOWN_CHECK_MIN, DOWN_CHECK_MAX);
            ctx.run_interval(every, |act, ctx| {
                if let Some(event) = act.state.check_down(Instant::now(), Utc::now()) {
                    act.publish(event);
                    act.pump(ctx);
                }
            });
        }
        self.pump(ctx);
    }
}

impl actix::Supervised for RestFallback {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The old context took the request in flight and the timers with it.
        self.state.forget_in_flight();
        self.wake = None;
        self.client = None;
        tracing::info!(broker = self.broker(), "rest fallback restarted");
    }
}

mandi_supervision::crash_handler!(RestFallback);

impl Handler<FeedStatusChanged> for RestFallback {
    type Result = ();

    fn handle(&mut self, msg: FeedStatusChanged, ctx: &mut Context<Self>) {
        if let Some(event) = self.state.on_feed_status(&msg, Instant::now()) {
            self.publish(event);
        }
        self.pump(ctx);
    }
}

impl Handler<ReplaySubscriptions> for RestFallback {
    type Result = ();

    fn handle(&mut self, msg: ReplaySubscriptions, ctx: &mut Context<Self>) {
        self.state.replace_set(&msg.active);
        self.pump(ctx);
    }
}

impl Handler<ApplyUpstreamChanges> for RestFallback {
    type Result = ();

    fn handle(&mut self, msg: ApplyUpstreamChanges, ctx: &mut Context<Self>) {
        self.state.apply_changes(&msg.changes);
        self.pump(ctx);
    }
}

impl Handler<SetMarketOpen> for RestFallback {
    type Result = ();

    fn handle(&mut self, msg: SetMarketOpen, ctx: &mut Context<Self>) {
        self.state.set_market_open(msg.open);
        self.pump(ctx);
    }
}

impl Handler<GetFallbackStatus> for RestFallback {
    type Result = MessageResult<GetFallbackStatus>;

    fn handle(&mut self, _: GetFallbackStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.status(Instant::now(), Utc::now()))
    }
}

/// One quote request: the credentials of this moment, the call, the whole answer.
async fn fetch(
    client: awc::Client,
    auth: Addr<AuthManager>,
    broker: Broker,
    batch: QuoteBatch,
    rest_url: String,
    timeout: Duration,
) -> Result<(u16, Bytes), PollFailure> {
    call_with_credentials(client, auth, timeout, move |credentials| {
        upstream::quote_call(broker, &batch, credentials, &rest_url)
    })
    .await
}

/// One REST request built from the credentials of this moment (so a hot-swapped token is
/// used at once), sent, and its whole answer read, all within `timeout`. Shared by every
/// actor that calls the broker's REST API.
pub(crate) async fn call_with_credentials(
    client: awc::Client,
    auth: Addr<AuthManager>,
    timeout: Duration,
    build: impl FnOnce(&crate::settings::Credentials) -> Result<HttpCall, CallError>,
) -> Result<(u16, Bytes), PollFailure> {
    let exchange = async {
        let credentials = auth.send(GetCredentials).await.map_err(|e| {
            PollFailure::Setup(format!("no credentials from the auth manager: {e}"))
        })?;
        let call = build(&credentials).map_err(|e| match e {
            CallError::Request(e) => PollFailure::Broker(e),
            other => PollFailure::Setup(other.to_string()),
        })?;
        send_call(&client, call).await
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(answer) => answer,
        Err(_) => Err(PollFailure::Timeout {
            after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

/// Errors name what failed, never the request: its headers hold the token.
async fn send_call(client: &awc::Client, call: HttpCall) -> Result<(u16, Bytes), PollFailure> {
    let HttpCall {
        verb,
        url,
        headers,
        body,
    } = call;
    let mut req = match verb {
        Verb::Get => client.get(&url),
        Verb::Post => client.post(&url),
    };
    for (name, value) in headers {
        req = req.insert_header((name, value));
    }
    let sent = match body {
        Some(body) => req.send_body(body).await,
        None => req.send().await,
    };
    let mut response = sent.map_err(|e| PollFailure::Transport(format!("request failed: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .body()
        .limit(MAX_BODY_BYTES)
        .await
        .map_err(|e| PollFailure::Transport(format!("answer unreadable: {e}")))?;
    Ok((status, body))
}
