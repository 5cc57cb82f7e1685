//! Why an order was rejected, why a fill was refused, and the errors of the book's
//! non-event calls (cancel, restore).

use std::sync::Arc;

use mandi_domain::Exchange;
use serde::{Deserialize, Serialize};

use crate::{OrderId, OrderStatus};

/// Which price of an order a rejection is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceField {
    Limit,
    Trigger,
}

impl std::fmt::Display for PriceField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PriceField::Limit => "limit price",
            PriceField::Trigger => "trigger price",
        })
    }
}

/// Why a quote may not be filled against. The order stays open (except a market order
/// at submission, which is rejected with this inside [`RejectReason::QuoteRefused`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RefuseReason {
    /// Older than `max_quote_age_ms`, by exchange time (received time when there is none).
    #[error("quote is {age_ms} ms old (limit {max_age_ms} ms)")]
    StaleQuote { age_ms: i64, max_age_ms: u64 },
    /// A REST snapshot is a picture of the past, not a market one can trade against.
    #[error("quote is a snapshot, not a live quote")]
    SnapshotQuote,
    /// One side of the book is empty (or the feed is in LTP mode).
    #[error("no two-sided quote (bid {bid}, ask {ask})")]
    NoTwoSidedQuote { bid: f64, ask: f64 },
    /// Bid above ask: a broken quote, not an arbitrage.
    #[error("crossed quote (bid {bid} above ask {ask})")]
    CrossedQuote { bid: f64, ask: f64 },
    /// The quote belongs to another instrument (an option priced off its index).
    #[error("quote is for {quote_symbol}, not this instrument")]
    QuoteForOtherSymbol { quote_symbol: Arc<str> },
}

impl RefuseReason {
    /// The stable snake_case code this reason serializes under (`"code"`), for journals
    /// and logs that want the code without serializing the reason.
    pub fn code(&self) -> &'static str {
        match self {
            RefuseReason::StaleQuote { .. } => "stale_quote",
            RefuseReason::SnapshotQuote => "snapshot_quote",
            RefuseReason::NoTwoSidedQuote { .. } => "no_two_sided_quote",
            RefuseReason::CrossedQuote { .. } => "crossed_quote",
            RefuseReason::QuoteForOtherSymbol { .. } => "quote_for_other_symbol",
        }
    }
}

/// Why an order was rejected at submission. A rejected order never rests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RejectReason {
    #[error("zero lots")]
    ZeroLots,
    #[error("quantity {lots} lots × {lot_size} does not fit the book")]
    QuantityTooLarge { lots: u32, lot_size: u32 },
    /// The instrument master row is unusable (tick size ≤ 0 or not finite, lot size 0).
    #[error("instrument has tick size {tick_size} and lot size {lot_size}")]
    BadInstrument { tick_size: f64, lot_size: u32 },
    /// Indices are watched, never traded.
    #[error("{symbol} is an index and cannot be traded")]
    NotTradable { symbol: Arc<str> },
    /// Outside the instrument's exchange session (the runtime's calendar, which
    /// `market.always_open` overrides): no exchange would take it, so neither do we.
    #[error("{exchange:?} is closed; orders on it are taken during its session only")]
    MarketClosed { exchange: Exchange },
    #[error("{field} {price} is not positive")]
    NonPositivePrice { field: PriceField, price: f64 },
    #[error("{field} {price} is not a multiple of the tick size {tick_size}")]
    OffTick {
        field: PriceField,
        price: f64,
        tick_size: f64,
    },
    /// An SL buy needs limit ≥ trigger; an SL sell needs limit ≤ trigger (as Kite).
    #[error("stop-loss limit {price} is on the wrong side of its trigger {trigger_price}")]
    LimitBeyondTrigger { trigger_price: f64, price: f64 },
    #[error("no quote for the instrument")]
    NoQuote,
    #[error("quote is for {quote_symbol}, not {symbol}")]
    QuoteForOtherSymbol {
        symbol: Arc<str>,
        quote_symbol: Arc<str>,
    },
    /// A stop needs a last price to tell which side of the market its trigger is on.
    #[error("quote has no last traded price")]
    NoLastPrice,
    /// A stop whose trigger the market has already passed would fire at once; the
    /// brokers reject these, and so do we.
    #[error("trigger {trigger_price} already crossed by last price {ltp}")]
    TriggerAlreadyCrossed { trigger_price: f64, ltp: f64 },
    /// A market order would fill now against a quote we may not trade on. It is rejected
    /// rather than left to fill later at a price the caller never saw.
    #[error("quote refused: {refusal}")]
    QuoteRefused { refusal: RefuseReason },
}

impl RejectReason {
    /// The stable snake_case code this reason serializes under (`"code"`); see
    /// [`RefuseReason::code`].
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::ZeroLots => "zero_lots",
            RejectReason::QuantityTooLarge { .. } => "quantity_too_large",
            RejectReason::BadInstrument { .. } => "bad_instrument",
            RejectReason::NotTradable { .. } => "not_tradable",
            RejectReason::MarketClosed { .. } => "market_closed",
            RejectReason::NonPositivePrice { .. } => "non_positive_price",
            RejectReason::OffTick { .. } => "off_tick",
            RejectReason::LimitBeyondTrigger { .. } => "limit_beyond_trigger",
            RejectReason::NoQuote => "no_quote",
            RejectReason::QuoteForOtherSymbol { .. } => "quote_for_other_symbol",
            RejectReason::NoLastPrice => "no_last_price",
            RejectReason::TriggerAlreadyCrossed { .. } => "trigger_already_crossed",
            RejectReason::QuoteRefused { .. } => "quote_refused",
        }
    }
}

/// Why a cancel did nothing.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CancelError {
    #[error("unknown order {0}")]
    UnknownOrder(OrderId),
    #[error("order {order_id} is {status:?}, not open")]
    NotOpen {
        order_id: OrderId,
        status: OrderStatus,
    },
}

/// Why a snapshot could not be restored.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RestoreError {
    #[error("order id {0} appears twice")]
    DuplicateOrder(OrderId),
    /// A counter at or below an id already used would mint that id again.
    #[error("next {kind} id {next} is not above the highest used id {highest}")]
    CounterBehind {
        kind: &'static str,
        next: u64,
        highest: u64,
    },
    #[error("fill {fill_id} names order {order_id}, which the snapshot lacks")]
    OrphanFill {
        fill_id: crate::FillId,
        order_id: OrderId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_serialize_with_a_code() {
        let refused = RejectReason::QuoteRefused {
            refusal: RefuseReason::StaleQuote {
                age_ms: 6_200,
                max_age_ms: 5_000,
            },
        };
        let json = serde_json::to_string(&refused).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"code":"quote_refused","refusal":{"code":"stale_quote","age_ms":6200,"max_age_ms":5000}}"#
        );
        let back: Result<RejectReason, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(refused.clone()));
        assert_eq!(
            refused.to_string(),
            "quote refused: quote is 6200 ms old (limit 5000 ms)"
        );
    }

    /// Every variant once. `code()` is an exhaustive match, so a new variant fails to
    /// compile there; add it here too so its code is checked against serde.
    fn every_refusal() -> Vec<RefuseReason> {
        vec![
            RefuseReason::StaleQuote {
                age_ms: 6_200,
                max_age_ms: 5_000,
            },
            RefuseReason::SnapshotQuote,
            RefuseReason::NoTwoSidedQuote { bid: 0.0, ask: 1.0 },
            RefuseReason::CrossedQuote { bid: 2.0, ask: 1.0 },
            RefuseReason::QuoteForOtherSymbol {
                quote_symbol: "NIFTY".into(),
            },
        ]
    }

    fn every_rejection() -> Vec<RejectReason> {
        vec![
            RejectReason::ZeroLots,
            RejectReason::QuantityTooLarge {
                lots: 1,
                lot_size: 75,
            },
            RejectReason::BadInstrument {
                tick_size: 0.0,
                lot_size: 0,
            },
            RejectReason::NotTradable {
                symbol: "NIFTY".into(),
            },
            RejectReason::NonPositivePrice {
                field: PriceField::Limit,
                price: 0.0,
            },
            RejectReason::OffTick {
                field: PriceField::Trigger,
                price: 10.01,
                tick_size: 0.05,
            },
            RejectReason::LimitBeyondTrigger {
                trigger_price: 10.0,
                price: 9.0,
            },
            RejectReason::NoQuote,
            RejectReason::QuoteForOtherSymbol {
                symbol: "A".into(),
                quote_symbol: "B".into(),
            },
            RejectReason::NoLastPrice,
            RejectReason::TriggerAlreadyCrossed {
                trigger_price: 10.0,
                ltp: 11.0,
            },
            RejectReason::QuoteRefused {
                refusal: RefuseReason::SnapshotQuote,
            },
        ]
    }

    fn serialized_code<T: Serialize>(reason: &T) -> Option<String> {
        let value = serde_json::to_value(reason).ok()?;
        value.get("code")?.as_str().map(str::to_owned)
    }

    #[test]
    fn code_agrees_with_the_serialized_code_of_every_refusal() {
        for reason in every_refusal() {
            assert_eq!(
                serialized_code(&reason).as_deref(),
                Some(reason.code()),
                "case {reason:?}"
            );
        }
    }

    #[test]
    fn code_agrees_with_the_serialized_code_of_every_rejection() {
        for reason in every_rejection() {
            assert_eq!(
                serialized_code(&reason).as_deref(),
                Some(reason.code()),
                "case {reason:?}"
            );
        }
    }
}
