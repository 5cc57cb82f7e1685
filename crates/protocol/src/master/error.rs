//! Why a whole master file is refused, and why a single row is.

use std::fmt;

use mandi_domain::Segment;
use serde::Serialize;
use thiserror::Error;

use super::MasterReport;

/// The whole file is refused; the caller keeps the master it already has.
#[derive(Debug, Error)]
pub enum MasterError {
    /// Zero bytes (or only blank lines): nothing to read, not even a header.
    #[error("the master is empty: no header line")]
    Empty,
    /// A header and nothing under it.
    #[error("the master has a header but no rows")]
    NoRows,
    /// Columns are matched by name; these required ones are absent (or renamed).
    #[error("the master header lacks required columns {missing:?}")]
    MissingColumns {
        /// The missing names as the layout spells them.
        missing: Vec<&'static str>,
    },
    /// More bytes than the caller allows: a wrong URL, an error page or a runaway file.
    #[error("the master is larger than {limit_bytes} bytes")]
    TooLarge {
        /// The caller's limit.
        limit_bytes: u64,
    },
    /// More rows than the caller allows; stops a runaway file before it fills memory.
    #[error("the master has more than {limit_rows} rows")]
    TooManyRows {
        /// The caller's limit.
        limit_rows: usize,
    },
    /// Too many bad rows: the format probably changed under us.
    #[error("rejected {rejected} of {considered} rows, above the allowed ratio {max_ratio}")]
    TooManyRejected {
        /// Rows rejected.
        rejected: usize,
        /// Rows that could have been accepted (skipped markets excluded).
        considered: usize,
        /// The caller's limit on `rejected / considered`.
        max_ratio: f64,
        /// The full count, for the operator.
        report: Box<MasterReport>,
    },
    /// Segments the runtime cannot run without are absent: a partial or wrong file.
    #[error("required segments missing from the master: {missing:?}")]
    MissingSegments {
        /// Required segments with no accepted row.
        missing: Vec<Segment>,
        /// The full count, for the operator.
        report: Box<MasterReport>,
    },
    /// The reader failed (IO error mid-file).
    #[error("reading the master failed: {0}")]
    Read(#[source] std::io::Error),
}

impl MasterError {
    /// The per-row report, when the file was read to the end before being refused.
    pub fn report(&self) -> Option<&MasterReport> {
        match self {
            MasterError::TooManyRejected { report, .. }
            | MasterError::MissingSegments { report, .. } => Some(report),
            _ => None,
        }
    }
}

/// Why one row was rejected. The row is dropped and counted; the file goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Fewer fields than the header has columns.
    ShortRow,
    /// The last line ends without a newline and is short: the download was cut.
    TruncatedLastLine,
    /// Bytes that are not UTF-8 anywhere in the row.
    NonUtf8,
    /// Exchange or segment column empty.
    MissingSegment,
    /// Dhan security id or Kite instrument token empty, not a number, or zero.
    BadId,
    /// The same id (Dhan: within its segment) appeared on an earlier row, which is kept.
    DuplicateId,
    /// Trading symbol empty.
    MissingSymbol,
    /// Lot size empty (tradable rows only).
    MissingLot,
    /// Lot size zero (tradable rows only).
    ZeroLot,
    /// Lot size not a whole positive number.
    BadLot,
    /// Tick size empty, not a number, or not positive (tradable rows only).
    BadTickSize,
    /// A future or option without an expiry (or with Dhan's `0001-01-01` placeholder).
    MissingExpiry,
    /// Not a valid `YYYY-MM-DD` calendar date.
    BadExpiry,
    /// An option without a strike.
    MissingStrike,
    /// Strike not a number, or not positive.
    BadStrike,
    /// An option whose type is neither `CE` nor `PE`.
    BadOptionType,
}

impl RejectReason {
    /// The name used in logs and status JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::ShortRow => "short_row",
            RejectReason::TruncatedLastLine => "truncated_last_line",
            RejectReason::NonUtf8 => "non_utf8",
            RejectReason::MissingSegment => "missing_segment",
            RejectReason::BadId => "bad_id",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::MissingSymbol => "missing_symbol",
            RejectReason::MissingLot => "missing_lot",
            RejectReason::ZeroLot => "zero_lot",
            RejectReason::BadLot => "bad_lot",
            RejectReason::BadTickSize => "bad_tick_size",
            RejectReason::MissingExpiry => "missing_expiry",
            RejectReason::BadExpiry => "bad_expiry",
            RejectReason::MissingStrike => "missing_strike",
            RejectReason::BadStrike => "bad_strike",
            RejectReason::BadOptionType => "bad_option_type",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
