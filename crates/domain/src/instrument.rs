//! One tradable or watchable instrument, with the identifiers each broker uses for it.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Segment;

/// Call or put, as the masters spell it (`CE` / `PE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptionType {
    #[serde(rename = "CE")]
    Call,
    #[serde(rename = "PE")]
    Put,
}

impl OptionType {
    pub fn as_str(self) -> &'static str {
        match self {
            OptionType::Call => "CE",
            OptionType::Put => "PE",
        }
    }
}

/// What makes a future or an option one: its underlying, expiry and (options) strike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derivative {
    /// The underlying's name as the master spells it (`NIFTY`, `RELIANCE`, `CRUDEOIL`).
    pub underlying: Arc<str>,
    /// Expiry day (IST calendar date).
    pub expiry: NaiveDate,
    /// Strike in rupees; `None` for futures.
    pub strike: Option<f64>,
    /// `None` for futures.
    pub option_type: Option<OptionType>,
}

/// The exchange whose calendar and expiries an instrument follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Exchange {
    Nse,
    Bse,
    Mcx,
}

/// An instrument known to the runtime.
///
/// `symbol` is mandi's own name (what clients subscribe to, e.g. `NIFTY`);
/// `(segment, security_id)` addresses it on Dhan; `kite_token` (the
/// `instrument_token`, `exchange_token << 8 | segment`) and `kite_key`
/// (`EXCHANGE:TRADINGSYMBOL`, for Kite REST) address it on Kite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: Arc<str>,
    pub exchange: Exchange,
    pub segment: Segment,
    pub security_id: u32,
    pub kite_token: u32,
    pub kite_key: Arc<str>,
    /// Minimum price step in rupees; prices are rounded to it on the way in.
    pub tick_size: f64,
    pub lot_size: u32,
    /// Set for futures and options; `None` for indices and cash equities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivative: Option<Derivative>,
}

impl Instrument {
    /// Kite's segment id is the low byte of the instrument token.
    pub fn kite_segment(&self) -> u8 {
        (self.kite_token & 0xff) as u8
    }

    pub fn is_index(&self) -> bool {
        self.segment == Segment::IdxI
    }

    pub fn option_type(&self) -> Option<OptionType> {
        self.derivative.as_ref().and_then(|d| d.option_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kite_segment_is_low_byte_of_token() {
        let nifty = Instrument {
            symbol: "NIFTY".into(),
            exchange: Exchange::Nse,
            segment: Segment::IdxI,
            security_id: 13,
            kite_token: 256_265,
            kite_key: "NSE:NIFTY 50".into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        };
        assert_eq!(nifty.kite_segment(), 9);
        assert!(nifty.is_index());
    }
}
