//! The instruments the load runs over: the configured universe of `config/default.toml`
//! (with the simulator off there is no option master, so these are all mandi knows), and the
//! fixed rotation that maps every sequence number to one of them.

use mandi_domain::Segment;

/// One instrument as the fake upstream streams it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadInstrument {
    /// The name clients subscribe with.
    pub symbol: &'static str,
    pub segment: Segment,
    pub security_id: u32,
    /// Exchange tick, rupees: prices stay on this grid so mandi never rejects them.
    pub tick_size: f64,
    /// Where the streamed price sits (the config's `sim_price`).
    pub base_price: f64,
}

/// As in `config/default.toml` `[[instruments]]`; `table_matches_the_default_config` keeps them
/// in step.
pub const INSTRUMENTS: [LoadInstrument; 7] = [
    instrument("NIFTY", Segment::IdxI, 13, 0.05, 25760.85),
    instrument("SENSEX", Segment::IdxI, 51, 0.05, 83858.53),
    instrument("CRUDEOIL", Segment::McxComm, 467013, 1.0, 5545.0),
    instrument("RELIANCE", Segment::NseEq, 2885, 0.1, 1443.4),
    instrument("HDFCBANK", Segment::NseEq, 1333, 0.05, 1712.6),
    instrument("TCS", Segment::NseEq, 11536, 0.1, 3462.0),
    instrument("BANKNIFTY", Segment::IdxI, 25, 0.05, 58120.4),
];

const fn instrument(
    symbol: &'static str,
    segment: Segment,
    security_id: u32,
    tick_size: f64,
    base_price: f64,
) -> LoadInstrument {
    LoadInstrument {
        symbol,
        segment,
        security_id,
        tick_size,
        base_price,
    }
}

/// Tick `seq` (1-based) is about instrument `(seq - 1) % 7`: a client that knows the
/// sequence number knows the symbol, so it needs to read one field of the JSON only.
pub fn slot_of(seq: u64) -> usize {
    (seq.saturating_sub(1) % INSTRUMENTS.len() as u64) as usize
}

pub fn for_seq(seq: u64) -> &'static LoadInstrument {
    &INSTRUMENTS[slot_of(seq)]
}

pub fn by_dhan_id(segment: Segment, security_id: u32) -> Option<&'static LoadInstrument> {
    INSTRUMENTS
        .iter()
        .find(|i| i.segment == segment && i.security_id == security_id)
}

/// `{"action":"subscribe","symbols":[..every symbol..],"mode":"full"}`.
pub fn subscribe_all_full() -> String {
    let symbols: Vec<&str> = INSTRUMENTS.iter().map(|i| i.symbol).collect();
    serde_json::json!({"action": "subscribe", "symbols": symbols, "mode": "full"}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry names a symbol, segment and security id that the default config lists in
    /// one `[[instruments]]` block.
    #[test]
    fn table_matches_the_default_config() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/default.toml");
        let text = std::fs::read_to_string(path).expect("config/default.toml is in the repository");
        let blocks: Vec<&str> = text.split("[[instruments]]").skip(1).collect();
        for i in INSTRUMENTS {
            let block = blocks
                .iter()
                .find(|b| b.contains(&format!("symbol = \"{}\"", i.symbol)))
                .unwrap_or_else(|| panic!("{} is not configured", i.symbol));
            for want in [
                format!("segment = \"{}\"", i.segment.as_str()),
                format!("security_id = {}", i.security_id),
                format!("tick_size = {}", i.tick_size),
            ] {
                assert!(block.contains(&want), "{}: expected `{want}`", i.symbol);
            }
        }
    }

    #[test]
    fn rotation_covers_every_instrument_in_order() {
        let got: Vec<&str> = (1..=8).map(|s| for_seq(s).symbol).collect();
        assert_eq!(
            got,
            [
                "NIFTY",
                "SENSEX",
                "CRUDEOIL",
                "RELIANCE",
                "HDFCBANK",
                "TCS",
                "BANKNIFTY",
                "NIFTY"
            ]
        );
    }
}
