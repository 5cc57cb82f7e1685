//! `HistoryFetcher`: asks the broker's historical API — through the REST fallback's client
//! and credentials handling, paced under the broker's historical rate — for each
//! configured instrument's previous session and today's bars, at start and again at each
//! exchange's open, and hands them to the price store (`HistoryLoaded`), so the day
//! levels work on the first day. It also serves older days' one-minute candles to
//! `/api/candles`, from local storage or fetched once. It never holds up start-up: a
//! failure is one warning line and a counter in `/health`.

mod archive;
pub mod messages;
mod state;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult, Recipient,
    ResponseFuture, SpawnHandle, WrapFuture,
};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use mandi_domain::candles::ist_date;
use mandi_domain::time::ist_instant;
use mandi_domain::{Candle, Instrument, MarketCalendar};
use tokio::sync::oneshot;

pub use messages::{
    ExchangeOpened, GetDayCandles, GetHistoryStatus, HistoryError, HistoryLoaded, HistoryStatus,
};
pub use state::{HistorySettings, MAX_ATTEMPTS};

use self::archive::DayArchive;
use self::state::{
    dates, loaded, open_jobs, start_jobs, Answer, Decision, FetchQueue, Job, Purpose, TokenVerdict,
};
use crate::auth_manager::{AuthManager, GetAuthStatus, NotifyOnNewToken, TokenAdopted};
use crate::rest_fallback::{call_with_credentials, PollFailure};
use crate::settings::UpstreamSettings;
use crate::upstream::{self, HistoryRequest, HistorySpan};

/// Someone waiting for older days.
struct Waiter {
    symbol: Arc<str>,
    from: NaiveDate,
    to: NaiveDate,
    /// The days the broker was asked for.
    missing: Vec<NaiveDate>,
    reply: oneshot::Sender<Result<Vec<Candle>, HistoryError>>,
}

/// The history fetcher. Its queue, counters and stored days outlive a restart by
/// supervision; the request in flight and anyone waiting on it do not.
pub struct HistoryFetcher {
    settings: HistorySettings,
    upstream: UpstreamSettings,
    auth: Addr<AuthManager>,
    calendar: Arc<MarketCalendar>,
    /// The configured instruments the broker has an identifier for.
    instruments: Vec<Arc<Instrument>>,
    store: Recipient<HistoryLoaded>,
    queue: FetchQueue,
    archive: DayArchive,
    waiters: HashMap<u64, Waiter>,
    next_waiter: u64,
    /// The start-up fetch is queued once, not again on a supervised restart.
    started_once: bool,
    /// One HTTP client for the actor's life, so connections are reused.
    client: Option<awc::Client>,
    wake: Option<SpawnHandle>,
}

impl HistoryFetcher {
    pub fn new(
        settings: HistorySettings,
        upstream: UpstreamSettings,
        auth: Addr<AuthManager>,
        calendar: Arc<MarketCalendar>,
        instruments: &[Instrument],
        data_dir: Option<&std::path::Path>,
        store: Recipient<HistoryLoaded>,
    ) -> HistoryFetcher {
        let instruments = instruments
            .iter()
            .filter(|i| upstream::knows_history(upstream.broker, i))
            .map(|i| Arc::new(i.clone()))
            .collect();
        HistoryFetcher {
            queue: FetchQueue::new(&settings, upstream.broker),
            archive: DayArchive::new(data_dir),
            settings,
            upstream,
            auth,
            calendar,
            instruments,
            store,
            waiters: HashMap::new(),
            next_waiter: 0,
            started_once: false,
            client: None,
            wake: None,
        }
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
        match self.queue.next(now) {
            Decision::Send(job) => self.send(job, ctx),
            Decision::CheckAuth => self.check_token(ctx),
            Decision::WaitUntil(at) => {
                self.wake = Some(
                    ctx.run_later(at.saturating_duration_since(now), |act, ctx| {
                        act.wake = None;
                        act.pump(ctx);
                    }),
                );
            }
            Decision::Idle => {}
        }
    }

    /// Ask the auth manager about the token before asking the broker for anything: the
    /// feed checks it at start, and a refused token would only collect refusals.
    fn check_token(&mut self, ctx: &mut Context<Self>) {
        let asking = self.auth.send(GetAuthStatus);
        ctx.spawn(asking.into_actor(self).map(|answer, act, ctx| {
            let verdict = match answer {
                Ok(status) if status.token.is_rejected() => TokenVerdict::Refused,
                Ok(status) if status.checked_at.is_none() => TokenVerdict::Unchecked,
                // A busy or restarting auth manager says nothing against the token.
                Ok(_) | Err(_) => TokenVerdict::Usable,
            };
            if act.queue.on_token(verdict, Instant::now()) {
                // Info, not a warning: the feed already logged the refusal with its fix.
                tracing::info!(
                    broker = act.broker(),
                    queued = act.queue.status().queued,
                    "history waits for a new token: the broker refused the current one"
                );
            }
            act.pump(ctx);
        }));
    }

    fn send(&mut self, job: Job, ctx: &mut Context<Self>) {
        let client = self
            .client
            .get_or_insert_with(|| {
                awc::Client::builder()
                    .max_http_version(awc::http::Version::HTTP_11)
                    .finish()
            })
            .clone();
        let (broker, rest_url) = (self.upstream.broker, self.upstream.rest_url.clone());
        let (request, auth) = (job.request.clone(), self.auth.clone());
        let timeout = Duration::from_millis(self.settings.request_timeout_ms.max(1));
        let fetching = async move {
            let (status, body) = call_with_credentials(client, auth, timeout, {
                move |credentials| upstream::history_call(broker, &request, credentials, &rest_url)
            })
            .await?;
            upstream::parse_history(broker, status, &body).map_err(PollFailure::Broker)
        };
        ctx.spawn(
            fetching
                .into_actor(self)
                .map(move |answer, act, ctx| act.on_answer(job, answer, ctx)),
        );
    }

    fn on_answer(
        &mut self,
        job: Job,
        answer: Result<Vec<Candle>, PollFailure>,
        ctx: &mut Context<Self>,
    ) {
        let now = Utc::now();
        match self.queue.on_answer(job, answer, Instant::now(), now) {
            Answer::Done { job, candles } => match job.purpose {
                Purpose::Book => {
                    let loaded = loaded(&job.request, &candles, now);
                    if loaded.previous_day.is_some() {
                        self.queue.previous_day_loaded();
                    }
                    if loaded.previous_day.is_some() || !loaded.minutes.is_empty() {
                        tracing::debug!(symbol = %loaded.symbol, minutes = loaded.minutes.len(), "history loaded");
                        // A rare message the store must not miss.
                        self.store.do_send(loaded);
                    }
                }
                Purpose::Days(id) => self.answer_days(id, &candles),
            },
            Answer::Retrying {
                job_symbol,
                failure,
                retry_in,
            } => tracing::warn!(
                broker = self.broker(),
                symbol = %job_symbol,
                error = %failure,
                retry_in_ms = u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
                "history request failed; retrying"
            ),
            Answer::Failed { job, failure } => {
                tracing::warn!(
                    broker = self.broker(),
                    symbol = job.symbol(),
                    error = %failure,
                    fix = fix_for(&failure),
                    "history request failed; levels fall back to what the feed shows until the next exchange open"
                );
                self.fail_days(&job, &failure);
            }
            Answer::Paused {
                job_symbol,
                failure,
                failed,
            } => {
                tracing::warn!(
                    broker = self.broker(),
                    symbol = %job_symbol,
                    error = %failure,
                    fix = fix_for(&failure),
                    "history paused: the broker refused the credentials; it resumes with a new token"
                );
                for job in &failed {
                    self.fail_days(job, &failure);
                }
            }
        }
        self.pump(ctx);
    }

    /// Tell whoever waits on an older-days job that it failed.
    fn fail_days(&mut self, job: &Job, failure: &PollFailure) {
        if let Purpose::Days(id) = job.purpose {
            if let Some(w) = self.waiters.remove(&id) {
                let _ = w.reply.send(Err(HistoryError::Failed(failure.clone())));
            }
        }
    }

    /// Store what the broker sent for the waiter's missing days and answer it.
    fn answer_days(&mut self, id: u64, candles: &[Candle]) {
        let Some(w) = self.waiters.remove(&id) else {
            return;
        };
        if let Err(e) = self.archive.put(&w.symbol, &w.missing, candles) {
            tracing::warn!(
                symbol = %w.symbol,
                error = %e,
                "cannot store fetched history days; they are kept in memory only — check store.data_dir is writable"
            );
        }
        let days = self.held_days(&w.symbol, w.from, w.to);
        let _ = w.reply.send(Ok(days.unwrap_or_default()));
    }

    /// Every day of `[from, to]` from storage, or `None` with the days missing.
    fn held_days(
        &mut self,
        symbol: &Arc<str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Option<Vec<Candle>> {
        let mut all = Vec::new();
        let mut complete = true;
        for date in dates(from, to) {
            match self.archive.get(symbol, date) {
                Some(day) => all.extend(day.iter().cloned()),
                None => complete = false,
            }
        }
        complete.then_some(all)
    }
}

/// The operator's next step for a failure.
fn fix_for(failure: &PollFailure) -> &'static str {
    match failure {
        PollFailure::Broker(e) if e.is_auth() => {
            "renew the access token (or enable the broker's data API for the account); history is fetched again at the next exchange open"
        }
        PollFailure::Broker(e) if e.is_throttled() => {
            "another program may be using the broker's historical API: lower history.max_requests_per_s"
        }
        PollFailure::Timeout { .. } => {
            "check the network path to upstream.rest_url, or raise history.request_timeout_ms"
        }
        PollFailure::Broker(_) | PollFailure::Transport(_) | PollFailure::Setup(_) => {
            "check upstream.rest_url and that the broker serves history for the instrument"
        }
    }
}

impl Actor for HistoryFetcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.settings.enabled && !self.started_once {
            self.started_once = true;
            // Same address across restarts: registered once.
            self.auth.do_send(NotifyOnNewToken {
                follower: ctx.address().recipient(),
            });
            let jobs = start_jobs(
                &self.instruments,
                &self.calendar,
                self.settings.days,
                Utc::now(),
            );
            tracing::info!(
                broker = self.broker(),
                instruments = self.instruments.len(),
                requests = jobs.len(),
                "fetching history: previous sessions and today's bars"
            );
            self.queue.push(jobs);
        }
        self.pump(ctx);
    }
}

impl actix::Supervised for HistoryFetcher {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // The old context took the request in flight and the timers with it; whoever
        // waited on it is told rather than left hanging.
        self.queue.forget_in_flight();
        self.wake = None;
        self.client = None;
        for (_, w) in self.waiters.drain() {
            let _ = w.reply.send(Err(HistoryError::Gone));
        }
        tracing::info!(broker = self.broker(), "history fetcher restarted");
    }
}

mandi_supervision::crash_handler!(HistoryFetcher);

impl Handler<TokenAdopted> for HistoryFetcher {
    type Result = ();

    fn handle(&mut self, _: TokenAdopted, ctx: &mut Context<Self>) {
        self.queue.on_new_token();
        self.pump(ctx);
    }
}

impl Handler<ExchangeOpened> for HistoryFetcher {
    type Result = ();

    fn handle(&mut self, msg: ExchangeOpened, ctx: &mut Context<Self>) {
        if !self.settings.enabled {
            return;
        }
        let jobs = open_jobs(
            &self.instruments,
            msg.exchange,
            self.settings.days,
            Utc::now(),
        );
        tracing::info!(exchange = ?msg.exchange, requests = jobs.len(), "exchange open: fetching the previous session");
        self.queue.push(jobs);
        self.pump(ctx);
    }
}

impl Handler<GetDayCandles> for HistoryFetcher {
    type Result = ResponseFuture<Result<Vec<Candle>, HistoryError>>;

    fn handle(&mut self, msg: GetDayCandles, ctx: &mut Context<Self>) -> Self::Result {
        let today = ist_date(Utc::now());
        let to = msg
            .to
            .min(today.checked_sub_days(Days::new(1)).unwrap_or(today));
        let symbol = msg.instrument.symbol.clone();
        if msg.from > to {
            return Box::pin(async { Ok(Vec::new()) });
        }
        let missing: Vec<NaiveDate> = dates(msg.from, to)
            .filter(|d| self.archive.get(&symbol, *d).is_none())
            .collect();
        let (Some(first), Some(last)) = (missing.first().copied(), missing.last().copied()) else {
            let days = self.held_days(&symbol, msg.from, to).unwrap_or_default();
            self.queue
                .days_from_storage(dates(msg.from, to).count() as u64);
            return Box::pin(async { Ok(days) });
        };
        if !self.settings.enabled {
            return Box::pin(async { Err(HistoryError::Disabled) });
        }
        if self.queue.refused() {
            return Box::pin(async { Err(HistoryError::TokenRefused) });
        }
        if !upstream::knows_history(self.upstream.broker, &msg.instrument) {
            return Box::pin(async move { Err(HistoryError::UnknownToBroker(symbol)) });
        }
        let (reply, answer) = oneshot::channel();
        let id = self.next_waiter;
        self.next_waiter += 1;
        let midnight = |d: NaiveDate| ist_instant(d, NaiveTime::MIN);
        let span = HistorySpan::Minutes {
            from: midnight(first),
            to: midnight(last.checked_add_days(Days::new(1)).unwrap_or(last)),
        };
        self.waiters.insert(
            id,
            Waiter {
                symbol,
                from: msg.from,
                to,
                missing,
                reply,
            },
        );
        self.queue.push([Job {
            request: HistoryRequest {
                instrument: msg.instrument,
                span,
            },
            purpose: Purpose::Days(id),
            attempts: 0,
        }]);
        self.pump(ctx);
        Box::pin(async move { answer.await.unwrap_or(Err(HistoryError::Gone)) })
    }
}

impl Handler<GetHistoryStatus> for HistoryFetcher {
    type Result = MessageResult<GetHistoryStatus>;

    fn handle(&mut self, _: GetHistoryStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.queue.status())
    }
}
