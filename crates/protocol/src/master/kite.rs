//! Kite instruments CSV rows (`protocols.md` B6) to instruments.
//!
//! ```text
//! 408065,1594,INFY,INFOSYS,0,,,0.05,1,EQ,NSE,NSE
//! ```
//! becomes `INFY` on `NSE_EQ`, Kite token 408065, key `NSE:INFY`, tick ₹0.05, lot 1.
//! A derivative's symbol is the canonical one (`NIFTY26D0825750PE` becomes
//! `NIFTY-08Dec2026-25750-PE`); its Kite key keeps Kite's tradingsymbol.

use std::fmt::Write;
use std::sync::Arc;

use csv::StringRecord;
use mandi_domain::{Exchange, Instrument, Segment};

use super::columns::KiteColumns;
use super::fast_hash::FastSet;
use super::fields::{self, DerivativeBuilder};
use super::scan::RowMapper;
use super::{canonical, MasterFormat, MasterReport, MasterRow, RejectReason};

/// Kite lists indices with tick 0 and lot 0; they are not traded, so use a nominal tick.
const INDEX_TICK_RUPEES: f64 = 0.05;

pub(crate) struct KiteMapper {
    columns: KiteColumns,
    seen_tokens: FastSet<u32>,
    derivatives: DerivativeBuilder,
    /// Reused to build `EXCHANGE:TRADINGSYMBOL` without a second allocation per row.
    key_buffer: String,
    /// Reused to build each derivative's canonical symbol.
    name_buffer: String,
}

impl KiteMapper {
    pub(crate) fn new(columns: KiteColumns) -> KiteMapper {
        KiteMapper {
            columns,
            seen_tokens: FastSet::default(),
            derivatives: DerivativeBuilder::default(),
            key_buffer: String::new(),
            name_buffer: String::new(),
        }
    }
}

impl RowMapper for KiteMapper {
    fn format(&self) -> MasterFormat {
        MasterFormat::Kite
    }

    fn fields_needed(&self) -> usize {
        let c = &self.columns;
        [
            c.token,
            c.symbol,
            c.expiry,
            c.strike,
            c.tick,
            c.lot,
            c.instrument_type,
            c.segment,
            c.exchange,
        ]
        .into_iter()
        .chain(c.name)
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
            report.skip(segment_text);
            return Ok(None);
        };
        let token = fields::parse_id(field(c.token))?;
        let symbol = field(c.symbol);
        if symbol.is_empty() {
            return Err(RejectReason::MissingSymbol);
        }
        let is_index = segment == Segment::IdxI;
        let lot_size = match fields::parse_lot(field(c.lot)) {
            Ok(lot) => lot,
            Err(RejectReason::MissingLot | RejectReason::ZeroLot) if is_index => 1,
            Err(reason) => return Err(reason),
        };
        let tick_size = match fields::parse_decimal(field(c.tick)) {
            Some(rupees) if rupees > 0.0 => rupees,
            _ if is_index => INDEX_TICK_RUPEES,
            _ => return Err(RejectReason::BadTickSize),
        };
        let derivative = match field(c.instrument_type) {
            kind @ ("CE" | "PE" | "FUT") => {
                let option = if kind == "FUT" {
                    None
                } else {
                    let strike = fields::parse_strike(field(c.strike))?;
                    Some((strike, fields::parse_option_type(kind)?))
                };
                let underlying = match c.name.map(&field) {
                    Some(name) if !name.is_empty() => name,
                    _ => underlying_of(symbol),
                };
                Some(
                    self.derivatives
                        .build(underlying, field(c.expiry), option)?,
                )
            }
            _ => None,
        };
        // Checked last so a bad row never reserves its token.
        if !self.seen_tokens.insert(token) {
            return Err(RejectReason::DuplicateId);
        }
        self.key_buffer.clear();
        // Writing into a String cannot fail.
        let _ = write!(self.key_buffer, "{exchange_text}:{symbol}");
        let (canonical, broker_symbol) = match &derivative {
            Some(d) => {
                canonical::write_canonical_symbol(d, &mut self.name_buffer);
                (
                    Arc::from(self.name_buffer.as_str()),
                    Some(Arc::from(symbol)),
                )
            }
            None => (Arc::from(symbol), None),
        };
        let instrument = Instrument {
            symbol: canonical,
            exchange,
            segment,
            security_id: 0,
            kite_token: token,
            kite_key: Arc::from(self.key_buffer.as_str()),
            tick_size,
            lot_size,
            derivative,
        };
        Ok(Some(MasterRow {
            instrument: Arc::new(instrument),
            display_name: None,
            broker_symbol,
        }))
    }
}

/// Kite's `segment` (and `exchange` for indices) to the Dhan segment carrying the same
/// market. `None` where Dhan has none (e.g. `NCO-*`): such rows are skipped.
fn segment_of(exchange: &str, segment: &str) -> Option<(Exchange, Segment)> {
    let exchange = match exchange {
        "NSE" | "NFO" | "CDS" => Exchange::Nse,
        "BSE" | "BFO" | "BCD" => Exchange::Bse,
        "MCX" => Exchange::Mcx,
        _ => return None,
    };
    let market = segment.split('-').next().unwrap_or(segment);
    let segment = match market {
        "INDICES" => Segment::IdxI,
        "NSE" => Segment::NseEq,
        "BSE" => Segment::BseEq,
        "NFO" => Segment::NseFno,
        "BFO" => Segment::BseFno,
        "CDS" => Segment::NseCurrency,
        "BCD" => Segment::BseCurrency,
        "MCX" => Segment::McxComm,
        _ => return None,
    };
    Some((exchange, segment))
}

/// The underlying in a Kite derivative symbol, for dumps whose `name` column is empty:
/// the symbol without its `FUT`/`CE`/`PE` suffix, strike and expiry
/// (`BANKNIFTY18JAN23500CE` → `BANKNIFTY`, `NIFTY24O2425800CE` → `NIFTY`). Best effort:
/// a weekly Jan–Sep expiry on an underlying ending in digits cannot be told apart.
pub(crate) fn underlying_of(symbol: &str) -> &str {
    let rest = symbol
        .strip_suffix("FUT")
        .or_else(|| symbol.strip_suffix("CE"))
        .or_else(|| symbol.strip_suffix("PE"))
        .unwrap_or(symbol);
    let rest = rest.trim_end_matches(|ch: char| ch.is_ascii_digit() || ch == '.');
    let b = rest.as_bytes();
    let n = b.len();
    // Monthly `YYMON` (`24OCT`) or the rest of a weekly `YYMDD` whose digits went with
    // the strike, leaving `YYM` (`24O`).
    let is_digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let is_alpha = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphabetic);
    if n > 5 && is_digit(n - 5) && is_digit(n - 4) && (n - 3..n).all(is_alpha) {
        return &rest[..n - 5];
    }
    if n > 3 && is_digit(n - 3) && is_digit(n - 2) && is_alpha(n - 1) {
        return &rest[..n - 3];
    }
    if rest.is_empty() {
        symbol
    } else {
        rest
    }
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
                name: "monthly future",
                symbol: "NIFTY15DECFUT",
                want: "NIFTY",
            },
            TestCase {
                name: "monthly option",
                symbol: "BANKNIFTY18JAN23500CE",
                want: "BANKNIFTY",
            },
            TestCase {
                name: "weekly oct option",
                symbol: "NIFTY24O2425800CE",
                want: "NIFTY",
            },
            TestCase {
                name: "weekly jan option",
                symbol: "NIFTY2410325800PE",
                want: "NIFTY",
            },
            TestCase {
                name: "digits in underlying",
                symbol: "NIFTYNXT5024OCT70000CE",
                want: "NIFTYNXT50",
            },
            TestCase {
                name: "ampersand",
                symbol: "M&M24OCTFUT",
                want: "M&M",
            },
            TestCase {
                name: "fractional strike",
                symbol: "USDINR24OCT83.25CE",
                want: "USDINR",
            },
        ];
        for case in cases {
            assert_eq!(underlying_of(case.symbol), case.want, "{}", case.name);
        }
    }

    #[test]
    fn segments() {
        assert_eq!(
            segment_of("NSE", "INDICES"),
            Some((Exchange::Nse, Segment::IdxI))
        );
        assert_eq!(
            segment_of("BSE", "INDICES"),
            Some((Exchange::Bse, Segment::IdxI))
        );
        assert_eq!(
            segment_of("NFO", "NFO-OPT"),
            Some((Exchange::Nse, Segment::NseFno))
        );
        assert_eq!(
            segment_of("BFO", "BFO-OPT"),
            Some((Exchange::Bse, Segment::BseFno))
        );
        assert_eq!(
            segment_of("BCD", "BCD-FUT"),
            Some((Exchange::Bse, Segment::BseCurrency))
        );
        assert_eq!(
            segment_of("MCX", "MCX-OPT"),
            Some((Exchange::Mcx, Segment::McxComm))
        );
        assert_eq!(segment_of("NCO", "NCO-FUT"), None);
    }
}
