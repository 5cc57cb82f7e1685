//! Signals: opening-range breakouts and EMA crossings over fed 1-minute bars.

use super::*;
use crate::test_support::{bar_at, date, hm, ist, ist_on, plus_ms};

/// Feeds 5-minute bars as five identical 1-minute bars each, from `start` on; returns
/// every signal as (IST "HH:MM" of the bar close, reason).
fn feed_5min(
    engine: &mut SignalEngine,
    start: DateTime<Utc>,
    bars: &[(f64, f64, f64)],
) -> Vec<(String, EntryReason)> {
    let mut out = Vec::new();
    for (i, &(high, low, close)) in bars.iter().enumerate() {
        for m in 0..5 {
            let t = plus_ms(start, (i as i64 * 5 + m) * 60_000);
            if let Some(s) = engine.on_minute_bar(&bar_at(t, close, high, low, close)) {
                out.push((ist_time(s.bar_end).format("%H:%M").to_string(), s.reason));
                assert_eq!(s.direction.option_type(), expected_side(s.reason));
            }
        }
    }
    out
}

fn expected_side(reason: EntryReason) -> OptionType {
    match reason {
        EntryReason::OrbBreakoutUp | EntryReason::EmaCrossUp => OptionType::Call,
        EntryReason::OrbBreakoutDown | EntryReason::EmaCrossDown => OptionType::Put,
    }
}

fn orb() -> SignalEngine {
    SignalEngine::new(EntryRule::OpeningRange { minutes: 15 }, 5, hm(9, 15))
}

/// The 09:15–09:30 range: low 100, high 110.
const RANGE: [(f64, f64, f64); 3] = [
    (110.0, 104.0, 106.0),
    (108.0, 100.0, 101.0),
    (109.0, 102.0, 108.0),
];

#[test]
fn opening_range_breakouts() {
    struct TestCase {
        name: &'static str,
        /// (high, low, close) of the 5-minute bars from 09:30.
        after: &'static [(f64, f64, f64)],
        want: &'static [(&'static str, EntryReason)],
    }
    use EntryReason::{OrbBreakoutDown as Down, OrbBreakoutUp as Up};
    let cases = [
        TestCase {
            name: "close above the high",
            after: &[(112.0, 107.0, 111.0)],
            want: &[("09:35", Up)],
        },
        TestCase {
            name: "close below the low",
            after: &[(103.0, 98.0, 99.0)],
            want: &[("09:35", Down)],
        },
        TestCase {
            name: "closes on the bounds",
            after: &[(110.0, 105.0, 110.0), (106.0, 100.0, 100.0)],
            want: &[],
        },
        TestCase {
            name: "wick above, close inside",
            after: &[(115.0, 105.0, 109.0)],
            want: &[],
        },
        TestCase {
            name: "staying above signals once",
            after: &[
                (112.0, 107.0, 111.0),
                (113.0, 110.0, 112.0),
                (114.0, 111.0, 113.0),
            ],
            want: &[("09:35", Up)],
        },
        TestCase {
            name: "back inside, then out again",
            after: &[
                (112.0, 107.0, 111.0),
                (111.0, 104.0, 105.0),
                (113.0, 105.0, 112.0),
            ],
            want: &[("09:35", Up), ("09:45", Up)],
        },
        TestCase {
            name: "straight through to the other side",
            after: &[(112.0, 107.0, 111.0), (111.0, 95.0, 96.0)],
            want: &[("09:35", Up), ("09:40", Down)],
        },
    ];
    for c in cases {
        let mut engine = orb();
        assert_eq!(
            feed_5min(&mut engine, ist(9, 15, 0), &RANGE),
            vec![],
            "{}: range bars",
            c.name
        );
        let got = feed_5min(&mut engine, ist(9, 30, 0), c.after);
        let want: Vec<(String, EntryReason)> =
            c.want.iter().map(|(t, r)| (t.to_string(), *r)).collect();
        assert_eq!(got, want, "{}", c.name);
    }
}

#[test]
fn range_bars_never_break_their_own_range() {
    // The third range bar closes far above the first two; it is part of the range.
    let mut engine = orb();
    let got = feed_5min(
        &mut engine,
        ist(9, 15, 0),
        &[
            (105.0, 100.0, 104.0),
            (104.0, 101.0, 102.0),
            (130.0, 102.0, 129.0),
        ],
    );
    assert_eq!(got, vec![]);
}

#[test]
fn pre_open_bars_are_ignored_and_each_day_starts_afresh() {
    let mut engine = orb();
    // Pre-open bars far outside the range must not widen it.
    assert_eq!(
        feed_5min(&mut engine, ist(9, 0, 0), &[(500.0, 1.0, 250.0)]),
        vec![]
    );
    feed_5min(&mut engine, ist(9, 15, 0), &RANGE);
    assert_eq!(
        feed_5min(&mut engine, ist(9, 30, 0), &[(112.0, 107.0, 111.0)]).len(),
        1
    );
    // Next day: a close of 111 at 09:35 is inside that day's new range, so no signal.
    let next = date(2026, 2, 4);
    feed_5min(
        &mut engine,
        ist_on(next, 9, 15, 0),
        &[
            (115.0, 108.0, 111.0),
            (114.0, 109.0, 110.0),
            (113.0, 109.0, 112.0),
        ],
    );
    assert_eq!(
        feed_5min(
            &mut engine,
            ist_on(next, 9, 30, 0),
            &[(112.0, 110.0, 111.0)]
        ),
        vec![]
    );
    // A bar of the previous day arriving late changes nothing.
    assert_eq!(
        engine.on_minute_bar(&bar_at(ist(10, 0, 0), 1.0, 1.0, 1.0, 1.0)),
        None
    );
}

#[test]
fn ema_crossings() {
    struct TestCase {
        name: &'static str,
        closes: &'static [f64],
        /// Index of the bar that signals, and its reason.
        want: &'static [(usize, EntryReason)],
    }
    use EntryReason::{EmaCrossDown as Down, EmaCrossUp as Up};
    // fast 2 (alpha 2/3), slow 3 (alpha 1/2), 1-minute bars.
    let cases = [
        TestCase {
            name: "warm-up is never a cross",
            closes: &[10.0, 12.0, 8.0],
            want: &[],
        },
        TestCase {
            name: "down then up",
            // After [10,10,10,12]: fast 11.33 > slow 11. Then 8: fast 9.11 < slow 9.5; 14: 12.37 > 11.75.
            closes: &[10.0, 10.0, 10.0, 12.0, 8.0, 14.0],
            want: &[(4, Down), (5, Up)],
        },
        TestCase {
            name: "steady trend never crosses",
            closes: &[10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
            want: &[],
        },
        TestCase {
            name: "equal EMAs are no side, so the first difference is no cross",
            closes: &[10.0, 10.0, 10.0, 10.0, 12.0],
            want: &[],
        },
    ];
    for c in cases {
        let mut engine =
            SignalEngine::new(EntryRule::EmaCrossover { fast: 2, slow: 3 }, 1, hm(9, 15));
        let mut got = Vec::new();
        for (i, close) in c.closes.iter().enumerate() {
            let t = plus_ms(ist(9, 15, 0), i as i64 * 60_000);
            if let Some(s) = engine.on_minute_bar(&bar_at(t, *close, *close, *close, *close)) {
                assert_eq!(s.bar_end, plus_ms(t, 60_000), "{}: bar end", c.name);
                got.push((i, s.reason));
            }
        }
        assert_eq!(got, c.want, "{}", c.name);
    }
}
