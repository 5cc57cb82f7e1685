//! Dhan's compact scrip master (protocols.md A6): the 16 columns in the live file's
//! order, one row per instrument of the universe.
//!
//! ```text
//! NSE,D,40372,OPTIDX,0,NIFTY-Dec2026-25800-CE,75.0,NIFTY 29 DEC 25800 CALL,2026-12-29 14:30:00,25800.00000,CE,5.0000,M,OP,NA,NIFTY
//! ```

use std::collections::HashMap;

use chrono::NaiveDate;
use mandi_domain::{Exchange, Instrument, Segment};

use super::{field, names};
use crate::market::expiry::is_monthly;
use crate::market::symbols::{dhan_custom_symbol, dhan_trading_symbol};
use crate::market::underlyings::is_index_name;

pub const HEADER: &str = "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME";

/// What the strike column holds for anything that is not an option.
const NO_STRIKE: &str = "-0.01000";

/// One CSV line (no newline).
pub fn row(i: &Instrument, futures: &FutureOrder) -> String {
    let exchange = match i.exchange {
        Exchange::Nse => "NSE",
        Exchange::Bse => "BSE",
        Exchange::Mcx => "MCX",
    };
    let segment = match i.segment {
        Segment::IdxI => "I",
        Segment::NseEq | Segment::BseEq => "E",
        Segment::NseFno | Segment::BseFno => "D",
        Segment::McxComm => "M",
        Segment::NseCurrency | Segment::BseCurrency => "C",
    };
    let kind = Kind::of(i);
    let (symbol, custom, expiry, strike, option, flag, code) = match &i.derivative {
        Some(d) => {
            let monthly = d.strike.is_none() || is_monthly(i.exchange, d.expiry);
            (
                dhan_trading_symbol(d, monthly),
                dhan_custom_symbol(d),
                expiry_text(i.exchange, d.expiry),
                d.strike
                    .map_or(NO_STRIKE.to_string(), |k| format!("{k:.5}")),
                d.option_type.map_or("XX", |o| o.as_str()),
                if monthly { "M" } else { "W" },
                futures.position(i).unwrap_or(0),
            )
        }
        None => (
            i.symbol.to_string(),
            names::dhan_display(&i.symbol).to_string(),
            String::new(),
            NO_STRIKE.to_string(),
            "XX",
            "NA",
            0,
        ),
    };
    let long_name = match &i.derivative {
        Some(d) => d.underlying.to_string(),
        None => names::dhan_long(&i.symbol).to_string(),
    };
    let series = match (kind, i.segment) {
        (Kind::Index, _) => "X",
        (Kind::Equity, Segment::BseEq) => "A",
        (Kind::Equity, _) => "EQ",
        _ => "NA",
    };
    [
        exchange.to_string(),
        segment.to_string(),
        i.security_id.to_string(),
        kind.instrument_name(i).to_string(),
        code.to_string(),
        field(&symbol),
        format!("{}.0", i.lot_size),
        field(&custom),
        expiry,
        strike,
        option.to_string(),
        // The live file's tick column reads as paise: 5.0000 is ₹0.05.
        format!("{:.4}", i.tick_size * 100.0),
        flag.to_string(),
        kind.exchange_type().to_string(),
        series.to_string(),
        field(&long_name),
    ]
    .join(",")
}

/// `2026-12-29 14:30:00`: the live file stamps NSE/BSE expiries 14:30 and MCX 23:30.
fn expiry_text(exchange: Exchange, expiry: NaiveDate) -> String {
    let time = if exchange == Exchange::Mcx {
        "23:30:00"
    } else {
        "14:30:00"
    };
    format!("{} {time}", expiry.format("%Y-%m-%d"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Index,
    Equity,
    Future,
    Option,
}

impl Kind {
    fn of(i: &Instrument) -> Kind {
        match (&i.derivative, i.segment) {
            (Some(d), _) if d.strike.is_some() => Kind::Option,
            (Some(_), _) => Kind::Future,
            (None, Segment::IdxI) => Kind::Index,
            (None, Segment::NseEq | Segment::BseEq) => Kind::Equity,
            // A derivative-segment instrument whose contract is unknown: list it as a future.
            (None, _) => Kind::Future,
        }
    }

    /// `SEM_INSTRUMENT_NAME` (Dhan's annexure).
    fn instrument_name(self, i: &Instrument) -> &'static str {
        let underlying = i.derivative.as_ref().map_or("", |d| &*d.underlying);
        let index = is_index_name(underlying);
        match (self, i.segment) {
            (Kind::Index, _) => "INDEX",
            (Kind::Equity, _) => "EQUITY",
            (Kind::Future, Segment::McxComm) => "FUTCOM",
            (Kind::Option, Segment::McxComm) => "OPTFUT",
            (Kind::Future, Segment::NseCurrency | Segment::BseCurrency) => "FUTCUR",
            (Kind::Option, Segment::NseCurrency | Segment::BseCurrency) => "OPTCUR",
            (Kind::Future, _) if index => "FUTIDX",
            (Kind::Future, _) => "FUTSTK",
            (Kind::Option, _) if index => "OPTIDX",
            (Kind::Option, _) => "OPTSTK",
        }
    }

    /// `SEM_EXCH_INSTRUMENT_TYPE`.
    fn exchange_type(self) -> &'static str {
        match self {
            Kind::Index => "INDEX",
            Kind::Equity => "ES",
            Kind::Future => "FUT",
            Kind::Option => "OP",
        }
    }
}

/// Futures per underlying by expiry, for `SEM_EXPIRY_CODE` (0 near, 1 next, 2 far).
#[derive(Debug, Default)]
pub struct FutureOrder {
    by_underlying: HashMap<(Exchange, String), Vec<NaiveDate>>,
}

impl FutureOrder {
    fn position(&self, i: &Instrument) -> Option<usize> {
        let d = i.derivative.as_ref().filter(|d| d.strike.is_none())?;
        self.by_underlying
            .get(&(i.exchange, d.underlying.to_string()))?
            .iter()
            .position(|e| *e == d.expiry)
    }
}

pub fn future_order<'a>(all: impl Iterator<Item = &'a Instrument>) -> FutureOrder {
    let mut by_underlying: HashMap<(Exchange, String), Vec<NaiveDate>> = HashMap::new();
    for i in all {
        if let Some(d) = i.derivative.as_ref().filter(|d| d.strike.is_none()) {
            by_underlying
                .entry((i.exchange, d.underlying.to_string()))
                .or_default()
                .push(d.expiry);
        }
    }
    for expiries in by_underlying.values_mut() {
        expiries.sort();
        expiries.dedup();
    }
    FutureOrder { by_underlying }
}
