//! What merging a broker master under the config instruments did: what was added, what
//! the config overrode, and what could only be reached by its other names.

use serde::Serialize;

/// Counts from `InstrumentIndex::with_master`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Config instruments indexed (all of them, or the merge fails).
    pub config: usize,
    /// Master rows offered.
    pub master_rows: usize,
    /// Master rows indexed.
    pub master_added: usize,
    /// Master rows dropped because a config instrument has the same Dhan (segment, id):
    /// config wins.
    pub config_dhan_id: usize,
    /// … the same Kite token.
    pub config_kite_token: usize,
    /// … the same symbol.
    pub config_symbol: usize,
    /// Master rows dropped because an earlier master row has their Dhan id or Kite token.
    pub duplicate_ids: usize,
    /// Master rows indexed whose symbol another master row holds (Dhan weekly options
    /// share a trading symbol across weeks; NSE and BSE list the same ticker). They stay
    /// reachable by id, display name, exchange + symbol, search and chains.
    pub shadowed_symbols: usize,
    /// Options left out of a chain because an earlier one has the same expiry, strike
    /// and side.
    pub chain_duplicates: usize,
}

impl MergeReport {
    /// Master rows dropped in favour of config instruments.
    pub fn config_conflicts(&self) -> usize {
        self.config_dhan_id + self.config_kite_token + self.config_symbol
    }
}
