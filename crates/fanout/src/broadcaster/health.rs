//! Health as the broadcaster tracks it: the state each watched symbol was last announced
//! in, so clients hear `instrument_status` only on a change, and the feed's own quality
//! and per-exchange sessions (`FeedWatch`), so `connection_status` follows the data.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::health::classify;
use mandi_domain::{
    feed_quality, Exchange, FeedFacts, FeedState, HealthThresholds, InstrumentHealth,
    InstrumentStatus, MarketCalendar,
};
use mandi_protocol::client::HealthView;

use mandi_instruments::InstrumentIndex;

use super::state::FanoutState;

/// The last announced state per watched symbol.
#[derive(Debug, Default)]
pub struct HealthBook {
    announced: HashMap<Arc<str>, InstrumentHealth>,
}

/// The inputs shared by every symbol's classification at one instant.
pub struct HealthInputs<'a> {
    pub feed: FeedState,
    pub fallback_active: bool,
    pub calendar: &'a MarketCalendar,
    /// The index at this instant (held for the whole pass over the symbols).
    pub index: Arc<InstrumentIndex>,
    pub thresholds: HealthThresholds,
    pub now: DateTime<Utc>,
}

impl HealthInputs<'_> {
    pub fn status(&self, symbol: &Arc<str>, fanout: &FanoutState) -> InstrumentStatus {
        let tick = fanout.latest(symbol).map(|l| &l.tick);
        // An instrument the index does not know is judged by its ticks alone.
        let in_session = match self.index.by_symbol(symbol) {
            Some(inst) => self.calendar.is_open(inst.exchange, self.now),
            None => true,
        };
        let last_tick_at = tick.map(|t| t.received_time);
        InstrumentStatus {
            symbol: symbol.clone(),
            state: classify(
                self.feed.condition(),
                self.fallback_active,
                in_session,
                last_tick_at,
                self.now,
                self.thresholds,
            ),
            last_tick_seconds_ago: last_tick_at
                .map(|at| mandi_domain::time::seconds_since(at, self.now)),
            source: tick.map(|t| t.source),
        }
    }
}

impl HealthBook {
    /// Whether `symbol`'s state has been announced: a client subscribing to it later is
    /// owed the current state itself, since the others heard it only on the change.
    pub fn is_announced(&self, symbol: &str) -> bool {
        self.announced.contains_key(symbol)
    }

    /// Classify every watched symbol; returns the ones whose state changed since the
    /// last call (a newly watched symbol counts as changed).
    pub fn refresh(
        &mut self,
        inputs: &HealthInputs<'_>,
        fanout: &FanoutState,
    ) -> Vec<InstrumentStatus> {
        let mut changed = Vec::new();
        let watched: Vec<Arc<str>> = fanout.watched().cloned().collect();
        self.announced.retain(|s, _| watched.contains(s));
        for symbol in watched {
            let status = inputs.status(&symbol, fanout);
            if self.announced.insert(symbol, status.state) != Some(status.state) {
                changed.push(status);
            }
        }
        changed
    }
}

/// Exchanges shown to clients, in display order.
const EXCHANGES: [(Exchange, &str); 3] = [
    (Exchange::Nse, "NSE"),
    (Exchange::Bse, "BSE"),
    (Exchange::Mcx, "MCX"),
];

/// When market data became expected, and what clients were last told, so the feed's
/// quality moves with time (a mute socket ageing into `stale`) and a change is announced.
#[derive(Debug, Default)]
pub struct FeedWatch {
    /// Start, or the last time a streamed exchange's session opened: a feed is not
    /// stale for the night it slept through, only for silence since then.
    expected_since: Option<DateTime<Utc>>,
    was_in_session: bool,
    /// `(quality, markets)` as last told to every client.
    told: Option<(mandi_domain::FeedQuality, Vec<(&'static str, bool)>)>,
}

impl FeedWatch {
    /// Re-judge `view` at `now` from the exchanges of the `streamed` instruments.
    pub fn refresh(
        &mut self,
        view: &mut HealthView,
        streamed: &HashSet<Exchange>,
        calendar: &MarketCalendar,
        thresholds: HealthThresholds,
        now: DateTime<Utc>,
    ) {
        let markets: Vec<(&'static str, bool)> = EXCHANGES
            .iter()
            .map(|(e, name)| (*name, calendar.is_open(*e, now)))
            .collect();
        let in_session = EXCHANGES
            .iter()
            .zip(&markets)
            .any(|((e, _), (_, open))| *open && streamed.contains(e));
        if in_session && !self.was_in_session || self.expected_since.is_none() {
            self.expected_since = Some(now);
        }
        self.was_in_session = in_session;
        let since = match (view.last_tick_at, self.expected_since) {
            (Some(tick), Some(expected)) => tick.max(expected),
            (tick, expected) => tick.or(expected).unwrap_or(now),
        };
        let data_age_s = mandi_domain::time::seconds_since(since, now);
        let facts = FeedFacts {
            state: view.state,
            fallback_active: view.fallback_active,
            fallback_refused: view.fallback_refused.is_some(),
            in_session,
            data_age_s,
        };
        view.quality = feed_quality(&facts, thresholds);
        view.market_open = markets.iter().any(|(_, open)| *open);
        view.data_age_s = in_session.then_some(data_age_s);
        view.markets = markets;
    }

    /// Every client is being told `view` (or should be, when this returns true: its
    /// quality or an exchange's session changed since they were last told).
    pub fn tell(&mut self, view: &HealthView) -> bool {
        let now = Some((view.quality, view.markets.clone()));
        now != std::mem::replace(&mut self.told, now.clone())
    }
}

/// The exchanges of the instruments the fan-out streams: every cached or watched symbol
/// and the terminal's price map. An unknown symbol counts for none.
pub fn streamed_exchanges<'a>(
    symbols: impl Iterator<Item = &'a Arc<str>>,
    index: &InstrumentIndex,
) -> HashSet<Exchange> {
    let mut exchanges = HashSet::new();
    for symbol in symbols {
        if let Some(inst) = index.by_symbol(symbol) {
            exchanges.insert(inst.exchange);
            if exchanges.len() == EXCHANGES.len() {
                break;
            }
        }
    }
    exchanges
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use mandi_domain::{CalendarSettings, FeedQuality};

    fn view() -> HealthView {
        HealthView {
            state: FeedState::Live,
            reason: None,
            broker: "kite",
            market_open: false,
            markets: Vec::new(),
            last_tick_at: None,
            fallback_active: false,
            fallback_refused: None,
            quality: FeedQuality::Good,
            data_age_s: None,
        }
    }

    /// Tuesday 2026-11-24, 10:00 IST: NSE, BSE and MCX all open.
    fn morning() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T04:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    const T: HealthThresholds = HealthThresholds {
        quiet_after_s: 10.0,
        stale_after_s: 30.0,
    };

    struct TestCase {
        name: &'static str,
        /// Seconds after the first refresh (at `morning`, the last tick then).
        at_s: i64,
        want: FeedQuality,
        changed: bool,
    }

    #[test]
    fn a_mute_socket_ages_into_quiet_then_stale_and_back() {
        let calendar = MarketCalendar::new(CalendarSettings::default());
        let nse: HashSet<Exchange> = [Exchange::Nse].into();
        let mut watch = FeedWatch::default();
        let mut v = view();
        v.last_tick_at = Some(morning());
        watch.refresh(&mut v, &nse, &calendar, T, morning());
        assert!(watch.tell(&v), "first is news");
        assert_eq!(v.markets, vec![("NSE", true), ("BSE", true), ("MCX", true)]);
        let cases = [
            TestCase {
                name: "5 s",
                at_s: 5,
                want: FeedQuality::Good,
                changed: false,
            },
            TestCase {
                name: "11 s",
                at_s: 11,
                want: FeedQuality::Quiet,
                changed: true,
            },
            TestCase {
                name: "20 s",
                at_s: 20,
                want: FeedQuality::Quiet,
                changed: false,
            },
            TestCase {
                name: "31 s",
                at_s: 31,
                want: FeedQuality::Stale,
                changed: true,
            },
            TestCase {
                name: "600 s",
                at_s: 600,
                want: FeedQuality::Stale,
                changed: false,
            },
        ];
        for c in cases {
            let now = morning() + TimeDelta::seconds(c.at_s);
            watch.refresh(&mut v, &nse, &calendar, T, now);
            let changed = watch.tell(&v);
            assert_eq!((v.quality, changed), (c.want, c.changed), "{}", c.name);
        }
        v.last_tick_at = Some(morning() + TimeDelta::seconds(601));
        watch.refresh(
            &mut v,
            &nse,
            &calendar,
            T,
            morning() + TimeDelta::seconds(602),
        );
        let changed = watch.tell(&v);
        assert_eq!(
            (v.quality, changed),
            (FeedQuality::Good, true),
            "ticking again"
        );
    }

    #[test]
    fn silence_is_judged_from_the_open_not_from_last_night() {
        let calendar = MarketCalendar::new(CalendarSettings::default());
        let nse: HashSet<Exchange> = [Exchange::Nse].into();
        let mut watch = FeedWatch::default();
        let mut v = view();
        // Last tick at yesterday's close; started at 08:00 IST, before the open.
        v.last_tick_at = Some(morning() - TimeDelta::hours(20));
        let early = morning() - TimeDelta::hours(2);
        watch.refresh(&mut v, &nse, &calendar, T, early);
        assert_eq!(v.quality, FeedQuality::Good, "closed: silence is normal");
        assert_eq!(v.data_age_s, None);
        assert!(!v.market_open);
        // 09:15:05 IST: five seconds into the session, not 17 hours.
        let open = morning() - TimeDelta::minutes(45);
        watch.refresh(&mut v, &nse, &calendar, T, open);
        watch.refresh(&mut v, &nse, &calendar, T, open + TimeDelta::seconds(5));
        assert_eq!(v.quality, FeedQuality::Good, "{:?}", v.data_age_s);
        watch.refresh(&mut v, &nse, &calendar, T, open + TimeDelta::seconds(40));
        assert_eq!(v.quality, FeedQuality::Stale);
    }

    #[test]
    fn only_the_streamed_exchanges_count() {
        let calendar = MarketCalendar::new(CalendarSettings::default());
        // 20:00 IST: only MCX trades.
        let evening = morning() + TimeDelta::hours(10);
        let nse: HashSet<Exchange> = [Exchange::Nse].into();
        let mut watch = FeedWatch::default();
        let mut v = view();
        v.last_tick_at = Some(evening - TimeDelta::hours(2));
        watch.refresh(&mut v, &nse, &calendar, T, evening);
        watch.refresh(&mut v, &nse, &calendar, T, evening + TimeDelta::seconds(60));
        assert_eq!(
            v.quality,
            FeedQuality::Good,
            "NSE-only feed silent while MCX trades"
        );
        assert_eq!(
            v.markets,
            vec![("NSE", false), ("BSE", false), ("MCX", true)]
        );
        assert!(v.market_open, "the coarse flag is any exchange");
        let mcx: HashSet<Exchange> = [Exchange::Mcx].into();
        watch.refresh(&mut v, &mcx, &calendar, T, evening + TimeDelta::seconds(61));
        watch.refresh(
            &mut v,
            &mcx,
            &calendar,
            T,
            evening + TimeDelta::seconds(100),
        );
        assert_eq!(v.quality, FeedQuality::Stale, "crude silent in its session");
    }
}
