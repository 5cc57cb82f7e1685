//! Normalised market-data vocabulary shared by every mandi crate.
//! Pure: no IO, no actix, no wall clock — time always arrives as an argument.

pub mod calendar;
pub mod candle;
pub mod candles;
pub mod feed;
pub mod health;
pub mod instrument;
pub mod levels;
pub mod mode;
pub mod options;
pub mod segment;
pub mod tick;
pub mod time;

pub use calendar::{
    CalendarSettings, DailySchedule, HolidayLists, MarketCalendar, MarketPhase, ScheduledJob,
};
pub use candle::Candle;
pub use feed::{feed_quality, FeedFacts, FeedQuality, FeedState};
pub use health::{FeedCondition, HealthThresholds, InstrumentHealth, InstrumentStatus};
pub use instrument::{Derivative, Exchange, Instrument, OptionType};
pub use levels::{DayLevels, DayOhlc};
pub use mode::Mode;
pub use segment::Segment;
pub use tick::{DepthLevel, Tick, TickSource, TickUpdate};
