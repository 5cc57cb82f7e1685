//! `MarketClock`: runs the daily IST timetable (`DailySchedule`) — the 08:35 instrument
//! master refresh, the 08:50 token check,
//! the 08:55 connect, and end of day at each exchange's close — on timers computed in
//! Asia/Kolkata whatever the server's time zone. It also tells the history fetcher when
//! each exchange's session opens.

pub mod messages;

use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult, WrapFuture,
};
use chrono::{DateTime, Utc};
use mandi_domain::time::ist_minute;
use mandi_domain::{DailySchedule, Exchange, MarketPhase, ScheduledJob};

pub use messages::{GetNextJob, NextJob};

use mandi_fanout::price_store::{PersistNow, PriceStore};
use mandi_feed::auth_manager::{AuthManager, CheckTokenNow};
use mandi_feed::feed_connection::messages::{FeedState, GetFeedHealth, ReconnectNow};
use mandi_feed::feed_connection::FeedConnection;
use mandi_feed::history_fetcher::{ExchangeOpened, HistoryFetcher};
use mandi_feed::instrument_directory::{InstrumentDirectory, RefreshMaster};
use mandi_feed::rest_fallback::{RestFallback, SetMarketOpen};

/// How often the open/closed state of the market is re-evaluated.
const MARKET_OPEN_CHECK: Duration = Duration::from_secs(15);

/// Timers longer than this are re-armed in steps, so a suspended VM or a clock jump
/// is noticed within the step rather than hours late.
const MAX_TIMER_STEP: Duration = Duration::from_secs(60);

pub struct MarketClock {
    schedule: DailySchedule,
    auth: Addr<AuthManager>,
    /// Every upstream connection (the idle ones ignore a reconnect).
    feeds: Vec<Addr<FeedConnection>>,
    price_store: Addr<PriceStore>,
    /// Told whether any market is open, so it polls REST only in market hours.
    fallback: Addr<RestFallback>,
    next: Option<(ScheduledJob, DateTime<Utc>)>,
    market_open: Option<bool>,
    /// Told at each exchange's close to write the day's paper summary.
    paper: Option<Addr<mandi_trading::paper_executor::PaperExecutor>>,
    /// Told at 08:35 IST to download the instrument master again.
    directory: Option<Addr<InstrumentDirectory>>,
    /// Told at each exchange's open to fetch the session that closed last.
    history: Option<Addr<HistoryFetcher>>,
    /// Whether each exchange's session was open at the last check; empty until the first,
    /// which sets it without telling anyone (the fetcher fetches at its own start).
    sessions_open: Vec<(Exchange, bool)>,
    /// False on a cluster edge: it holds no broker session, so no 08:50 token check
    /// (which would call the broker's REST API).
    broker_jobs: bool,
}

impl MarketClock {
    pub fn new(
        schedule: DailySchedule,
        auth: Addr<AuthManager>,
        feeds: Vec<Addr<FeedConnection>>,
        price_store: Addr<PriceStore>,
        fallback: Addr<RestFallback>,
    ) -> MarketClock {
        MarketClock {
            schedule,
            auth,
            feeds,
            price_store,
            fallback,
            next: None,
            market_open: None,
            paper: None,
            directory: None,
            history: None,
            sessions_open: Vec::new(),
            broker_jobs: true,
        }
    }

    pub fn with_history(mut self, history: Addr<HistoryFetcher>) -> Self {
        self.history = Some(history);
        self
    }

    /// Tell the history fetcher about every exchange whose real session (not
    /// `always_open`) has opened since the last check.
    fn track_sessions(&mut self) {
        let now = Utc::now();
        let calendar = self.schedule.calendar();
        let open: Vec<(Exchange, bool)> = [Exchange::Nse, Exchange::Bse, Exchange::Mcx]
            .into_iter()
            .map(|e| (e, calendar.phase(e, now) == MarketPhase::Open))
            .collect();
        let opened = opened_since(&self.sessions_open, &open);
        self.sessions_open = open;
        if let Some(history) = &self.history {
            for exchange in opened {
                history.do_send(ExchangeOpened { exchange });
            }
        }
    }

    /// A node without a broker session (a cluster edge): skip the token check.
    pub fn without_broker_jobs(mut self) -> Self {
        self.broker_jobs = false;
        self
    }

    pub fn with_directory(mut self, directory: Addr<InstrumentDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    pub fn with_paper(mut self, paper: Addr<mandi_trading::paper_executor::PaperExecutor>) -> Self {
        self.paper = Some(paper);
        self
    }

    /// Tell the REST fallback when the market opens or closes (any exchange).
    fn track_market_open(&mut self) {
        let open = self.schedule.calendar().any_open(Utc::now());
        if self.market_open != Some(open) {
            self.market_open = Some(open);
            self.fallback.do_send(SetMarketOpen { open });
        }
    }

    fn arm(&mut self, ctx: &mut Context<Self>) {
        let now = Utc::now();
        let (job, at) = match self.next {
            Some(next) => next,
            None => {
                let next = self.schedule.next_job(now);
                self.next = Some(next);
                tracing::info!(job = job_name(next.0), at = %ist_minute(next.1), "next scheduled job");
                next
            }
        };
        let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
        if wait.is_zero() {
            self.next = None;
            self.run(job, ctx);
            self.arm(ctx);
            return;
        }
        ctx.run_later(wait.min(MAX_TIMER_STEP), |this, ctx| this.arm(ctx));
    }

    fn run(&mut self, job: ScheduledJob, ctx: &mut Context<Self>) {
        tracing::info!(job = job_name(job), "running scheduled job");
        match job {
            ScheduledJob::MasterRefresh => {
                if let Some(directory) = &self.directory {
                    directory.do_send(RefreshMaster);
                }
            }
            ScheduledJob::TokenCheck if self.broker_jobs => self.auth.do_send(CheckTokenNow),
            ScheduledJob::TokenCheck => {}
            ScheduledJob::Connect => {
                // The feed is normally already up (it never stops trying); this makes
                // sure a connection waiting out a long backoff tries now, before the open.
                for feed in &self.feeds {
                    let feed = feed.clone();
                    ctx.spawn(feed.send(GetFeedHealth).into_actor(self).map(
                        move |health, _, _| {
                            if health.is_ok_and(|h| h.state != FeedState::Live && !h.idle) {
                                feed.do_send(ReconnectNow {
                                    reason: "08:55 IST scheduled connect before the open".into(),
                                });
                            }
                        },
                    ));
                }
            }
            ScheduledJob::EndOfDay(exchange) => {
                self.price_store.do_send(PersistNow {
                    reason: format!("end of day on {exchange:?}"),
                });
                // Rewritten at each exchange's close, so MCX's evening trades are in it.
                if let Some(paper) = &self.paper {
                    paper.do_send(mandi_trading::paper_executor::WriteDaySummary {
                        date: mandi_strategy::clock::ist_date(Utc::now()),
                    });
                }
            }
        }
    }
}

/// The exchanges open in `now` that were closed in `before` (none on the first check).
fn opened_since(before: &[(Exchange, bool)], now: &[(Exchange, bool)]) -> Vec<Exchange> {
    now.iter()
        .filter(|(e, open)| *open && before.iter().any(|(b, was)| b == e && !was))
        .map(|(e, _)| *e)
        .collect()
}

fn job_name(job: ScheduledJob) -> String {
    match job {
        ScheduledJob::MasterRefresh => "master_refresh".into(),
        ScheduledJob::TokenCheck => "token_check".into(),
        ScheduledJob::Connect => "connect".into(),
        ScheduledJob::EndOfDay(x) => format!("end_of_day:{}", format!("{x:?}").to_uppercase()),
    }
}

impl Actor for MarketClock {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The server's zone is logged once by the binary at start; nothing here uses it.
        self.arm(ctx);
        self.track_market_open();
        self.track_sessions();
        ctx.run_interval(MARKET_OPEN_CHECK, |this, _| {
            this.track_market_open();
            this.track_sessions();
        });
    }
}

impl actix::Supervised for MarketClock {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.market_open = None;
        // Recompute from the clock: a job whose time passed during the restart is not
        // run twice, and none is skipped.
        self.next = None;
    }
}

mandi_supervision::crash_handler!(MarketClock);

impl Handler<GetNextJob> for MarketClock {
    type Result = MessageResult<GetNextJob>;

    fn handle(&mut self, _: GetNextJob, _: &mut Context<Self>) -> Self::Result {
        let (job, at) = self
            .next
            .unwrap_or_else(|| self.schedule.next_job(Utc::now()));
        MessageResult(NextJob {
            job: job_name(job),
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_to_open_change_is_an_opening() {
        use Exchange::{Mcx, Nse};
        struct TestCase {
            name: &'static str,
            before: Vec<(Exchange, bool)>,
            now: Vec<(Exchange, bool)>,
            want: Vec<Exchange>,
        }
        let case = |name, before, now, want| TestCase {
            name,
            before,
            now,
            want,
        };
        let cases = [
            case(
                "first check",
                vec![],
                vec![(Nse, true), (Mcx, false)],
                vec![],
            ),
            case(
                "nse opens",
                vec![(Nse, false), (Mcx, true)],
                vec![(Nse, true), (Mcx, true)],
                vec![Nse],
            ),
            case("still open", vec![(Nse, true)], vec![(Nse, true)], vec![]),
            case("closes", vec![(Nse, true)], vec![(Nse, false)], vec![]),
        ];
        for TestCase {
            name,
            before,
            now,
            want,
        } in cases
        {
            assert_eq!(opened_since(&before, &now), want, "{name}");
        }
    }
}
