//! Index tests: ids, zero keys, config-wins merge, same-symbol precedence, display names,
//! prefix search, and the chain queries (exchanges never mix, ATM ties, window edges).

use chrono::NaiveDate;
use mandi_domain::{Derivative, Exchange, OptionType};
use mandi_protocol::master::{parse_dhan_master, parse_kite_instruments, MasterThresholds};

use super::*;

fn inst(symbol: &str, segment: Segment, id: u32, token: u32) -> Instrument {
    Instrument {
        symbol: symbol.into(),
        exchange: Exchange::Nse,
        segment,
        security_id: id,
        kite_token: token,
        kite_key: format!("NSE:{symbol}").into(),
        tick_size: 0.05,
        lot_size: 1,
        derivative: None,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn row(instrument: Instrument, display: Option<&str>) -> MasterRow {
    MasterRow {
        instrument: Arc::new(instrument),
        display_name: display.map(Arc::from),
        broker_symbol: None,
    }
}

/// A Dhan-style option row: `UND-Mon-STRIKE-CE`, displayed `UND DD MON STRIKE CALL`.
fn option(
    underlying: &str,
    exchange: Exchange,
    expiry: NaiveDate,
    strike: f64,
    side: OptionType,
    id: u32,
) -> MasterRow {
    let segment = if exchange == Exchange::Bse {
        Segment::BseFno
    } else {
        Segment::NseFno
    };
    let month = expiry.format("%b").to_string();
    let symbol = format!(
        "{underlying}-{month}{}-{strike}-{}",
        expiry.format("%Y"),
        side.as_str()
    );
    let display = format!(
        "{underlying} {} {} {strike} {}",
        expiry.format("%d"),
        month.to_uppercase(),
        if side == OptionType::Call {
            "CALL"
        } else {
            "PUT"
        }
    );
    let mut i = inst(&symbol, segment, id, 0);
    i.exchange = exchange;
    i.kite_key = "".into();
    i.derivative = Some(Derivative {
        underlying: underlying.into(),
        expiry,
        strike: Some(strike),
        option_type: Some(side),
    });
    row(i, Some(&display))
}

fn future(underlying: &str, exchange: Exchange, expiry: NaiveDate, id: u32) -> MasterRow {
    let mut i = inst(
        &format!("{underlying}-{}-FUT", expiry.format("%b%Y")),
        Segment::NseFno,
        id,
        0,
    );
    i.exchange = exchange;
    i.derivative = Some(Derivative {
        underlying: underlying.into(),
        expiry,
        strike: None,
        option_type: None,
    });
    row(i, None)
}

fn merged(config: Vec<Instrument>, master: Vec<MasterRow>) -> (InstrumentIndex, MergeReport) {
    InstrumentIndex::with_master(config, master).expect("consistent config")
}

#[test]
fn looks_up_by_every_id() {
    let idx = InstrumentIndex::build(vec![
        inst("NIFTY", Segment::IdxI, 13, 256_265),
        inst("RELIANCE", Segment::NseEq, 2885, 738_561),
    ])
    .expect("valid");
    assert_eq!(idx.by_symbol("RELIANCE").map(|i| i.security_id), Some(2885));
    assert_eq!(idx.by_dhan(0, 13).map(|i| &*i.symbol), Some("NIFTY"));
    assert_eq!(
        idx.by_kite_token(738_561).map(|i| &*i.symbol),
        Some("RELIANCE")
    );
    assert!(idx.by_dhan(1, 13).is_none(), "segment is part of the key");
}

#[test]
fn duplicates_are_rejected() {
    struct TestCase {
        name: &'static str,
        list: Vec<Instrument>,
        check: fn(&Result<InstrumentIndex, IndexError>) -> bool,
    }
    let cases = [
        TestCase {
            name: "dhan id",
            list: vec![
                inst("A", Segment::NseEq, 1, 100),
                inst("B", Segment::NseEq, 1, 200),
            ],
            check: |r| matches!(r, Err(IndexError::DuplicateDhanId { .. })),
        },
        TestCase {
            name: "kite token",
            list: vec![
                inst("A", Segment::NseEq, 1, 100),
                inst("B", Segment::NseEq, 2, 100),
            ],
            check: |r| matches!(r, Err(IndexError::DuplicateKiteToken { .. })),
        },
        TestCase {
            name: "symbol",
            list: vec![
                inst("A", Segment::NseEq, 1, 100),
                inst("A", Segment::BseEq, 2, 200),
            ],
            check: |r| matches!(r, Err(IndexError::DuplicateSymbol(_))),
        },
        TestCase {
            name: "zero ids are not keys",
            list: vec![
                inst("A", Segment::NseEq, 1, 0),
                inst("B", Segment::NseEq, 2, 0),
                inst("C", Segment::NseEq, 0, 300),
                inst("D", Segment::NseEq, 0, 400),
            ],
            check: |r| matches!(r, Ok(idx) if idx.by_kite_token(0).is_none() && idx.by_dhan(1, 0).is_none() && idx.len() == 4),
        },
    ];
    for case in cases {
        let result = InstrumentIndex::build(case.list);
        assert!(
            (case.check)(&result),
            "{}: {:?}",
            case.name,
            result.map(|i| i.len())
        );
    }
}

#[test]
fn config_wins_over_master() {
    let mut nifty = inst("NIFTY", Segment::IdxI, 13, 256_265);
    nifty.tick_size = 0.5; // config's own value must survive
    let config = vec![nifty, inst("RELIANCE", Segment::NseEq, 2885, 738_561)];
    struct TestCase {
        name: &'static str,
        master: MasterRow,
        added: bool,
    }
    let cases = [
        TestCase {
            name: "same dhan id",
            master: row(inst("NIFTY 50", Segment::IdxI, 13, 0), None),
            added: false,
        },
        TestCase {
            name: "same kite token",
            master: row(inst("NIFTY 50", Segment::IdxI, 0, 256_265), None),
            added: false,
        },
        TestCase {
            name: "same symbol, other ids",
            master: row(inst("RELIANCE", Segment::BseEq, 500_325, 0), None),
            added: false,
        },
        TestCase {
            name: "same id, other segment",
            master: row(inst("X", Segment::NseFno, 13, 0), None),
            added: true,
        },
        TestCase {
            name: "zero ids, new symbol",
            master: row(inst("TCS", Segment::NseEq, 11_536, 0), None),
            added: true,
        },
    ];
    let mut want = MergeReport {
        config: 2,
        master_rows: cases.len(),
        ..MergeReport::default()
    };
    for case in &cases {
        let (idx, report) = merged(config.clone(), vec![case.master.clone()]);
        assert_eq!(
            report.master_added,
            usize::from(case.added),
            "{}: {report:?}",
            case.name
        );
        assert_eq!(idx.len(), 2 + usize::from(case.added), "{}", case.name);
        assert_eq!(
            idx.by_symbol("NIFTY").map(|i| i.tick_size),
            Some(0.5),
            "{}",
            case.name
        );
        assert_eq!(
            idx.by_dhan(0, 13).map(|i| &*i.symbol),
            Some("NIFTY"),
            "{}",
            case.name
        );
    }
    let (_, report) = merged(
        config.clone(),
        cases.into_iter().map(|c| c.master).collect(),
    );
    want.config_dhan_id = 1;
    want.config_kite_token = 1;
    want.config_symbol = 1;
    want.master_added = 2;
    assert_eq!(report, want);
    assert_eq!(report.config_conflicts(), 3);
}

#[test]
fn master_rows_repeating_an_id_are_counted() {
    let (idx, report) = merged(
        vec![],
        vec![
            row(inst("A", Segment::NseEq, 1, 0), None),
            row(inst("B", Segment::NseEq, 1, 0), None),
        ],
    );
    assert_eq!((idx.len(), report.duplicate_ids), (1, 1));
}

#[test]
fn shared_symbols_prefer_nse_then_nearest_expiry() {
    let oct3 = date(2024, 10, 3);
    let oct24 = date(2024, 10, 24);
    // Dhan gives weekly contracts of one month the same trading symbol.
    let mut late = option(
        "NIFTY",
        Exchange::Nse,
        oct24,
        25800.0,
        OptionType::Call,
        44430,
    );
    let mut early = option(
        "NIFTY",
        Exchange::Nse,
        oct3,
        25800.0,
        OptionType::Call,
        58548,
    );
    for r in [&mut late, &mut early] {
        let mut i = Instrument::clone(&r.instrument);
        i.symbol = "NIFTY-Oct2024-25800-CE".into();
        r.instrument = Arc::new(i);
    }
    let mut bse = inst("RELIANCE", Segment::BseEq, 500_325, 0);
    bse.exchange = Exchange::Bse;
    let nse = inst("RELIANCE", Segment::NseEq, 2885, 0);
    let (idx, report) = merged(vec![], vec![late, row(bse, None), early, row(nse, None)]);
    assert_eq!(report.shadowed_symbols, 2);
    assert_eq!(
        idx.by_symbol("NIFTY-Oct2024-25800-CE")
            .map(|i| i.security_id),
        Some(58548),
        "nearest expiry"
    );
    let all: Vec<u32> = idx
        .symbol_matches("NIFTY-Oct2024-25800-CE")
        .map(|i| i.security_id)
        .collect();
    assert_eq!(all, [58548, 44430]);
    assert_eq!(
        idx.by_symbol("RELIANCE").map(|i| i.security_id),
        Some(2885),
        "NSE first"
    );
    assert_eq!(
        idx.by_exchange_symbol(Exchange::Bse, "RELIANCE")
            .map(|i| i.security_id),
        Some(500_325)
    );
    assert!(idx.by_exchange_symbol(Exchange::Mcx, "RELIANCE").is_none());
    assert_eq!(
        idx.by_dhan(Segment::NseFno.code(), 44430)
            .map(|i| i.security_id),
        Some(44430)
    );
}

#[test]
fn custom_symbol_lookup_ignores_case() {
    let expiry = date(2024, 10, 28);
    let (idx, _) = merged(
        vec![],
        vec![
            option(
                "ICICIGI",
                Exchange::Nse,
                expiry,
                1860.0,
                OptionType::Call,
                70001,
            ),
            option(
                "ICICIGI",
                Exchange::Nse,
                expiry,
                1860.0,
                OptionType::Put,
                70002,
            ),
        ],
    );
    struct TestCase {
        name: &'static str,
        query: &'static str,
        want: Option<u32>,
    }
    let cases = [
        TestCase {
            name: "as listed",
            query: "ICICIGI 28 OCT 1860 CALL",
            want: Some(70001),
        },
        TestCase {
            name: "lower case",
            query: "icicigi 28 oct 1860 call",
            want: Some(70001),
        },
        TestCase {
            name: "the put",
            query: "ICICIGI 28 Oct 1860 PUT",
            want: Some(70002),
        },
        TestCase {
            name: "prefix is not a match",
            query: "ICICIGI 28 OCT 1860",
            want: None,
        },
        TestCase {
            name: "unknown",
            query: "ICICIGI 28 OCT 1880 CALL",
            want: None,
        },
        TestCase {
            name: "empty",
            query: "",
            want: None,
        },
    ];
    for case in cases {
        assert_eq!(
            idx.by_custom_symbol(case.query).map(|i| i.security_id),
            case.want,
            "{}",
            case.name
        );
    }
}

#[test]
fn prefix_search_is_case_insensitive_ordered_and_deduplicated() {
    let expiry = date(2024, 10, 24);
    let config = vec![inst("NIFTY", Segment::IdxI, 13, 256_265)];
    let master = vec![
        option("NIFTY", Exchange::Nse, expiry, 25900.0, OptionType::Call, 3),
        option("NIFTY", Exchange::Nse, expiry, 25800.0, OptionType::Put, 2),
        option("NIFTY", Exchange::Nse, expiry, 25800.0, OptionType::Call, 1),
        row(
            inst("NIFTYBEES", Segment::NseEq, 10_576, 0),
            Some("Nippon Nifty BeES"),
        ),
        row(
            inst("RELIANCE", Segment::NseEq, 2885, 0),
            Some("Reliance Industries"),
        ),
    ];
    let (idx, _) = merged(config, master);
    let names = |prefix: &str, limit: usize| -> Vec<String> {
        idx.search(prefix, limit)
            .into_iter()
            .map(|h| h.instrument.symbol.to_string())
            .collect()
    };
    struct TestCase {
        name: &'static str,
        prefix: &'static str,
        limit: usize,
        want: Vec<&'static str>,
    }
    let cases = [
        TestCase {
            name: "symbols then display names, by name",
            prefix: "nifty",
            limit: 10,
            // "NIFTY", then "NIFTY 24 OCT …" display names (space sorts before '-'),
            // then "NIFTYBEES".
            want: vec![
                "NIFTY",
                "NIFTY-Oct2024-25800-CE",
                "NIFTY-Oct2024-25800-PE",
                "NIFTY-Oct2024-25900-CE",
                "NIFTYBEES",
            ],
        },
        TestCase {
            name: "limit",
            prefix: "NIFTY",
            limit: 2,
            want: vec!["NIFTY", "NIFTY-Oct2024-25800-CE"],
        },
        TestCase {
            name: "display name only",
            prefix: "nippon",
            limit: 10,
            want: vec!["NIFTYBEES"],
        },
        TestCase {
            name: "display name with spaces",
            prefix: "NIFTY 24 OCT 25800 P",
            limit: 10,
            want: vec!["NIFTY-Oct2024-25800-PE"],
        },
        TestCase {
            name: "no match",
            prefix: "ZZZ",
            limit: 10,
            want: vec![],
        },
        TestCase {
            name: "zero limit",
            prefix: "N",
            limit: 0,
            want: vec![],
        },
    ];
    for case in cases {
        assert_eq!(names(case.prefix, case.limit), case.want, "{}", case.name);
    }
    // Same query, same answer: the order is fixed by the names, not by hashing.
    assert_eq!(names("n", 100), names("N", 100));
}

/// NIFTY (NSE) and SENSEX (BSE) options, plus a same-named underlying on both exchanges.
fn chain_index() -> InstrumentIndex {
    let (n1, n2, n3) = (date(2024, 10, 3), date(2024, 10, 10), date(2024, 10, 31));
    let (s1, s2) = (date(2024, 10, 4), date(2024, 10, 11));
    let mut master = Vec::new();
    let mut id = 1000;
    let mut add = |und: &str,
                   ex: Exchange,
                   expiry: NaiveDate,
                   strikes: &[f64],
                   master: &mut Vec<MasterRow>| {
        for &strike in strikes {
            for side in [OptionType::Call, OptionType::Put] {
                id += 1;
                master.push(option(und, ex, expiry, strike, side, id));
            }
        }
    };
    add(
        "NIFTY",
        Exchange::Nse,
        n2,
        &[25000.0, 25050.0, 25100.0, 25150.0, 25200.0],
        &mut master,
    );
    add("NIFTY", Exchange::Nse, n1, &[25000.0, 25100.0], &mut master);
    add("NIFTY", Exchange::Nse, n3, &[24000.0], &mut master);
    add(
        "SENSEX",
        Exchange::Bse,
        s1,
        &[81000.0, 81100.0],
        &mut master,
    );
    add("SENSEX", Exchange::Bse, s2, &[81000.0], &mut master);
    add("BANKEX", Exchange::Bse, s1, &[60000.0], &mut master);
    add("BANKEX", Exchange::Nse, n1, &[61000.0], &mut master);
    // A call listed only once at the top strike: the chain row has no put there.
    master.retain(|r| {
        r.instrument
            .derivative
            .as_ref()
            .map(|d| (d.strike, d.option_type))
            != Some((Some(25200.0), Some(OptionType::Put)))
    });
    master.push(future("NIFTY", Exchange::Nse, n3, 35001));
    master.push(future("NIFTY", Exchange::Nse, date(2024, 11, 28), 35002));
    merged(vec![inst("NIFTY", Segment::IdxI, 13, 256_265)], master).0
}

#[test]
fn expiries_never_mix_exchanges() {
    let idx = chain_index();
    struct TestCase {
        name: &'static str,
        underlying: &'static str,
        exchange: Exchange,
        want: Vec<NaiveDate>,
    }
    let cases = [
        TestCase {
            name: "nifty on nse",
            underlying: "NIFTY",
            exchange: Exchange::Nse,
            want: vec![date(2024, 10, 3), date(2024, 10, 10), date(2024, 10, 31)],
        },
        TestCase {
            name: "nifty not on bse",
            underlying: "NIFTY",
            exchange: Exchange::Bse,
            want: vec![],
        },
        TestCase {
            name: "sensex on bse",
            underlying: "SENSEX",
            exchange: Exchange::Bse,
            want: vec![date(2024, 10, 4), date(2024, 10, 11)],
        },
        TestCase {
            name: "sensex not on nse",
            underlying: "SENSEX",
            exchange: Exchange::Nse,
            want: vec![],
        },
        TestCase {
            name: "bankex on bse only its own",
            underlying: "BANKEX",
            exchange: Exchange::Bse,
            want: vec![date(2024, 10, 4)],
        },
        TestCase {
            name: "bankex on nse only its own",
            underlying: "BANKEX",
            exchange: Exchange::Nse,
            want: vec![date(2024, 10, 3)],
        },
        TestCase {
            name: "unknown",
            underlying: "FINNIFTY",
            exchange: Exchange::Nse,
            want: vec![],
        },
        TestCase {
            name: "mcx",
            underlying: "NIFTY",
            exchange: Exchange::Mcx,
            want: vec![],
        },
    ];
    for case in cases {
        assert_eq!(
            idx.expiries(case.underlying, case.exchange),
            case.want,
            "{}",
            case.name
        );
    }
    assert_eq!(
        idx.strikes("BANKEX", Exchange::Bse, date(2024, 10, 4)),
        [60000.0]
    );
    assert!(idx
        .options_of("BANKEX", Exchange::Bse)
        .iter()
        .all(|i| i.exchange == Exchange::Bse));
}

#[test]
fn next_expiry_counts_today() {
    let idx = chain_index();
    struct TestCase {
        name: &'static str,
        today: NaiveDate,
        want: Option<NaiveDate>,
    }
    let cases = [
        TestCase {
            name: "before the first",
            today: date(2024, 9, 30),
            want: Some(date(2024, 10, 3)),
        },
        TestCase {
            name: "on expiry day",
            today: date(2024, 10, 3),
            want: Some(date(2024, 10, 3)),
        },
        TestCase {
            name: "day after",
            today: date(2024, 10, 4),
            want: Some(date(2024, 10, 10)),
        },
        TestCase {
            name: "after the last",
            today: date(2024, 11, 1),
            want: None,
        },
    ];
    for case in cases {
        assert_eq!(
            idx.next_expiry("NIFTY", Exchange::Nse, case.today),
            case.want,
            "{}",
            case.name
        );
    }
}

#[test]
fn atm_strike_takes_the_nearest_and_ties_go_lower() {
    let idx = chain_index();
    let expiry = date(2024, 10, 10); // strikes 25000, 25050, 25100, 25150, 25200
    struct TestCase {
        name: &'static str,
        price: f64,
        want: Option<f64>,
    }
    let cases = [
        TestCase {
            name: "exact",
            price: 25100.0,
            want: Some(25100.0),
        },
        TestCase {
            name: "nearer the lower",
            price: 25074.9,
            want: Some(25050.0),
        },
        TestCase {
            name: "nearer the upper",
            price: 25075.1,
            want: Some(25100.0),
        },
        TestCase {
            name: "tie goes lower",
            price: 25075.0,
            want: Some(25050.0),
        },
        TestCase {
            name: "below every strike",
            price: 1.0,
            want: Some(25000.0),
        },
        TestCase {
            name: "above every strike",
            price: 99999.0,
            want: Some(25200.0),
        },
        TestCase {
            name: "not a price",
            price: f64::NAN,
            want: None,
        },
    ];
    for case in cases {
        assert_eq!(
            idx.atm_strike("NIFTY", Exchange::Nse, expiry, case.price),
            case.want,
            "{}",
            case.name
        );
    }
    assert_eq!(
        idx.atm_strike("NIFTY", Exchange::Nse, date(2024, 10, 11), 25000.0),
        None,
        "no such expiry"
    );
}

#[test]
fn option_chain_window_is_cut_at_the_edges() {
    let idx = chain_index();
    let expiry = date(2024, 10, 10);
    struct TestCase {
        name: &'static str,
        price: f64,
        n: usize,
        want: Vec<f64>,
    }
    let cases = [
        TestCase {
            name: "middle",
            price: 25100.0,
            n: 1,
            want: vec![25050.0, 25100.0, 25150.0],
        },
        TestCase {
            name: "lower edge",
            price: 25000.0,
            n: 2,
            want: vec![25000.0, 25050.0, 25100.0],
        },
        TestCase {
            name: "upper edge",
            price: 25190.0,
            n: 2,
            want: vec![25100.0, 25150.0, 25200.0],
        },
        TestCase {
            name: "wider than the chain",
            price: 25100.0,
            n: 10,
            want: vec![25000.0, 25050.0, 25100.0, 25150.0, 25200.0],
        },
        TestCase {
            name: "atm only",
            price: 25060.0,
            n: 0,
            want: vec![25050.0],
        },
    ];
    for case in cases {
        let rows = idx.option_chain("NIFTY", Exchange::Nse, expiry, case.price, case.n);
        let strikes: Vec<f64> = rows.iter().map(|r| r.strike).collect();
        assert_eq!(strikes, case.want, "{}", case.name);
        for r in &rows {
            let call = r.call.as_ref().and_then(|i| i.derivative.clone());
            assert_eq!(
                call.map(|d| (d.strike, d.option_type, d.expiry)),
                Some((Some(r.strike), Some(OptionType::Call), expiry)),
                "{}",
                case.name
            );
            if r.strike != 25200.0 {
                assert_eq!(
                    r.put.as_ref().and_then(|i| i.option_type()),
                    Some(OptionType::Put),
                    "{}",
                    case.name
                );
            }
        }
    }
    let top = idx.option_chain("NIFTY", Exchange::Nse, expiry, 25200.0, 0);
    assert!(top[0].put.is_none(), "no put listed at 25200");
    assert!(idx
        .option_chain("NIFTY", Exchange::Bse, expiry, 25200.0, 2)
        .is_empty());
}

#[test]
fn options_and_futures_in_order() {
    let idx = chain_index();
    let options = idx.options_of("NIFTY", Exchange::Nse);
    assert_eq!(options.len(), 4 + 9 + 2);
    let keys: Vec<_> = options
        .iter()
        .filter_map(|i| {
            i.derivative.as_ref().map(|d| {
                (
                    d.expiry,
                    d.strike.map(|s| s as i64),
                    d.option_type.map(OptionType::as_str),
                )
            })
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by expiry, strike, CE before PE");
    let futures: Vec<u32> = idx
        .futures_of("NIFTY", Exchange::Nse)
        .iter()
        .map(|i| i.security_id)
        .collect();
    assert_eq!(futures, [35001, 35002]);
    assert!(idx.futures_of("NIFTY", Exchange::Bse).is_empty());
}

#[test]
fn duplicate_chain_listings_keep_the_first() {
    let expiry = date(2024, 10, 24);
    let (idx, report) = merged(
        vec![],
        vec![
            option("NIFTY", Exchange::Nse, expiry, 25800.0, OptionType::Call, 1),
            option("NIFTY", Exchange::Nse, expiry, 25800.0, OptionType::Call, 2),
        ],
    );
    assert_eq!(report.chain_duplicates, 1);
    let rows = idx.option_chain("NIFTY", Exchange::Nse, expiry, 25800.0, 0);
    assert_eq!(rows[0].call.as_ref().map(|i| i.security_id), Some(1));
}

#[test]
fn dhan_fixture_through_the_index() {
    let file = include_bytes!("../../../protocol/src/master/fixtures/dhan_compact.csv");
    let load = parse_dhan_master(&file[..], &MasterThresholds::default()).expect("fixture loads");
    let (idx, report) = merged(vec![inst("NIFTY", Segment::IdxI, 13, 256_265)], load.rows);
    assert_eq!(
        report.config_dhan_id, 1,
        "config NIFTY wins over the master's"
    );
    assert_eq!(idx.by_symbol("NIFTY").map(|i| i.kite_token), Some(256_265));
    assert_eq!(
        idx.by_custom_symbol("nifty 24 oct 25800 call")
            .map(|i| i.security_id),
        Some(44430)
    );
    assert_eq!(
        idx.expiries("NIFTY", Exchange::Nse),
        [date(2024, 10, 3), date(2024, 10, 24)]
    );
    assert_eq!(idx.futures_of("GOLD", Exchange::Mcx).len(), 1);
    assert_eq!(
        idx.by_dhan(Segment::BseCurrency.code(), 1_026_077)
            .map(|i| i.tick_size),
        Some(0.0025)
    );
}

/// The same contract from a Dhan and a Kite master: one canonical symbol, and each
/// broker's trading symbol resolves to it and is found by search.
#[test]
fn broker_symbols_resolve_to_the_canonical_symbol() {
    let dhan = include_bytes!("../../../protocol/src/master/fixtures/dhan_compact.csv");
    let kite = include_bytes!("../../../protocol/src/master/fixtures/kite_instruments.csv");
    let dhan = parse_dhan_master(&dhan[..], &MasterThresholds::default()).expect("dhan loads");
    let kite = parse_kite_instruments(&kite[..], &MasterThresholds::default()).expect("kite loads");
    let (dhan, _) = merged(Vec::new(), dhan.rows);
    let (kite, _) = merged(Vec::new(), kite.rows);
    struct TestCase<'a> {
        name: &'static str,
        index: &'a InstrumentIndex,
        asked: &'static str,
        want: Option<&'static str>,
    }
    let (dhan, kite) = (&dhan, &kite);
    let cases = [
        TestCase {
            name: "dhan canonical",
            index: dhan,
            asked: "NIFTY-24Oct2024-25800-CE",
            want: Some("NIFTY-24Oct2024-25800-CE"),
        },
        TestCase {
            name: "dhan trading symbol",
            index: dhan,
            asked: "NIFTY-Oct2024-25800-CE",
            want: Some("NIFTY-24Oct2024-25800-CE"),
        },
        TestCase {
            name: "kite canonical",
            index: kite,
            asked: "NIFTY-24Oct2024-25800-CE",
            want: Some("NIFTY-24Oct2024-25800-CE"),
        },
        TestCase {
            name: "kite tradingsymbol",
            index: kite,
            asked: "NIFTY24O2425800CE",
            want: Some("NIFTY-24Oct2024-25800-CE"),
        },
        TestCase {
            name: "kite tradingsymbol any case",
            index: kite,
            asked: "nifty24o2425800ce",
            want: Some("NIFTY-24Oct2024-25800-CE"),
        },
        TestCase {
            name: "cash by ticker",
            index: kite,
            asked: "INFY",
            want: Some("INFY"),
        },
        TestCase {
            name: "unknown",
            index: kite,
            asked: "NIFTY24O2499999CE",
            want: None,
        },
    ];
    for case in cases {
        let got = case.index.resolve(case.asked).map(|i| i.symbol.to_string());
        assert_eq!(got.as_deref(), case.want, "{}", case.name);
    }
    let hits = kite.search("NIFTY24O24258", 10);
    let found: Vec<(&str, Option<&str>)> = hits
        .iter()
        .map(|h| (&*h.instrument.symbol, h.broker_symbol.as_deref()))
        .collect();
    assert!(
        found.contains(&("NIFTY-24Oct2024-25800-CE", Some("NIFTY24O2425800CE"))),
        "search by Kite's prefix: {found:?}"
    );
    let canonical = kite
        .by_symbol("NIFTY-24Oct2024-25800-CE")
        .expect("canonical");
    assert_eq!(
        kite.broker_symbol(canonical).map(|s| &**s),
        Some("NIFTY24O2425800CE")
    );
}
