//! The instrument index every actor reads: config instruments merged over a broker master,
//! looked up by symbol (or a broker's trading symbol, an alias), Dhan id or Kite token,
//! searched by name, grouped into option chains, and shared behind one swappable handle.
//! Pure: files in, index out.

mod aliases;
mod chain;
mod index;
mod load;
mod merge;
mod names;
mod shared;

pub use chain::ChainRow;
pub use index::{IndexError, InstrumentIndex, SearchHit};
pub use load::{load_master, load_master_file, LoadError, LoadReport, MasterKind};
pub use merge::MergeReport;
pub use shared::SharedIndex;
