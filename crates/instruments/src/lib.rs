//! The instrument index every actor reads: config instruments merged over a broker master,
//! looked up by symbol (or a broker's trading symbol, an alias), Dhan id or Kite token,
//! searched by name, grouped into option chains, and shared behind one swappable handle;
//! continuous futures resolved to the contract in force on a date.
//! Pure: files in, index out.

mod aliases;
mod chain;
pub mod continuous;
mod index;
mod load;
mod merge;
mod names;
mod shared;

pub use chain::ChainRow;
pub use continuous::{
    Continuity, ContinuousFuture, ContinuousState, ContractInForce, Unresolved, MAX_ROLL_DAYS,
};
pub use index::{IndexError, InstrumentIndex, SearchHit};
pub use load::{
    load_master, load_master_file, load_master_file_with, load_master_with, LoadError, LoadReport,
    MasterKind,
};
pub use merge::MergeReport;
pub use shared::SharedIndex;
