//! What the market clock answers and sends.

use actix::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Query: the next scheduled job, for `/health`.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "NextJob")]
pub struct GetNextJob;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NextJob {
    /// `master_refresh`, `token_check`, `connect` or `end_of_day:NSE`.
    pub job: String,
    pub at: DateTime<Utc>,
}
