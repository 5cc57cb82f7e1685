//! Messages the instrument directory answers.

use std::sync::Arc;

use actix::Message;

use super::state::InstrumentIndex;

/// Query: the current index (cheap `Arc` clone; callers keep it for lookups).
#[derive(Message)]
#[rtype(result = "Arc<InstrumentIndex>")]
pub struct GetInstrumentIndex;
