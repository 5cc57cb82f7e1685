//! `InstrumentDirectory`: owns the instrument index. For now the list comes from config;
//! the broker master CSV replaces it later without changing the lookups.

mod messages;
mod state;

use std::sync::Arc;

use actix::{Actor, Context, Handler, MessageResult};

pub use messages::GetInstrumentIndex;
pub use state::{IndexError, InstrumentIndex};

/// Holds the shared index and hands it out.
pub struct InstrumentDirectory {
    index: Arc<InstrumentIndex>,
}

impl InstrumentDirectory {
    pub fn new(index: Arc<InstrumentIndex>) -> InstrumentDirectory {
        InstrumentDirectory { index }
    }
}

impl Actor for InstrumentDirectory {
    type Context = Context<Self>;
}

impl actix::Supervised for InstrumentDirectory {}

crate::crash_handler!(InstrumentDirectory);

impl Handler<GetInstrumentIndex> for InstrumentDirectory {
    type Result = MessageResult<GetInstrumentIndex>;

    fn handle(&mut self, _: GetInstrumentIndex, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.index.clone())
    }
}
