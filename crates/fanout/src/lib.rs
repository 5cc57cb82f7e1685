//! The client side of mandi: the latest prices and candles, and the sockets that carry
//! them to browsers and bots. Who sends what to whom:
//!
//! ```text
//!  (backplane) TicksReceived ──▶ PriceStore ──TicksPublished──▶ Broadcaster ──bytes──▶ ClientSession (per socket)
//!                                    ▲ GetSnapshot, GetCandles       │  ▲ FeedStatusChanged, FallbackStatusChanged (backplane)
//!                                                                    │  └ TradingUpdate (from the trading side's Recipient)
//!                                                                    └──▶ Subscribe / Release / ReleaseAll (backplane Interest)
//! ```
//!
//! It depends on the feed's backplane messages, never the other way round.

pub mod broadcaster;
pub mod client_session;
pub mod price_store;
pub mod settings;
