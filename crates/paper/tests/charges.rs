//! Indian charges on worked examples, each computed by hand in the comment above it and
//! checked to the paisa. Rates are the defaults (see `ChargeRates`).

mod common;

use common::{
    at, crude_fut, fills, nifty_ce, nifty_fut, quote, quote_sized, reliance, request, sensex_pe,
};
use mandi_domain::Instrument;
use mandi_paper::{
    ChargeRates, Charges, InstrumentClass, OrderKind, OrderToDate, PaperBook, PaperSettings, Side,
};

struct TestCase {
    name: &'static str,
    instrument: Instrument,
    side: Side,
    /// price × quantity, ₹.
    value: f64,
    want: Charges,
}

fn charges(
    brokerage: f64,
    stt: f64,
    exchange: f64,
    sebi: f64,
    stamp: f64,
    gst: f64,
    total: f64,
) -> Charges {
    Charges {
        brokerage,
        stt,
        exchange,
        sebi,
        stamp,
        gst,
        total,
    }
}

#[test]
fn worked_examples() {
    let cases = [
        // NIFTY CE buy, 1 lot × 65 @ 120.50 = 7,832.50 premium.
        //   brokerage flat 20.00; STT none on buys
        //   exchange 0.03553 % × 7,832.50 = 2.78288725 → 2.78
        //   SEBI 10/crore × 7,832.50 = 0.0078325 → 0.01
        //   stamp 0.003 % × 7,832.50 = 0.234975 → 0.23
        //   GST 18 % × (20 + 2.78 + 0.01 = 22.79) = 4.1022 → 4.10
        //   total 20 + 2.78 + 0.01 + 0.23 + 4.10 = 27.12
        TestCase {
            name: "NSE option buy",
            instrument: nifty_ce(),
            side: Side::Buy,
            value: 7_832.5,
            want: charges(20.0, 0.0, 2.78, 0.01, 0.23, 4.10, 27.12),
        },
        // NIFTY CE sell, 1 lot × 65 @ 130.05 = 8,453.25 premium.
        //   brokerage 20.00; STT 0.15 % × 8,453.25 = 12.679875 → 12.68
        //   exchange 0.03553 % × 8,453.25 = 3.003439725 → 3.00
        //   SEBI 0.00845325 → 0.01; no stamp on sells
        //   GST 18 % × (20 + 3.00 + 0.01 = 23.01) = 4.1418 → 4.14
        //   total 20 + 12.68 + 3.00 + 0.01 + 4.14 = 39.83
        TestCase {
            name: "NSE option sell",
            instrument: nifty_ce(),
            side: Side::Sell,
            value: 8_453.25,
            want: charges(20.0, 12.68, 3.0, 0.01, 0.0, 4.14, 39.83),
        },
        // NIFTY FUT sell, 1 lot × 65 @ 25,010.00 = 16,25,650.00.
        //   brokerage min(20, 0.03 % × 16,25,650 = 487.695) = 20.00
        //   STT 0.05 % × 16,25,650 = 812.825 → 812.83 (half rounds away from zero)
        //   exchange 0.00183 % × 16,25,650 = 29.749395 → 29.75
        //   SEBI 1.62565 → 1.63; no stamp on sells
        //   GST 18 % × (20 + 29.75 + 1.63 = 51.38) = 9.2484 → 9.25
        //   total 20 + 812.83 + 29.75 + 1.63 + 9.25 = 873.46
        TestCase {
            name: "NSE future sell",
            instrument: nifty_fut(),
            side: Side::Sell,
            value: 1_625_650.0,
            want: charges(20.0, 812.83, 29.75, 1.63, 0.0, 9.25, 873.46),
        },
        // RELIANCE intraday buy, 10 @ 1,250.40 = 12,504.00.
        //   brokerage min(20, 0.03 % × 12,504 = 3.7512) = 3.75; STT none on intraday buys
        //   exchange 0.00307 % × 12,504 = 0.3838728 → 0.38
        //   SEBI 0.012504 → 0.01; stamp 0.003 % × 12,504 = 0.37512 → 0.38
        //   GST 18 % × (3.75 + 0.38 + 0.01 = 4.14) = 0.7452 → 0.75
        //   total 3.75 + 0.38 + 0.01 + 0.38 + 0.75 = 5.27
        TestCase {
            name: "NSE equity buy",
            instrument: reliance(),
            side: Side::Buy,
            value: 12_504.0,
            want: charges(3.75, 0.0, 0.38, 0.01, 0.38, 0.75, 5.27),
        },
        // CRUDEOIL FUT sell, 1 lot × 100 @ 5,544 = 5,54,400.
        //   brokerage min(20, 0.03 % × 5,54,400 = 166.32) = 20.00
        //   CTT 0.01 % × 5,54,400 = 55.44; exchange (MCX) 0.0021 % = 11.6424 → 11.64
        //   SEBI 0.5544 → 0.55; no stamp on sells
        //   GST 18 % × (20 + 11.64 + 0.55 = 32.19) = 5.7942 → 5.79
        //   total 20 + 55.44 + 11.64 + 0.55 + 5.79 = 93.42
        TestCase {
            name: "MCX future sell",
            instrument: crude_fut(),
            side: Side::Sell,
            value: 554_400.0,
            want: charges(20.0, 55.44, 11.64, 0.55, 0.0, 5.79, 93.42),
        },
        // SENSEX PE buy, 1 lot × 20 @ 250.00 = 5,000.00 premium.
        //   brokerage 20.00; exchange (BSE) 0.0325 % × 5,000 = 1.625 → 1.63
        //   SEBI 0.005 → 0.01; stamp 0.003 % × 5,000 = 0.15
        //   GST 18 % × (20 + 1.63 + 0.01 = 21.64) = 3.8952 → 3.90
        //   total 20 + 1.63 + 0.01 + 0.15 + 3.90 = 25.69
        TestCase {
            name: "BSE option buy",
            instrument: sensex_pe(),
            side: Side::Buy,
            value: 5_000.0,
            want: charges(20.0, 0.0, 1.63, 0.01, 0.15, 3.90, 25.69),
        },
    ];
    let rates = ChargeRates::default();
    for c in cases {
        let class = InstrumentClass::of(&c.instrument);
        let got = rates.fill_charges(
            class,
            c.instrument.exchange,
            c.side,
            c.value,
            OrderToDate::default(),
        );
        assert_eq!(got, c.want, "{}", c.name);
    }
}

#[test]
fn option_round_trip_through_the_book() {
    // Buy 1 lot @ 120.50 (charges 27.12), sell 1 lot @ 130.05 (charges 39.83), as above.
    //   cash 10,00,000 − 7,832.50 − 27.12 + 8,453.25 − 39.83 = 10,00,553.80
    //   realized (130.05 − 120.50) × 65 = 620.75; charges 66.95; net 553.80
    let inst = nifty_ce();
    let mut book = PaperBook::new(PaperSettings::default());
    let buy_quote = quote(&inst, (120.45, 120.5, 120.5), 0);
    book.submit(
        request(Side::Buy, OrderKind::Market, 1),
        &inst,
        Some(&buy_quote),
        at(0),
    );
    let sell_quote = quote(&inst, (130.05, 130.1, 130.05), 60);
    book.submit(
        request(Side::Sell, OrderKind::Market, 1),
        &inst,
        Some(&sell_quote),
        at(60),
    );

    assert!(
        (book.cash() - 1_000_553.80).abs() < 1e-6,
        "cash {}",
        book.cash()
    );
    let summary = book.summary(&book.marks_from_last_quotes());
    assert!((summary.realized_pnl - 620.75).abs() < 1e-6, "{summary:?}");
    assert!((summary.charges.total - 66.95).abs() < 1e-9, "{summary:?}");
    assert!((summary.net_pnl - 553.80).abs() < 1e-6, "{summary:?}");
    assert_eq!(summary.open_positions, 0);
}

#[test]
fn brokerage_is_capped_per_order_not_per_fill() {
    // RELIANCE buy 10 with 6 shown at the ask: 6 @ 1,250.40 = 7,502.40, then the residual
    // 4 @ 1,250.50 = 5,002.00.
    //   first fill: 0.03 % × 7,502.40 = 2.25072 → 2.25
    //   order to date: 0.03 % × 12,504.40 = 3.75132 → 3.75, so the second pays 3.75 − 2.25 = 1.50
    let inst = reliance();
    let mut book = PaperBook::new(PaperSettings::default());
    let q = quote_sized(&inst, (1_250.3, 1_250.4, 1_250.4), (100, 6), 0);
    let events = book.submit(
        request(Side::Buy, OrderKind::Market, 10),
        &inst,
        Some(&q),
        at(0),
    );
    let got: Vec<(u64, f64, f64)> = fills(&events)
        .iter()
        .map(|f| (f.quantity, f.price, f.charges.brokerage))
        .collect();
    assert_eq!(got, vec![(6, 1_250.4, 2.25), (4, 1_250.5, 1.5)]);

    // An option order filled in two legs pays its flat ₹20 once.
    let inst = nifty_ce();
    let q = quote_sized(&inst, (100.0, 100.1, 100.05), (65, 65), 0);
    let events = book.submit(
        request(Side::Buy, OrderKind::Market, 3),
        &inst,
        Some(&q),
        at(0),
    );
    let brokerage: Vec<f64> = fills(&events).iter().map(|f| f.charges.brokerage).collect();
    assert_eq!(brokerage, vec![20.0, 0.0]);
}
