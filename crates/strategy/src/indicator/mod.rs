//! Small, pure indicators over bars: EMA, the opening range, and N-minute aggregation.
//! Each is plain data (serde) so a bot snapshot carries it across a restart.

mod aggregate;
mod ema;
mod opening_range;

pub use aggregate::CandleAggregator;
pub use ema::Ema;
pub use opening_range::{OpeningRange, RangeSide};
