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

/// Clock → price store: an exchange closed (or the process is going down): write the
/// snapshot now rather than at the next interval.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct PersistNow {
    pub reason: String,
}
