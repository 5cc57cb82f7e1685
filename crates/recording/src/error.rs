//! What can be wrong with a recording file, always with the file and the byte offset.

use std::path::Path;

/// A recording that cannot be read past `offset`; what came before it was good.
#[derive(Debug, thiserror::Error)]
#[error("recording {file}: {kind} at byte {offset}")]
pub struct ReadError {
    pub file: String,
    /// Byte offset in the file where the fault starts (the block or preamble that is bad).
    pub offset: u64,
    pub kind: ReadErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadErrorKind {
    #[error("not a mandi recording (no MANDIREC magic)")]
    NotARecording,
    #[error("format version {found} is not supported (this build reads version {supported}); replay it with the mandi version that recorded it")]
    UnknownVersion { found: u16, supported: u16 },
    #[error("truncated: {needed} more bytes expected, the file ends (a crash or a cut copy; everything before was replayed)")]
    Truncated { needed: u64 },
    #[error("corrupted: {reason}")]
    Corrupted { reason: String },
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

impl ReadErrorKind {
    pub fn at(self, file: &Path, offset: u64) -> ReadError {
        ReadError {
            file: file.display().to_string(),
            offset,
            kind: self,
        }
    }
}
