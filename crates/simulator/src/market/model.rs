//! The price model: each configured instrument follows its deterministic log-normal
//! path ([`PricePath`]) on the exchange tick grid, with the day's OHLC, volume from the
//! intraday profile, OI and a 5-level book around the last price, wider at the open.
//! Pure: time arrives as an argument.

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{DepthLevel, Instrument, Segment};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::path::PricePath;
use super::pinned::{self, Walk};
use super::profile::{
    ist_minute, session_minutes, spread_factor, volume_weight, Activity, VarianceProfile,
    MINUTES_PER_DAY,
};
use crate::pins::QuotePin;

/// How many price levels each side of the book carries (both brokers send 5).
pub const DEPTH_LEVELS: usize = 5;
/// Circuit band around the previous close for tradable instruments.
const CIRCUIT_BAND: f64 = 0.10;

/// The market state of one instrument as every feed and REST endpoint reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub ltp: f64,
    pub last_qty: u32,
    pub avg_price: f64,
    /// Cumulative for the day; stays 0 for indices.
    pub volume: u64,
    pub total_buy_qty: u64,
    pub total_sell_qty: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    /// The start price: what the feeds send as previous close.
    pub prev_close: f64,
    pub oi: u64,
    pub oi_day_high: u64,
    pub oi_day_low: u64,
    pub prev_oi: u64,
    /// Best first; all zero for indices, which have no book.
    pub depth: [DepthLevel; DEPTH_LEVELS],
    pub last_trade_time: DateTime<Utc>,
    /// Bumped on every change, so a session can tell what it has not sent yet.
    pub version: u64,
}

/// Volume of a walk's minute at a profile weight of 1, in lots: about 25 lots a step
/// at the default 250 ms.
const LOTS_PER_MINUTE: f64 = 6_000.0;
/// Hash layer of the per-minute volume draws (the path uses 1–3).
const LAYER_VOLUME: u64 = 4;

/// What a walk is made of besides its instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkSpec {
    /// The level the path reverts to (see [`PricePath`]).
    pub start_price: f64,
    pub volatility_annual: f64,
    pub seed: u64,
    pub step_ms: u64,
    pub activity: Activity,
}

/// One instrument's walk along its deterministic [`PricePath`]: the quote at a time is
/// the path's price then, so a restart resumes where the last run was. The book and
/// OI generator is seeded with `seed ^ security_id`.
#[derive(Debug)]
pub struct PriceModel {
    instrument: Instrument,
    rng: SmallRng,
    quote: Quote,
    turnover: f64,
    path: PricePath,
    start_price: f64,
    /// Log-distance from the path a released pin left; 0 otherwise. Not persisted: a
    /// restart goes back to the path.
    offset: f64,
    /// The path step the quote shows.
    position: i64,
    /// The IST day of `position`; the day's OHLC and volume start over when it changes.
    day: i64,
    /// Lots traded in the day's minutes before `lots_minute`.
    lots_before: u64,
    lots_minute: i64,
}

impl PriceModel {
    pub fn new(instrument: Instrument, spec: WalkSpec, now: DateTime<Utc>) -> Self {
        let mut rng = SmallRng::seed_from_u64(spec.seed ^ u64::from(instrument.security_id));
        let oi = if has_oi(&instrument) {
            u64::from(instrument.lot_size.max(1)) * rng.gen_range(5_000..10_000)
        } else {
            0
        };
        let path = PricePath::new(
            spec.seed,
            u64::from(instrument.security_id),
            spec.volatility_annual,
            spec.step_ms,
            VarianceProfile::new(instrument.exchange, spec.activity),
        );
        let k = path.step_at(now);
        let (day, _) = path.day_and_minute(k);
        let mut model = PriceModel {
            instrument,
            rng,
            quote: Quote {
                ltp: 0.0,
                last_qty: 0,
                avg_price: 0.0,
                volume: 0,
                total_buy_qty: 0,
                total_sell_qty: 0,
                open: 0.0,
                high: 0.0,
                low: 0.0,
                prev_close: 0.0,
                oi,
                oi_day_high: oi,
                oi_day_low: oi,
                prev_oi: oi,
                depth: [DepthLevel::default(); DEPTH_LEVELS],
                last_trade_time: now,
                version: 1,
            },
            turnover: 0.0,
            path,
            start_price: spec.start_price,
            offset: 0.0,
            position: k,
            day,
            lots_before: 0,
            lots_minute: 0,
        };
        model.replay_day(k);
        if !model.instrument.is_index() {
            let factor = spread_factor(
                model.instrument.exchange,
                ist_minute(now),
                model.path.activity(),
            );
            let (tick, lot) = (model.tick(), model.instrument.lot_size);
            rebuild_book(&mut model.quote, &mut model.rng, tick, lot, factor);
        }
        model
    }

    #[cfg(test)]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    pub fn quote(&self) -> &Quote {
        &self.quote
    }

    /// The IST day the quote belongs to (days since 1970-01-01 IST).
    pub fn day(&self) -> i64 {
        self.day
    }

    /// The previous close and the instant of it (yesterday's session close): what the
    /// derivatives' own previous closes are priced from.
    pub fn day_start(&self) -> (f64, DateTime<Utc>) {
        let (_, close) = session_minutes(self.instrument.exchange);
        let minute = (self.day - 1) * MINUTES_PER_DAY as i64 + close as i64;
        let at = self.path.first_step_of_minute(minute);
        (self.quote.prev_close, self.path.time_of(at))
    }

    /// Advance to the path's step at `now`, and by at least one step, so a clock a test
    /// holds still still sees a moving market. Returns whether the price moved; nothing
    /// else changes when it did not, so an unchanged instrument emits no tick.
    pub fn step(&mut self, now: DateTime<Utc>) -> bool {
        let k = self.path.step_at(now).max(self.position + 1);
        let (day, minute) = self.path.day_and_minute(k);
        if day != self.day {
            self.day = day;
            self.replay_day(self.path.first_step_of(day));
        }
        let (session_open, _) = session_minutes(self.instrument.exchange);
        let opening =
            self.path.day_and_minute(self.position) < (day, session_open) && minute >= session_open;
        self.position = k;
        let next = self.price_at(k);
        if opening {
            // The session opens: the day's open and range start here.
            let q = &mut self.quote;
            (q.open, q.high, q.low) = (next, next, next);
        }
        let tick = self.tick();
        if (next - self.quote.ltp).abs() < tick / 2.0 {
            return false;
        }
        let lots = self.lots_until(k);
        let q = &mut self.quote;
        q.ltp = next;
        q.high = q.high.max(next);
        q.low = q.low.min(next);
        q.last_trade_time = now;
        q.version += 1;
        if !self.instrument.is_index() {
            let lot = self.instrument.lot_size.max(1);
            let traded = (lots * u64::from(lot)).max(q.volume + u64::from(lot));
            q.last_qty = u32::try_from(traded - q.volume).unwrap_or(u32::MAX);
            q.volume = traded;
            self.turnover += next * f64::from(q.last_qty);
            q.avg_price = round_to_tick(self.turnover / q.volume as f64, tick);
            let factor = spread_factor(self.instrument.exchange, minute, self.path.activity());
            rebuild_book(q, &mut self.rng, tick, lot, factor);
        }
        if has_oi(&self.instrument) {
            q.oi += u64::from(self.instrument.lot_size.max(1)) * self.rng.gen_range(0..20);
            q.oi_day_high = q.oi_day_high.max(q.oi);
            q.oi_day_low = q.oi_day_low.min(q.oi);
        }
        true
    }

    fn tick(&self) -> f64 {
        tick_of(&self.instrument)
    }

    /// The price at step `k`, on the tick grid.
    fn price_at(&mut self, k: i64) -> f64 {
        let log = self.path.at_step(k) + self.offset;
        self.to_price(log)
    }

    fn price_at_minute(&mut self, minute: i64) -> f64 {
        let log = self.path.at_minute(minute) + self.offset;
        self.to_price(log)
    }

    fn to_price(&self, log: f64) -> f64 {
        let tick = self.tick();
        round_to_tick(self.start_price * log.exp(), tick).max(tick)
    }

    /// The quote as the day looked at step `k`: previous close at yesterday's session
    /// close; open, high and low from the session open (from IST midnight before it),
    /// over the minute points and this minute's steps so far (a restart misses the
    /// extremes inside earlier minutes); volume from the profile since midnight.
    fn replay_day(&mut self, k: i64) {
        let (day, minute) = self.path.day_and_minute(k);
        let first_minute = day * MINUTES_PER_DAY as i64;
        let (session_open, session_close) = session_minutes(self.instrument.exchange);
        let prev_close =
            self.price_at_minute(first_minute - MINUTES_PER_DAY as i64 + session_close as i64);
        // The day's range is the session's once it has opened, the night's before.
        let range_from = if minute >= session_open {
            session_open
        } else {
            0
        };
        let open = self.price_at_minute(first_minute + range_from as i64);
        let (mut high, mut low) = (open, open);
        self.turnover = 0.0;
        self.lots_minute = first_minute;
        self.lots_before = 0;
        for m in 0..minute as i64 {
            let p = self.price_at_minute(first_minute + m);
            if m >= range_from as i64 {
                (high, low) = (high.max(p), low.min(p));
            }
            self.turnover += p * (self.minute_lots(first_minute + m) * self.lot()) as f64;
        }
        let first_step = self
            .path
            .first_step_of(day)
            .max(k - self.path.steps_per_minute());
        for s in first_step..=k {
            if self.path.day_and_minute(s).1 == minute {
                let p = self.price_at(s);
                (high, low) = (high.max(p), low.min(p));
            }
        }
        let ltp = self.price_at(k);
        let lots = if self.instrument.is_index() {
            0
        } else {
            self.lots_until(k)
        };
        let q = &mut self.quote;
        (q.open, q.prev_close, q.high, q.low, q.ltp) = (open, prev_close, high, low, ltp);
        q.volume = lots * u64::from(self.instrument.lot_size.max(1));
        q.last_qty = 0;
        // This minute's lots so far, at the last price.
        self.turnover += ltp * (lots.saturating_sub(self.lots_before) * self.lot()) as f64;
        let q = &mut self.quote;
        q.avg_price = if q.volume == 0 {
            ltp
        } else {
            round_to_tick(self.turnover / q.volume as f64, tick_of(&self.instrument))
        };
        q.prev_oi = q.oi;
        (q.oi_day_high, q.oi_day_low) = (q.oi, q.oi);
    }

    fn lot(&self) -> u64 {
        u64::from(self.instrument.lot_size.max(1))
    }

    fn minute_lots(&self, minute: i64) -> u64 {
        minute_lots(&self.path, &self.instrument, minute)
    }

    /// Lots traded in the day up to step `k`: whole minutes, then this minute's share.
    fn lots_until(&mut self, k: i64) -> u64 {
        let (day, minute) = self.path.day_and_minute(k);
        let current = day * MINUTES_PER_DAY as i64 + minute as i64;
        if current < self.lots_minute {
            (self.lots_minute, self.lots_before) = (day * MINUTES_PER_DAY as i64, 0);
        }
        while self.lots_minute < current {
            self.lots_before += self.minute_lots(self.lots_minute);
            self.lots_minute += 1;
        }
        let done = self.path.step_fraction_of_minute(k);
        self.lots_before + (self.minute_lots(current) as f64 * done) as u64
    }
}

impl PriceModel {
    /// One step at the pinned quote instead of the walk; the walk resumes from the
    /// pinned price once released.
    pub fn pin(&mut self, pin: &QuotePin, now: DateTime<Utc>) {
        let walk = Walk {
            rng: &mut self.rng,
            turnover: &mut self.turnover,
        };
        pinned::apply(&mut self.quote, pin, &self.instrument, walk, now);
    }

    /// Back to the model: the price stays where the pin left it (the path carries on
    /// from there, shifted), the book is the model's again, and the change goes out as
    /// a tick.
    pub fn release(&mut self) {
        let path_log = self.path.at_step(self.position);
        self.offset = (self.quote.ltp / self.start_price).ln() - path_log;
        if !self.instrument.is_index() {
            let tick = tick_of(&self.instrument);
            rebuild_book(
                &mut self.quote,
                &mut self.rng,
                tick,
                self.instrument.lot_size,
                1,
            );
        }
        self.quote.version += 1;
    }
}

/// Lots traded in absolute minute `minute` (minutes since the IST epoch): the exchange's
/// volume profile times a seeded draw; indices trade none.
pub fn minute_lots(path: &PricePath, i: &Instrument, minute: i64) -> u64 {
    if i.is_index() {
        return 0;
    }
    let m = minute.rem_euclid(MINUTES_PER_DAY as i64) as usize;
    let draw = 0.5 + path.uniform(LAYER_VOLUME, minute, 0);
    (LOTS_PER_MINUTE * volume_weight(i.exchange, m, path.activity()) * draw).round() as u64
}

/// ±10 % of the previous close on the tick grid; indices have no circuit (0).
pub fn circuit_limits(i: &Instrument, q: &Quote) -> (f64, f64) {
    if i.is_index() {
        return (0.0, 0.0);
    }
    let tick = tick_of(i);
    (
        round_to_tick(q.prev_close * (1.0 - CIRCUIT_BAND), tick),
        round_to_tick(q.prev_close * (1.0 + CIRCUIT_BAND), tick),
    )
}

/// Derivatives carry open interest; cash and indices do not.
pub fn has_oi(i: &Instrument) -> bool {
    matches!(
        i.segment,
        Segment::NseFno
            | Segment::BseFno
            | Segment::McxComm
            | Segment::NseCurrency
            | Segment::BseCurrency
    )
}

/// The instrument's tick; a missing one (0) prices on the ₹0.05 grid.
pub fn tick_of(i: &Instrument) -> f64 {
    if i.tick_size > 0.0 {
        i.tick_size
    } else {
        0.05
    }
}

/// A book 2–4 ticks wide around the last price (times the time of day's
/// `spread_factor`), one tick between levels.
fn rebuild_book(q: &mut Quote, rng: &mut SmallRng, tick: f64, lot: u32, spread_factor: u32) {
    let lot = lot.max(1);
    let half = f64::from(rng.gen_range(1u32..=2) * spread_factor.max(1)) * tick;
    let (mut bids, mut asks) = (0u64, 0u64);
    for (level, slot) in q.depth.iter_mut().enumerate() {
        let away = level as f64 * tick;
        let bid_qty = lot * rng.gen_range(1..=200);
        let ask_qty = lot * rng.gen_range(1..=200);
        *slot = DepthLevel {
            bid_price: round_to_tick(q.ltp - half - away, tick).max(0.0),
            bid_qty,
            bid_orders: rng.gen_range(1..=bid_qty.min(40)),
            ask_price: round_to_tick(q.ltp + half + away, tick),
            ask_qty,
            ask_orders: rng.gen_range(1..=ask_qty.min(40)),
        };
        bids += u64::from(bid_qty);
        asks += u64::from(ask_qty);
    }
    q.total_buy_qty = bids * rng.gen_range(20..40);
    q.total_sell_qty = asks * rng.gen_range(20..40);
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::SimSettings;

    /// 2026-11-23 09:15 IST, the NSE open.
    fn open_bell() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T03:45:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn models_at(seed: u64, now: DateTime<Utc>) -> Vec<PriceModel> {
        let settings = SimSettings {
            seed,
            ..SimSettings::default()
        };
        SimSettings::default_universe()
            .into_iter()
            .map(|s| PriceModel::new(s.instrument.clone(), settings.walk_spec(&s), now))
            .collect()
    }

    fn models(seed: u64) -> Vec<PriceModel> {
        models_at(seed, open_bell())
    }

    fn path(seed: u64, steps: usize) -> Vec<Vec<f64>> {
        let mut ms = models(seed);
        (0..steps)
            .map(|_| {
                ms.iter_mut()
                    .map(|m| {
                        m.step(open_bell());
                        m.quote().ltp
                    })
                    .collect()
            })
            .collect()
    }

    fn on_grid(price: f64, tick: f64) -> bool {
        let steps = price / tick;
        (steps - steps.round()).abs() < 1e-6
    }

    fn find(ms: &mut [PriceModel], symbol: &str) -> usize {
        ms.iter()
            .position(|m| &*m.instrument().symbol == symbol)
            .unwrap_or_else(|| panic!("{symbol} in the default universe"))
    }

    #[test]
    fn same_seed_same_path() {
        assert_eq!(path(7, 200), path(7, 200));
        assert_ne!(path(7, 200), path(8, 200));
    }

    #[test]
    fn prices_and_book_stay_on_the_tick_grid() {
        let mut ms = models(3);
        for _ in 0..500 {
            for m in &mut ms {
                m.step(open_bell());
                let tick = m.instrument().tick_size;
                let q = m.quote();
                let name = &m.instrument().symbol;
                assert!(on_grid(q.ltp, tick), "{name} ltp {}", q.ltp);
                assert!(
                    q.low <= q.ltp && q.ltp <= q.high,
                    "{name} outside day range"
                );
                if m.instrument().is_index() {
                    assert_eq!(q.volume, 0, "{name} index has no volume");
                    continue;
                }
                for d in &q.depth {
                    assert!(
                        on_grid(d.bid_price, tick) && on_grid(d.ask_price, tick),
                        "{name}"
                    );
                }
                assert!(
                    q.depth[0].bid_price < q.ltp && q.ltp < q.depth[0].ask_price,
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn unchanged_price_emits_nothing() {
        for s in SimSettings::default_universe() {
            let spec = WalkSpec {
                start_price: s.start_price,
                volatility_annual: 0.0,
                seed: 1,
                step_ms: 250,
                activity: Activity::Session,
            };
            let mut m = PriceModel::new(s.instrument.clone(), spec, open_bell());
            let before = m.quote().clone();
            assert!(
                !m.step(open_bell()),
                "{}: zero volatility never moves",
                s.instrument.symbol
            );
            assert_eq!(m.quote(), &before, "{}", s.instrument.symbol);
        }
    }

    #[test]
    fn volume_and_oi_only_grow() {
        let mut ms = models(5);
        let crude = find(&mut ms, "CRUDEOIL");
        let crude = &mut ms[crude];
        let (mut vol, mut oi) = (crude.quote().volume, crude.quote().oi);
        assert!(oi > 0);
        let mut t = open_bell();
        for _ in 0..100 {
            t += Duration::milliseconds(250);
            crude.step(t);
            assert!(crude.quote().volume >= vol && crude.quote().oi >= oi);
            (vol, oi) = (crude.quote().volume, crude.quote().oi);
        }
        assert!(vol > 0);
    }

    struct VolCase {
        symbol: &'static str,
        configured: f64,
    }

    /// A whole simulated IST day, one step per 250 ms of a clock the test moves: the
    /// realised volatility (√(252 · Σ r²) over the day's one-minute returns, the usual
    /// sampling: a ₹1 crude tick is larger than a 250 ms move) is within 30 % of the
    /// configured annual figure, and the session holds most of the day's variance.
    #[test]
    fn realised_volatility_over_a_day_matches_the_configured() {
        let cases = [
            VolCase {
                symbol: "NIFTY",
                configured: 0.13,
            },
            VolCase {
                symbol: "CRUDEOIL",
                configured: 0.30,
            },
            VolCase {
                symbol: "RELIANCE",
                configured: 0.24,
            },
        ];
        let midnight = open_bell() - Duration::minutes(9 * 60 + 15);
        for c in cases {
            let mut ms = models_at(42, midnight);
            let idx = find(&mut ms, c.symbol);
            let m = &mut ms[idx];
            let (mut sum_sq, mut session_sq) = (0.0, 0.0);
            let mut last = m.quote().ltp;
            let steps = 86_400 * 4;
            for i in 1..=steps {
                let t = midnight + Duration::milliseconds(250 * i);
                m.step(t);
                if i % 240 != 0 {
                    continue;
                }
                let r = (m.quote().ltp / last).ln();
                sum_sq += r * r;
                if (555..930).contains(&ist_minute(t - Duration::seconds(1))) {
                    session_sq += r * r;
                }
                last = m.quote().ltp;
            }
            let realised = (sum_sq * 252.0).sqrt();
            let ratio = realised / c.configured;
            assert!(
                (0.7..=1.3).contains(&ratio),
                "{}: realised {realised:.4} vs configured {}",
                c.symbol,
                c.configured
            );
            if c.symbol != "CRUDEOIL" {
                assert!(
                    session_sq > 0.8 * sum_sq,
                    "{}: the night is quiet",
                    c.symbol
                );
            }
        }
    }

    struct RestartCase {
        name: &'static str,
        /// From 09:15 IST on the test day.
        after: Duration,
    }

    /// A simulator started again at the time the last one reached quotes what the last
    /// one did: price, open, previous close; high and low within the day's range.
    #[test]
    fn a_restart_resumes_the_path() {
        let cases = [
            RestartCase {
                name: "a few minutes into the session",
                after: Duration::minutes(7) + Duration::milliseconds(750),
            },
            RestartCase {
                name: "across IST midnight",
                after: Duration::minutes(14 * 60 + 46) + Duration::milliseconds(500),
            },
        ];
        for c in cases {
            let start = open_bell() + c.after - Duration::minutes(2);
            let mut running = models_at(9, start);
            let mut t = start;
            for _ in 0..(2 * 240) {
                t += Duration::milliseconds(250);
                for m in &mut running {
                    m.step(t);
                }
            }
            let restarted = models_at(9, t);
            for (a, b) in running.iter().zip(&restarted) {
                let (qa, qb) = (a.quote(), b.quote());
                let name = format!("{}: {}", c.name, a.instrument().symbol);
                assert_eq!(qa.ltp, qb.ltp, "{name}: price");
                assert_eq!(
                    (qa.open, qa.prev_close),
                    (qb.open, qb.prev_close),
                    "{name}: open and previous close"
                );
                assert!(
                    qb.low >= qa.low && qb.high <= qa.high,
                    "{name}: restarted range {}–{} inside {}–{}",
                    qb.low,
                    qb.high,
                    qa.low,
                    qa.high
                );
            }
        }
    }

    /// Past IST midnight the day starts over: open at the last price, previous close
    /// at yesterday's session close (15:30), volume from nothing; at 09:15 the session
    /// opens and the day's open and range restart there.
    #[test]
    fn a_new_day_and_its_session_open() {
        let before_midnight = open_bell() + Duration::minutes(14 * 60 + 44);
        let mut ms = models_at(11, before_midnight);
        let idx = find(&mut ms, "RELIANCE");
        let m = &mut ms[idx];
        let mut t = before_midnight;
        let mut last = m.quote().ltp;
        let day = m.day();
        while m.day() == day {
            last = m.quote().ltp;
            t += Duration::milliseconds(250);
            m.step(t);
        }
        let close_1530 = models_at(11, open_bell() + Duration::minutes(375))[idx]
            .quote()
            .ltp;
        let q = m.quote().clone();
        let tick = m.instrument().tick_size;
        assert_eq!(
            q.prev_close, close_1530,
            "previous close is the session close"
        );
        assert!((q.open - last).abs() <= 40.0 * tick, "{} vs {last}", q.open);
        let lot = u64::from(m.instrument().lot_size);
        assert!(q.volume < 100 * lot, "volume starts over: {}", q.volume);
        let next_open = open_bell() + Duration::days(1);
        m.step(next_open - Duration::milliseconds(250));
        m.step(next_open);
        let q = m.quote();
        assert_eq!(
            (q.open, q.high, q.low),
            (q.ltp, q.ltp, q.ltp),
            "the session opens"
        );
    }
}
