//! What a master load saw: rows read, accepted, rejected (by reason), skipped, segments.

use std::collections::BTreeMap;

use mandi_domain::Segment;
use serde::Serialize;

use super::RejectReason;

/// How many rejected rows the report keeps by line number, for the logs.
pub const REJECT_SAMPLES: usize = 16;

/// Which file layout the header matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterFormat {
    /// Dhan `api-scrip-master.csv` (`SEM_*` columns).
    DhanCompact,
    /// Dhan `api-scrip-master-detailed.csv` (`EXCH_ID`, `SECURITY_ID`, … columns).
    DhanDetailed,
    /// Kite `/instruments` CSV.
    Kite,
}

/// One rejected row, by its 1-based line in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// Line number (the header is line 1).
    pub line: u64,
    /// Why it was dropped.
    pub reason: RejectReason,
}

/// Counts from one pass over a master file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MasterReport {
    /// The layout the header matched.
    pub format: MasterFormat,
    /// Data rows read (the header excluded).
    pub rows: usize,
    /// Rows turned into instruments.
    pub accepted: usize,
    /// Rows dropped as bad, all reasons together.
    pub rejected: usize,
    /// Rows dropped as bad, per reason.
    pub rejected_by_reason: BTreeMap<RejectReason, usize>,
    /// Well-formed rows of a market mandi does not carry (e.g. Kite `NCO-FUT`), by the
    /// file's own exchange/segment label. Not bad rows: they do not count toward the
    /// rejection ratio.
    pub skipped_by_segment: BTreeMap<String, usize>,
    /// Accepted rows per segment.
    pub segments_seen: BTreeMap<Segment, usize>,
    /// The first few rejected rows, for the log.
    pub first_rejects: Vec<RejectedRow>,
}

impl MasterReport {
    pub(crate) fn new(format: MasterFormat) -> MasterReport {
        MasterReport {
            format,
            rows: 0,
            accepted: 0,
            rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            skipped_by_segment: BTreeMap::new(),
            segments_seen: BTreeMap::new(),
            first_rejects: Vec::new(),
        }
    }

    /// Rows that were skipped as an unsupported market.
    pub fn skipped(&self) -> usize {
        self.skipped_by_segment.values().sum()
    }

    /// Rejected rows over the rows that could have been accepted (skipped rows excluded).
    pub fn rejected_ratio(&self) -> f64 {
        let considered = self.rows.saturating_sub(self.skipped());
        if considered == 0 {
            return 0.0;
        }
        self.rejected as f64 / considered as f64
    }

    pub(crate) fn reject(&mut self, line: u64, reason: RejectReason) {
        self.rejected += 1;
        *self.rejected_by_reason.entry(reason).or_insert(0) += 1;
        if self.first_rejects.len() < REJECT_SAMPLES {
            self.first_rejects.push(RejectedRow { line, reason });
        }
    }

    /// Re-labels the last rejection once the reader learns it was the file's cut-off tail.
    pub(crate) fn relabel_last(&mut self, line: u64, from: RejectReason, to: RejectReason) {
        if let Some(n) = self.rejected_by_reason.get_mut(&from) {
            *n -= 1;
            if *n == 0 {
                self.rejected_by_reason.remove(&from);
            }
        }
        *self.rejected_by_reason.entry(to).or_insert(0) += 1;
        if let Some(sample) = self.first_rejects.iter_mut().rev().find(|r| r.line == line) {
            sample.reason = to;
        }
    }

    pub(crate) fn skip(&mut self, label: &str) {
        match self.skipped_by_segment.get_mut(label) {
            Some(n) => *n += 1,
            None => {
                self.skipped_by_segment.insert(label.to_string(), 1);
            }
        }
    }

    pub(crate) fn accept(&mut self, segment: Segment) {
        self.accepted += 1;
        *self.segments_seen.entry(segment).or_insert(0) += 1;
    }
}
