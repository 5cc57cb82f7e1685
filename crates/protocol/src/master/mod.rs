//! Broker instrument masters — the Dhan scrip master (compact and detailed) and the Kite
//! instruments CSV — read into `Instrument`s. Bad rows are dropped with a reason and
//! counted; a file that is empty, unrecognised or mostly bad is refused whole. No IO:
//! the caller hands in a reader.

mod canonical;
mod columns;
mod dhan;
mod error;
pub mod fast_hash;
mod fields;
mod kite;
mod report;
mod scan;

use std::io::Read;
use std::sync::Arc;

use mandi_domain::{Instrument, Segment};

pub use canonical::{canonical_symbol, write_canonical_symbol};
pub use error::{MasterError, RejectReason};
pub use report::{MasterFormat, MasterReport, RejectedRow, REJECT_SAMPLES};

use columns::{DhanColumns, KiteColumns};

/// One accepted row.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterRow {
    /// Already behind an `Arc`: the index shares it as is, so 10^5 rows are not copied
    /// a second time while it is built.
    /// Derivatives carry their canonical symbol (`canonical_symbol`), the same under
    /// either broker; cash instruments and indices the exchange ticker.
    pub instrument: Arc<Instrument>,
    /// Dhan's display name (`SEM_CUSTOM_SYMBOL` / `DISPLAY_NAME`, e.g.
    /// `NIFTY 24 OCT 25800 CALL`). Unlike the trading symbol it names the expiry day,
    /// so weekly contracts that share a trading symbol still differ here. `None` for
    /// Kite rows and Dhan rows without one.
    pub display_name: Option<Arc<str>>,
    /// The broker's own trading symbol (`NIFTY-Dec2026-25800-CE` on Dhan,
    /// `NIFTY26DEC25800CE` on Kite) where it differs from the canonical symbol: looked up
    /// as an alias, so a name copied from the broker's terminal still finds the contract.
    pub broker_symbol: Option<Arc<str>>,
}

/// The instruments of one file, with the report of how it went.
#[derive(Debug)]
pub struct MasterLoad {
    /// Accepted rows, in file order.
    pub rows: Vec<MasterRow>,
    /// Counts by outcome.
    pub report: MasterReport,
}

/// When a master is refused whole.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterThresholds {
    /// Refuse when rejected / (rows − skipped) is above this (0.05 = 5 %).
    pub max_rejected_ratio: f64,
    /// Refuse unless each of these segments has at least one accepted row.
    pub required_segments: Vec<Segment>,
    /// Refuse a file with more data rows than this.
    pub max_rows: usize,
    /// Refuse a file with more bytes than this.
    pub max_bytes: u64,
}

impl Default for MasterThresholds {
    /// Sized for the real files (Dhan about 2.9·10^5 rows and tens of MB, Kite about
    /// 10^5 rows): room to grow about 3×, but a file ten times too big is refused.
    fn default() -> MasterThresholds {
        MasterThresholds {
            max_rejected_ratio: 0.05,
            required_segments: vec![Segment::IdxI, Segment::NseEq],
            max_rows: 1_000_000,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Reads a Dhan scrip master, compact (`SEM_*` columns) or detailed, told apart by the
/// header.
///
/// Dhan rows carry no Kite identity: `kite_token` is 0 and `kite_key` empty. Tick sizes
/// are converted from the file's paise to rupees.
pub fn parse_dhan_master<R: Read>(
    reader: R,
    thresholds: &MasterThresholds,
) -> Result<MasterLoad, MasterError> {
    scan::scan(reader, thresholds, |header| {
        DhanColumns::resolve(header).map(dhan::DhanMapper::new)
    })
}

/// Reads a Kite instruments CSV.
///
/// Kite rows carry no Dhan identity: `security_id` is 0. `kite_key` is
/// `EXCHANGE:TRADINGSYMBOL`; segments map to the Dhan segment for the same market, and
/// rows of a market Dhan lacks (`NCO-*`) are skipped and counted.
pub fn parse_kite_instruments<R: Read>(
    reader: R,
    thresholds: &MasterThresholds,
) -> Result<MasterLoad, MasterError> {
    scan::scan(reader, thresholds, |header| {
        KiteColumns::resolve(header).map(kite::KiteMapper::new)
    })
}

#[cfg(test)]
mod tests;
