//! The fill model in whole ticks: taker prices at the touch with slippage, the residual
//! rule and price protection; limit crossing; stop triggers. No state, no money.

use crate::quote::Touch;
use crate::Side;

/// One price level of a fill: `lots` at `price` ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leg {
    pub lots: u32,
    pub price: i64,
}

/// How far a taker fill may move against the order, from the settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TakerModel {
    pub slippage_ticks: u32,
    pub protection_ticks: u32,
}

/// Prices for an order taking liquidity: the whole order fills now.
///
/// Lots that fit in the displayed L1 size fill at the touch moved `slippage_ticks`
/// against the order; the rest fill one tick further (the residual rule). Every price is
/// then held within price protection (`touch ± protection_ticks`), within `limit` when the
/// order has one, and at or above one tick. Equal-priced legs merge, so the answer has
/// one or two legs. The displayed size is counted in whole lots: F&O books trade in lots.
pub(crate) fn taker_legs(
    side: Side,
    lots: u32,
    lot_size: u32,
    touch: &Touch,
    model: TakerModel,
    limit: Option<i64>,
) -> Vec<Leg> {
    let (base, displayed) = match side {
        Side::Buy => (touch.ask, touch.ask_qty),
        Side::Sell => (touch.bid, touch.bid_qty),
    };
    let against = side.sign();
    let slip = i64::from(model.slippage_ticks);
    let worst = base + against * i64::from(model.protection_ticks);
    let bound = |price: i64| -> i64 {
        let capped = match (side, limit) {
            (Side::Buy, Some(l)) => price.min(worst).min(l),
            (Side::Buy, None) => price.min(worst),
            (Side::Sell, Some(l)) => price.max(worst).max(l),
            (Side::Sell, None) => price.max(worst),
        };
        capped.max(1)
    };
    let at_touch = bound(base + against * slip);
    let residual = bound(base + against * (slip + 1));
    let lots_at_touch =
        u32::try_from(displayed / u64::from(lot_size.max(1))).map_or(lots, |l| l.min(lots));
    let lots_residual = lots - lots_at_touch;

    let mut legs = Vec::with_capacity(2);
    if lots_at_touch > 0 {
        legs.push(Leg {
            lots: lots_at_touch,
            price: at_touch,
        });
    }
    if lots_residual > 0 {
        match legs.last_mut() {
            Some(leg) if leg.price == residual => leg.lots += lots_residual,
            _ => legs.push(Leg {
                lots: lots_residual,
                price: residual,
            }),
        }
    }
    legs
}

/// A limit can take liquidity now: a buy at or above the ask, a sell at or below the bid.
/// Touching counts (Nautilus's `prob_fill_on_limit` = 1).
pub(crate) fn is_marketable(side: Side, limit: i64, touch: &Touch) -> bool {
    match side {
        Side::Buy => touch.ask <= limit,
        Side::Sell => touch.bid >= limit,
    }
}

/// A stop fires when the last price reaches its trigger: a buy stop sits above the
/// market and fires on a rise, a sell stop below it and fires on a fall.
pub(crate) fn is_triggered(side: Side, trigger: i64, ltp: i64) -> bool {
    match side {
        Side::Buy => ltp >= trigger,
        Side::Sell => ltp <= trigger,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOUCH: Touch = Touch {
        bid: 100,
        ask: 102,
        bid_qty: 150,
        ask_qty: 150,
    };

    struct TestCase {
        name: &'static str,
        side: Side,
        lots: u32,
        slippage_ticks: u32,
        protection_ticks: u32,
        limit: Option<i64>,
        want: Vec<(u32, i64)>,
    }

    #[test]
    fn taker_leg_cases() {
        let cases = [
            TestCase {
                name: "buy within L1 at the ask",
                side: Side::Buy,
                lots: 2,
                slippage_ticks: 0,
                protection_ticks: 5,
                limit: None,
                want: vec![(2, 102)],
            },
            TestCase {
                name: "buy beyond L1: residual one tick worse",
                side: Side::Buy,
                lots: 5,
                slippage_ticks: 0,
                protection_ticks: 5,
                limit: None,
                want: vec![(3, 102), (2, 103)],
            },
            TestCase {
                name: "sell beyond L1 with slippage",
                side: Side::Sell,
                lots: 4,
                slippage_ticks: 1,
                protection_ticks: 5,
                limit: None,
                want: vec![(3, 99), (1, 98)],
            },
            TestCase {
                name: "protection caps slippage and residual, legs merge",
                side: Side::Buy,
                lots: 5,
                slippage_ticks: 3,
                protection_ticks: 2,
                limit: None,
                want: vec![(5, 104)],
            },
            TestCase {
                name: "limit caps the residual",
                side: Side::Buy,
                lots: 5,
                slippage_ticks: 0,
                protection_ticks: 5,
                limit: Some(102),
                want: vec![(5, 102)],
            },
            TestCase {
                name: "sell never below one tick",
                side: Side::Sell,
                lots: 1,
                slippage_ticks: 500,
                protection_ticks: 500,
                limit: None,
                want: vec![(1, 1)],
            },
        ];
        for c in cases {
            let model = TakerModel {
                slippage_ticks: c.slippage_ticks,
                protection_ticks: c.protection_ticks,
            };
            let got: Vec<(u32, i64)> = taker_legs(c.side, c.lots, 50, &TOUCH, model, c.limit)
                .into_iter()
                .map(|l| (l.lots, l.price))
                .collect();
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn empty_displayed_size_fills_all_as_residual() {
        let touch = Touch {
            ask_qty: 0,
            ..TOUCH
        };
        let model = TakerModel {
            slippage_ticks: 0,
            protection_ticks: 5,
        };
        let legs = taker_legs(Side::Buy, 2, 50, &touch, model, None);
        assert_eq!(
            legs,
            vec![Leg {
                lots: 2,
                price: 103
            }]
        );
    }

    #[test]
    fn marketable_and_triggered() {
        assert!(is_marketable(Side::Buy, 102, &TOUCH), "buy at the ask");
        assert!(
            !is_marketable(Side::Buy, 101, &TOUCH),
            "buy inside the spread"
        );
        assert!(is_marketable(Side::Sell, 100, &TOUCH), "sell at the bid");
        assert!(
            !is_marketable(Side::Sell, 101, &TOUCH),
            "sell inside the spread"
        );
        assert!(is_triggered(Side::Buy, 105, 105), "buy stop touched");
        assert!(!is_triggered(Side::Buy, 105, 104), "buy stop below");
        assert!(is_triggered(Side::Sell, 95, 90), "sell stop gapped");
        assert!(!is_triggered(Side::Sell, 95, 96), "sell stop above");
    }
}
