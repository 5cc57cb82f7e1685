//! P9: a generated 290k-row Dhan compact master — parse, parse + index build (target
//! ≤ 500 ms and ≤ 150 MB RSS), exact lookups (p99 ≤ 1 µs), display-name lookup and
//! prefix search (p99 ≤ 5 ms). A one-shot pass first prints the wall time, peak RSS and
//! per-call percentiles; criterion then measures the same operations.

// A benchmark times itself with the wall clock; the crate under test never does.
#![allow(clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mandi_domain::{Exchange, Segment};
use mandi_instruments::{load_master_file, InstrumentIndex, MasterKind};
use mandi_protocol::master::{parse_dhan_master, MasterThresholds};

const ROWS: usize = 290_000;
const HEADER: &str = "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME";

/// An option family: underlying, exchange, segment letter, instrument name, expiries,
/// the centre and step of its strikes, strikes per expiry, lot.
struct Family {
    underlying: String,
    exchange: &'static str,
    segment: &'static str,
    instrument: &'static str,
    expiries: Vec<NaiveDate>,
    centre: u32,
    step: u32,
    strikes: u32,
    lot: u32,
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
}

/// `n` expiries `every` days apart, from the start date.
fn expiries(n: u64, every: u64, offset: u64) -> Vec<NaiveDate> {
    (0..n)
        .filter_map(|i| start().checked_add_days(Days::new(offset + i * every)))
        .collect()
}

fn families() -> Vec<Family> {
    let index =
        |name: &str, exchange, segment_letter, n, every, centre, step, strikes, lot| Family {
            underlying: name.to_string(),
            exchange,
            segment: segment_letter,
            instrument: "OPTIDX",
            expiries: expiries(n, every, 1),
            centre,
            step,
            strikes,
            lot,
        };
    let mut all = vec![
        index("NIFTY", "NSE", "D", 18, 7, 25_000, 50, 300, 75),
        index("BANKNIFTY", "NSE", "D", 6, 28, 55_000, 100, 300, 35),
        index("FINNIFTY", "NSE", "D", 6, 28, 26_000, 50, 120, 65),
        index("MIDCPNIFTY", "NSE", "D", 6, 28, 13_000, 25, 120, 140),
        index("NIFTYNXT50", "NSE", "D", 3, 28, 70_000, 100, 100, 25),
        index("SENSEX", "BSE", "D", 14, 7, 82_000, 100, 300, 20),
        index("BANKEX", "BSE", "D", 6, 28, 62_000, 100, 120, 30),
    ];
    for i in 0..250 {
        all.push(Family {
            underlying: format!("STOCK{i:03}"),
            exchange: "NSE",
            segment: "D",
            instrument: "OPTSTK",
            expiries: expiries(3, 28, 27),
            centre: 2_000 + 37 * i,
            step: 5 + (i % 4) * 5,
            strikes: 120,
            lot: 250 + 25 * (i % 20),
        });
    }
    for i in 0..80 {
        all.push(Family {
            underlying: format!("BSTOCK{i:03}"),
            exchange: "BSE",
            segment: "D",
            instrument: "OPTSTK",
            expiries: expiries(3, 28, 27),
            centre: 2_000 + 41 * i,
            step: 10,
            strikes: 60,
            lot: 100,
        });
    }
    for i in 0..40 {
        all.push(Family {
            underlying: format!("COMM{i:02}"),
            exchange: "MCX",
            segment: "M",
            instrument: "OPTFUT",
            expiries: expiries(4, 30, 15),
            centre: 5_000 + 1_000 * i,
            step: 50,
            strikes: 100,
            lot: 1,
        });
    }
    for name in ["USDINR", "EURINR", "GBPINR", "JPYINR"] {
        all.push(Family {
            underlying: name.to_string(),
            exchange: "NSE",
            segment: "C",
            instrument: "OPTCUR",
            expiries: expiries(12, 7, 3),
            centre: 85,
            step: 1,
            strikes: 80,
            lot: 1,
        });
    }
    all
}

fn month(d: NaiveDate) -> String {
    d.format("%b").to_string()
}

/// A deterministic compact master of exactly `ROWS` rows: indices, NSE and BSE cash,
/// futures, then options (weekly and monthly, many strikes) until the count is reached.
fn generate() -> String {
    let mut csv = String::with_capacity(ROWS * 130);
    csv.push_str(HEADER);
    csv.push('\n');
    let mut rows = 0;
    let mut id = 100_000u32;
    let line = |csv: &mut String, text: std::fmt::Arguments<'_>| {
        let _ = csv.write_fmt(text);
        csv.push('\n');
    };
    line(
        &mut csv,
        format_args!("NSE,I,13,INDEX,0,NIFTY,1.0,Nifty 50,,-0.01000,XX,,NA,INDEX,X,NIFTY"),
    );
    line(
        &mut csv,
        format_args!("BSE,I,51,INDEX,0,SENSEX,1.0,Sensex,,-0.01000,XX,,NA,INDEX,X,SENSEX"),
    );
    rows += 2;
    for i in 0..150 {
        line(
            &mut csv,
            format_args!(
                "NSE,I,{},INDEX,0,INDEX{i:03},1.0,Index {i},,-0.01000,XX,,NA,INDEX,X,INDEX{i:03}",
                1000 + i
            ),
        );
        rows += 1;
    }
    for i in 0..9_000 {
        line(&mut csv, format_args!("NSE,E,{},EQUITY,0,EQ{i:05},1.0,Company {i} Ltd,,-0.01000,XX,5.0000,NA,ES,EQ,COMPANY {i} LIMITED", 10_000 + i));
        line(&mut csv, format_args!("BSE,E,{},EQUITY,0,EQ{i:05},1.0,Company {i} Ltd,,-0.01000,XX,5.0000,NA,ES,A,COMPANY {i} LIMITED", 500_000 + i));
        rows += 2;
    }
    let families = families();
    for f in &families {
        for (k, e) in f.expiries.iter().enumerate().take(3) {
            id += 1;
            let kind = if f.exchange == "MCX" {
                "FUTCOM"
            } else if f.instrument == "OPTSTK" {
                "FUTSTK"
            } else {
                "FUTIDX"
            };
            line(&mut csv, format_args!(
                "{},{},{id},{kind},{k},{}-{}{}-FUT,{}.0,{} {} FUT,{} 14:30:00,-0.01000,XX,10.0000,M,FUT,,{}",
                f.exchange, f.segment, f.underlying, month(*e), e.year(), f.lot, f.underlying, month(*e).to_uppercase(), e, f.underlying
            ));
            rows += 1;
        }
    }
    'outer: for f in &families {
        for e in &f.expiries {
            for s in 0..f.strikes {
                let strike = f.centre - f.step * (f.strikes / 2) + f.step * s;
                for (side, word) in [("CE", "CALL"), ("PE", "PUT")] {
                    if rows == ROWS {
                        break 'outer;
                    }
                    id += 1;
                    line(&mut csv, format_args!(
                            "{},{},{id},{},0,{}-{}{}-{strike}-{side},{}.0,{} {:02} {} {strike} {word},{} 14:30:00,{strike}.00000,{side},5.0000,W,OP,,",
                            f.exchange, f.segment, f.instrument, f.underlying, month(*e), e.year(), f.lot,
                            f.underlying, e.day(), month(*e).to_uppercase(), e
                        ));
                    rows += 1;
                }
            }
        }
    }
    assert_eq!(rows, ROWS, "the families must yield at least {ROWS} rows");
    csv
}

/// (current, peak) resident set in MiB, from /proc/self/status.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Per-call latencies of `f` over `inputs`, as (p50, p99, max).
fn percentiles<T>(inputs: &[T], mut f: impl FnMut(&T)) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = inputs
        .iter()
        .map(|x| {
            let t = Instant::now();
            f(x);
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn one_shot(path: &Path) -> InstrumentIndex {
    // Reset the high-water mark so the peak below is the load's, not the generator's.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (before, _) = rss_mib();
    let t = Instant::now();
    let loaded = load_master_file(
        path,
        MasterKind::Dhan,
        Vec::new(),
        &MasterThresholds::default(),
    );
    let elapsed = t.elapsed();
    let (after, peak) = rss_mib();
    let Ok((index, report)) = loaded else {
        panic!("generated master refused: {:?}", loaded.err());
    };
    println!(
        "P9 load+index from file: {} rows, {} accepted, {} indexed, {:.0} ms; RSS {:.1} MiB before, {:.1} MiB after, peak {:.1} MiB{}",
        report.master.rows,
        report.master.accepted,
        index.len(),
        elapsed.as_secs_f64() * 1e3,
        before,
        after,
        peak,
        if reset { "" } else { " (peak not reset: includes generation)" }
    );
    index
}

fn lookups(index: &InstrumentIndex) {
    let all = index.all();
    let step = (all.len() / 100_000).max(1);
    let sample: Vec<_> = all.iter().step_by(step).cloned().collect();
    let (p50, p99, max) = percentiles(&sample, |i| {
        black_box(index.by_dhan(i.segment.code(), i.security_id));
    });
    println!(
        "P9 by_dhan over {} ids: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        sample.len()
    );
    let (p50, p99, max) = percentiles(&sample, |i| {
        black_box(index.by_symbol(&i.symbol));
    });
    println!(
        "P9 by_symbol over {} symbols: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        sample.len()
    );
    let names: Vec<String> = index
        .search("NIFTY ", 2_000)
        .into_iter()
        .filter_map(|h| h.display_name.map(|d| d.to_lowercase()))
        .collect();
    let (p50, p99, max) = percentiles(&names, |n| {
        black_box(index.by_custom_symbol(n));
    });
    println!(
        "P9 by_custom_symbol over {} names: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        names.len()
    );
    let prefixes: Vec<String> = [
        "N",
        "NI",
        "NIFTY",
        "nifty 1",
        "BANK",
        "STOCK1",
        "EQ0",
        "Company 12",
        "SENSEX-",
        "COMM0",
        "Z",
    ]
    .iter()
    .flat_map(|p| (0..100).map(move |_| p.to_string()))
    .collect();
    let (p50, p99, max) = percentiles(&prefixes, |p| {
        black_box(index.search(p, 20));
    });
    println!(
        "P9 search(prefix, 20) over {} queries: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        prefixes.len()
    );
}

fn bench(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("mandi-bench-master-{}.csv", std::process::id()));
    let csv = generate();
    if let Err(e) = std::fs::write(&path, &csv) {
        panic!("cannot write {}: {e}", path.display());
    }
    let bytes = csv.len();
    drop(csv);
    println!(
        "generated {ROWS} rows, {:.1} MiB",
        bytes as f64 / (1 << 20) as f64
    );
    let index = one_shot(&path);
    lookups(&index);

    let csv = std::fs::read(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let mut group = c.benchmark_group("master");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(csv.len() as u64));
    let thresholds = MasterThresholds::default();
    // Dropping 290k instruments is not part of loading them: results drop untimed.
    group.bench_function("parse_dhan_290k", |b| {
        b.iter_with_large_drop(|| parse_dhan_master(black_box(&csv[..]), &thresholds))
    });
    group.bench_function("parse_and_index_290k", |b| {
        b.iter_with_large_drop(|| {
            parse_dhan_master(black_box(&csv[..]), &thresholds)
                .ok()
                .and_then(|l| InstrumentIndex::with_master(Vec::new(), l.rows).ok())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("master_lookup");
    let option = index.by_custom_symbol("NIFTY 02 JAN 25000 CALL").cloned();
    assert!(option.is_some(), "the generated master lists this option");
    let (segment, id) = option.as_ref().map_or((Segment::NseFno.code(), 0), |i| {
        (i.segment.code(), i.security_id)
    });
    group.bench_function("by_dhan", |b| {
        b.iter(|| index.by_dhan(black_box(segment), black_box(id)).is_some())
    });
    group.bench_function("by_symbol", |b| {
        b.iter(|| index.by_symbol(black_box("EQ04500")).is_some())
    });
    group.bench_function("by_custom_symbol", |b| {
        b.iter(|| {
            index
                .by_custom_symbol(black_box("nifty 02 jan 25000 call"))
                .is_some()
        })
    });
    group.bench_function("search_prefix_20", |b| {
        b.iter(|| index.search(black_box("NIFTY 02"), 20).len())
    });
    let expiry = start().checked_add_days(Days::new(1)).unwrap_or_default();
    group.bench_function("option_chain_10", |b| {
        b.iter(|| {
            index
                .option_chain("NIFTY", Exchange::Nse, expiry, black_box(25_012.0), 10)
                .len()
        })
    });
    group.bench_function("atm_strike", |b| {
        b.iter(|| index.atm_strike("NIFTY", Exchange::Nse, expiry, black_box(25_012.0)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
