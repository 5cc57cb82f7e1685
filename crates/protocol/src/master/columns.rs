//! Header resolution: every column is found by name (case-insensitive, BOM and padding
//! ignored), so extra and reordered columns do not matter and a missing one is named.

use super::{MasterError, MasterFormat};

/// A UTF-8 byte-order mark, which some exports put before the first header name.
const BOM: char = '\u{feff}';

/// The header line, names trimmed for matching.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    pub(crate) fn new(record: &csv::ByteRecord) -> Header {
        let names = record
            .iter()
            .map(|raw| {
                String::from_utf8_lossy(raw)
                    .trim_start_matches(BOM)
                    .trim()
                    .to_string()
            })
            .collect();
        Header { names }
    }

    /// Position of a column, matched without regard to case.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Resolves a fixed list of required names, or names every one that is missing.
    pub(crate) fn require<const N: usize>(
        &self,
        names: [&'static str; N],
    ) -> Result<[usize; N], MasterError> {
        let mut found = [0usize; N];
        let mut missing = Vec::new();
        for (slot, name) in found.iter_mut().zip(names) {
            match self.find(name) {
                Some(i) => *slot = i,
                None => missing.push(name),
            }
        }
        if missing.is_empty() {
            Ok(found)
        } else {
            Err(MasterError::MissingColumns { missing })
        }
    }
}

/// Column positions for one Dhan row, whichever of the two layouts the file uses.
pub(crate) struct DhanColumns {
    pub(crate) format: MasterFormat,
    pub(crate) exchange: usize,
    pub(crate) segment: usize,
    pub(crate) security_id: usize,
    pub(crate) instrument: usize,
    /// Compact: `SEM_TRADING_SYMBOL`. Detailed: `SYMBOL_NAME` (a trading symbol on
    /// derivative rows, the company name on cash rows).
    pub(crate) symbol: usize,
    pub(crate) lot: usize,
    pub(crate) expiry: usize,
    pub(crate) strike: usize,
    pub(crate) option_type: usize,
    pub(crate) tick: usize,
    /// `SEM_CUSTOM_SYMBOL` / `DISPLAY_NAME`; optional, only the index's name lookup needs it.
    pub(crate) display: Option<usize>,
    /// Detailed only: `UNDERLYING_SYMBOL`, the exchange ticker of the underlying.
    pub(crate) underlying: Option<usize>,
}

/// The compact layout's required columns, in `DhanColumns` field order.
const COMPACT: [&str; 10] = [
    "SEM_EXM_EXCH_ID",
    "SEM_SEGMENT",
    "SEM_SMST_SECURITY_ID",
    "SEM_INSTRUMENT_NAME",
    "SEM_TRADING_SYMBOL",
    "SEM_LOT_UNITS",
    "SEM_EXPIRY_DATE",
    "SEM_STRIKE_PRICE",
    "SEM_OPTION_TYPE",
    "SEM_TICK_SIZE",
];

/// The detailed layout's required columns, in the same order.
const DETAILED: [&str; 10] = [
    "EXCH_ID",
    "SEGMENT",
    "SECURITY_ID",
    "INSTRUMENT",
    "SYMBOL_NAME",
    "LOT_SIZE",
    "SM_EXPIRY_DATE",
    "STRIKE_PRICE",
    "OPTION_TYPE",
    "TICK_SIZE",
];

impl DhanColumns {
    /// Picks the layout by its id column, then requires the rest of that layout. A header
    /// with neither id column is reported against the compact names (the documented file).
    pub(crate) fn resolve(header: &Header) -> Result<DhanColumns, MasterError> {
        let (format, names, display, underlying) =
            if header.has("SECURITY_ID") && !header.has("SEM_SMST_SECURITY_ID") {
                let display = header.find("DISPLAY_NAME");
                (
                    MasterFormat::DhanDetailed,
                    DETAILED,
                    display,
                    header.find("UNDERLYING_SYMBOL"),
                )
            } else {
                (
                    MasterFormat::DhanCompact,
                    COMPACT,
                    header.find("SEM_CUSTOM_SYMBOL"),
                    None,
                )
            };
        let [exchange, segment, security_id, instrument, symbol, lot, expiry, strike, option_type, tick] =
            header.require(names)?;
        Ok(DhanColumns {
            format,
            exchange,
            segment,
            security_id,
            instrument,
            symbol,
            lot,
            expiry,
            strike,
            option_type,
            tick,
            display,
            underlying,
        })
    }
}

/// Column positions for one Kite row.
pub(crate) struct KiteColumns {
    pub(crate) token: usize,
    pub(crate) symbol: usize,
    /// Company name on cash rows, the underlying on recent derivative rows; optional.
    pub(crate) name: Option<usize>,
    pub(crate) expiry: usize,
    pub(crate) strike: usize,
    pub(crate) tick: usize,
    pub(crate) lot: usize,
    pub(crate) instrument_type: usize,
    pub(crate) segment: usize,
    pub(crate) exchange: usize,
}

impl KiteColumns {
    pub(crate) fn resolve(header: &Header) -> Result<KiteColumns, MasterError> {
        let [token, symbol, expiry, strike, tick, lot, instrument_type, segment, exchange] = header
            .require([
                "instrument_token",
                "tradingsymbol",
                "expiry",
                "strike",
                "tick_size",
                "lot_size",
                "instrument_type",
                "segment",
                "exchange",
            ])?;
        Ok(KiteColumns {
            token,
            symbol,
            name: header.find("name"),
            expiry,
            strike,
            tick,
            lot,
            instrument_type,
            segment,
            exchange,
        })
    }
}
