//! Paper execution: orders filled honestly against live quotes; pure, time is an argument.
//!
//! A [`PaperBook`] is one paper account. It takes order requests, quotes (`Tick`s) and
//! cancels, and answers each call with the [`PaperEvent`]s it caused.
//!
//! **Fill model** (NautilusTrader's L1 semantics, deterministic, no RNG):
//! - Market orders buy at the ask and sell at the bid, moved `slippage_ticks` against the
//!   order. Lots beyond the displayed L1 size fill one tick worse (the residual rule).
//!   Price protection holds every taker price within `protection_ticks` of the touch.
//! - A marketable limit takes liquidity the same way, never beyond its limit. A limit that
//!   has stood in the book (seen a fresh quote without filling) fills at its own limit,
//!   whole, once the touch reaches it — touching is enough — even if the market gaps
//!   through it.
//! - SL and SL-M trigger when LTP reaches the trigger, then work as a limit or fill as a
//!   market order. Stops whose trigger LTP has already reached are rejected, as brokers do.
//! - An order fills completely in one step (one fill, or two with a residual); there is
//!   no partial fill and no consumption of displayed size between orders.
//! - Maker fills come from quotes only: a trade print alone does not fill a limit.
//! - Prices are held in whole ticks inside the matcher, so every fill is on the grid.
//!
//! **Stale guard.** No fill, and no trigger, against a quote older than
//! `max_quote_age_ms`, a snapshot, a one-sided or crossed quote, or a quote for another
//! symbol. Resting orders stay open and get a `FillRefused` event saying why; a market
//! order submitted on such a quote is rejected instead of waiting to fill later at a price
//! its caller never saw. Limits and stops submitted on one are accepted and wait.
//!
//! **Limits.** [`OrderLimits`] says what a caller may ask for at all (text lengths, lots,
//! prices on the grid and near the last price); the caller checks them before the book
//! sees an order, so an absurd request is refused rather than booked as a rejection.
//!
//! **Sequencing.** Resting orders see a new quote before orders submitted on it do.
//!
//! **Expiry.** A future or option still held when its expiry's session closes is settled
//! by [`PaperBook::settle_expired`] at [`settlement_price`] (intrinsic value for an
//! option, the underlying's close for a future): one fill of liquidity `settlement`,
//! reason `expiry_settlement`, with its charges.
//!
//! **Accounting.** Average-cost positions; realized PnL gross of charges; charges per fill
//! under Indian rules ([`ChargeRates`]), rounded to the paisa. No margin is modelled: cash
//! may go negative and shorts need no collateral.

mod book;
mod charges;
mod event;
mod fill;
mod limits;
mod matching;
mod order;
mod position;
mod price;
mod quote;
mod reason;
mod settings;
mod settlement;
mod summary;
mod validate;

pub use book::{AccountRecord, BookUndo, PaperBook, PaperSnapshot};
pub use charges::{ChargeRates, Charges, ClassRates, ExchangeRates, InstrumentClass, OrderToDate};
pub use event::PaperEvent;
pub use fill::{Fill, Liquidity};
pub use limits::{
    last_price, LimitError, OrderField, OrderLimits, MAX_PRICE_INR, MAX_REASON_CHARS, MAX_TAG_CHARS,
};
pub use order::{FillId, Order, OrderId, OrderKind, OrderRequest, OrderStatus, Side};
pub use position::Position;
pub use price::{is_on_tick, round_paise, PRICE_TOLERANCE_INR};
pub use quote::{quote_age_ms, quote_refusal};
pub use reason::{CancelError, PriceField, RefuseReason, RejectReason, RestoreError};
pub use settings::PaperSettings;
pub use settlement::{settlement_price, SETTLEMENT_REASON, SETTLEMENT_TAG};
pub use summary::{mark_price, AccountSummary, Marks};
