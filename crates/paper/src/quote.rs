//! The stale guard: decides whether a `Tick` may be filled against, and if so turns its
//! L1 quote into whole ticks for the matcher.

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, Tick, TickSource};

use crate::price::to_ticks;
use crate::RefuseReason;

/// The top of the book in whole ticks, as the matcher sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Touch {
    pub bid: i64,
    pub ask: i64,
    /// Displayed sizes in exchange units (shares, contracts × multiplier as the feed gives).
    pub bid_qty: u64,
    pub ask_qty: u64,
}

/// Age of a quote at `now` in milliseconds: by exchange time, by received time when the
/// exchange sent none. Never negative — a stamp a hair in the future reads as 0.
pub fn quote_age_ms(tick: &Tick, now: DateTime<Utc>) -> i64 {
    let stamp = tick.exchange_time.unwrap_or(tick.received_time);
    (now - stamp).num_milliseconds().max(0)
}

/// Why a quote may not be traded on at `now`, if it may not: the stale guard as a
/// question, for a caller deciding whether to wait for a fresher one.
pub fn quote_refusal(
    instrument: &Instrument,
    tick: &Tick,
    now: DateTime<Utc>,
    max_quote_age_ms: u64,
) -> Option<RefuseReason> {
    check_quote(instrument, tick, now, max_quote_age_ms).err()
}

/// Check a quote for trading. The checks run in a fixed order so the reason reported
/// for a quote that fails several is always the same one.
pub(crate) fn check_quote(
    instrument: &Instrument,
    tick: &Tick,
    now: DateTime<Utc>,
    max_quote_age_ms: u64,
) -> Result<Touch, RefuseReason> {
    if tick.symbol != instrument.symbol {
        return Err(RefuseReason::QuoteForOtherSymbol {
            quote_symbol: tick.symbol.clone(),
        });
    }
    if tick.source == TickSource::Snapshot {
        return Err(RefuseReason::SnapshotQuote);
    }
    let age_ms = quote_age_ms(tick, now);
    if u64::try_from(age_ms).unwrap_or(u64::MAX) > max_quote_age_ms {
        return Err(RefuseReason::StaleQuote {
            age_ms,
            max_age_ms: max_quote_age_ms,
        });
    }
    let two_sided = tick.bid.is_finite() && tick.ask.is_finite() && tick.bid > 0.0;
    if !(two_sided && tick.ask > 0.0) {
        return Err(RefuseReason::NoTwoSidedQuote {
            bid: tick.bid,
            ask: tick.ask,
        });
    }
    let tick_size = instrument.tick_size;
    let (bid, ask) = (to_ticks(tick.bid, tick_size), to_ticks(tick.ask, tick_size));
    if bid > ask {
        return Err(RefuseReason::CrossedQuote {
            bid: tick.bid,
            ask: tick.ask,
        });
    }
    Ok(Touch {
        // A quote that rounds to zero ticks (tick size larger than the price) still
        // trades at one tick: prices are never zero.
        bid: bid.max(1),
        ask: ask.max(1),
        bid_qty: u64::from(tick.bid_qty),
        ask_qty: u64::from(tick.ask_qty),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use mandi_domain::{Exchange, Segment};

    use super::*;

    fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_770_000_000_000 + ms)
            .single()
            .unwrap_or_default()
    }

    fn instrument() -> Instrument {
        Instrument {
            symbol: "X".into(),
            exchange: Exchange::Nse,
            segment: Segment::NseEq,
            security_id: 1,
            kite_token: 1,
            kite_key: "NSE:X".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn quote(bid: f64, ask: f64) -> Tick {
        let mut t = Tick::empty("X".into(), at_ms(0));
        t.bid = bid;
        t.ask = ask;
        t.ltp = ask;
        t.exchange_time = Some(at_ms(0));
        t
    }

    struct TestCase {
        name: &'static str,
        tick: Tick,
        now: DateTime<Utc>,
        want: Result<(i64, i64), RefuseReason>,
    }

    #[test]
    fn guard_cases() {
        let mut snapshot = quote(10.0, 10.05);
        snapshot.source = TickSource::Snapshot;
        let mut no_exchange_time = quote(10.0, 10.05);
        no_exchange_time.exchange_time = None;
        no_exchange_time.received_time = at_ms(-7_000);
        let mut other = quote(10.0, 10.05);
        other.symbol = "NIFTY".into();
        let cases = [
            TestCase {
                name: "fresh",
                tick: quote(10.0, 10.05),
                now: at_ms(5_000),
                want: Ok((200, 201)),
            },
            TestCase {
                name: "one ms past the limit",
                tick: quote(10.0, 10.05),
                now: at_ms(5_001),
                want: Err(RefuseReason::StaleQuote {
                    age_ms: 5_001,
                    max_age_ms: 5_000,
                }),
            },
            TestCase {
                name: "falls back to received time",
                tick: no_exchange_time,
                now: at_ms(0),
                want: Err(RefuseReason::StaleQuote {
                    age_ms: 7_000,
                    max_age_ms: 5_000,
                }),
            },
            TestCase {
                name: "future stamp reads as age 0",
                tick: quote(10.0, 10.05),
                now: at_ms(0) - Duration::milliseconds(300),
                want: Ok((200, 201)),
            },
            TestCase {
                name: "snapshot",
                tick: snapshot,
                now: at_ms(0),
                want: Err(RefuseReason::SnapshotQuote),
            },
            TestCase {
                name: "empty ask",
                tick: quote(10.0, 0.0),
                now: at_ms(0),
                want: Err(RefuseReason::NoTwoSidedQuote {
                    bid: 10.0,
                    ask: 0.0,
                }),
            },
            TestCase {
                name: "crossed",
                tick: quote(10.1, 10.0),
                now: at_ms(0),
                want: Err(RefuseReason::CrossedQuote {
                    bid: 10.1,
                    ask: 10.0,
                }),
            },
            TestCase {
                name: "other symbol",
                tick: other,
                now: at_ms(0),
                want: Err(RefuseReason::QuoteForOtherSymbol {
                    quote_symbol: "NIFTY".into(),
                }),
            },
        ];
        for c in cases {
            let got = check_quote(&instrument(), &c.tick, c.now, 5_000).map(|t| (t.bid, t.ask));
            assert_eq!(got, c.want, "{}", c.name);
        }
    }
}
