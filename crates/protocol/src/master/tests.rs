//! The fixtures from `protocols.md` A6/B6, and every bad-CSV case of `reliability.md` §2b.

use std::collections::BTreeMap;

use mandi_domain::{Exchange, OptionType, Segment};

use super::*;

const COMPACT: &[u8] = include_bytes!("fixtures/dhan_compact.csv");
const DETAILED: &[u8] = include_bytes!("fixtures/dhan_detailed.csv");
const KITE: &[u8] = include_bytes!("fixtures/kite_instruments.csv");

const COMPACT_HEADER: &str = "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME";
const RELIANCE: &str = "NSE,E,2885,EQUITY,0,RELIANCE,1.0,Reliance Industries,,,,10.0000,NA,ES,EQ,RELIANCE INDUSTRIES LTD";
const NIFTY: &str = "NSE,I,13,INDEX,0,NIFTY,1.0,Nifty 50,,-0.01000,,,NA,INDEX,X,NIFTY";
const CALL: &str = "NSE,D,44430,OPTIDX,0,NIFTY-Oct2024-25800-CE,25.0,NIFTY 24 OCT 25800 CALL,2024-10-24 14:30:00,25800.00000,CE,5.0000,W,OP,,";

/// Thresholds that let one bad row in three through, so its reason can be read.
fn lenient() -> MasterThresholds {
    MasterThresholds {
        max_rejected_ratio: 0.5,
        ..MasterThresholds::default()
    }
}

fn compact_file(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(COMPACT_HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text.into_bytes()
}

/// The row the broker names `symbol` (its trading symbol, which for derivatives is the
/// alias of the canonical symbol).
fn by_symbol<'a>(load: &'a MasterLoad, symbol: &str, id: u32) -> &'a MasterRow {
    load.rows
        .iter()
        .find(|r| {
            let broker = r.broker_symbol.as_deref().unwrap_or(&r.instrument.symbol);
            broker == symbol && (id == 0 || r.instrument.security_id == id)
        })
        .unwrap_or_else(|| panic!("{symbol} missing"))
}

#[test]
fn compact_fixture_maps_every_row() {
    let load = parse_dhan_master(COMPACT, &MasterThresholds::default()).expect("fixture loads");
    assert_eq!(load.report.format, MasterFormat::DhanCompact);
    assert_eq!(
        (load.report.rows, load.report.accepted, load.report.rejected),
        (8, 8, 0)
    );

    struct TestCase {
        name: &'static str,
        symbol: &'static str,
        id: u32,
        exchange: Exchange,
        segment: Segment,
        lot: u32,
        tick: f64,
        display: &'static str,
        /// (underlying, expiry, strike, type) for derivatives.
        derivative: Option<(&'static str, &'static str, Option<f64>, Option<OptionType>)>,
    }
    let cases = [
        TestCase {
            name: "equity, tick 10 paise",
            symbol: "RELIANCE",
            id: 2885,
            exchange: Exchange::Nse,
            segment: Segment::NseEq,
            lot: 1,
            tick: 0.10,
            display: "Reliance Industries",
            derivative: None,
        },
        TestCase {
            name: "nse index, no tick",
            symbol: "NIFTY",
            id: 13,
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            lot: 1,
            tick: 0.05,
            display: "Nifty 50",
            derivative: None,
        },
        TestCase {
            name: "bse index",
            symbol: "SENSEX",
            id: 51,
            exchange: Exchange::Bse,
            segment: Segment::IdxI,
            lot: 1,
            tick: 0.05,
            display: "Sensex",
            derivative: None,
        },
        TestCase {
            name: "weekly call",
            symbol: "NIFTY-Oct2024-25800-CE",
            id: 44430,
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            tick: 0.05,
            display: "NIFTY 24 OCT 25800 CALL",
            derivative: Some(("NIFTY", "2024-10-24", Some(25800.0), Some(OptionType::Call))),
        },
        TestCase {
            name: "weekly put",
            symbol: "NIFTY-Oct2024-25800-PE",
            id: 58549,
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            tick: 0.05,
            display: "NIFTY 03 OCT 25800 PUT",
            derivative: Some(("NIFTY", "2024-10-03", Some(25800.0), Some(OptionType::Put))),
        },
        TestCase {
            name: "index future",
            symbol: "NIFTY-Dec2024-FUT",
            id: 35001,
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            tick: 0.10,
            display: "NIFTY DEC FUT",
            derivative: Some(("NIFTY", "2024-12-26", None, None)),
        },
        TestCase {
            name: "mcx future, tick one rupee",
            symbol: "GOLD-Oct2026-FUT",
            id: 40000,
            exchange: Exchange::Mcx,
            segment: Segment::McxComm,
            lot: 1,
            tick: 1.0,
            display: "GOLD OCT FUT",
            derivative: Some(("GOLD", "2026-10-05", None, None)),
        },
        TestCase {
            name: "bse currency future",
            symbol: "USDINR-28Aug2024-FUT",
            id: 1_026_077,
            exchange: Exchange::Bse,
            segment: Segment::BseCurrency,
            lot: 1,
            tick: 0.0025,
            display: "USDINR AUG FUT",
            derivative: Some(("USDINR", "2024-08-28", None, None)),
        },
    ];
    for case in cases {
        let row = by_symbol(&load, case.symbol, case.id);
        let i = &row.instrument;
        assert_eq!(
            (i.exchange, i.segment, i.lot_size),
            (case.exchange, case.segment, case.lot),
            "{}",
            case.name
        );
        assert!(
            (i.tick_size - case.tick).abs() < 1e-12,
            "{}: tick {}",
            case.name,
            i.tick_size
        );
        assert_eq!((i.kite_token, &*i.kite_key), (0, ""), "{}", case.name);
        assert_eq!(
            row.display_name.as_deref(),
            Some(case.display),
            "{}",
            case.name
        );
        let got = i.derivative.as_ref().map(|d| {
            (
                d.underlying.to_string(),
                d.expiry.to_string(),
                d.strike,
                d.option_type,
            )
        });
        let want = case
            .derivative
            .map(|(u, e, s, t)| (u.to_string(), e.to_string(), s, t));
        assert_eq!(got, want, "{}", case.name);
    }
    let segments: Vec<_> = load.report.segments_seen.keys().copied().collect();
    assert_eq!(
        segments,
        [
            Segment::IdxI,
            Segment::NseEq,
            Segment::NseFno,
            Segment::McxComm,
            Segment::BseCurrency
        ]
    );
}

#[test]
fn detailed_fixture_maps_every_row() {
    let load = parse_dhan_master(DETAILED, &MasterThresholds::default()).expect("fixture loads");
    assert_eq!(load.report.format, MasterFormat::DhanDetailed);
    assert_eq!((load.report.accepted, load.report.rejected), (4, 0));

    let nifty = by_symbol(&load, "NIFTY", 13);
    assert_eq!(nifty.instrument.segment, Segment::IdxI);
    assert_eq!(nifty.display_name.as_deref(), Some("Nifty 50"));

    let call = by_symbol(&load, "NIFTY-Nov2026-18950-CE", 35070);
    let d = call.instrument.derivative.as_ref().expect("an option");
    assert_eq!(
        (&*d.underlying, d.expiry.to_string(), d.strike),
        ("NIFTY", "2026-11-23".to_string(), Some(18950.0))
    );
    assert_eq!(
        (call.instrument.lot_size, call.instrument.tick_size),
        (65, 0.05)
    );

    // Cash rows: the ticker comes from UNDERLYING_SYMBOL, not the company name.
    let hdfc = by_symbol(&load, "HDFCBANK", 1333);
    assert_eq!(hdfc.display_name.as_deref(), Some("HDFC Bank"));
    let mm = by_symbol(&load, "M&M", 2031);
    assert_eq!(
        mm.display_name.as_deref(),
        Some("Mahindra, Mahindra"),
        "quoted comma kept"
    );
}

#[test]
fn kite_fixture_maps_every_row() {
    let load = parse_kite_instruments(KITE, &MasterThresholds::default()).expect("fixture loads");
    assert_eq!(load.report.format, MasterFormat::Kite);
    assert_eq!(
        (load.report.rows, load.report.accepted, load.report.rejected),
        (7, 6, 0)
    );
    assert_eq!(
        load.report.skipped_by_segment,
        BTreeMap::from([("NCO-FUT".to_string(), 1)])
    );

    struct TestCase {
        name: &'static str,
        symbol: &'static str,
        token: u32,
        key: &'static str,
        exchange: Exchange,
        segment: Segment,
        lot: u32,
        derivative: Option<(&'static str, &'static str, Option<f64>, Option<OptionType>)>,
    }
    let cases = [
        TestCase {
            name: "equity",
            symbol: "INFY",
            token: 408_065,
            key: "NSE:INFY",
            exchange: Exchange::Nse,
            segment: Segment::NseEq,
            lot: 1,
            derivative: None,
        },
        TestCase {
            name: "nse index, lot 0",
            symbol: "NIFTY 50",
            token: 256_265,
            key: "NSE:NIFTY 50",
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            lot: 1,
            derivative: None,
        },
        TestCase {
            name: "bse index",
            symbol: "SENSEX",
            token: 265,
            key: "BSE:SENSEX",
            exchange: Exchange::Bse,
            segment: Segment::IdxI,
            lot: 1,
            derivative: None,
        },
        TestCase {
            name: "future",
            symbol: "NIFTY24OCTFUT",
            token: 12_073_986,
            key: "NFO:NIFTY24OCTFUT",
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            derivative: Some(("NIFTY", "2024-10-31", None, None)),
        },
        TestCase {
            name: "call, name column",
            symbol: "NIFTY24O2425800CE",
            token: 10_497_538,
            key: "NFO:NIFTY24O2425800CE",
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            derivative: Some(("NIFTY", "2024-10-24", Some(25800.0), Some(OptionType::Call))),
        },
        TestCase {
            name: "put, empty name",
            symbol: "NIFTY24O2425800PE",
            token: 10_497_794,
            key: "NFO:NIFTY24O2425800PE",
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            lot: 25,
            derivative: Some(("NIFTY", "2024-10-24", Some(25800.0), Some(OptionType::Put))),
        },
    ];
    for case in cases {
        let row = by_symbol(&load, case.symbol, 0);
        let i = &row.instrument;
        assert_eq!(
            (i.kite_token, &*i.kite_key, i.security_id),
            (case.token, case.key, 0),
            "{}",
            case.name
        );
        assert_eq!(
            (i.exchange, i.segment, i.lot_size),
            (case.exchange, case.segment, case.lot),
            "{}",
            case.name
        );
        assert!(row.display_name.is_none(), "{}", case.name);
        let got = i.derivative.as_ref().map(|d| {
            (
                d.underlying.to_string(),
                d.expiry.to_string(),
                d.strike,
                d.option_type,
            )
        });
        let want = case
            .derivative
            .map(|(u, e, s, t)| (u.to_string(), e.to_string(), s, t));
        assert_eq!(got, want, "{}", case.name);
    }
}

/// Row-level cases: the file loads and the bad row is counted under its reason.
#[test]
fn bad_rows_are_rejected_with_a_reason() {
    struct TestCase {
        name: &'static str,
        file: Vec<u8>,
        reason: RejectReason,
    }
    let with_bad = |row: &str| compact_file(&[RELIANCE, NIFTY, row]);
    let cases = [
        TestCase {
            name: "empty strike",
            file: with_bad(&CALL.replace("25800.00000", "")),
            reason: RejectReason::MissingStrike,
        },
        TestCase {
            name: "malformed strike",
            file: with_bad(&CALL.replace("25800.00000", "25800.0.0")),
            reason: RejectReason::BadStrike,
        },
        TestCase {
            name: "empty expiry",
            file: with_bad(&CALL.replace("2024-10-24 14:30:00", "")),
            reason: RejectReason::MissingExpiry,
        },
        TestCase {
            name: "placeholder expiry on an option",
            file: with_bad(&CALL.replace("2024-10-24 14:30:00", "0001-01-01")),
            reason: RejectReason::MissingExpiry,
        },
        TestCase {
            name: "malformed date",
            file: with_bad(&CALL.replace("2024-10-24", "24/10/2024")),
            reason: RejectReason::BadExpiry,
        },
        TestCase {
            name: "impossible date",
            file: with_bad(&CALL.replace("2024-10-24", "2024-02-30")),
            reason: RejectReason::BadExpiry,
        },
        TestCase {
            name: "empty lot",
            file: with_bad(&CALL.replace(",25.0,", ",,")),
            reason: RejectReason::MissingLot,
        },
        TestCase {
            name: "zero lot",
            file: with_bad(&CALL.replace(",25.0,", ",0.0,")),
            reason: RejectReason::ZeroLot,
        },
        TestCase {
            name: "fractional lot",
            file: with_bad(&CALL.replace(",25.0,", ",2.5,")),
            reason: RejectReason::BadLot,
        },
        TestCase {
            name: "bad option type",
            file: with_bad(&CALL.replace(",CE,", ",XX,")),
            reason: RejectReason::BadOptionType,
        },
        TestCase {
            name: "bad security id",
            file: with_bad(&CALL.replace("44430", "4443O")),
            reason: RejectReason::BadId,
        },
        TestCase {
            name: "zero tick",
            file: with_bad(&CALL.replace("5.0000", "0")),
            reason: RejectReason::BadTickSize,
        },
        TestCase {
            name: "empty segment",
            file: with_bad(&CALL.replacen("NSE,D,", "NSE,,", 1)),
            reason: RejectReason::MissingSegment,
        },
        TestCase {
            name: "duplicate id",
            file: with_bad(&RELIANCE.replace("RELIANCE,1.0", "RELIANCE2,1.0")),
            reason: RejectReason::DuplicateId,
        },
        TestCase {
            name: "short row mid-file",
            file: compact_file(&[RELIANCE, "NSE,D,44430,OPTIDX", NIFTY]),
            reason: RejectReason::ShortRow,
        },
        TestCase {
            name: "non-utf8 bytes",
            file: {
                // A Latin-1 "é" (0xE9) in the display name.
                let row = CALL.replace("CALL,", "CALL\u{1},");
                let mut f = compact_file(&[RELIANCE, NIFTY, &row]);
                if let Some(at) = f.iter().position(|&b| b == 0x01) {
                    f[at] = 0xe9;
                }
                f
            },
            reason: RejectReason::NonUtf8,
        },
        TestCase {
            name: "truncated last line",
            file: {
                let mut f = compact_file(&[RELIANCE, NIFTY]);
                f.extend_from_slice(&CALL.as_bytes()[..40]);
                f
            },
            reason: RejectReason::TruncatedLastLine,
        },
    ];
    for case in cases {
        let load = match parse_dhan_master(&case.file[..], &lenient()) {
            Ok(load) => load,
            Err(err) => panic!("{}: refused: {err}", case.name),
        };
        assert_eq!(load.report.rows, 3, "{}", case.name);
        assert_eq!(load.report.accepted, 2, "{}", case.name);
        assert_eq!(
            load.report.rejected_by_reason,
            BTreeMap::from([(case.reason, 1)]),
            "{}",
            case.name
        );
        assert_eq!(load.report.first_rejects.len(), 1, "{}", case.name);
        assert_eq!(
            load.report.first_rejects[0].reason, case.reason,
            "{}",
            case.name
        );
    }
}

/// Shapes that must load untouched: BOM, CRLF, quoting, extra and reordered columns.
#[test]
fn tolerated_shapes_load_cleanly() {
    struct TestCase {
        name: &'static str,
        file: Vec<u8>,
    }
    let reordered = {
        // Columns reversed, plus an extra one in front.
        let rev = |line: &str| {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields.reverse();
            format!("x,{}", fields.join(","))
        };
        let header = rev(COMPACT_HEADER).replacen("x,", "EXTRA_COLUMN,", 1);
        format!(
            "{header}\n{}\n{}\n{}\n",
            rev(RELIANCE),
            rev(NIFTY),
            rev(CALL)
        )
        .into_bytes()
    };
    let cases = [
        TestCase {
            name: "plain",
            file: compact_file(&[RELIANCE, NIFTY, CALL]),
        },
        TestCase {
            name: "utf-8 bom",
            file: [
                b"\xEF\xBB\xBF".as_slice(),
                &compact_file(&[RELIANCE, NIFTY, CALL]),
            ]
            .concat(),
        },
        TestCase {
            name: "crlf",
            file: String::from_utf8_lossy(&compact_file(&[RELIANCE, NIFTY, CALL]))
                .replace('\n', "\r\n")
                .into_bytes(),
        },
        TestCase {
            name: "bom and crlf",
            file: [
                b"\xEF\xBB\xBF".as_slice(),
                String::from_utf8_lossy(&compact_file(&[RELIANCE, NIFTY, CALL]))
                    .replace('\n', "\r\n")
                    .as_bytes(),
            ]
            .concat(),
        },
        TestCase {
            name: "quoted fields with commas",
            file: compact_file(&[
                RELIANCE,
                NIFTY,
                &CALL.replace("NIFTY 24 OCT 25800 CALL", "\"NIFTY, 24 OCT, 25800 CALL\""),
            ]),
        },
        TestCase {
            name: "extra trailing column",
            file: compact_file(&[RELIANCE, NIFTY, CALL])
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| [l, b",extra\n"].concat())
                .collect::<Vec<_>>()
                .concat(),
        },
        TestCase {
            name: "reordered with extra column",
            file: reordered,
        },
        TestCase {
            name: "no final newline",
            file: compact_file(&[RELIANCE, NIFTY, CALL])
                .strip_suffix(b"\n")
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
        },
        TestCase {
            name: "lower-case header",
            file: String::from_utf8_lossy(&compact_file(&[RELIANCE, NIFTY, CALL]))
                .replacen(COMPACT_HEADER, &COMPACT_HEADER.to_lowercase(), 1)
                .into_bytes(),
        },
    ];
    for case in cases {
        let load = match parse_dhan_master(&case.file[..], &MasterThresholds::default()) {
            Ok(load) => load,
            Err(err) => panic!("{}: refused: {err}", case.name),
        };
        assert_eq!(
            (load.report.rows, load.report.accepted),
            (3, 3),
            "{}: {:?}",
            case.name,
            load.report
        );
        let call = by_symbol(&load, "NIFTY-Oct2024-25800-CE", 44430);
        assert_eq!(call.instrument.lot_size, 25, "{}", case.name);
        assert_eq!(
            call.instrument.derivative.as_ref().and_then(|d| d.strike),
            Some(25800.0),
            "{}",
            case.name
        );
    }
}

/// File-level cases: the whole file is refused with a typed error.
#[test]
fn bad_files_are_refused() {
    struct TestCase {
        name: &'static str,
        file: Vec<u8>,
        thresholds: MasterThresholds,
        check: fn(&MasterError) -> bool,
    }
    let good = || compact_file(&[RELIANCE, NIFTY, CALL]);
    let cases = [
        TestCase {
            name: "empty file",
            file: Vec::new(),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::Empty),
        },
        TestCase {
            name: "blank lines only",
            file: b"\n\r\n\n".to_vec(),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::Empty),
        },
        TestCase {
            name: "header only",
            file: compact_file(&[]),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::NoRows),
        },
        TestCase {
            name: "missing column",
            file: String::from_utf8_lossy(&good())
                .replacen("SEM_LOT_UNITS", "SEM_LOTS", 1)
                .into_bytes(),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::MissingColumns { missing } if missing == &["SEM_LOT_UNITS"]),
        },
        TestCase {
            name: "renamed columns",
            file: String::from_utf8_lossy(&good())
                .replacen("SEM_TRADING_SYMBOL", "TRADING_SYMBOL", 1)
                .replacen("SEM_TICK_SIZE", "TICK", 1)
                .into_bytes(),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::MissingColumns { missing } if missing == &["SEM_TRADING_SYMBOL", "SEM_TICK_SIZE"]),
        },
        TestCase {
            name: "not a master at all",
            file: b"<html>\n<body>gateway timeout</body>\n".to_vec(),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::MissingColumns { missing } if missing.len() == 10),
        },
        TestCase {
            name: "rejection rate over threshold",
            file: compact_file(&[
                RELIANCE,
                NIFTY,
                &CALL.replace(",25.0,", ",0,"),
                &CALL.replace("25800.00000", ""),
            ]),
            thresholds: MasterThresholds::default(),
            check: |e| {
                matches!(
                    e,
                    MasterError::TooManyRejected {
                        rejected: 2,
                        considered: 4,
                        ..
                    }
                )
            },
        },
        TestCase {
            name: "required segment missing",
            file: compact_file(&[RELIANCE, CALL]),
            thresholds: MasterThresholds::default(),
            check: |e| matches!(e, MasterError::MissingSegments { missing, .. } if missing == &[Segment::IdxI]),
        },
        TestCase {
            name: "oversized in bytes",
            file: good(),
            thresholds: MasterThresholds {
                max_bytes: 100,
                ..MasterThresholds::default()
            },
            check: |e| matches!(e, MasterError::TooLarge { limit_bytes: 100 }),
        },
        TestCase {
            name: "oversized in rows",
            file: good(),
            thresholds: MasterThresholds {
                max_rows: 2,
                ..MasterThresholds::default()
            },
            check: |e| matches!(e, MasterError::TooManyRows { limit_rows: 2 }),
        },
    ];
    for case in cases {
        match parse_dhan_master(&case.file[..], &case.thresholds) {
            Ok(load) => panic!("{}: accepted: {:?}", case.name, load.report),
            Err(err) => assert!((case.check)(&err), "{}: wrong error {err:?}", case.name),
        }
    }
}

#[test]
fn refusals_carry_the_report() {
    let file = compact_file(&[RELIANCE, &CALL.replace(",25.0,", ",0,")]);
    let err = parse_dhan_master(&file[..], &MasterThresholds::default()).err();
    let report = err
        .as_ref()
        .and_then(MasterError::report)
        .expect("a report");
    assert_eq!(
        report.rejected_by_reason,
        BTreeMap::from([(RejectReason::ZeroLot, 1)])
    );
}

#[test]
fn kite_bad_files_and_rows() {
    let header = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange";
    let infy = "408065,1594,INFY,INFOSYS,0,,,0.05,1,EQ,NSE,NSE";
    let nifty = "256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE";
    struct TestCase {
        name: &'static str,
        row: &'static str,
        reason: RejectReason,
    }
    let cases = [
        TestCase {
            name: "zero lot",
            row: "12073986,47164,NIFTY24OCTFUT,NIFTY,0,2024-10-31,0,0.05,0,FUT,NFO-FUT,NFO",
            reason: RejectReason::ZeroLot,
        },
        TestCase {
            name: "missing expiry",
            row: "12073986,47164,NIFTY24OCTFUT,NIFTY,0,,0,0.05,25,FUT,NFO-FUT,NFO",
            reason: RejectReason::MissingExpiry,
        },
        TestCase {
            name: "zero strike option",
            row: "10497538,41006,NIFTY24O2425800CE,NIFTY,0,2024-10-24,0,0.05,25,CE,NFO-OPT,NFO",
            reason: RejectReason::BadStrike,
        },
        TestCase {
            name: "duplicate token",
            row: "408065,1594,INFY2,INFOSYS,0,,,0.05,1,EQ,NSE,NSE",
            reason: RejectReason::DuplicateId,
        },
    ];
    for case in cases {
        let file = format!("{header}\n{infy}\n{nifty}\n{}\n", case.row);
        let load = parse_kite_instruments(file.as_bytes(), &lenient()).expect(case.name);
        assert_eq!(
            load.report.rejected_by_reason,
            BTreeMap::from([(case.reason, 1)]),
            "{}",
            case.name
        );
    }

    let renamed = format!(
        "{}\n{infy}\n",
        header.replace("tradingsymbol", "trading_symbol")
    );
    let err = parse_kite_instruments(renamed.as_bytes(), &MasterThresholds::default()).err();
    assert!(
        matches!(err, Some(MasterError::MissingColumns { missing }) if missing == ["tradingsymbol"])
    );

    // A Dhan file handed to the Kite reader is refused by its header, not row by row.
    let err = parse_kite_instruments(COMPACT, &MasterThresholds::default()).err();
    assert!(matches!(err, Some(MasterError::MissingColumns { .. })));
}

/// One contract listed by both brokers gets one symbol: the canonical name derived from
/// its fields, with each broker's own spelling kept as the alias.
#[test]
fn both_brokers_name_a_contract_alike() {
    let dhan = parse_dhan_master(COMPACT, &MasterThresholds::default()).expect("dhan loads");
    let kite = parse_kite_instruments(KITE, &MasterThresholds::default()).expect("kite loads");
    struct TestCase {
        name: &'static str,
        dhan: &'static str,
        kite: &'static str,
        want: &'static str,
    }
    let cases = [TestCase {
        name: "weekly call",
        dhan: "NIFTY-Oct2024-25800-CE",
        kite: "NIFTY24O2425800CE",
        want: "NIFTY-24Oct2024-25800-CE",
    }];
    for case in cases {
        let d = by_symbol(&dhan, case.dhan, 0);
        let k = by_symbol(&kite, case.kite, 0);
        assert_eq!(&*d.instrument.symbol, case.want, "{}: dhan", case.name);
        assert_eq!(&*k.instrument.symbol, case.want, "{}: kite", case.name);
        assert_eq!(
            d.broker_symbol.as_deref(),
            Some(case.dhan),
            "{}: dhan alias",
            case.name
        );
        assert_eq!(
            k.broker_symbol.as_deref(),
            Some(case.kite),
            "{}: kite alias",
            case.name
        );
        // Kite REST still addresses the contract by Kite's own name.
        assert_eq!(
            &*k.instrument.kite_key,
            format!("NFO:{}", case.kite),
            "{}",
            case.name
        );
    }
    // Dhan's month form names every weekly of the month alike; the canonical name tells
    // this 3 October put from Kite's 24 October one.
    let put = by_symbol(&dhan, "NIFTY-Oct2024-25800-PE", 0);
    assert_eq!(&*put.instrument.symbol, "NIFTY-03Oct2024-25800-PE");
    let cash = by_symbol(&kite, "INFY", 0);
    assert_eq!(
        (&*cash.instrument.symbol, cash.broker_symbol.as_deref()),
        ("INFY", None)
    );
}
