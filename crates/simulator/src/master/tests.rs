//! Round trips: both masters parsed back with the `csv` crate, the way the brokers'
//! official Python clients read them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::market;
use crate::settings::DerivativeSettings;
use crate::SimSettings;

fn masters() -> (Universe, MasterFiles) {
    let settings = SimSettings {
        derivatives: DerivativeSettings {
            start_date: NaiveDate::from_ymd_opt(2026, 11, 22),
            ..DerivativeSettings::default()
        },
        ..SimSettings::default()
    };
    let now = DateTime::parse_from_rfc3339("2026-11-23T04:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let (universe, models) = market::build(&settings, now);
    let files = MasterFiles::build(&universe, &models.snapshot(now));
    (universe, files)
}

/// Every row as `header → value`, like Python's `csv.DictReader`.
fn parse(body: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(body);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => panic!("header: {e}"),
    };
    let rows = reader
        .records()
        .map(|r| match r {
            Ok(rec) => {
                assert_eq!(rec.len(), headers.len(), "ragged row {rec:?}");
                headers
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect()
            }
            Err(e) => panic!("row: {e}"),
        })
        .collect();
    (headers, rows)
}

struct TestCase {
    name: &'static str,
    key: &'static str,
    want: &'static [(&'static str, &'static str)],
}

#[test]
fn dhan_compact_master_round_trips() {
    let (universe, files) = masters();
    let (headers, rows) = parse(&files.dhan_compact());
    assert_eq!(headers.join(","), dhan::HEADER);
    assert_eq!(headers.len(), 16);
    assert_eq!(rows.len(), universe.len());
    let by_id: HashMap<(String, String), &HashMap<String, String>> = rows
        .iter()
        .map(|r| {
            (
                (
                    r["SEM_EXM_EXCH_ID"].clone(),
                    r["SEM_SMST_SECURITY_ID"].clone(),
                ),
                r,
            )
        })
        .collect();
    assert_eq!(by_id.len(), rows.len(), "exchange + security id is unique");
    // Generated contracts are named by their Dhan trading symbol.
    let configured = SimSettings::default_universe().len();
    for i in universe.iter().skip(configured) {
        let exchange = format!("{:?}", i.exchange).to_uppercase();
        let row = by_id.get(&(exchange, i.security_id.to_string()));
        assert_eq!(
            row.map(|r| r["SEM_TRADING_SYMBOL"].as_str()),
            Some(&*i.symbol)
        );
    }
    let by_symbol: HashMap<&str, &HashMap<String, String>> = rows
        .iter()
        .map(|r| (r["SEM_TRADING_SYMBOL"].as_str(), r))
        .collect();
    let cases = [
        TestCase {
            name: "index",
            key: "NIFTY",
            want: &[
                ("SEM_SEGMENT", "I"),
                ("SEM_SMST_SECURITY_ID", "13"),
                ("SEM_INSTRUMENT_NAME", "INDEX"),
                ("SEM_CUSTOM_SYMBOL", "Nifty 50"),
                ("SEM_EXPIRY_DATE", ""),
                ("SEM_STRIKE_PRICE", "-0.01000"),
                ("SEM_EXCH_INSTRUMENT_TYPE", "INDEX"),
            ],
        },
        TestCase {
            name: "equity",
            key: "RELIANCE",
            want: &[
                ("SEM_EXM_EXCH_ID", "NSE"),
                ("SEM_SEGMENT", "E"),
                ("SEM_SMST_SECURITY_ID", "2885"),
                ("SEM_TICK_SIZE", "10.0000"),
                ("SEM_LOT_UNITS", "1.0"),
                ("SEM_SERIES", "EQ"),
                ("SM_SYMBOL_NAME", "RELIANCE INDUSTRIES LTD"),
            ],
        },
        TestCase {
            name: "monthly index call",
            key: "NIFTY-Dec2026-25800-CE",
            want: &[
                ("SEM_SEGMENT", "D"),
                ("SEM_INSTRUMENT_NAME", "OPTIDX"),
                ("SEM_LOT_UNITS", "75.0"),
                ("SEM_CUSTOM_SYMBOL", "NIFTY 29 DEC 25800 CALL"),
                ("SEM_EXPIRY_DATE", "2026-12-29 14:30:00"),
                ("SEM_STRIKE_PRICE", "25800.00000"),
                ("SEM_OPTION_TYPE", "CE"),
                ("SEM_TICK_SIZE", "5.0000"),
                ("SEM_EXPIRY_FLAG", "M"),
                ("SEM_EXCH_INSTRUMENT_TYPE", "OP"),
            ],
        },
        TestCase {
            name: "weekly index put",
            key: "NIFTY-01Dec2026-25000-PE",
            want: &[
                ("SEM_CUSTOM_SYMBOL", "NIFTY 01 DEC 25000 PUT"),
                ("SEM_EXPIRY_DATE", "2026-12-01 14:30:00"),
                ("SEM_EXPIRY_FLAG", "W"),
            ],
        },
        TestCase {
            name: "far index future",
            key: "NIFTY-Dec2026-FUT",
            want: &[
                ("SEM_INSTRUMENT_NAME", "FUTIDX"),
                ("SEM_EXPIRY_CODE", "1"),
                ("SEM_STRIKE_PRICE", "-0.01000"),
                ("SEM_OPTION_TYPE", "XX"),
                ("SEM_TICK_SIZE", "10.0000"),
                ("SEM_EXCH_INSTRUMENT_TYPE", "FUT"),
            ],
        },
        TestCase {
            name: "stock option",
            key: "TCS-Dec2026-3450-PE",
            want: &[
                ("SEM_INSTRUMENT_NAME", "OPTSTK"),
                ("SEM_LOT_UNITS", "175.0"),
            ],
        },
        TestCase {
            name: "sensex options are BSE",
            key: "SENSEX-Dec2026-83900-CE",
            want: &[
                ("SEM_EXM_EXCH_ID", "BSE"),
                ("SEM_SEGMENT", "D"),
                ("SEM_EXPIRY_DATE", "2026-12-31 14:30:00"),
            ],
        },
        TestCase {
            name: "configured crude future, near",
            key: "CRUDEOIL-Dec2026-FUT",
            want: &[
                ("SEM_EXM_EXCH_ID", "MCX"),
                ("SEM_SEGMENT", "M"),
                ("SEM_SMST_SECURITY_ID", "467013"),
                ("SEM_INSTRUMENT_NAME", "FUTCOM"),
                ("SEM_EXPIRY_CODE", "0"),
                ("SEM_EXPIRY_DATE", "2026-12-18 23:30:00"),
                ("SEM_TICK_SIZE", "100.0000"),
                ("SEM_LOT_UNITS", "100.0"),
            ],
        },
        TestCase {
            name: "generated crude future, far",
            key: "CRUDEOIL-Feb2027-FUT",
            want: &[
                ("SEM_EXPIRY_CODE", "2"),
                ("SEM_EXPIRY_DATE", "2027-02-19 23:30:00"),
            ],
        },
    ];
    for c in cases {
        let Some(row) = by_symbol.get(c.key) else {
            panic!("{}: no row {}", c.name, c.key)
        };
        for (column, want) in c.want {
            assert_eq!(row[*column], *want, "{}: {column}", c.name);
        }
    }
}

/// What `kiteconnect`'s `_parse_instruments` does to each row, which must not fail.
fn kiteconnect_parses(row: &HashMap<String, String>) -> bool {
    row["instrument_token"].parse::<i64>().is_ok()
        && row["last_price"].parse::<f64>().is_ok()
        && row["strike"].parse::<f64>().is_ok()
        && row["tick_size"].parse::<f64>().is_ok()
        && row["lot_size"].parse::<i64>().is_ok()
        && (row["expiry"].is_empty()
            || NaiveDate::parse_from_str(&row["expiry"], "%Y-%m-%d").is_ok())
}

#[test]
fn kite_instruments_round_trip() {
    let (universe, files) = masters();
    let (headers, rows) = parse(&files.kite(None));
    assert_eq!(headers.join(","), kite::HEADER);
    assert_eq!(rows.len(), universe.len());
    for r in &rows {
        assert!(kiteconnect_parses(r), "{r:?}");
        let token: u32 = r["instrument_token"].parse().unwrap_or_default();
        let exchange_token: u32 = r["exchange_token"].parse().unwrap_or_default();
        assert_eq!(token >> 8, exchange_token, "{r:?}");
        let key = format!("{}:{}", r["exchange"], r["tradingsymbol"]);
        assert_eq!(
            universe.by_kite_key(&key),
            universe.by_kite_token(token),
            "{key}"
        );
    }
    let by_key: HashMap<String, &HashMap<String, String>> = rows
        .iter()
        .map(|r| (format!("{}:{}", r["exchange"], r["tradingsymbol"]), r))
        .collect();
    let cases = [
        TestCase {
            name: "index",
            key: "NSE:NIFTY 50",
            want: &[
                ("instrument_token", "256265"),
                ("exchange_token", "1001"),
                ("name", "NIFTY 50"),
                ("strike", "0.0"),
                ("tick_size", "0.0"),
                ("lot_size", "0"),
                ("instrument_type", "EQ"),
                ("segment", "INDICES"),
            ],
        },
        TestCase {
            name: "equity",
            key: "NSE:RELIANCE",
            want: &[
                ("instrument_token", "738561"),
                ("name", "RELIANCE INDUSTRIES"),
                ("last_price", "1387.9"),
                ("tick_size", "0.1"),
                ("lot_size", "1"),
                ("segment", "NSE"),
            ],
        },
        TestCase {
            name: "monthly option",
            key: "NFO:NIFTY26DEC25800CE",
            want: &[
                ("name", "NIFTY"),
                ("expiry", "2026-12-29"),
                ("strike", "25800.0"),
                ("tick_size", "0.05"),
                ("lot_size", "75"),
                ("instrument_type", "CE"),
                ("segment", "NFO-OPT"),
            ],
        },
        TestCase {
            name: "weekly option",
            key: "NFO:NIFTY26D0125800PE",
            want: &[("expiry", "2026-12-01"), ("instrument_type", "PE")],
        },
        TestCase {
            name: "bse option",
            key: "BFO:SENSEX26DEC83900CE",
            want: &[("segment", "BFO-OPT"), ("lot_size", "20")],
        },
        TestCase {
            name: "future",
            key: "NFO:BANKNIFTY26DECFUT",
            want: &[
                ("instrument_type", "FUT"),
                ("segment", "NFO-FUT"),
                ("strike", "0.0"),
            ],
        },
        TestCase {
            name: "configured mcx future",
            key: "MCX:CRUDEOIL26DECFUT",
            want: &[
                ("instrument_token", "60297479"),
                ("expiry", "2026-12-18"),
                ("segment", "MCX-FUT"),
                ("lot_size", "100"),
            ],
        },
    ];
    for c in cases {
        let Some(row) = by_key.get(c.key) else {
            panic!("{}: no row {}", c.name, c.key)
        };
        for (column, want) in c.want {
            assert_eq!(row[*column], *want, "{}: {column}", c.name);
        }
    }
}

#[test]
fn kite_instruments_by_exchange() {
    let (universe, files) = masters();
    let mut total = 0;
    for exchange in ["NSE", "BSE", "NFO", "BFO", "MCX", "nfo"] {
        let (_, rows) = parse(&files.kite(Some(exchange)));
        assert!(!rows.is_empty(), "{exchange}");
        let upper = exchange.to_ascii_uppercase();
        assert!(rows.iter().all(|r| r["exchange"] == upper), "{exchange}");
        if exchange != "nfo" {
            total += rows.len();
        }
    }
    assert_eq!(total, universe.len());
    let (headers, rows) = parse(&files.kite(Some("CDS")));
    assert_eq!((headers.len(), rows.len()), (12, 0));
    let (_, bfo) = parse(&files.kite(Some("BFO")));
    assert!(
        bfo.iter().all(|r| r["name"] == "SENSEX"),
        "only SENSEX trades on BFO"
    );
}

#[test]
fn fields_and_decimals() {
    assert_eq!(field("NIFTY 50"), "NIFTY 50");
    assert_eq!(field("A, B \"C\""), "\"A, B \"\"C\"\"\"");
    for (v, want) in [
        (25_800.0, "25800.0"),
        (0.05, "0.05"),
        (1_443.4, "1443.4"),
        (0.0, "0.0"),
    ] {
        assert_eq!(decimal(v), want);
    }
}
