//! Typed decode failures shared by both brokers' codecs.

use thiserror::Error;

/// Why a packet, frame or control message could not be decoded. Every malformed input
/// maps to one of these; decoders never panic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("truncated: need {need} bytes, have {have}")]
    Truncated { need: usize, have: usize },
    #[error("unknown response code {code}")]
    UnknownCode { code: u8 },
    #[error("length field {declared} disagrees with packet size {expected}")]
    BadLength { declared: usize, expected: usize },
    #[error("unknown exchange segment {code}")]
    UnknownSegment { code: u8 },
    #[error("frame declares {declared} packets but holds {found}")]
    CountMismatch { declared: usize, found: usize },
    #[error("bad control message: {reason}")]
    BadJson { reason: String },
    #[error("{what} exceeds limit {limit}")]
    TooMany { what: &'static str, limit: usize },
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
}
