//! `SegmentWriter`: one recording file. Records gather in memory and leave as one
//! compressed block per `flush_block`, so the file only ever grows by whole blocks.

use std::io::{self, Write};

use crate::format::{Header, Record, BLOCK_MAGIC, FORMAT_VERSION, MAGIC, MAX_PAYLOAD_BYTES};

/// zstd level 1, the fastest of the normal levels: the writer shares the machine's cores
/// with the feed, and compressing at the library's default (3) cost a live run about one
/// percent more CPU per tick for files a few percent smaller. Readers take any level.
const ZSTD_LEVEL: i32 = 1;
/// A block leaves at this size even before its flush is due, to bound memory.
pub const BLOCK_TARGET_BYTES: usize = 4 << 20;

/// Writes a header, then blocks of records, to `out`.
pub struct SegmentWriter<W: Write> {
    out: W,
    block: Vec<u8>,
    records: u32,
    bytes_written: u64,
}

impl<W: Write> SegmentWriter<W> {
    /// Writes the preamble and `header` at once.
    pub fn new(mut out: W, header: &Header) -> io::Result<SegmentWriter<W>> {
        let json = serde_json::to_vec(header).map_err(io::Error::other)?;
        let compressed = zstd::bulk::compress(&json, ZSTD_LEVEL)?;
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        out.write_all(&(compressed.len() as u32).to_le_bytes())?;
        out.write_all(&compressed)?;
        out.flush()?;
        Ok(SegmentWriter {
            out,
            block: Vec::new(),
            records: 0,
            bytes_written: (MAGIC.len() + 2 + 4 + compressed.len()) as u64,
        })
    }

    /// Adds a record to the open block; the block leaves when it reaches
    /// [`BLOCK_TARGET_BYTES`].
    pub fn push(&mut self, record: &Record) -> io::Result<()> {
        if record.payload.len() > MAX_PAYLOAD_BYTES as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a {} byte payload is past the format's limit",
                    record.payload.len()
                ),
            ));
        }
        record.encode_into(&mut self.block);
        self.records += 1;
        if self.block.len() >= BLOCK_TARGET_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Compresses the open block, writes it whole and flushes the file. Nothing to do
    /// with no records.
    pub fn flush_block(&mut self) -> io::Result<()> {
        if self.records == 0 {
            return Ok(());
        }
        let mut encoder = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
        // The frame's checksum is what tells a flipped byte from data.
        encoder.include_checksum(true)?;
        encoder.include_contentsize(true)?;
        let compressed = encoder.compress(&self.block)?;
        let mut framed = Vec::with_capacity(compressed.len() + 12);
        framed.extend_from_slice(BLOCK_MAGIC);
        framed.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
        framed.extend_from_slice(&self.records.to_le_bytes());
        framed.extend_from_slice(&compressed);
        // One write per block: a crash leaves the block whole or cut, never interleaved.
        self.out.write_all(&framed)?;
        self.out.flush()?;
        self.bytes_written += framed.len() as u64;
        self.block.clear();
        self.records = 0;
        Ok(())
    }

    /// Records not yet in a block.
    pub fn pending_records(&self) -> u32 {
        self.records
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Flushes the open block and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_block()?;
        Ok(self.out)
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }
}
