//! The last quote the bot holds for the underlying and for its option, and whether it is
//! fresh enough to trade on.
//!
//! Age is measured from the exchange's stamp, or from `received_time` when the exchange
//! sent none: the same rule as paper execution's stale guard, so the bot never places an
//! order the paper book would refuse as stale. Snapshot ticks (last-known data reloaded
//! after a restart) are never fresh, whatever their age.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Tick, TickSource};

use crate::clock::{age_ms, ist_time};
use crate::RefusalReason;

/// What the bot keeps of a tick.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Quote {
    pub symbol: Arc<str>,
    pub ltp: f64,
    pub bid: f64,
    pub ask: f64,
    /// Exchange time, or received time when the exchange sent none; ages count from here.
    pub stamp: DateTime<Utc>,
    pub source: TickSource,
}

/// Which instrument a freshness verdict is about; it picks the refusal codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feed {
    Underlying,
    Option,
}

impl Quote {
    pub fn from_tick(tick: &Tick) -> Self {
        Quote {
            symbol: Arc::clone(&tick.symbol),
            ltp: tick.ltp,
            bid: tick.bid,
            ask: tick.ask,
            stamp: tick.exchange_time.unwrap_or(tick.received_time),
            source: tick.source,
        }
    }

    /// Both sides of the book are shown: a market order has a price to fill at (paper
    /// execution refuses one-sided quotes, and an LTP-mode feed shows neither side).
    pub fn is_two_sided(&self) -> bool {
        self.bid.is_finite() && self.ask.is_finite() && self.bid > 0.0 && self.ask > 0.0
    }
}

/// Stores `quote` unless the slot holds a newer one: a tick delivered out of order must
/// not make old data look current.
pub(crate) fn keep_newer(slot: &mut Option<Quote>, quote: Quote) {
    if slot.as_ref().is_some_and(|held| held.stamp > quote.stamp) {
        return;
    }
    *slot = Some(quote);
}

/// The LTP to act on at `now`, or the refusal and a one-line explanation.
pub(crate) fn fresh_ltp(
    quote: Option<&Quote>,
    feed: Feed,
    now: DateTime<Utc>,
    max_age_ms: u64,
) -> Result<f64, (RefusalReason, String)> {
    let missing = match feed {
        Feed::Underlying => RefusalReason::NoUnderlying,
        Feed::Option => RefusalReason::NoQuote,
    };
    let Some(q) = quote else {
        return Err((missing, "no quote received yet".into()));
    };
    if !(q.ltp.is_finite() && q.ltp > 0.0) {
        return Err((missing, format!("{} has no traded price yet", q.symbol)));
    }
    let age = age_ms(q.stamp, now);
    let stale = match feed {
        Feed::Underlying => RefusalReason::StaleUnderlying { age_ms: age },
        Feed::Option => RefusalReason::StaleQuote { age_ms: age },
    };
    if q.source == TickSource::Snapshot {
        let when = ist_time(q.stamp).format("%H:%M:%S");
        return Err((
            stale,
            format!(
                "{} quote is last-known snapshot data from {when} IST, not live",
                q.symbol
            ),
        ));
    }
    if age > max_age_ms {
        return Err((
            stale,
            format!("{} quote is {age} ms old (limit {max_age_ms} ms)", q.symbol),
        ));
    }
    Ok(q.ltp)
}

/// A market order needs both sides of the option's book; the refusal names the fix.
pub(crate) fn two_sided(quote: Option<&Quote>) -> Result<(), (RefusalReason, String)> {
    match quote {
        Some(q) if q.is_two_sided() => Ok(()),
        Some(q) => Err((
            RefusalReason::NoQuote,
            format!(
                "{} shows no bid/ask (bid {}, ask {}); it needs a full-mode subscription",
                q.symbol, q.bid, q.ask
            ),
        )),
        None => Err((RefusalReason::NoQuote, "no quote received yet".into())),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn quote(ltp: f64, age_ms: i64, source: TickSource, now: DateTime<Utc>) -> Quote {
        Quote {
            symbol: "X".into(),
            ltp,
            bid: ltp - 0.05,
            ask: ltp + 0.05,
            stamp: now - TimeDelta::milliseconds(age_ms),
            source,
        }
    }

    #[test]
    fn freshness_cases() {
        let now = DateTime::from_timestamp(1_770_090_300, 0).unwrap_or_default();
        struct TestCase {
            name: &'static str,
            quote: Option<Quote>,
            feed: Feed,
            want: Result<f64, RefusalReason>,
        }
        let cases = [
            TestCase {
                name: "fresh socket quote",
                quote: Some(quote(101.5, 200, TickSource::Socket, now)),
                feed: Feed::Option,
                want: Ok(101.5),
            },
            TestCase {
                name: "fresh REST fallback quote is usable",
                quote: Some(quote(101.5, 900, TickSource::Rest, now)),
                feed: Feed::Option,
                want: Ok(101.5),
            },
            TestCase {
                name: "exactly at the limit is fresh",
                quote: Some(quote(101.5, 5_000, TickSource::Socket, now)),
                feed: Feed::Option,
                want: Ok(101.5),
            },
            TestCase {
                name: "one ms over the limit is stale",
                quote: Some(quote(101.5, 5_001, TickSource::Socket, now)),
                feed: Feed::Option,
                want: Err(RefusalReason::StaleQuote { age_ms: 5_001 }),
            },
            TestCase {
                name: "snapshot is stale even when new",
                quote: Some(quote(101.5, 10, TickSource::Snapshot, now)),
                feed: Feed::Option,
                want: Err(RefusalReason::StaleQuote { age_ms: 10 }),
            },
            TestCase {
                name: "no option quote",
                quote: None,
                feed: Feed::Option,
                want: Err(RefusalReason::NoQuote),
            },
            TestCase {
                name: "zero LTP is no quote",
                quote: Some(quote(0.0, 10, TickSource::Socket, now)),
                feed: Feed::Option,
                want: Err(RefusalReason::NoQuote),
            },
            TestCase {
                name: "stale underlying has its own code",
                quote: Some(quote(25_000.0, 9_000, TickSource::Socket, now)),
                feed: Feed::Underlying,
                want: Err(RefusalReason::StaleUnderlying { age_ms: 9_000 }),
            },
            TestCase {
                name: "missing underlying has its own code",
                quote: None,
                feed: Feed::Underlying,
                want: Err(RefusalReason::NoUnderlying),
            },
        ];
        for c in cases {
            let got = fresh_ltp(c.quote.as_ref(), c.feed, now, 5_000).map_err(|(r, _)| r);
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn exchange_time_sets_the_age() {
        let now = DateTime::from_timestamp(1_770_090_300, 0).unwrap_or_default();
        let mut tick = Tick::empty("X".into(), now);
        tick.ltp = 10.0;
        tick.exchange_time = Some(now - TimeDelta::seconds(9));
        let got = fresh_ltp(Some(&Quote::from_tick(&tick)), Feed::Option, now, 5_000);
        assert_eq!(
            got.map_err(|(r, _)| r),
            Err(RefusalReason::StaleQuote { age_ms: 9_000 })
        );
        tick.exchange_time = None;
        let got = fresh_ltp(Some(&Quote::from_tick(&tick)), Feed::Option, now, 5_000);
        assert_eq!(
            got.map_err(|(r, _)| r),
            Ok(10.0),
            "received time when no exchange time"
        );
    }

    #[test]
    fn older_tick_does_not_replace_newer() {
        let now = DateTime::from_timestamp(1_770_090_300, 0).unwrap_or_default();
        let mut slot = None;
        keep_newer(&mut slot, quote(2.0, 0, TickSource::Socket, now));
        keep_newer(&mut slot, quote(1.0, 500, TickSource::Socket, now));
        assert_eq!(slot.map(|q| q.ltp), Some(2.0));
    }
}
