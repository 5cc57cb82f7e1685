//! Dhan scrip master rows (compact `SEM_*` and detailed layouts, `protocols.md` A6) to
//! instruments.
//!
//! ```text
//! NSE,D,44430,OPTIDX,0,NIFTY-Oct2024-25800-CE,25.0,NIFTY 24 OCT 25800 CALL,2024-10-24 14:30:00,25800.00000,CE,5.0000,W,OP,,
//! ```
//! becomes `NIFTY-24Oct2024-25800-CE` (the canonical symbol, with Dhan's
//! `NIFTY-Oct2024-25800-CE` kept as an alias) on `NSE_FNO` id 44430, lot 25, tick ₹0.05,
//! a NIFTY call struck at 25800 expiring 2024-10-24, displayed as
//! `NIFTY 24 OCT 25800 CALL`.

use std::sync::Arc;

use csv::StringRecord;
use mandi_domain::{Exchange, Instrument, Segment};

use super::columns::DhanColumns;
use super::fast_hash::FastSet;
use super::fields::{self, DerivativeBuilder};
use super::scan::RowMapper;
use super::{canonical, MasterFormat, MasterReport, MasterRow, RejectReason};

/// `SEM_TICK_SIZE` / `TICK_SIZE` are in paise: real rows carry `5.0000` for a ₹0.05
/// option tick, `10.0000` for ₹0.10, `100.0000` for MCX gold's ₹1 (A6; the docs do not
/// state the unit). Divide by this to get rupees.
const PAISE_PER_RUPEE: f64 = 100.0;

/// Indices are not traded; their rows may carry no tick or lot. Use a nominal tick.
const INDEX_TICK_RUPEES: f64 = 0.05;

pub(crate) struct DhanMapper {
    columns: DhanColumns,
    seen_ids: FastSet<u64>,
    derivatives: DerivativeBuilder,
    /// Dhan rows carry no Kite key; every row shares this one empty string.
    no_kite_key: Arc<str>,
    /// Reused to build each derivative's canonical symbol.
    name_buffer: String,
}

impl DhanMapper {
    pub(crate) fn new(columns: DhanColumns) -> DhanMapper {
        let mut derivatives = DerivativeBuilder::default();
        let no_kite_key = derivatives.intern("");
        DhanMapper {
            columns,
            seen_ids: FastSet::default(),
            derivatives,
            no_kite_key,
            name_buffer: String::new(),
        }
    }
}

impl RowMapper for DhanMapper {
    fn format(&self) -> MasterFormat {
        self.columns.format
    }

    fn fields_needed(&self) -> usize {
        let c = &self.columns;
        [
            c.exchange,
            c.segment,
            c.security_id,
            c.instrument,
            c.symbol,
            c.lot,
            c.expiry,
            c.strike,
            c.option_type,
            c.tick,
        ]
        .into_iter()
        .chain(c.display)
        .chain(c.underlying)
        .max()
        .map_or(0, |i| i + 1)
    }

    fn map(
        &mut self,
        row: &StringRecord,
        report: &mut MasterReport,
    ) -> Result<Option<MasterRow>, RejectReason> {
        let c = &self.columns;
        let field = |i: usize| row.get(i).unwrap_or("").trim();
        let (exchange_text, segment_text) = (field(c.exchange), field(c.segment));
        if exchange_text.is_empty() || segment_text.is_empty() {
            return Err(RejectReason::MissingSegment);
        }
        let Some((exchange, segment)) = segment_of(exchange_text, segment_text) else {
            report.skip(&format!("{exchange_text},{segment_text}"));
            return Ok(None);
        };
        let security_id = fields::parse_id(field(c.security_id))?;
        let instrument = field(c.instrument);
        let is_option = instrument.starts_with("OPT");
        let is_derivative = is_option || instrument.starts_with("FUT");
        let is_index = segment == Segment::IdxI;

        let symbol = symbol_of(c, &field, is_derivative);
        if symbol.is_empty() {
            return Err(RejectReason::MissingSymbol);
        }
        let lot_size = match fields::parse_lot(field(c.lot)) {
            Ok(lot) => lot,
            Err(RejectReason::MissingLot | RejectReason::ZeroLot) if is_index => 1,
            Err(reason) => return Err(reason),
        };
        let tick_size = match fields::parse_decimal(field(c.tick)) {
            Some(paise) if paise > 0.0 => paise / PAISE_PER_RUPEE,
            _ if is_index => INDEX_TICK_RUPEES,
            _ => return Err(RejectReason::BadTickSize),
        };
        let derivative = if is_derivative {
            let option = if is_option {
                let strike = fields::parse_strike(field(c.strike))?;
                Some((strike, fields::parse_option_type(field(c.option_type))?))
            } else {
                None
            };
            let underlying = match c.underlying.map(&field) {
                Some(u) if !u.is_empty() => u,
                _ => underlying_of(symbol),
            };
            Some(
                self.derivatives
                    .build(underlying, field(c.expiry), option)?,
            )
        } else {
            None
        };
        // Checked last so a bad row never reserves its id.
        if !self
            .seen_ids
            .insert(u64::from(segment.code()) << 32 | u64::from(security_id))
        {
            return Err(RejectReason::DuplicateId);
        }
        let display_name = c
            .display
            .map(&field)
            .filter(|name| !name.is_empty())
            .map(Arc::from);
        let (symbol, broker_symbol) = match &derivative {
            Some(d) => {
                canonical::write_canonical_symbol(d, &mut self.name_buffer);
                let alias = (self.name_buffer != symbol).then(|| Arc::from(symbol));
                (Arc::from(self.name_buffer.as_str()), alias)
            }
            None => (Arc::from(symbol), None),
        };
        let instrument = Instrument {
            symbol,
            exchange,
            segment,
            security_id,
            kite_token: 0,
            kite_key: self.no_kite_key.clone(),
            tick_size,
            lot_size,
            derivative,
        };
        Ok(Some(MasterRow {
            instrument: Arc::new(instrument),
            display_name,
            broker_symbol,
        }))
    }
}

/// `SEM_EXM_EXCH_ID` + `SEM_SEGMENT` to Dhan's feed segment (A2 table). `None` for a
/// market mandi does not carry. The detailed file's `SEGMENT` may also hold the feed
/// name itself (`NSE_FNO`), which is taken as is.
fn segment_of(exchange: &str, segment: &str) -> Option<(Exchange, Segment)> {
    let exchange = match exchange {
        "NSE" => Exchange::Nse,
        "BSE" => Exchange::Bse,
        "MCX" => Exchange::Mcx,
        _ => return None,
    };
    let segment = match (exchange, segment) {
        (_, "I") => Segment::IdxI,
        (Exchange::Nse, "E") => Segment::NseEq,
        (Exchange::Nse, "D") => Segment::NseFno,
        (Exchange::Nse, "C") => Segment::NseCurrency,
        (Exchange::Bse, "E") => Segment::BseEq,
        (Exchange::Bse, "D") => Segment::BseFno,
        (Exchange::Bse, "C") => Segment::BseCurrency,
        // MCX has only commodity derivatives; some exports mark them `D`.
        (Exchange::Mcx, "M" | "D") => Segment::McxComm,
        (_, other) => Segment::parse(other)?,
    };
    Some((exchange, segment))
}

/// The compact file's trading symbol. The detailed file has none: its `SYMBOL_NAME` is
/// the trading symbol on derivative rows but the company's long name on cash rows,
/// where `UNDERLYING_SYMBOL` holds the exchange ticker instead.
fn symbol_of<'a>(
    c: &DhanColumns,
    field: &impl Fn(usize) -> &'a str,
    is_derivative: bool,
) -> &'a str {
    if !is_derivative {
        if let Some(ticker) = c.underlying.map(field).filter(|t| !t.is_empty()) {
            return ticker;
        }
    }
    field(c.symbol)
}

/// The underlying named in a Dhan derivative symbol: everything before the expiry part
/// (`NIFTY-Oct2024-25800-CE` → `NIFTY`, `USDINR-28Aug2024-FUT` → `USDINR`). Cutting at
/// the expiry rather than the first `-` keeps hyphenated tickers whole
/// (`BAJAJ-AUTO-Oct2024-FUT` → `BAJAJ-AUTO`).
pub(crate) fn underlying_of(symbol: &str) -> &str {
    let mut offset = 0;
    for (i, part) in symbol.split('-').enumerate() {
        if i > 0 && looks_like_expiry(part) {
            return &symbol[..offset - 1];
        }
        offset += part.len() + 1;
    }
    symbol.split('-').next().unwrap_or(symbol)
}

/// `Oct2024` or `28Aug2024`: up to two digits, three letters, a four-digit year.
fn looks_like_expiry(part: &str) -> bool {
    let b = part.as_bytes();
    let day = b.len().saturating_sub(7);
    (b.len() == 7 || b.len() == 8 || b.len() == 9)
        && b[..day].iter().all(u8::is_ascii_digit)
        && b[day..day + 3].iter().all(u8::is_ascii_alphabetic)
        && b[day + 3..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underlyings() {
        struct TestCase {
            name: &'static str,
            symbol: &'static str,
            want: &'static str,
        }
        let cases = [
            TestCase {
                name: "index option",
                symbol: "NIFTY-Oct2024-25800-CE",
                want: "NIFTY",
            },
            TestCase {
                name: "index future",
                symbol: "NIFTY-Dec2024-FUT",
                want: "NIFTY",
            },
            TestCase {
                name: "dated currency",
                symbol: "USDINR-28Aug2024-FUT",
                want: "USDINR",
            },
            TestCase {
                name: "dated commodity option",
                symbol: "GOLD-31Aug2026-163500-CE",
                want: "GOLD",
            },
            TestCase {
                name: "hyphenated ticker",
                symbol: "BAJAJ-AUTO-Oct2024-FUT",
                want: "BAJAJ-AUTO",
            },
            TestCase {
                name: "ampersand",
                symbol: "M&M-Oct2024-3000-PE",
                want: "M&M",
            },
            TestCase {
                name: "no expiry part",
                symbol: "ODD-SYMBOL",
                want: "ODD",
            },
            TestCase {
                name: "no hyphen",
                symbol: "RELIANCE",
                want: "RELIANCE",
            },
        ];
        for case in cases {
            assert_eq!(underlying_of(case.symbol), case.want, "{}", case.name);
        }
    }

    #[test]
    fn segments() {
        assert_eq!(segment_of("NSE", "I"), Some((Exchange::Nse, Segment::IdxI)));
        assert_eq!(segment_of("BSE", "I"), Some((Exchange::Bse, Segment::IdxI)));
        assert_eq!(
            segment_of("BSE", "D"),
            Some((Exchange::Bse, Segment::BseFno))
        );
        assert_eq!(
            segment_of("MCX", "M"),
            Some((Exchange::Mcx, Segment::McxComm))
        );
        assert_eq!(
            segment_of("NSE", "NSE_FNO"),
            Some((Exchange::Nse, Segment::NseFno))
        );
        assert_eq!(segment_of("XXX", "Z"), None);
        assert_eq!(segment_of("NSE", "Z"), None);
    }
}
