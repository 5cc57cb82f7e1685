//! The time source of the trading actors. Production reads the wall clock; a scripted
//! scenario passes its own, so a whole trading day runs in milliseconds with exact times.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Returns "now". Shared by every trading actor of one runtime.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}
