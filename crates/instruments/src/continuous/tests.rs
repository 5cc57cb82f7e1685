//! The roll rule, by case: hold, roll on the day, expiry day, weekends and holidays in the
//! window, expired rows, nothing to roll to; and the config entry taking its contract.

use mandi_domain::{Derivative, OptionType, Segment};

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn future(underlying: &str, exchange: Exchange, expiry: NaiveDate, id: u32) -> MasterRow {
    MasterRow {
        instrument: Arc::new(Instrument {
            symbol: format!("{underlying}-{}-FUT", expiry.format("%d%b%Y")).into(),
            exchange,
            segment: Segment::McxComm,
            security_id: id,
            kite_token: 0,
            kite_key: "".into(),
            tick_size: 1.0,
            lot_size: 100,
            derivative: Some(Derivative {
                underlying: underlying.into(),
                expiry,
                strike: None,
                option_type: None,
            }),
        }),
        display_name: None,
        broker_symbol: Some(format!("{underlying}-{}-FUT", expiry.format("%b%Y")).into()),
    }
}

fn option(expiry: NaiveDate, id: u32) -> MasterRow {
    let mut row = future("CRUDEOIL", Exchange::Mcx, expiry, id);
    let mut i = Instrument::clone(&row.instrument);
    i.symbol = format!("CRUDEOIL-{}-6000-CE", expiry.format("%d%b%Y")).into();
    i.derivative = Some(Derivative {
        underlying: "CRUDEOIL".into(),
        expiry,
        strike: Some(6000.0),
        option_type: Some(OptionType::Call),
    });
    row.instrument = Arc::new(i);
    row
}

fn crude(roll_days: u32, holidays: Vec<NaiveDate>) -> ContinuousFuture {
    ContinuousFuture {
        symbol: "CRUDEOIL".into(),
        underlying: "CRUDEOIL".into(),
        exchange: Exchange::Mcx,
        roll_days_before_expiry: roll_days,
        holidays,
        config_key: "instruments[2].continuous".into(),
    }
}

#[test]
fn trading_days_left_counts_sessions_after_today_through_expiry() {
    struct TestCase {
        name: &'static str,
        today: NaiveDate,
        expiry: NaiveDate,
        holidays: Vec<NaiveDate>,
        want: u32,
    }
    let cases = [
        TestCase {
            name: "wednesday before a friday expiry: thursday and friday",
            today: d(2026, 12, 16),
            expiry: d(2026, 12, 18),
            holidays: vec![],
            want: 2,
        },
        TestCase {
            name: "expiry day itself",
            today: d(2026, 12, 18),
            expiry: d(2026, 12, 18),
            holidays: vec![],
            want: 0,
        },
        TestCase {
            name: "after expiry",
            today: d(2026, 12, 21),
            expiry: d(2026, 12, 18),
            holidays: vec![],
            want: 0,
        },
        TestCase {
            name: "thursday before a monday expiry: the weekend is no session",
            today: d(2027, 2, 11),
            expiry: d(2027, 2, 15),
            holidays: vec![],
            want: 2,
        },
        TestCase {
            name: "saturday before a monday expiry",
            today: d(2027, 2, 13),
            expiry: d(2027, 2, 15),
            holidays: vec![],
            want: 1,
        },
        TestCase {
            name: "a holiday in between is no session",
            today: d(2026, 12, 14),
            expiry: d(2026, 12, 18),
            holidays: vec![d(2026, 12, 16)],
            want: 3,
        },
    ];
    for c in cases {
        assert_eq!(
            trading_days_left(c.today, c.expiry, &c.holidays),
            c.want,
            "{}",
            c.name
        );
    }
}

#[test]
fn the_contract_in_force_by_date() {
    let dec = d(2026, 12, 18); // Friday
    let jan = d(2027, 1, 19); // Tuesday
    let feb = d(2027, 2, 15); // Monday
    let master = vec![
        option(dec, 9),
        future("CRUDEOIL", Exchange::Mcx, jan, 2),
        future("CRUDEOIL", Exchange::Mcx, dec, 1),
        future("CRUDEOIL", Exchange::Mcx, feb, 3),
        future("NATURALGAS", Exchange::Mcx, dec, 7),
    ];
    struct TestCase {
        name: &'static str,
        rows: Vec<MasterRow>,
        spec: ContinuousFuture,
        today: NaiveDate,
        want: Result<u32, Unresolved>,
    }
    let cases = [
        TestCase {
            name: "weeks before expiry: the near month, whatever the file order",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2026, 12, 5),
            want: Ok(1),
        },
        TestCase {
            name: "three sessions left with a roll of two: still the near month",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2026, 12, 15),
            want: Ok(1),
        },
        TestCase {
            name: "two sessions left: rolled to the next month",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2026, 12, 16),
            want: Ok(2),
        },
        TestCase {
            name: "expiry day: rolled",
            rows: master.clone(),
            spec: crude(0, vec![]),
            today: dec,
            want: Ok(2),
        },
        TestCase {
            name: "roll of zero holds the near month to its last day before expiry",
            rows: master.clone(),
            spec: crude(0, vec![]),
            today: d(2026, 12, 17),
            want: Ok(1),
        },
        TestCase {
            name: "a stale master still listing an expired month skips it",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2026, 12, 21),
            want: Ok(2),
        },
        TestCase {
            name: "thursday before a monday expiry: inside the window, nothing later listed",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2027, 2, 11),
            want: Err(Unresolved::AllInsideRollWindow {
                underlying: "CRUDEOIL".into(),
                roll_days: 2,
                last_expiry: feb,
            }),
        },
        TestCase {
            name: "weekend before a monday expiry: the wednesday still holds it",
            rows: master.clone(),
            spec: crude(2, vec![]),
            today: d(2027, 2, 10),
            want: Ok(3),
        },
        TestCase {
            name: "a holiday in the window rolls a session earlier",
            rows: master.clone(),
            spec: crude(2, vec![d(2026, 12, 17)]),
            today: d(2026, 12, 15),
            want: Ok(2),
        },
        TestCase {
            name: "underlying in another case",
            rows: master.clone(),
            spec: ContinuousFuture {
                underlying: "crudeoil".into(),
                ..crude(2, vec![])
            },
            today: d(2026, 12, 5),
            want: Ok(1),
        },
        TestCase {
            name: "options and other underlyings are not futures of it",
            rows: vec![option(dec, 9), future("NATURALGAS", Exchange::Mcx, dec, 7)],
            spec: crude(2, vec![]),
            today: d(2026, 12, 5),
            want: Err(Unresolved::NoFutures {
                underlying: "CRUDEOIL".into(),
                exchange: Exchange::Mcx,
            }),
        },
        TestCase {
            name: "another exchange's futures do not count",
            rows: vec![future("CRUDEOIL", Exchange::Nse, jan, 5)],
            spec: crude(2, vec![]),
            today: d(2026, 12, 5),
            want: Err(Unresolved::NoFutures {
                underlying: "CRUDEOIL".into(),
                exchange: Exchange::Mcx,
            }),
        },
        TestCase {
            name: "empty master",
            rows: vec![],
            spec: crude(2, vec![]),
            today: d(2026, 12, 5),
            want: Err(Unresolved::NoFutures {
                underlying: "CRUDEOIL".into(),
                exchange: Exchange::Mcx,
            }),
        },
    ];
    for c in cases {
        let got = contract_in_force(&c.rows, &c.spec, c.today).map(|r| r.instrument.security_id);
        assert_eq!(got, c.want, "{}", c.name);
    }
}

#[test]
fn a_resolved_entry_keeps_its_symbol_and_takes_the_contract() {
    let config = vec![Instrument {
        symbol: "CRUDEOIL".into(),
        exchange: Exchange::Mcx,
        segment: Segment::McxComm,
        security_id: 467_013,
        kite_token: 60_297_479,
        kite_key: "MCX:CRUDEOIL26DECFUT".into(),
        tick_size: 1.0,
        lot_size: 100,
        derivative: None,
    }];
    let rows = vec![
        future("CRUDEOIL", Exchange::Mcx, d(2026, 12, 18), 467_013),
        future("CRUDEOIL", Exchange::Mcx, d(2027, 1, 19), 480_001),
    ];
    let continuity = Continuity {
        specs: vec![crude(2, vec![])],
        today: Some(d(2026, 12, 16)),
    };
    let (resolved, states) = resolve_config(config.clone(), &rows, &continuity);
    assert_eq!(
        &*resolved[0].symbol, "CRUDEOIL",
        "the name clients use stays"
    );
    assert_eq!(
        resolved[0].security_id, 480_001,
        "the January contract's id"
    );
    assert_eq!(
        resolved[0].derivative.as_ref().map(|d| d.expiry),
        Some(d(2027, 1, 19))
    );
    let contract = states[0].contract.as_ref().expect("resolved");
    assert_eq!(&*contract.symbol, "CRUDEOIL-19Jan2027-FUT");
    assert_eq!(
        contract.broker_symbol.as_deref(),
        Some("CRUDEOIL-Jan2027-FUT")
    );

    // Nothing to roll to: the config's own ids stay, and the state says why.
    let (kept, states) = resolve_config(config.clone(), &rows[..1], &continuity);
    assert_eq!(kept, config, "unresolved keeps the configured contract");
    assert!(
        matches!(
            states[0].unresolved,
            Some(Unresolved::AllInsideRollWindow { .. })
        ),
        "{states:?}"
    );

    // No master at all.
    let none = Continuity {
        today: None,
        ..continuity
    };
    let (kept, states) = resolve_config(config.clone(), &rows, &none);
    assert_eq!(kept, config);
    assert_eq!(states[0].unresolved, Some(Unresolved::NoMaster));
}
