//! The read-only instrument index: symbol ⇄ Dhan (segment, security id) ⇄ Kite token.
//! Built once and shared as `Arc<InstrumentIndex>` so hot paths never ask an actor.

use std::collections::HashMap;
use std::sync::Arc;

use mandi_domain::{Instrument, Segment};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum IndexError {
    #[error("duplicate symbol {0}")]
    DuplicateSymbol(String),
    #[error("duplicate Dhan id {segment}:{security_id} ({symbol})")]
    DuplicateDhanId {
        segment: Segment,
        security_id: u32,
        symbol: String,
    },
    #[error("duplicate Kite token {token} ({symbol})")]
    DuplicateKiteToken { token: u32, symbol: String },
}

/// Lookups by every identifier a broker or client uses.
#[derive(Debug, Default)]
pub struct InstrumentIndex {
    instruments: Vec<Arc<Instrument>>,
    by_symbol: HashMap<Arc<str>, usize>,
    by_dhan: HashMap<(u8, u32), usize>,
    by_kite: HashMap<u32, usize>,
}

impl InstrumentIndex {
    pub fn build(instruments: Vec<Instrument>) -> Result<InstrumentIndex, IndexError> {
        let mut index = InstrumentIndex::default();
        for (i, inst) in instruments.into_iter().enumerate() {
            if index.by_symbol.insert(inst.symbol.clone(), i).is_some() {
                return Err(IndexError::DuplicateSymbol(inst.symbol.to_string()));
            }
            let dhan_key = (inst.segment.code(), inst.security_id);
            if index.by_dhan.insert(dhan_key, i).is_some() {
                return Err(IndexError::DuplicateDhanId {
                    segment: inst.segment,
                    security_id: inst.security_id,
                    symbol: inst.symbol.to_string(),
                });
            }
            if index.by_kite.insert(inst.kite_token, i).is_some() {
                return Err(IndexError::DuplicateKiteToken {
                    token: inst.kite_token,
                    symbol: inst.symbol.to_string(),
                });
            }
            index.instruments.push(Arc::new(inst));
        }
        Ok(index)
    }

    pub fn by_symbol(&self, symbol: &str) -> Option<&Arc<Instrument>> {
        self.by_symbol.get(symbol).map(|&i| &self.instruments[i])
    }

    /// Dhan packets name instruments by the raw segment byte and security id.
    pub fn by_dhan(&self, segment: u8, security_id: u32) -> Option<&Arc<Instrument>> {
        self.by_dhan
            .get(&(segment, security_id))
            .map(|&i| &self.instruments[i])
    }

    pub fn by_kite_token(&self, token: u32) -> Option<&Arc<Instrument>> {
        self.by_kite.get(&token).map(|&i| &self.instruments[i])
    }

    pub fn all(&self) -> &[Arc<Instrument>] {
        &self.instruments
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::Exchange;

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
        let err = InstrumentIndex::build(vec![
            inst("A", Segment::NseEq, 1, 100),
            inst("B", Segment::NseEq, 1, 200),
        ]);
        assert!(matches!(err, Err(IndexError::DuplicateDhanId { .. })));
    }
}
