//! Intraday profiles: how an exchange's IST day spreads its variance, volume and book
//! width over its 1,440 minutes. Busier and wider at the open and the close, quiet
//! outside the session (the simulator keeps ticking there, slowly, for development).
//! Pure: a minute of the IST day in, weights out.

use chrono::{DateTime, Timelike, Utc};
use mandi_domain::calendar::{
    EQUITY_CLOSE_IST, EQUITY_OPEN_IST, MCX_CLOSE_US_SUMMER_IST, MCX_OPEN_IST,
};
use mandi_domain::time::IST_OFFSET_S;
use mandi_domain::Exchange;

/// Minutes in the IST day the profiles cover.
pub const MINUTES_PER_DAY: usize = 1_440;
/// Volatility outside the session, relative to the session's quietest minutes: prices
/// still drift at night so a development session has ticks, but only slightly.
const OFF_SESSION_VOL: f64 = 0.1;
/// Volume outside the session, relative to the session's quietest minutes.
const OFF_SESSION_VOLUME: f64 = 0.02;
/// How fast the opening and closing bursts fade, as a fraction of the session.
const BURST_WIDTH: f64 = 0.04;

/// Whether the simulated market's activity follows the exchange's session (busy at the
/// open and the close, quiet outside) or is the same all day, every minute like
/// mid-session (`simulator.intraday_profile = false`: tests and demonstrations that must
/// see a lively market whatever the hour).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activity {
    #[default]
    Session,
    AllDay,
}

/// The normal session of `exchange` as `[open, close)` minutes of the IST day. MCX is
/// taken at its US-summer close (23:30) all year: the simulator has no calendar.
pub fn session_minutes(exchange: Exchange) -> (usize, usize) {
    let (open, close) = match exchange {
        Exchange::Nse | Exchange::Bse => (EQUITY_OPEN_IST, EQUITY_CLOSE_IST),
        Exchange::Mcx => (MCX_OPEN_IST, MCX_CLOSE_US_SUMMER_IST),
    };
    let minute = |t: chrono::NaiveTime| (t.hour() * 60 + t.minute()) as usize;
    (minute(open), minute(close))
}

/// The minute of the IST day `t` falls in.
pub fn ist_minute(t: DateTime<Utc>) -> usize {
    let s = (t.timestamp() + IST_OFFSET_S).rem_euclid(86_400);
    (s / 60) as usize
}

/// Where `minute` sits in the session, 0 at the open and 1 at the close; `None` outside.
/// All day, every minute sits mid-session.
fn session_position(exchange: Exchange, minute: usize, activity: Activity) -> Option<f64> {
    if activity == Activity::AllDay {
        return Some(0.5);
    }
    let (open, close) = session_minutes(exchange);
    (open..close)
        .contains(&minute)
        .then(|| (minute - open) as f64 / (close - open).max(1) as f64)
}

/// A U: 1 mid-session, `1 + at_open` at the open and `1 + at_close` at the close.
fn u_shape(x: f64, at_open: f64, at_close: f64) -> f64 {
    1.0 + at_open * (-x / BURST_WIDTH).exp() + at_close * (-(1.0 - x) / BURST_WIDTH).exp()
}

/// Relative volatility (standard deviation) of `minute`: about 2.2× mid-session at the
/// open and 1.5× at the close, 0.1× outside the session.
pub fn volatility_weight(exchange: Exchange, minute: usize, activity: Activity) -> f64 {
    session_position(exchange, minute, activity).map_or(OFF_SESSION_VOL, |x| u_shape(x, 1.2, 0.5))
}

/// Relative volume of `minute`: about 4× mid-session at the open and 3× at the close.
pub fn volume_weight(exchange: Exchange, minute: usize, activity: Activity) -> f64 {
    session_position(exchange, minute, activity)
        .map_or(OFF_SESSION_VOLUME, |x| u_shape(x, 3.0, 2.0))
}

/// How many times its normal width the book is at `minute`: 3× in the first minutes,
/// 2× in the last ones and outside the session, 1× otherwise.
pub fn spread_factor(exchange: Exchange, minute: usize, activity: Activity) -> u32 {
    session_position(exchange, minute, activity).map_or(2, |x| u_shape(x, 2.0, 1.0).round() as u32)
}

/// Each minute's share of the day's variance (they sum to 1), and the running totals
/// the path's Brownian bridge needs (`cumulative[m]` = share of minutes before `m`).
#[derive(Clone, Debug)]
pub struct VarianceProfile {
    pub share: Vec<f64>,
    pub cumulative: Vec<f64>,
    pub activity: Activity,
}

impl VarianceProfile {
    pub fn new(exchange: Exchange, activity: Activity) -> Self {
        let raw: Vec<f64> = (0..MINUTES_PER_DAY)
            .map(|m| volatility_weight(exchange, m, activity).powi(2))
            .collect();
        let total: f64 = raw.iter().sum();
        let share: Vec<f64> = raw.iter().map(|r| r / total).collect();
        let mut cumulative = Vec::with_capacity(MINUTES_PER_DAY + 1);
        let mut acc = 0.0;
        cumulative.push(0.0);
        for s in &share {
            acc += s;
            cumulative.push(acc);
        }
        VarianceProfile {
            share,
            cumulative,
            activity,
        }
    }

    /// The session's share of the day's variance (the rest drifts by night).
    #[cfg(test)]
    pub fn session_share(&self, exchange: Exchange) -> f64 {
        let (open, close) = session_minutes(exchange);
        self.share[open..close].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        exchange: Exchange,
        minute: usize,
        spread: u32,
        busier_than_noon: bool,
    }

    #[test]
    fn open_and_close_are_busier_and_wider() {
        let cases = [
            TestCase {
                name: "NSE 09:15",
                exchange: Exchange::Nse,
                minute: 555,
                spread: 3,
                busier_than_noon: true,
            },
            TestCase {
                name: "NSE 15:29",
                exchange: Exchange::Nse,
                minute: 929,
                spread: 2,
                busier_than_noon: true,
            },
            TestCase {
                name: "NSE 12:30",
                exchange: Exchange::Nse,
                minute: 750,
                spread: 1,
                busier_than_noon: false,
            },
            TestCase {
                name: "NSE 20:00 (closed)",
                exchange: Exchange::Nse,
                minute: 1200,
                spread: 2,
                busier_than_noon: false,
            },
            TestCase {
                name: "MCX 09:00",
                exchange: Exchange::Mcx,
                minute: 540,
                spread: 3,
                busier_than_noon: true,
            },
        ];
        for c in cases {
            let noon = volume_weight(c.exchange, 750, Activity::Session);
            let v = volume_weight(c.exchange, c.minute, Activity::Session);
            assert_eq!(
                spread_factor(c.exchange, c.minute, Activity::Session),
                c.spread,
                "{}",
                c.name
            );
            assert_eq!(
                v > noon * 1.5,
                c.busier_than_noon,
                "{}: volume {v} vs {noon}",
                c.name
            );
            let vol = volatility_weight(c.exchange, c.minute, Activity::Session);
            assert_eq!(
                vol > 1.3,
                c.busier_than_noon,
                "{}: volatility {vol}",
                c.name
            );
        }
    }

    #[test]
    fn variance_shares_sum_to_one_and_sit_in_the_session() {
        for exchange in [Exchange::Nse, Exchange::Bse, Exchange::Mcx] {
            let p = VarianceProfile::new(exchange, Activity::Session);
            let total: f64 = p.share.iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "{exchange:?}: {total}");
            assert!(
                (p.cumulative[MINUTES_PER_DAY] - 1.0).abs() < 1e-9,
                "{exchange:?}"
            );
            let inside = p.session_share(exchange);
            assert!(inside > 0.95, "{exchange:?}: session holds {inside}");
        }
    }

    #[test]
    fn all_day_activity_is_mid_session_at_every_hour() {
        let p = VarianceProfile::new(Exchange::Nse, Activity::AllDay);
        for (name, minute) in [
            ("03:00", 180),
            ("09:15", 555),
            ("12:30", 750),
            ("20:00", 1200),
        ] {
            let vol = volatility_weight(Exchange::Nse, minute, Activity::AllDay);
            assert!((vol - 1.0).abs() < 1e-3, "{name}: volatility {vol}");
            assert_eq!(
                spread_factor(Exchange::Nse, minute, Activity::AllDay),
                1,
                "{name}"
            );
            let share = p.share[minute] * MINUTES_PER_DAY as f64;
            assert!(
                (share - 1.0).abs() < 1e-3,
                "{name}: share {share} of an even minute"
            );
        }
    }
}
