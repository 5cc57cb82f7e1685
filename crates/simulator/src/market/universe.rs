//! The simulated instruments and the ways they are named: Dhan `(segment, security
//! id)`, Kite instrument token, Kite `EXCHANGE:SYMBOL` key, and mandi's own symbol
//! (what `/admin/quotes` pins by).

use std::collections::HashMap;

use mandi_domain::{Instrument, Segment};

/// Instruments in settings order; every index here is also an index into
/// [`super::MarketSnapshot::quotes`].
#[derive(Debug, Default)]
pub struct Universe {
    instruments: Vec<Instrument>,
    by_dhan: HashMap<(Segment, u32), usize>,
    by_kite_token: HashMap<u32, usize>,
    by_kite_key: HashMap<String, usize>,
    by_symbol: HashMap<String, usize>,
}

impl Universe {
    pub fn new(instruments: Vec<Instrument>) -> Universe {
        let mut u = Universe::default();
        for (idx, i) in instruments.iter().enumerate() {
            // First definition wins, so a duplicated id in settings cannot shadow.
            u.by_dhan.entry((i.segment, i.security_id)).or_insert(idx);
            u.by_kite_token.entry(i.kite_token).or_insert(idx);
            u.by_kite_key.entry(i.kite_key.to_string()).or_insert(idx);
            u.by_symbol.entry(i.symbol.to_string()).or_insert(idx);
        }
        u.instruments = instruments;
        u
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn get(&self, idx: usize) -> Option<&Instrument> {
        self.instruments.get(idx)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }

    pub fn by_dhan(&self, segment: Segment, security_id: u32) -> Option<usize> {
        self.by_dhan.get(&(segment, security_id)).copied()
    }

    pub fn by_kite_token(&self, token: u32) -> Option<usize> {
        self.by_kite_token.get(&token).copied()
    }

    pub fn by_kite_key(&self, key: &str) -> Option<usize> {
        self.by_kite_key.get(key).copied()
    }

    pub fn by_symbol(&self, symbol: &str) -> Option<usize> {
        self.by_symbol.get(symbol).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimSettings;

    #[test]
    fn lookups_agree() {
        let u = Universe::new(
            SimSettings::default_universe()
                .into_iter()
                .map(|s| s.instrument)
                .collect(),
        );
        let reliance = u.by_dhan(Segment::NseEq, 2885);
        assert!(reliance.is_some());
        assert_eq!(u.by_kite_token(738_561), reliance);
        assert_eq!(u.by_kite_key("NSE:RELIANCE"), reliance);
        assert_eq!(u.by_kite_key("NSE:NIFTY 50"), u.by_dhan(Segment::IdxI, 13));
        assert_eq!(u.by_dhan(Segment::NseEq, 13), None);
        assert_eq!(u.by_symbol("RELIANCE"), reliance);
        assert_eq!(
            u.by_symbol("NSE:RELIANCE"),
            None,
            "a Kite key is not a symbol"
        );
    }
}
