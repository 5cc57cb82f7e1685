//! The file format end to end: what is written reads back equal (proptest), and a file
//! cut, flipped or from another version reads up to the fault and names its offset.

use std::path::Path;

use bytes::Bytes;
use mandi_recording::format::{BLOCK_HEADER_BYTES, PREAMBLE_BYTES};
use mandi_recording::{
    Header, ReadErrorKind, Reader, Record, RecordKind, SegmentWriter, FORMAT_VERSION,
};
use proptest::prelude::*;

fn header() -> Header {
    Header {
        format_version: FORMAT_VERSION,
        broker: "dhan".into(),
        source: "live".into(),
        created_ns: 1_700_000_000_000_000_000,
        ist_date: "2023-11-15".into(),
        instruments: Vec::new(),
    }
}

fn record(i: i64, kind: RecordKind, payload: &[u8]) -> Record {
    Record {
        received_ns: 1_700_000_000_000_000_000 + i,
        connection: (i % 3) as u16,
        kind,
        payload: Bytes::copy_from_slice(payload),
    }
}

/// Writes `blocks` of records; the file bytes and the offset each block starts at.
fn file_of(blocks: &[Vec<Record>]) -> (Vec<u8>, Vec<usize>) {
    let mut w = SegmentWriter::new(Vec::new(), &header()).expect("header");
    let mut starts = Vec::new();
    for b in blocks {
        starts.push(w.bytes_written() as usize);
        for r in b {
            w.push(r).expect("push");
        }
        w.flush_block().expect("flush");
    }
    (w.finish().expect("finish"), starts)
}

fn read(bytes: &[u8]) -> (Vec<Record>, Option<mandi_recording::ReadError>) {
    let mut reader = Reader::new(bytes, Path::new("day.mrec")).expect("header reads");
    let mut records = Vec::new();
    while let Some(next) = reader.next_record() {
        match next {
            Ok(r) => records.push(r),
            Err(e) => return (records, Some(e)),
        }
    }
    (records, None)
}

fn two_blocks() -> Vec<Vec<Record>> {
    vec![
        (0..5)
            .map(|i| record(i, RecordKind::Binary, &[i as u8; 40]))
            .collect(),
        (5..9)
            .map(|i| record(i, RecordKind::Text, b"{\"type\":\"order\"}"))
            .collect(),
    ]
}

#[test]
fn faults_read_up_to_the_fault_and_name_its_offset() {
    let blocks = two_blocks();
    let (good, starts) = file_of(&blocks);
    struct Case {
        name: &'static str,
        bytes: Vec<u8>,
        records: usize,
        offset: u64,
        kind: fn(&ReadErrorKind) -> bool,
    }
    let mut flipped = good.clone();
    let inside_second = starts[1] + BLOCK_HEADER_BYTES + 6;
    flipped[inside_second] ^= 0x5a;
    let mut bad_marker = good.clone();
    bad_marker[starts[1]] = b'X';
    let cases = [
        Case {
            name: "cut in the middle of the second block",
            bytes: good[..good.len() - 7].to_vec(),
            records: 5,
            offset: starts[1] as u64,
            kind: |k| matches!(k, ReadErrorKind::Truncated { needed: 7 }),
        },
        Case {
            name: "cut inside the second block's header",
            bytes: good[..starts[1] + 3].to_vec(),
            records: 5,
            offset: starts[1] as u64,
            kind: |k| matches!(k, ReadErrorKind::Truncated { .. }),
        },
        Case {
            name: "a flipped byte in the second block",
            bytes: flipped,
            records: 5,
            offset: starts[1] as u64,
            kind: |k| matches!(k, ReadErrorKind::Corrupted { .. }),
        },
        Case {
            name: "garbage where the second block starts",
            bytes: bad_marker,
            records: 5,
            offset: starts[1] as u64,
            kind: |k| matches!(k, ReadErrorKind::Corrupted { .. }),
        },
    ];
    for c in cases {
        let (records, fault) = read(&c.bytes);
        assert_eq!(
            records,
            blocks[0][..c.records].to_vec(),
            "{}: records before the fault",
            c.name
        );
        let fault = fault.unwrap_or_else(|| panic!("{}: no fault reported", c.name));
        assert_eq!(fault.offset, c.offset, "{}: offset ({fault})", c.name);
        assert!((c.kind)(&fault.kind), "{}: kind {fault}", c.name);
        let text = fault.to_string();
        assert!(
            text.contains("day.mrec") && text.contains(&format!("byte {}", c.offset)),
            "{}: message names file and offset: {text}",
            c.name
        );
    }
}

#[test]
fn header_faults_refuse_the_file() {
    let (good, _) = file_of(&two_blocks());
    let mut newer = good.clone();
    newer[8..10].copy_from_slice(&7u16.to_le_bytes());
    struct Case {
        name: &'static str,
        bytes: Vec<u8>,
        want: &'static str,
    }
    let cases = [
        Case {
            name: "unknown version",
            bytes: newer,
            want: "format version 7 is not supported",
        },
        Case {
            name: "not a recording",
            bytes: b"hello world, not ours".to_vec(),
            want: "not a mandi recording",
        },
        Case {
            name: "cut inside the header",
            bytes: good[..PREAMBLE_BYTES + 3].to_vec(),
            want: "truncated",
        },
    ];
    for c in cases {
        let err = Reader::new(&c.bytes[..], Path::new("x.mrec"))
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", c.name));
        assert!(err.to_string().contains(c.want), "{}: {err}", c.name);
    }
}

#[test]
fn the_header_reads_back() {
    let (good, _) = file_of(&two_blocks());
    let reader = Reader::new(&good[..], Path::new("x.mrec")).expect("reads");
    assert_eq!(reader.header(), &header());
}

fn any_record() -> impl Strategy<Value = Record> {
    (
        any::<i64>(),
        any::<u16>(),
        0u8..3,
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(ns, connection, kind, payload)| Record {
            received_ns: ns,
            connection,
            kind: RecordKind::from_u8(kind).unwrap_or(RecordKind::Binary),
            payload: Bytes::from(payload),
        })
}

proptest! {
    #[test]
    fn what_is_written_reads_back(blocks in proptest::collection::vec(proptest::collection::vec(any_record(), 0..20), 0..5)) {
        let (bytes, _) = file_of(&blocks);
        let (records, fault) = read(&bytes);
        prop_assert!(fault.is_none(), "fault: {:?}", fault);
        let want: Vec<Record> = blocks.concat();
        prop_assert_eq!(records, want);
    }

    #[test]
    fn any_cut_reads_a_prefix_and_never_panics(blocks in proptest::collection::vec(proptest::collection::vec(any_record(), 1..10), 1..4), cut in any::<prop::sample::Index>()) {
        let (bytes, _) = file_of(&blocks);
        let cut = PREAMBLE_BYTES + cut.index(bytes.len() - PREAMBLE_BYTES);
        if let Ok(mut reader) = Reader::new(&bytes[..cut], Path::new("x.mrec")) {
            let mut got = Vec::new();
            while let Some(Ok(r)) = reader.next_record() {
                got.push(r);
            }
            let all = blocks.concat();
            prop_assert!(got.len() <= all.len());
            prop_assert_eq!(&got[..], &all[..got.len()]);
        }
    }
}
