//! Recorded market days. `format` is the file layout, `writer` and `reader` turn records
//! into files and back (no clock, no actix: time is in the records), and `recorder` is
//! the live side: a bounded queue to a writer thread that rotates per IST day and keeps
//! the directory within its retention.
//!
//! ```text
//!  FeedConnection / RestFallback ──Record (try_send, drops counted)──▶ writer thread
//!      └─ <data_dir>/recordings/<YYYY-MM-DD>/<HHMMSS>-<seq>.mrec  (one file per start)
//!  mandi replay ──▶ reader ──▶ records in receive order
//! ```

pub mod error;
pub mod format;
pub mod reader;
pub mod recorder;
pub mod retention;
pub mod writer;

pub use error::{ReadError, ReadErrorKind};
pub use format::{ist_date_of, Header, Record, RecordKind, FORMAT_VERSION, REST_CONNECTION};
pub use reader::{read_all, Reader, Recording};
pub use recorder::{MasterRows, Recorder, RecorderSettings, RecorderStats, Stall, StampClock};
pub use writer::SegmentWriter;
