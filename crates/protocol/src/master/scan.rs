//! The record loop both layouts share: size and row caps, header resolution, UTF-8 and
//! field-count checks, the cut-off last line, and the file-level refusal rules.

use std::io::{self, Read};

use csv::{ByteRecord, StringRecord};

use super::columns::Header;
use super::{
    MasterError, MasterFormat, MasterLoad, MasterReport, MasterRow, MasterThresholds, RejectReason,
};

/// Large reads: the files are tens of megabytes.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Turns one row of a known layout into an instrument.
pub(crate) trait RowMapper {
    fn format(&self) -> MasterFormat;

    /// Fields a row must have for every column this layout reads to be present.
    fn fields_needed(&self) -> usize;

    /// `Ok(Some)` accepted, `Ok(None)` skipped (already recorded in `report`), `Err` bad.
    fn map(
        &mut self,
        row: &StringRecord,
        report: &mut MasterReport,
    ) -> Result<Option<MasterRow>, RejectReason>;
}

/// Reads the whole file through `mapper`, then applies the file-level rules.
pub(crate) fn scan<R, M, F>(
    reader: R,
    thresholds: &MasterThresholds,
    resolve: F,
) -> Result<MasterLoad, MasterError>
where
    R: Read,
    M: RowMapper,
    F: FnOnce(&Header) -> Result<M, MasterError>,
{
    let metered = Metered {
        inner: reader,
        bytes: 0,
        limit_bytes: thresholds.max_bytes,
        last_byte: None,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(READ_BUFFER_BYTES)
        .from_reader(metered);

    let mut raw = ByteRecord::new();
    if !read(&mut csv, &mut raw, thresholds)? {
        return Err(MasterError::Empty);
    }
    let header = Header::new(&raw);
    let mut mapper = resolve(&header)?;
    let needed = mapper.fields_needed();
    let mut report = MasterReport::new(mapper.format());
    let mut rows = Vec::new();
    // Line of the last row if it was rejected as short: it may turn out to be the cut tail.
    let mut last_short: Option<u64> = None;

    while read(&mut csv, &mut raw, thresholds)? {
        report.rows += 1;
        if report.rows > thresholds.max_rows {
            return Err(MasterError::TooManyRows {
                limit_rows: thresholds.max_rows,
            });
        }
        let line = raw.position().map_or(0, |p| p.line());
        last_short = None;
        if raw.len() < needed {
            last_short = Some(line);
            report.reject(line, RejectReason::ShortRow);
            continue;
        }
        // Validate once for the whole row, then hand the buffer back for the next read.
        match StringRecord::from_byte_record(std::mem::take(&mut raw)) {
            Ok(row) => {
                match mapper.map(&row, &mut report) {
                    Ok(Some(accepted)) => {
                        report.accept(accepted.instrument.segment);
                        rows.push(accepted);
                    }
                    Ok(None) => {}
                    Err(reason) => report.reject(line, reason),
                }
                raw = row.into_byte_record();
            }
            Err(bad) => {
                report.reject(line, RejectReason::NonUtf8);
                raw = bad.into_byte_record();
            }
        }
    }

    let unterminated = !matches!(csv.get_ref().last_byte, Some(b'\n' | b'\r'));
    if let (Some(line), true) = (last_short, unterminated) {
        report.relabel_last(
            line,
            RejectReason::ShortRow,
            RejectReason::TruncatedLastLine,
        );
    }
    refuse_or_accept(rows, report, thresholds)
}

/// The file-level rules, once every row has been seen.
fn refuse_or_accept(
    rows: Vec<MasterRow>,
    report: MasterReport,
    thresholds: &MasterThresholds,
) -> Result<MasterLoad, MasterError> {
    if report.rows == 0 {
        return Err(MasterError::NoRows);
    }
    let ratio = report.rejected_ratio();
    if ratio > thresholds.max_rejected_ratio || (report.accepted == 0 && report.rejected > 0) {
        return Err(MasterError::TooManyRejected {
            rejected: report.rejected,
            considered: report.rows - report.skipped(),
            max_ratio: thresholds.max_rejected_ratio,
            report: Box::new(report),
        });
    }
    let missing: Vec<_> = thresholds
        .required_segments
        .iter()
        .copied()
        .filter(|s| !report.segments_seen.contains_key(s))
        .collect();
    if !missing.is_empty() {
        return Err(MasterError::MissingSegments {
            missing,
            report: Box::new(report),
        });
    }
    Ok(MasterLoad { rows, report })
}

/// One record, mapping the size cap and IO failures to typed errors.
fn read<R: Read>(
    csv: &mut csv::Reader<Metered<R>>,
    record: &mut ByteRecord,
    thresholds: &MasterThresholds,
) -> Result<bool, MasterError> {
    match csv.read_byte_record(record) {
        Ok(more) => Ok(more),
        Err(_) if csv.get_ref().bytes > thresholds.max_bytes => Err(MasterError::TooLarge {
            limit_bytes: thresholds.max_bytes,
        }),
        Err(err) => Err(MasterError::Read(io::Error::from(err))),
    }
}

/// Counts bytes (for the size cap) and remembers the last one (a file cut mid-line does
/// not end in a newline).
struct Metered<R> {
    inner: R,
    bytes: u64,
    limit_bytes: u64,
    last_byte: Option<u8>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.bytes += n as u64;
            self.last_byte = Some(buf[n - 1]);
            if self.bytes > self.limit_bytes {
                return Err(io::Error::other("master exceeds the size limit"));
            }
        }
        Ok(n)
    }
}
