//! Order limits: what a caller may ask for at all. Checked before the book sees an order,
//! so an absurd request is refused (not booked as a rejection) and nothing oversized
//! reaches the journal. The book's own checks (`validate`) still run after these.

use mandi_domain::{Instrument, Tick};
use serde::Serialize;

use crate::price::is_on_tick;
use crate::{OrderRequest, PaperSettings};

/// The longest `tag` an order may carry, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The longest `reason` an order may carry, in characters.
pub const MAX_REASON_CHARS: usize = 256;
/// No price above this is taken (₹), last price known or not: it keeps the matcher's
/// whole-tick arithmetic far from overflow. The dearest Indian share trades near ₹1.5 lakh.
pub const MAX_PRICE_INR: f64 = 10_000_000.0;

/// The key of the order body a limit is about, as callers spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderField {
    Tag,
    Reason,
    Lots,
    Price,
    TriggerPrice,
}

impl OrderField {
    pub fn key(self) -> &'static str {
        match self {
            OrderField::Tag => "tag",
            OrderField::Reason => "reason",
            OrderField::Lots => "lots",
            OrderField::Price => "price",
            OrderField::TriggerPrice => "trigger_price",
        }
    }
}

impl std::fmt::Display for OrderField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Why an order was refused before the book saw it. Each names the field and the limit.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LimitError {
    #[error("`tag` is {chars} characters; the limit is {limit}")]
    TagTooLong { chars: usize, limit: usize },
    #[error("`reason` is {chars} characters; the limit is {limit}")]
    ReasonTooLong { chars: usize, limit: usize },
    #[error("`lots` is {lots}; it must be from 1 to {limit} (paper.max_lots_per_order)")]
    LotsOutOfRange { lots: u32, limit: u32 },
    // Prices print with `?`: 1e300 and 5e-324 stay short, as callers wrote them.
    #[error("`{field}` {price:?} is not a price: it must be at least one tick ({tick_size:?})")]
    PriceBelowTick {
        field: OrderField,
        price: f64,
        tick_size: f64,
    },
    #[error("`{field}` {price:?} is not a multiple of the tick size {tick_size:?}")]
    PriceOffTick {
        field: OrderField,
        price: f64,
        tick_size: f64,
    },
    #[error("`{field}` {price:?} is above the highest price taken, {limit:?}")]
    PriceTooLarge {
        field: OrderField,
        price: f64,
        limit: f64,
    },
    #[error("`{field}` {price:?} is more than {limit_pct:?} % away from the last price {last_price:?} (paper.max_price_deviation_pct)")]
    PriceOutOfBand {
        field: OrderField,
        price: f64,
        last_price: f64,
        limit_pct: f64,
    },
}

impl LimitError {
    /// The stable snake_case code this error serializes under (`"code"`).
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::TagTooLong { .. } => "tag_too_long",
            LimitError::ReasonTooLong { .. } => "reason_too_long",
            LimitError::LotsOutOfRange { .. } => "lots_out_of_range",
            LimitError::PriceBelowTick { .. } => "price_below_tick",
            LimitError::PriceOffTick { .. } => "price_off_tick",
            LimitError::PriceTooLarge { .. } => "price_too_large",
            LimitError::PriceOutOfBand { .. } => "price_out_of_band",
        }
    }

    /// The body key the error is about.
    pub fn field(&self) -> OrderField {
        match self {
            LimitError::TagTooLong { .. } => OrderField::Tag,
            LimitError::ReasonTooLong { .. } => OrderField::Reason,
            LimitError::LotsOutOfRange { .. } => OrderField::Lots,
            LimitError::PriceBelowTick { field, .. }
            | LimitError::PriceOffTick { field, .. }
            | LimitError::PriceTooLarge { field, .. }
            | LimitError::PriceOutOfBand { field, .. } => *field,
        }
    }
}

/// The limits of one runtime, from `[paper]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderLimits {
    pub max_lots_per_order: u32,
    pub max_price_deviation_pct: f64,
}

impl OrderLimits {
    pub fn of(settings: &PaperSettings) -> OrderLimits {
        OrderLimits {
            max_lots_per_order: settings.max_lots_per_order,
            max_price_deviation_pct: settings.max_price_deviation_pct,
        }
    }

    /// Checks `request` on `instrument`. `last_price` (see [`last_price`]) bounds the
    /// prices when known. The checks run in a fixed order: tag, reason, lots, price,
    /// trigger price.
    pub fn check(
        &self,
        request: &OrderRequest,
        instrument: &Instrument,
        last_price: Option<f64>,
    ) -> Result<(), LimitError> {
        let chars = request.tag.chars().count();
        if chars > MAX_TAG_CHARS {
            return Err(LimitError::TagTooLong {
                chars,
                limit: MAX_TAG_CHARS,
            });
        }
        let chars = request.reason.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(LimitError::ReasonTooLong {
                chars,
                limit: MAX_REASON_CHARS,
            });
        }
        if request.lots == 0 || request.lots > self.max_lots_per_order {
            return Err(LimitError::LotsOutOfRange {
                lots: request.lots,
                limit: self.max_lots_per_order,
            });
        }
        let prices = [
            (OrderField::Price, request.kind.limit_price()),
            (OrderField::TriggerPrice, request.kind.trigger_price()),
        ];
        for (field, price) in prices {
            if let Some(price) = price {
                self.check_price(field, price, instrument.tick_size, last_price)?;
            }
        }
        Ok(())
    }

    fn check_price(
        &self,
        field: OrderField,
        price: f64,
        tick_size: f64,
        last_price: Option<f64>,
    ) -> Result<(), LimitError> {
        // At least one tick: 5e-324 is "on the grid" at zero ticks, and zero is no price.
        let one_tick = tick_size.is_finite() && tick_size > 0.0 && price >= tick_size;
        if !(price.is_finite() && one_tick) {
            return Err(LimitError::PriceBelowTick {
                field,
                price,
                tick_size,
            });
        }
        if price > MAX_PRICE_INR {
            return Err(LimitError::PriceTooLarge {
                field,
                price,
                limit: MAX_PRICE_INR,
            });
        }
        if !is_on_tick(price, tick_size) {
            return Err(LimitError::PriceOffTick {
                field,
                price,
                tick_size,
            });
        }
        if let Some(last_price) = last_price {
            let limit_pct = self.max_price_deviation_pct;
            let deviation_pct = (price - last_price).abs() / last_price * 100.0;
            // A hair of tolerance: a price exactly at the band's edge is inside it.
            if deviation_pct > limit_pct + 1e-9 {
                return Err(LimitError::PriceOutOfBand {
                    field,
                    price,
                    last_price,
                    limit_pct,
                });
            }
        }
        Ok(())
    }
}

/// The price a band is measured from: the last traded price, else the middle of a
/// two-sided quote; `None` when the tick has neither.
pub fn last_price(tick: &Tick) -> Option<f64> {
    let usable = |p: f64| p.is_finite() && p > 0.0;
    if usable(tick.ltp) {
        return Some(tick.ltp);
    }
    (usable(tick.bid) && usable(tick.ask)).then(|| (tick.bid + tick.ask) / 2.0)
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Exchange, Segment};

    use super::*;
    use crate::{OrderKind, Side};

    fn option() -> Instrument {
        Instrument {
            symbol: "NIFTY-CE".into(),
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            security_id: 1,
            kite_token: 1,
            kite_key: "NFO:NIFTY-CE".into(),
            tick_size: 0.05,
            lot_size: 65,
            derivative: None,
        }
    }

    fn request(kind: OrderKind, lots: u32, tag: &str, reason: &str) -> OrderRequest {
        OrderRequest {
            side: Side::Buy,
            kind,
            lots,
            tag: tag.into(),
            reason: reason.into(),
        }
    }

    struct TestCase {
        name: &'static str,
        request: OrderRequest,
        last_price: Option<f64>,
        /// The refusal's code and the body key it names, or `None`: accepted.
        refused: Option<(&'static str, &'static str)>,
    }

    #[test]
    fn requests_are_refused_naming_the_field_and_the_limit() {
        let limits = OrderLimits {
            max_lots_per_order: 100,
            max_price_deviation_pct: 20.0,
        };
        let limit = |price| OrderKind::Limit { price };
        let stop = |trigger_price| OrderKind::StopLossMarket { trigger_price };
        let long = |n| "x".repeat(n);
        let cases = vec![
            TestCase {
                name: "a plain market order",
                request: request(OrderKind::Market, 1, "bot-1", "entry"),
                last_price: Some(100.0),
                refused: None,
            },
            TestCase {
                name: "a tag of 64 characters, multi-byte ones counted once",
                request: request(OrderKind::Market, 1, &"₹".repeat(64), ""),
                last_price: None,
                refused: None,
            },
            TestCase {
                name: "a tag of 65 characters",
                request: request(OrderKind::Market, 1, &long(65), ""),
                last_price: None,
                refused: Some(("tag_too_long", "tag")),
            },
            TestCase {
                name: "a reason of 256 characters",
                request: request(OrderKind::Market, 1, "t", &long(256)),
                last_price: None,
                refused: None,
            },
            TestCase {
                name: "a reason of 250 KB",
                request: request(OrderKind::Market, 1, "t", &long(250_000)),
                last_price: None,
                refused: Some(("reason_too_long", "reason")),
            },
            TestCase {
                name: "zero lots",
                request: request(OrderKind::Market, 0, "t", ""),
                last_price: None,
                refused: Some(("lots_out_of_range", "lots")),
            },
            TestCase {
                name: "the most lots allowed",
                request: request(OrderKind::Market, 100, "t", ""),
                last_price: None,
                refused: None,
            },
            TestCase {
                name: "u32::MAX lots",
                request: request(OrderKind::Market, u32::MAX, "t", ""),
                last_price: None,
                refused: Some(("lots_out_of_range", "lots")),
            },
            TestCase {
                name: "a limit of 5e-324 (zero ticks)",
                request: request(limit(5e-324), 1, "t", ""),
                last_price: None,
                refused: Some(("price_below_tick", "price")),
            },
            TestCase {
                name: "a negative limit",
                request: request(limit(-1.0), 1, "t", ""),
                last_price: None,
                refused: Some(("price_below_tick", "price")),
            },
            TestCase {
                name: "a NaN trigger",
                request: request(stop(f64::NAN), 1, "t", ""),
                last_price: None,
                refused: Some(("price_below_tick", "trigger_price")),
            },
            TestCase {
                name: "an infinite trigger",
                request: request(stop(f64::INFINITY), 1, "t", ""),
                last_price: None,
                refused: Some(("price_below_tick", "trigger_price")),
            },
            TestCase {
                name: "a trigger of 1e300 with no last price",
                request: request(stop(1e300), 1, "t", ""),
                last_price: None,
                refused: Some(("price_too_large", "trigger_price")),
            },
            TestCase {
                name: "a limit off the tick",
                request: request(limit(100.03), 1, "t", ""),
                last_price: None,
                refused: Some(("price_off_tick", "price")),
            },
            TestCase {
                name: "a limit one tick above zero and no last price",
                request: request(limit(0.05), 1, "t", ""),
                last_price: None,
                refused: None,
            },
            TestCase {
                name: "a limit at the band's upper edge",
                request: request(limit(120.0), 1, "t", ""),
                last_price: Some(100.0),
                refused: None,
            },
            TestCase {
                name: "a limit past the band",
                request: request(limit(120.05), 1, "t", ""),
                last_price: Some(100.0),
                refused: Some(("price_out_of_band", "price")),
            },
            TestCase {
                name: "a stop below the band",
                request: request(stop(79.95), 1, "t", ""),
                last_price: Some(100.0),
                refused: Some(("price_out_of_band", "trigger_price")),
            },
            TestCase {
                name: "an SL whose price is fine but whose trigger is not",
                request: request(
                    OrderKind::StopLoss {
                        trigger_price: 200.0,
                        price: 110.0,
                    },
                    1,
                    "t",
                    "",
                ),
                last_price: Some(100.0),
                refused: Some(("price_out_of_band", "trigger_price")),
            },
        ];
        for case in cases {
            let got = limits.check(&case.request, &option(), case.last_price);
            let refused = got.as_ref().err().map(|e| (e.code(), e.field().key()));
            assert_eq!(refused, case.refused, "case `{}`: {got:?}", case.name);
            if let Err(e) = got {
                let message = e.to_string();
                assert!(
                    message.contains(&format!("`{}`", e.field())),
                    "case `{}`: the message names the field: {message}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn code_agrees_with_the_serialized_code() {
        let errors = [
            LimitError::TagTooLong {
                chars: 65,
                limit: 64,
            },
            LimitError::ReasonTooLong {
                chars: 300,
                limit: 256,
            },
            LimitError::LotsOutOfRange {
                lots: 0,
                limit: 100,
            },
            LimitError::PriceBelowTick {
                field: OrderField::Price,
                price: 0.0,
                tick_size: 0.05,
            },
            LimitError::PriceOffTick {
                field: OrderField::Price,
                price: 1.01,
                tick_size: 0.05,
            },
            LimitError::PriceTooLarge {
                field: OrderField::TriggerPrice,
                price: 1e300,
                limit: MAX_PRICE_INR,
            },
            LimitError::PriceOutOfBand {
                field: OrderField::TriggerPrice,
                price: 1.0,
                last_price: 2.0,
                limit_pct: 20.0,
            },
        ];
        for e in errors {
            let json = serde_json::to_value(&e).unwrap_or_default();
            assert_eq!(json["code"].as_str(), Some(e.code()), "case {e:?}");
        }
    }

    #[test]
    fn the_last_price_is_the_ltp_else_the_middle() {
        let mut t = Tick::empty("X".into(), chrono::DateTime::default());
        assert_eq!(last_price(&t), None);
        (t.bid, t.ask) = (99.0, 101.0);
        assert_eq!(last_price(&t), Some(100.0));
        t.ltp = 100.5;
        assert_eq!(last_price(&t), Some(100.5));
    }
}
