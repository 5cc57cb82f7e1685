//! `Reader`: a recording file back into records, block by block, in the order they were
//! written. It stops at the first fault with a [`ReadError`] naming the file and the
//! byte offset; every record before the fault has been handed out.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{ReadError, ReadErrorKind};
use crate::format::{
    Header, Record, RecordKind, BLOCK_HEADER_BYTES, BLOCK_MAGIC, FORMAT_VERSION, MAGIC,
    MAX_BLOCK_BYTES, MAX_PAYLOAD_BYTES, RECORD_HEADER_BYTES,
};

/// Reads one file.
pub struct Reader<R: Read> {
    input: R,
    file: PathBuf,
    /// The file offset of the next block.
    offset: u64,
    header: Header,
    /// Decoded records of the current block, handed out front to back.
    block: std::vec::IntoIter<Record>,
    done: bool,
}

/// A whole file read: its header, the records before any fault, and the fault.
#[derive(Debug)]
pub struct Recording {
    pub header: Header,
    pub records: Vec<Record>,
    pub fault: Option<ReadError>,
}

impl Reader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|e| ReadErrorKind::Io(e).at(path, 0))?;
        Reader::new(BufReader::new(file), path)
    }
}

impl<R: Read> Reader<R> {
    /// Reads the preamble and header; `file` names the input in errors.
    pub fn new(mut input: R, file: &Path) -> Result<Reader<R>, ReadError> {
        let mut preamble = [0u8; 14];
        let got =
            read_up_to(&mut input, &mut preamble).map_err(|e| ReadErrorKind::Io(e).at(file, 0))?;
        if got < MAGIC.len() || &preamble[..8] != MAGIC {
            return Err(ReadErrorKind::NotARecording.at(file, 0));
        }
        if got < preamble.len() {
            let needed = (preamble.len() - got) as u64;
            return Err(ReadErrorKind::Truncated { needed }.at(file, got as u64));
        }
        let version = u16::from_le_bytes([preamble[8], preamble[9]]);
        if version != FORMAT_VERSION {
            return Err(ReadErrorKind::UnknownVersion {
                found: version,
                supported: FORMAT_VERSION,
            }
            .at(file, 8));
        }
        let len = u32::from_le_bytes([preamble[10], preamble[11], preamble[12], preamble[13]]);
        if len > MAX_BLOCK_BYTES {
            let reason = format!("header length {len} is past any real header");
            return Err(ReadErrorKind::Corrupted { reason }.at(file, 10));
        }
        let mut compressed = vec![0u8; len as usize];
        let got = read_up_to(&mut input, &mut compressed)
            .map_err(|e| ReadErrorKind::Io(e).at(file, 14))?;
        if got < compressed.len() {
            let needed = (compressed.len() - got) as u64;
            return Err(ReadErrorKind::Truncated { needed }.at(file, 14 + got as u64));
        }
        let header = zstd::stream::decode_all(&compressed[..])
            .map_err(|e| e.to_string())
            .and_then(|json| serde_json::from_slice::<Header>(&json).map_err(|e| e.to_string()))
            .map_err(|reason| {
                ReadErrorKind::Corrupted {
                    reason: format!("header: {reason}"),
                }
                .at(file, 14)
            })?;
        Ok(Reader {
            input,
            file: file.to_path_buf(),
            offset: 14 + u64::from(len),
            header,
            block: Vec::new().into_iter(),
            done: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next record, `None` at a clean end, or the fault that ends the file.
    pub fn next_record(&mut self) -> Option<Result<Record, ReadError>> {
        loop {
            if let Some(r) = self.block.next() {
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            match self.read_block() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Reads and decodes the next block; false at a clean end of file.
    fn read_block(&mut self) -> Result<bool, ReadError> {
        let at = self.offset;
        let mut head = [0u8; BLOCK_HEADER_BYTES];
        let got = read_up_to(&mut self.input, &mut head)
            .map_err(|e| self.err(ReadErrorKind::Io(e), at))?;
        if got == 0 {
            return Ok(false);
        }
        if got < head.len() {
            return Err(self.err(
                ReadErrorKind::Truncated {
                    needed: (head.len() - got) as u64,
                },
                at,
            ));
        }
        if &head[..4] != BLOCK_MAGIC {
            return Err(self.corrupted("no block marker where a block should start", at));
        }
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let count = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if len > MAX_BLOCK_BYTES {
            return Err(self.corrupted(
                &format!("block length {len} is past the format's limit"),
                at,
            ));
        }
        let mut compressed = vec![0u8; len as usize];
        let got = read_up_to(&mut self.input, &mut compressed)
            .map_err(|e| self.err(ReadErrorKind::Io(e), at))?;
        if got < compressed.len() {
            let needed = (compressed.len() - got) as u64;
            return Err(self.err(ReadErrorKind::Truncated { needed }, at));
        }
        let plain = zstd::stream::decode_all(&compressed[..])
            .map_err(|e| self.corrupted(&format!("block does not decompress ({e})"), at))?;
        let records =
            decode_records(&plain, count).map_err(|reason| self.corrupted(&reason, at))?;
        self.offset = at + (BLOCK_HEADER_BYTES + compressed.len()) as u64;
        self.block = records.into_iter();
        Ok(true)
    }

    fn err(&self, kind: ReadErrorKind, offset: u64) -> ReadError {
        kind.at(&self.file, offset)
    }

    fn corrupted(&self, reason: &str, offset: u64) -> ReadError {
        self.err(
            ReadErrorKind::Corrupted {
                reason: reason.to_string(),
            },
            offset,
        )
    }
}

/// Reads a whole file: what is good, and the fault if there is one. Only a file whose
/// header cannot be read is an error.
pub fn read_all(path: &Path) -> Result<Recording, ReadError> {
    let mut reader = Reader::open(path)?;
    let mut records = Vec::new();
    let mut fault = None;
    while let Some(next) = reader.next_record() {
        match next {
            Ok(r) => records.push(r),
            Err(e) => fault = Some(e),
        }
    }
    Ok(Recording {
        header: reader.header,
        records,
        fault,
    })
}

/// The records of one decompressed block; a block either decodes whole or is corrupt.
fn decode_records(mut plain: &[u8], count: u32) -> Result<Vec<Record>, String> {
    let mut out = Vec::with_capacity(count as usize);
    while !plain.is_empty() {
        if plain.len() < RECORD_HEADER_BYTES {
            return Err(format!("record {} is cut inside its header", out.len()));
        }
        let received_ns = i64::from_le_bytes(plain[0..8].try_into().unwrap_or_default());
        let connection = u16::from_le_bytes([plain[8], plain[9]]);
        let kind = RecordKind::from_u8(plain[10])
            .ok_or_else(|| format!("record {} has unknown kind {}", out.len(), plain[10]))?;
        let len = u32::from_le_bytes([plain[11], plain[12], plain[13], plain[14]]);
        if len > MAX_PAYLOAD_BYTES || (len as usize) > plain.len() - RECORD_HEADER_BYTES {
            return Err(format!(
                "record {} claims {len} payload bytes the block does not hold",
                out.len()
            ));
        }
        let end = RECORD_HEADER_BYTES + len as usize;
        out.push(Record {
            received_ns,
            connection,
            kind,
            payload: Bytes::copy_from_slice(&plain[RECORD_HEADER_BYTES..end]),
        });
        plain = &plain[end..];
    }
    if out.len() != count as usize {
        return Err(format!("block says {count} records, holds {}", out.len()));
    }
    Ok(out)
}

/// Fills `buf` as far as the input goes; how many bytes it got.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
