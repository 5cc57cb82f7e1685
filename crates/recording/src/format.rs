//! The file layout, version 1. All integers little-endian.
//!
//! ```text
//!  file   = "MANDIREC" u16:version u32:header_len header block*
//!  header = zstd(JSON Header)
//!  block  = "BLK1" u32:compressed_len u32:records zstd(record*)   (one per flush)
//!  record = i64:received_ns u16:connection u8:kind u32:len payload
//! ```
//!
//! A block is written whole, so a file cut by a crash loses at most its last block (one
//! flush interval); each block's zstd frame carries a checksum, so a flipped byte is
//! caught where it is.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::Instrument;
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"MANDIREC";
pub const BLOCK_MAGIC: &[u8; 4] = b"BLK1";
/// The version this build writes and the only one it reads.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the header: magic, version, header length.
pub const PREAMBLE_BYTES: usize = 8 + 2 + 4;
/// Bytes before a block's compressed data: magic, compressed length, record count.
pub const BLOCK_HEADER_BYTES: usize = 4 + 4 + 4;
/// Bytes before a record's payload.
pub const RECORD_HEADER_BYTES: usize = 8 + 2 + 1 + 4;
/// Larger lengths are corruption, not data: no broker frame comes near it.
pub const MAX_PAYLOAD_BYTES: u32 = 64 << 20;
pub const MAX_BLOCK_BYTES: u32 = 256 << 20;
/// The connection number under which REST fallback polls are recorded (sockets are 0..5).
pub const REST_CONNECTION: u16 = u16::MAX;
/// IST is UTC+05:30 all year.
const IST_OFFSET_S: i64 = 5 * 3600 + 1800;

/// What a recording file says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format_version: u16,
    /// "dhan" or "kite": which decoder the frames need.
    pub broker: String,
    /// "live" (a broker or the embedded simulator through the feed) or "synthetic"
    /// (`mandi sim --record-day`).
    pub source: String,
    /// When the file was opened: the first record's receive time.
    pub created_ns: i64,
    /// The IST trading day the file belongs to, YYYY-MM-DD.
    pub ist_date: String,
    /// The instrument rows in force when the file was opened, so the day replays after
    /// its contracts have expired and left the broker's master.
    pub instruments: Vec<Instrument>,
}

/// What a record carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A binary WebSocket frame, as received.
    Binary = 0,
    /// A text WebSocket frame, as received.
    Text = 1,
    /// A REST fallback poll's answer: JSON `{"status":…,"symbols":[…],"body":"…"}`.
    RestPoll = 2,
}

impl RecordKind {
    pub fn from_u8(v: u8) -> Option<RecordKind> {
        match v {
            0 => Some(RecordKind::Binary),
            1 => Some(RecordKind::Text),
            2 => Some(RecordKind::RestPoll),
            _ => None,
        }
    }
}

/// One upstream frame or poll answer with its receive time and connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Receive time, nanoseconds since the Unix epoch (UTC).
    pub received_ns: i64,
    /// Upstream connection number (shard); [`REST_CONNECTION`] for REST polls.
    pub connection: u16,
    pub kind: RecordKind,
    pub payload: Bytes,
}

impl Record {
    pub fn received_time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.received_ns)
    }

    /// The record's bytes in a block, before compression.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.received_ns.to_le_bytes());
        out.extend_from_slice(&self.connection.to_le_bytes());
        out.push(self.kind as u8);
        // Payloads above 4 GiB do not exist upstream; the writer refuses them earlier.
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.payload);
    }
}

/// The IST date a receive time falls on.
pub fn ist_date_of(received_ns: i64) -> NaiveDate {
    let days = (received_ns.div_euclid(1_000_000_000) + IST_OFFSET_S).div_euclid(86_400);
    NaiveDate::from_num_days_from_ce_opt(days as i32 + 719_163).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ist_date_turns_at_ist_midnight() {
        struct Case {
            name: &'static str,
            utc: &'static str,
            ist_date: &'static str,
        }
        let cases = [
            Case {
                name: "just before IST midnight",
                utc: "2026-11-23T18:29:59Z",
                ist_date: "2026-11-23",
            },
            Case {
                name: "IST midnight",
                utc: "2026-11-23T18:30:00Z",
                ist_date: "2026-11-24",
            },
            Case {
                name: "market open",
                utc: "2026-11-23T03:45:00Z",
                ist_date: "2026-11-23",
            },
            Case {
                name: "before the epoch",
                utc: "1969-12-31T20:00:00Z",
                ist_date: "1970-01-01",
            },
        ];
        for c in cases {
            let t: DateTime<Utc> = c.utc.parse().expect("a time");
            let ns = t.timestamp_nanos_opt().expect("in range");
            assert_eq!(ist_date_of(ns).to_string(), c.ist_date, "{}", c.name);
        }
    }
}
