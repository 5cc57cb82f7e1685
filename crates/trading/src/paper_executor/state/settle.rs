//! Expiry settlement in the executor: which held contracts are due (their expiry's
//! session has closed) and the underlying close each settles at. The book does the
//! settling; this finds the contracts and the prices.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use mandi_domain::calendar::MarketCalendar;
use mandi_domain::time::IST;
use mandi_domain::{Exchange, Instrument};
use mandi_instruments::InstrumentIndex;

use super::{open_positions, Commit, ExecutorState};

/// A held contract that is due but has no underlying price to settle at yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Unpriced {
    pub symbol: std::sync::Arc<str>,
    pub underlying: std::sync::Arc<str>,
}

impl ExecutorState {
    /// Settles every held future or option whose expiry's session has closed by `now`,
    /// at the last price of its underlying (for a future without a streamed underlying,
    /// its own last price). Contracts with no such price are left held and returned, so
    /// the caller can say why; they are tried again on the next call.
    pub fn settle_expired(
        &mut self,
        index: &InstrumentIndex,
        calendar: &MarketCalendar,
        now: DateTime<Utc>,
    ) -> (Commit, Vec<Unpriced>) {
        let due: Vec<std::sync::Arc<Instrument>> = open_positions(&self.book)
            .iter()
            .filter_map(|symbol| index.by_symbol(symbol))
            .filter(|i| {
                i.derivative
                    .as_ref()
                    .is_some_and(|d| expiry_close(calendar, i.exchange, d.expiry) <= now)
            })
            .cloned()
            .collect();
        if due.is_empty() {
            return (Commit::default(), Vec::new());
        }
        let symbols: Vec<_> = due.iter().map(|i| i.symbol.clone()).collect();
        let undo = self.undo_point(&symbols);
        let mut events = Vec::new();
        let mut unpriced = Vec::new();
        for inst in &due {
            match self.underlying_close(index, inst) {
                Some(close) => events.extend(self.book.settle_expired(inst, close, now)),
                None => unpriced.push(Unpriced {
                    symbol: inst.symbol.clone(),
                    underlying: inst
                        .derivative
                        .as_ref()
                        .map(|d| d.underlying.clone())
                        .unwrap_or_default(),
                }),
            }
        }
        (self.commit(events, undo, now), unpriced)
    }

    /// The underlying's last price: the instrument of that name on the contract's
    /// exchange (an index, a stock), else on any; a future whose underlying is not
    /// streamed (a commodity) settles at its own last price.
    fn underlying_close(&self, index: &InstrumentIndex, inst: &Instrument) -> Option<f64> {
        let d = inst.derivative.as_ref()?;
        let priced = |symbol: &str| {
            self.quotes
                .get(symbol)
                .map(|t| t.ltp)
                .filter(|p| p.is_finite() && *p > 0.0)
        };
        let underlying = index
            .by_exchange_symbol(inst.exchange, &d.underlying)
            .or_else(|| index.by_symbol(&d.underlying))
            .filter(|u| u.derivative.is_none());
        underlying
            .and_then(|u| priced(&u.symbol))
            .or_else(|| d.strike.is_none().then(|| priced(&inst.symbol)).flatten())
    }
}

/// When a contract expiring on `expiry` stops trading: the close of its exchange's
/// normal session that day. A contract listed as expiring on a closed day (the
/// exchange moves such an expiry earlier) is settled at that day's end.
pub fn expiry_close(
    calendar: &MarketCalendar,
    exchange: Exchange,
    expiry: NaiveDate,
) -> DateTime<Utc> {
    calendar
        .session_bounds(exchange, expiry)
        .map(|(_, close)| close)
        .unwrap_or_else(|| {
            let next = expiry.checked_add_days(Days::new(1)).unwrap_or(expiry);
            IST.from_local_datetime(&next.and_time(NaiveTime::MIN))
                .single()
                .map_or(DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc))
        })
}

#[cfg(test)]
mod tests {
    use mandi_domain::Segment;
    use mandi_paper::{OrderKind, PaperEvent, PaperSettings, Side, SETTLEMENT_REASON};

    use super::*;
    use crate::test_support::{at, nifty_ce, quote, request, CE};

    fn index() -> InstrumentIndex {
        let nifty = Instrument {
            symbol: "NIFTY".into(),
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            security_id: 13,
            kite_token: 0,
            kite_key: "".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        };
        InstrumentIndex::build(vec![nifty_ce(), nifty]).expect("an index")
    }

    /// 2026-02-10, the option's expiry, at `h:m:s` IST.
    fn expiry_day(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default();
        IST.from_local_datetime(&day.and_hms_opt(h, m, s).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// A book long one lot of the call, and `nifty` as the underlying's last price.
    fn holding(nifty: Option<f64>) -> (ExecutorState, InstrumentIndex) {
        let index = index();
        let mut state = ExecutorState::new(PaperSettings::default());
        let ce = nifty_ce();
        let placed = state.place(
            &ce,
            request(Side::Buy, OrderKind::Market, "bot"),
            Some(quote(CE, 100.0, 100.5, 0)),
            at(0),
            true,
        );
        assert!(placed.outcome.is_some_and(|o| o.fills.len() == 1), "bought");
        if let Some(price) = nifty {
            state.on_ticks(&[quote("NIFTY", price, price, 10)], &index, at(10));
        }
        (state, index)
    }

    #[test]
    fn held_options_settle_at_the_close_of_their_expiry_and_not_before() {
        struct TestCase {
            name: &'static str,
            now: DateTime<Utc>,
            nifty: Option<f64>,
            /// The settlement fill's price, if one is made.
            want_price: Option<f64>,
            unpriced: usize,
        }
        let cases = [
            TestCase {
                name: "a week before expiry",
                now: at(60),
                nifty: Some(25_100.0),
                want_price: None,
                unpriced: 0,
            },
            TestCase {
                name: "a second before the close",
                now: expiry_day(15, 29, 59),
                nifty: Some(25_100.0),
                want_price: None,
                unpriced: 0,
            },
            TestCase {
                name: "at the close, in the money",
                now: expiry_day(15, 30, 0),
                nifty: Some(25_100.0),
                want_price: Some(100.0),
                unpriced: 0,
            },
            TestCase {
                name: "the next morning, worthless",
                now: expiry_day(15, 30, 0) + chrono::Duration::hours(17),
                nifty: Some(24_900.0),
                want_price: Some(0.0),
                unpriced: 0,
            },
            TestCase {
                name: "no underlying price: held and said",
                now: expiry_day(15, 30, 0),
                nifty: None,
                want_price: None,
                unpriced: 1,
            },
        ];
        let calendar = MarketCalendar::default();
        for case in cases {
            let (mut state, index) = holding(case.nifty);
            let (commit, unpriced) = state.settle_expired(&index, &calendar, case.now);
            let fill = commit.events.iter().find_map(|e| match e {
                PaperEvent::OrderFilled { fill } => Some(fill.clone()),
                _ => None,
            });
            assert_eq!(
                fill.as_ref().map(|f| f.price),
                case.want_price,
                "{}",
                case.name
            );
            assert_eq!(unpriced.len(), case.unpriced, "{}", case.name);
            if let Some(fill) = fill {
                assert_eq!(fill.reason, SETTLEMENT_REASON, "{}", case.name);
                assert!(commit.undo.is_some(), "{}: journaled", case.name);
                assert!(
                    state.book().positions().all(|p| p.is_flat()),
                    "{}: flat",
                    case.name
                );
                let (again, _) = state.settle_expired(&index, &calendar, case.now);
                assert!(again.events.is_empty(), "{}: settled once", case.name);
            } else {
                assert!(commit.undo.is_none(), "{}: nothing to journal", case.name);
            }
        }
    }
}
