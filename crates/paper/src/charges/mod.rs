//! What a fill costs beyond its price under Indian rules: brokerage, STT/CTT, exchange
//! transaction charges, SEBI fee, stamp duty and GST.
//!
//! Rounding: every component is computed from the fill's turnover and rounded to the
//! paisa, half away from zero, on its own; GST is 18 % of the *rounded* brokerage +
//! exchange + SEBI amounts, then rounded; the total is the sum of the rounded parts.
//! Contract notes round STT to the rupee per note instead; paper rounds per fill, so
//! over many fills it can differ from a note by a few paise.

mod rates;

use std::ops::AddAssign;

use mandi_domain::{Exchange, Instrument};
use serde::{Deserialize, Serialize};

pub use rates::{ChargeRates, ClassRates, ExchangeRates};

use crate::price::round_paise;
use crate::Side;

/// One crore, ₹1,00,00,000: the SEBI fee is quoted per crore of turnover.
const ONE_CRORE_INR: f64 = 10_000_000.0;

/// Which charge schedule an instrument falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentClass {
    Option,
    Future,
    Equity,
}

impl InstrumentClass {
    /// Options have an option type, futures a derivative without one, everything else
    /// (cash equity) none. Indices never reach the charge calculator: they are rejected.
    pub fn of(instrument: &Instrument) -> InstrumentClass {
        match &instrument.derivative {
            Some(d) if d.option_type.is_some() => InstrumentClass::Option,
            Some(_) => InstrumentClass::Future,
            None => InstrumentClass::Equity,
        }
    }
}

/// Charges in ₹, each rounded to the paisa. Summed per order, per position and per book.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Charges {
    pub brokerage: f64,
    /// STT on NSE/BSE, CTT on MCX.
    pub stt: f64,
    pub exchange: f64,
    pub sebi: f64,
    pub stamp: f64,
    pub gst: f64,
    pub total: f64,
}

/// What the order has already filled and paid in brokerage before this fill: brokerage
/// is capped per executed order, not per fill.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OrderToDate {
    pub filled_value: f64,
    pub brokerage: f64,
}

impl ChargeRates {
    pub fn for_class(&self, class: InstrumentClass) -> &ClassRates {
        match class {
            InstrumentClass::Option => &self.options,
            InstrumentClass::Future => &self.futures,
            InstrumentClass::Equity => &self.equity,
        }
    }

    /// Charges for one fill of `value` ₹ (price × quantity; premium for options).
    pub fn fill_charges(
        &self,
        class: InstrumentClass,
        exchange: Exchange,
        side: Side,
        value: f64,
        before: OrderToDate,
    ) -> Charges {
        let r = self.for_class(class);
        let pct = |rate: f64| round_paise(value * rate / 100.0);

        // Brokerage to date for the whole order, less what earlier fills paid: a second
        // fill of one order pays only what lifts the order to its cap.
        let order_value = before.filled_value + value;
        let order_brokerage = match r.brokerage_pct {
            Some(p) => r.brokerage_flat_inr.min(order_value * p / 100.0),
            None => r.brokerage_flat_inr,
        };
        let brokerage = round_paise((round_paise(order_brokerage) - before.brokerage).max(0.0));

        let stt = match (side, exchange) {
            (Side::Sell, Exchange::Mcx) => pct(r.ctt_sell_pct),
            (Side::Sell, _) => pct(r.stt_sell_pct),
            (Side::Buy, Exchange::Mcx) => 0.0,
            (Side::Buy, _) => pct(r.stt_buy_pct),
        };
        let exchange_charge = pct(r.exchange_pct.get(exchange));
        let sebi = round_paise(value * self.sebi_per_crore_inr / ONE_CRORE_INR);
        let stamp = match side {
            Side::Buy => pct(r.stamp_buy_pct),
            Side::Sell => 0.0,
        };
        let gst = round_paise((brokerage + exchange_charge + sebi) * self.gst_pct / 100.0);
        Charges {
            brokerage,
            stt,
            exchange: exchange_charge,
            sebi,
            stamp,
            gst,
            total: round_paise(brokerage + stt + exchange_charge + sebi + stamp + gst),
        }
    }
}

impl AddAssign<&Charges> for Charges {
    fn add_assign(&mut self, other: &Charges) {
        // Sums of paise amounts are re-rounded so long days do not drift off the paisa.
        self.brokerage = round_paise(self.brokerage + other.brokerage);
        self.stt = round_paise(self.stt + other.stt);
        self.exchange = round_paise(self.exchange + other.exchange);
        self.sebi = round_paise(self.sebi + other.sebi);
        self.stamp = round_paise(self.stamp + other.stamp);
        self.gst = round_paise(self.gst + other.gst);
        self.total = round_paise(self.total + other.total);
    }
}
