//! Typed decode failures shared by both brokers' codecs.

use thiserror::Error;

/// Why a packet, frame or control message could not be decoded. Every malformed input
/// maps to one of these; decoders never panic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended before a field or packet it announces.
    #[error("truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes the read needed, counted from the start of the input.
        need: usize,
        /// Bytes the input had.
        have: usize,
    },
    /// A Dhan response code this decoder has no layout for (1, 3, 41, 51, ...).
    #[error("unknown response code {code}")]
    UnknownCode {
        /// Byte 0 of the packet.
        code: u8,
    },
    /// A length on the wire disagrees with the fixed size of the packet kind. For Kite,
    /// where the length is the only kind marker, `expected` is the nearest valid size.
    #[error("length field {declared} disagrees with packet size {expected}")]
    BadLength {
        /// The length the wire declared.
        declared: usize,
        /// The size this crate expected.
        expected: usize,
    },
    /// A segment byte outside Dhan's table (6 and 9..=255).
    #[error("unknown exchange segment {code}")]
    UnknownSegment {
        /// The segment byte.
        code: u8,
    },
    /// A Kite frame ended cleanly after `found` of its `declared` packets.
    #[error("frame declares {declared} packets but holds {found}")]
    CountMismatch {
        /// The frame's packet count.
        declared: usize,
        /// Packets present before the frame ended.
        found: usize,
    },
    /// A JSON control message (or hex text) that does not have the expected shape.
    #[error("bad control message: {reason}")]
    BadJson {
        /// What was wrong, for logs (never echoes large input).
        reason: String,
    },
    /// A control message over a protocol limit (e.g. 100 instruments per Dhan message).
    #[error("{what} exceeds limit {limit}")]
    TooMany {
        /// What was counted, e.g. "instruments per message".
        what: &'static str,
        /// The limit that was exceeded.
        limit: usize,
    },
}

impl DecodeError {
    /// A short stable label for metrics (`decode_errors_total{kind=..}`).
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::UnknownCode { .. } => "unknown_code",
            DecodeError::BadLength { .. } => "bad_length",
            DecodeError::UnknownSegment { .. } => "unknown_segment",
            DecodeError::CountMismatch { .. } => "count_mismatch",
            DecodeError::BadJson { .. } => "bad_json",
            DecodeError::TooMany { .. } => "too_many",
        }
    }

    /// A `BadJson` with a human-readable reason (control-message parsers use it).
    pub(crate) fn bad_json(reason: impl Into<String>) -> Self {
        DecodeError::BadJson {
            reason: reason.into(),
        }
    }
}
