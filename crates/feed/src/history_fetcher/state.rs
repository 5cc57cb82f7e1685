//! The fetcher's logic without IO: its settings, what to ask for at start and at an
//! exchange's open, the queue paced under the broker's historical rate, what each answer
//! means, and the counters `/health` shows. Time is an argument.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use mandi_domain::candles::ist_date;
use mandi_domain::{Candle, DayOhlc, Exchange, Instrument, MarketCalendar};
use serde::{Deserialize, Serialize};

use super::messages::{HistoryLoaded, HistoryStatus};
use crate::rest_fallback::bucket::TokenBucket;
use crate::rest_fallback::PollFailure;
use crate::settings::Broker;
use crate::upstream::{self, HistoryRequest, HistorySpan};

/// A request refused for the rate or lost on the way is tried this many times in all.
pub const MAX_ATTEMPTS: u32 = 3;
/// The first wait before a retry; it doubles with each attempt.
const RETRY_BASE: Duration = Duration::from_secs(1);
/// How often the token's first check is looked for, and how long it is waited for before
/// asking the broker anyway (the feed checks it within a second of start).
const AUTH_RECHECK: Duration = Duration::from_millis(200);
const AUTH_WAIT: Duration = Duration::from_secs(5);

/// `[history]` settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistorySettings {
    /// Fetch history from the broker at start, at each exchange's open, and for older
    /// days `/api/candles` is asked for.
    pub enabled: bool,
    /// Calendar days of daily bars asked for to find the previous session; enough to
    /// span a long weekend and holidays.
    pub days: u32,
    /// Historical requests per second, never above the broker's (Dhan 5, Kite 3).
    pub max_requests_per_s: f64,
    /// One request, credentials to the whole answer, must finish within this.
    pub request_timeout_ms: u64,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            enabled: true,
            days: 7,
            max_requests_per_s: 3.0,
            request_timeout_ms: 10_000,
        }
    }
}

impl HistorySettings {
    /// The rate in force: the configured one within `(0, broker's limit]`.
    pub fn effective_requests_per_s(&self, broker: Broker) -> f64 {
        let limit = upstream::history_rate_limit(broker);
        if self.max_requests_per_s.is_finite() && self.max_requests_per_s > 0.0 {
            self.max_requests_per_s.clamp(0.01, limit)
        } else {
            limit
        }
    }
}

/// What an answer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The day levels and today's bars: handed to the price store.
    Book,
    /// Older days for `/api/candles`: stored, then the waiter with this id is answered.
    Days(u64),
}

/// One request waiting for its turn.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub request: HistoryRequest,
    pub purpose: Purpose,
    /// Tries so far.
    pub attempts: u32,
}

impl Job {
    fn book(instrument: &Arc<Instrument>, span: HistorySpan) -> Job {
        Job {
            request: HistoryRequest {
                instrument: instrument.clone(),
                span,
            },
            purpose: Purpose::Book,
            attempts: 0,
        }
    }

    pub fn symbol(&self) -> &str {
        &self.request.instrument.symbol
    }
}

/// At start: every instrument's daily bars first (the levels need only those), then
/// today's one-minute bars of each instrument whose session has begun.
pub fn start_jobs(
    instruments: &[Arc<Instrument>],
    calendar: &MarketCalendar,
    days: u32,
    now: DateTime<Utc>,
) -> Vec<Job> {
    let daily = daily_span(days, now);
    let mut jobs: Vec<Job> = instruments.iter().map(|i| Job::book(i, daily)).collect();
    let today = ist_date(now);
    for i in instruments {
        if let Some((open, _)) = calendar.session_bounds(i.exchange, today) {
            if open < now {
                let span = HistorySpan::Minutes {
                    from: open,
                    to: now,
                };
                jobs.push(Job::book(i, span));
            }
        }
    }
    jobs
}

/// At `exchange`'s open: its instruments' daily bars, so the session that closed last is
/// the previous day whether or not this process saw it.
pub fn open_jobs(
    instruments: &[Arc<Instrument>],
    exchange: Exchange,
    days: u32,
    now: DateTime<Utc>,
) -> Vec<Job> {
    let daily = daily_span(days, now);
    instruments
        .iter()
        .filter(|i| i.exchange == exchange)
        .map(|i| Job::book(i, daily))
        .collect()
}

/// The `days` calendar days before today.
fn daily_span(days: u32, now: DateTime<Utc>) -> HistorySpan {
    let today = ist_date(now);
    let back = |n: u32| {
        today
            .checked_sub_days(Days::new(u64::from(n)))
            .unwrap_or(today)
    };
    HistorySpan::Daily {
        from: back(days.max(1)),
        to: back(1),
    }
}

/// What a Book answer gives the price store: from daily bars the newest session before
/// `now`'s IST day; from minutes those of that day.
pub fn loaded(request: &HistoryRequest, candles: &[Candle], now: DateTime<Utc>) -> HistoryLoaded {
    let today = ist_date(now);
    let symbol = request.instrument.symbol.clone();
    match request.span {
        HistorySpan::Daily { .. } => HistoryLoaded {
            symbol,
            previous_day: candles
                .iter()
                .filter(|c| ist_date(c.start) < today)
                .max_by_key(|c| c.start)
                .map(|c| DayOhlc {
                    date: ist_date(c.start),
                    open: c.open,
                    high: c.high,
                    low: c.low,
                    close: c.close,
                }),
            minutes: Vec::new(),
        },
        HistorySpan::Minutes { .. } => {
            let mut minutes: Vec<Candle> = candles
                .iter()
                .filter(|c| ist_date(c.start) == today)
                .cloned()
                .collect();
            minutes.sort_by_key(|c| c.start);
            minutes.dedup_by_key(|c| c.start);
            HistoryLoaded {
                symbol,
                previous_day: None,
                minutes,
            }
        }
    }
}

/// The IST dates of `[from, to]`.
pub fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Whether to send now.
#[derive(Debug, PartialEq)]
pub enum Decision {
    Send(Job),
    /// Ask the auth manager what it knows of the token first.
    CheckAuth,
    WaitUntil(Instant),
    Idle,
}

/// What the auth manager knows of the token, for the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenVerdict {
    /// Valid, or checked without a verdict (a network blip proves nothing).
    Usable,
    /// The broker refused it: asking for history would only collect refusals.
    Refused,
    /// Not checked yet.
    Unchecked,
}

/// Requests go out only while the token is not known to be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    /// Ask the auth manager before the next request; `since` is the first asking.
    Closed {
        since: Option<Instant>,
    },
    Open,
    /// Until a new token is adopted.
    Refused,
}

/// What an answer means.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// Candles for the job's purpose.
    Done { job: Job, candles: Vec<Candle> },
    /// Failed; asked again after `retry_in`.
    Retrying {
        job_symbol: Arc<str>,
        failure: PollFailure,
        retry_in: Duration,
    },
    /// Failed for good.
    Failed { job: Job, failure: PollFailure },
    /// The broker refused the credentials: the job waits, with the rest of the queue, for
    /// a new token; older-days requests cannot wait that long and fail (`failed`).
    Paused {
        job_symbol: Arc<str>,
        failure: PollFailure,
        failed: Vec<Job>,
    },
}

/// The queue, its pacing, and the counters.
#[derive(Debug)]
pub struct FetchQueue {
    queue: VecDeque<Job>,
    in_flight: bool,
    /// An auth status query is out.
    checking: bool,
    gate: Gate,
    bucket: TokenBucket,
    /// Nothing is sent before this: the broker asked us to slow down, or a request was
    /// lost and is retried after a pause.
    hold_until: Option<Instant>,
    status: HistoryStatus,
}

impl FetchQueue {
    pub fn new(settings: &HistorySettings, broker: Broker) -> FetchQueue {
        let rate = settings.effective_requests_per_s(broker);
        FetchQueue {
            queue: VecDeque::new(),
            in_flight: false,
            checking: false,
            gate: Gate::Closed { since: None },
            bucket: TokenBucket::new(Duration::from_secs_f64(1.0 / rate)),
            hold_until: None,
            status: HistoryStatus {
                enabled: settings.enabled,
                ..HistoryStatus::default()
            },
        }
    }

    pub fn push(&mut self, jobs: impl IntoIterator<Item = Job>) {
        self.queue.extend(jobs);
    }

    /// The next request if one is due (one at a time, paced), else when to look again.
    pub fn next(&mut self, now: Instant) -> Decision {
        if self.in_flight || self.checking || self.queue.is_empty() {
            return Decision::Idle;
        }
        if let Some(at) = self.hold_until.filter(|at| now < *at) {
            return Decision::WaitUntil(at);
        }
        match self.gate {
            Gate::Refused => return Decision::Idle,
            Gate::Closed { .. } => {
                self.checking = true;
                return Decision::CheckAuth;
            }
            Gate::Open => {}
        }
        match self.bucket.try_take(now) {
            Err(at) => Decision::WaitUntil(at),
            Ok(()) => match self.queue.pop_front() {
                Some(mut job) => {
                    job.attempts += 1;
                    self.in_flight = true;
                    self.status.requests_total += 1;
                    Decision::Send(job)
                }
                None => Decision::Idle,
            },
        }
    }

    /// The request in flight was lost with the actor's context (a supervised restart).
    pub fn forget_in_flight(&mut self) {
        self.in_flight = false;
        self.checking = false;
    }

    /// What the auth manager said of the token. Returns whether the gate just closed
    /// for a refused token (the moment to say so, once).
    pub fn on_token(&mut self, verdict: TokenVerdict, now: Instant) -> bool {
        self.checking = false;
        let since = match self.gate {
            Gate::Closed { since } => since.unwrap_or(now),
            Gate::Open | Gate::Refused => now,
        };
        let was_refused = self.gate == Gate::Refused;
        self.gate = match verdict {
            TokenVerdict::Usable => Gate::Open,
            TokenVerdict::Refused => Gate::Refused,
            TokenVerdict::Unchecked if now >= since + AUTH_WAIT => Gate::Open,
            TokenVerdict::Unchecked => {
                self.hold_until = Some(now + AUTH_RECHECK);
                Gate::Closed { since: Some(since) }
            }
        };
        self.gate == Gate::Refused && !was_refused
    }

    /// A new token was adopted: ask again before the next request.
    pub fn on_new_token(&mut self) {
        self.gate = Gate::Closed { since: None };
    }

    /// Whether requests wait for a new token.
    pub fn refused(&self) -> bool {
        self.gate == Gate::Refused
    }

    pub fn on_answer(
        &mut self,
        job: Job,
        result: Result<Vec<Candle>, PollFailure>,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Answer {
        self.in_flight = false;
        // The next request waits a full interval from this answer, however long it took.
        self.bucket.taken_at(now);
        let failure = match result {
            Ok(candles) => {
                self.status.last_success_at = Some(wall);
                return Answer::Done { job, candles };
            }
            Err(failure) => failure,
        };
        self.status.requests_failed += 1;
        self.status.last_error = Some(format!("{}: {failure}", job.symbol()));
        let (refused, retryable) = match &failure {
            PollFailure::Broker(e) if e.is_auth() => (true, false),
            PollFailure::Broker(e) if e.is_throttled() => {
                self.status.rate_limited += 1;
                (false, true)
            }
            PollFailure::Timeout { .. } => {
                self.status.timeouts += 1;
                (false, true)
            }
            PollFailure::Transport(_) => (false, true),
            PollFailure::Broker(_) | PollFailure::Setup(_) => (false, false),
        };
        if refused {
            self.status.refused += 1;
            self.gate = Gate::Refused;
            let (mut failed, waiting): (Vec<Job>, Vec<Job>) = self
                .queue
                .drain(..)
                .partition(|j| matches!(j.purpose, Purpose::Days(_)));
            self.queue = waiting.into();
            let job_symbol = job.request.instrument.symbol.clone();
            match job.purpose {
                Purpose::Book => self.queue.push_front(job),
                Purpose::Days(_) => failed.insert(0, job),
            }
            return Answer::Paused {
                job_symbol,
                failure,
                failed,
            };
        }
        if retryable && job.attempts < MAX_ATTEMPTS {
            let retry_in = RETRY_BASE * 2_u32.pow(job.attempts.saturating_sub(1));
            self.hold_until = Some(now + retry_in);
            let job_symbol = job.request.instrument.symbol.clone();
            self.queue.push_front(job);
            return Answer::Retrying {
                job_symbol,
                failure,
                retry_in,
            };
        }
        Answer::Failed { job, failure }
    }

    /// A previous day reached the price store.
    pub fn previous_day_loaded(&mut self) {
        self.status.previous_days_loaded += 1;
    }

    /// Older days served without asking the broker.
    pub fn days_from_storage(&mut self, days: u64) {
        self.status.days_from_storage += days;
    }

    pub fn status(&self) -> HistoryStatus {
        HistoryStatus {
            queued: self.queue.len(),
            ..self.status.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::time::IST;
    use mandi_domain::{CalendarSettings, Segment};
    use mandi_protocol::dhan::rest::RestError;

    use super::*;

    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn inst(symbol: &str, exchange: Exchange) -> Arc<Instrument> {
        Arc::new(Instrument {
            symbol: symbol.into(),
            exchange,
            segment: Segment::NseEq,
            security_id: 1,
            kite_token: 1,
            kite_key: "NSE:X".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        })
    }

    fn describe(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|j| match j.request.span {
                HistorySpan::Daily { from, to } => format!("{} daily {from}..{to}", j.symbol()),
                HistorySpan::Minutes { from, to } => format!(
                    "{} minutes {}..{}",
                    j.symbol(),
                    from.with_timezone(&IST).format("%d %H:%M"),
                    to.with_timezone(&IST).format("%d %H:%M")
                ),
            })
            .collect()
    }

    #[test]
    fn what_is_asked_for_at_start() {
        struct TestCase {
            name: &'static str,
            now: DateTime<Utc>,
            want: &'static [&'static str],
        }
        let cases = [
            TestCase {
                name: "tuesday before the open: previous sessions only",
                now: ist(24, 8, 0),
                want: &[
                    "NIFTY daily 2026-11-17..2026-11-23",
                    "CRUDEOIL daily 2026-11-17..2026-11-23",
                ],
            },
            TestCase {
                name: "tuesday 09:10: MCX is open, NSE not yet",
                now: ist(24, 9, 10),
                want: &[
                    "NIFTY daily 2026-11-17..2026-11-23",
                    "CRUDEOIL daily 2026-11-17..2026-11-23",
                    "CRUDEOIL minutes 24 09:00..24 09:10",
                ],
            },
            TestCase {
                name: "tuesday mid-day: today's bars of both, after the daily ones",
                now: ist(24, 12, 30),
                want: &[
                    "NIFTY daily 2026-11-17..2026-11-23",
                    "CRUDEOIL daily 2026-11-17..2026-11-23",
                    "NIFTY minutes 24 09:15..24 12:30",
                    "CRUDEOIL minutes 24 09:00..24 12:30",
                ],
            },
            TestCase {
                name: "saturday: no session today",
                now: ist(28, 12, 0),
                want: &[
                    "NIFTY daily 2026-11-21..2026-11-27",
                    "CRUDEOIL daily 2026-11-21..2026-11-27",
                ],
            },
        ];
        let instruments = [
            inst("NIFTY", Exchange::Nse),
            inst("CRUDEOIL", Exchange::Mcx),
        ];
        let calendar = MarketCalendar::new(CalendarSettings::default());
        for c in cases {
            let jobs = start_jobs(&instruments, &calendar, 7, c.now);
            assert_eq!(describe(&jobs), c.want, "{}", c.name);
        }
        let at_open = open_jobs(&instruments, Exchange::Mcx, 7, ist(24, 9, 0));
        assert_eq!(
            describe(&at_open),
            ["CRUDEOIL daily 2026-11-17..2026-11-23"]
        );
    }

    fn bar(start: DateTime<Utc>, close: f64) -> Candle {
        Candle {
            start,
            open: close - 1.0,
            high: close + 2.0,
            low: close - 2.0,
            close,
            volume: 0,
        }
    }

    #[test]
    fn the_newest_earlier_session_is_the_previous_day() {
        let instrument = inst("NIFTY", Exchange::Nse);
        let daily = HistoryRequest {
            instrument: instrument.clone(),
            span: daily_span(7, ist(24, 10, 0)),
        };
        let bars = [bar(ist(20, 0, 0), 10.0), bar(ist(23, 0, 0), 20.0)];
        let got = loaded(&daily, &bars, ist(24, 10, 0));
        let day = got.previous_day.expect("a previous day");
        assert_eq!(
            (day.date.to_string(), day.close),
            ("2026-11-23".into(), 20.0)
        );
        let same_day = loaded(&daily, &bars, ist(23, 10, 0));
        assert_eq!(
            same_day.previous_day.map(|d| d.date.to_string()),
            Some("2026-11-20".into()),
            "a bar of today is never the previous day"
        );
        let minutes = HistoryRequest {
            instrument,
            span: HistorySpan::Minutes {
                from: ist(24, 9, 15),
                to: ist(24, 9, 18),
            },
        };
        let bars = [
            bar(ist(24, 9, 16), 2.0),
            bar(ist(24, 9, 15), 1.0),
            bar(ist(23, 15, 29), 9.0),
        ];
        let got = loaded(&minutes, &bars, ist(24, 9, 18));
        let closes: Vec<f64> = got.minutes.iter().map(|c| c.close).collect();
        assert_eq!(closes, [1.0, 2.0], "today's, oldest first");
        assert_eq!(got.previous_day, None);
    }

    fn job(symbol: &str) -> Job {
        Job::book(&inst(symbol, Exchange::Nse), daily_span(7, ist(24, 10, 0)))
    }

    #[test]
    fn pacing_retries_and_refusals() {
        let settings = HistorySettings::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let wall = ist(24, 10, 0);
        let mut q = FetchQueue::new(&settings, Broker::Kite);
        assert_eq!(q.next(t0), Decision::Idle, "nothing queued");
        q.push([job("A"), job("B"), job("C")]);
        assert_eq!(q.next(ms(0)), Decision::CheckAuth, "the token first");
        assert_eq!(q.next(ms(0)), Decision::Idle, "one check at a time");
        assert!(!q.on_token(TokenVerdict::Usable, ms(0)));
        let Decision::Send(a) = q.next(ms(0)) else {
            panic!("the first goes at once")
        };
        assert_eq!(q.next(ms(1)), Decision::Idle, "one at a time");
        let answer = q.on_answer(a, Ok(Vec::new()), ms(100), wall);
        assert!(matches!(answer, Answer::Done { .. }));
        let third = Duration::from_secs_f64(1.0 / 3.0);
        assert_eq!(
            q.next(ms(200)),
            Decision::WaitUntil(ms(100) + third),
            "3 a second, counted from the answer"
        );
        let Decision::Send(b) = q.next(ms(100) + third) else {
            panic!("paced")
        };
        let throttled = PollFailure::Broker(RestError::RateLimited {
            status: 429,
            code: None,
            message: "slow down".into(),
        });
        let answer = q.on_answer(b, Err(throttled.clone()), ms(500), wall);
        assert_eq!(
            answer,
            Answer::Retrying {
                job_symbol: "B".into(),
                failure: throttled.clone(),
                retry_in: Duration::from_secs(1)
            }
        );
        assert_eq!(q.next(ms(900)), Decision::WaitUntil(ms(1500)), "held");
        let Decision::Send(b) = q.next(ms(1500)) else {
            panic!("B again")
        };
        assert_eq!((b.symbol(), b.attempts), ("B", 2));
        let refused = PollFailure::Broker(RestError::TokenRejected {
            status: 403,
            code: None,
            message: "expired".into(),
        });
        let Answer::Paused {
            job_symbol, failed, ..
        } = q.on_answer(b, Err(refused), ms(1600), wall)
        else {
            panic!("a refusal pauses the queue")
        };
        assert_eq!((&*job_symbol, failed.len()), ("B", 0));
        assert_eq!(q.next(ms(9000)), Decision::Idle, "held for a new token");
        let status = q.status();
        assert_eq!(
            (
                status.requests_total,
                status.requests_failed,
                status.rate_limited,
                status.refused,
                status.queued
            ),
            (3, 2, 1, 1, 2),
            "B and C wait"
        );
        assert!(status.last_error.is_some_and(|e| e.contains("expired")));
        q.on_new_token();
        assert_eq!(
            q.next(ms(9000)),
            Decision::CheckAuth,
            "a new token is checked"
        );
        q.on_token(TokenVerdict::Usable, ms(9000));
        let Decision::Send(b) = q.next(ms(9000)) else {
            panic!("B goes again with the new token")
        };
        assert_eq!(b.symbol(), "B");
    }

    #[test]
    fn the_token_is_waited_for_and_a_refused_one_holds_everything() {
        struct TestCase {
            name: &'static str,
            /// (ms since start, verdict) answers to each check.
            checks: &'static [(u64, TokenVerdict)],
            want: &'static str,
        }
        let cases = [
            TestCase {
                name: "valid at once",
                checks: &[(0, TokenVerdict::Usable)],
                want: "send",
            },
            TestCase {
                name: "refused by the feed's check",
                checks: &[(0, TokenVerdict::Unchecked), (200, TokenVerdict::Refused)],
                want: "idle",
            },
            TestCase {
                name: "never checked: asked anyway after 5 s",
                checks: &[
                    (0, TokenVerdict::Unchecked),
                    (5000, TokenVerdict::Unchecked),
                ],
                want: "send",
            },
            TestCase {
                name: "unchecked for a while",
                checks: &[(0, TokenVerdict::Unchecked)],
                want: "wait",
            },
        ];
        let t0 = Instant::now();
        for c in cases {
            let mut q = FetchQueue::new(&HistorySettings::default(), Broker::Dhan);
            q.push([job("A")]);
            let mut last = t0;
            for &(at, verdict) in c.checks {
                last = t0 + Duration::from_millis(at);
                assert_eq!(q.next(last), Decision::CheckAuth, "{}", c.name);
                q.on_token(verdict, last);
            }
            let got = match q.next(last) {
                Decision::Send(_) => "send",
                Decision::WaitUntil(_) => "wait",
                Decision::Idle => "idle",
                Decision::CheckAuth => "check",
            };
            assert_eq!(got, c.want, "{}", c.name);
            assert_eq!(q.refused(), c.want == "idle", "{}", c.name);
        }
    }

    #[test]
    fn lost_requests_are_tried_three_times_in_all() {
        let settings = HistorySettings::default();
        let t0 = Instant::now();
        let mut q = FetchQueue::new(&settings, Broker::Dhan);
        q.push([job("A")]);
        q.on_token(TokenVerdict::Usable, t0);
        let timeout = PollFailure::Timeout { after_ms: 10_000 };
        let mut now = t0;
        let mut answers = Vec::new();
        loop {
            match q.next(now) {
                Decision::Send(j) => {
                    let a = q.on_answer(j, Err(timeout.clone()), now, ist(24, 10, 0));
                    answers.push(match a {
                        Answer::Retrying { retry_in, .. } => format!("retry in {retry_in:?}"),
                        Answer::Failed { .. } => "failed".to_string(),
                        Answer::Done { .. } | Answer::Paused { .. } => "other".to_string(),
                    });
                }
                Decision::WaitUntil(at) => now = at,
                Decision::Idle | Decision::CheckAuth => break,
            }
        }
        assert_eq!(answers, ["retry in 1s", "retry in 2s", "failed"]);
        assert_eq!(q.status().timeouts, 3);
    }

    #[test]
    fn the_rate_never_passes_the_brokers() {
        let cases = [
            ("dhan at 3", Broker::Dhan, 3.0, 3.0),
            ("kite asked 5", Broker::Kite, 5.0, 3.0),
            ("dhan asked 9", Broker::Dhan, 9.0, 5.0),
            ("nonsense", Broker::Kite, f64::NAN, 3.0),
        ];
        for (name, broker, asked, want) in cases {
            let s = HistorySettings {
                max_requests_per_s: asked,
                ..HistorySettings::default()
            };
            assert_eq!(s.effective_requests_per_s(broker), want, "{name}");
        }
    }
}
