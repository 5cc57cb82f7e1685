//! The read-only instrument index: symbol ⇄ Dhan (segment, security id) ⇄ Kite token,
//! plus display names, prefix search and option chains. Built once (config alone, or
//! config over a broker master) and shared as `Arc<InstrumentIndex>`, so hot paths never
//! ask an actor.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use mandi_domain::{Exchange, Instrument, Segment};
use mandi_protocol::master::MasterRow;
use thiserror::Error;

use crate::aliases::AliasIndex;
use crate::chain::{ChainIndex, ChainRow};
use crate::merge::MergeReport;
use crate::names::{NameIndex, Names};
use mandi_protocol::master::fast_hash::{FastMap, FastSet};

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

/// One prefix-search result.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    pub instrument: Arc<Instrument>,
    /// Dhan's display name, when the instrument came from a Dhan master.
    pub display_name: Option<Arc<str>>,
    /// The broker's trading symbol, when it differs from the canonical symbol.
    pub broker_symbol: Option<Arc<str>>,
}

/// Lookups by every identifier a broker or client uses.
#[derive(Debug, Default)]
pub struct InstrumentIndex {
    /// Config instruments first, then master rows in file order. Positions are `u32`.
    instruments: Vec<Arc<Instrument>>,
    /// Parallel to `instruments`.
    display_names: Vec<Option<Arc<str>>>,
    /// Parallel to `instruments`: the master's broker trading symbol where it differs
    /// from the canonical symbol.
    broker_symbols: Vec<Option<Arc<str>>>,
    aliases: AliasIndex,
    /// Only non-zero ids: zero means "not listed on this broker".
    by_dhan: FastMap<(u8, u32), u32>,
    by_kite: FastMap<u32, u32>,
    /// Symbols (several instruments may share one: the preferred is config, else NSE
    /// before BSE before MCX, then the nearest expiry, then file order), display names,
    /// prefix search.
    names: NameIndex,
    chains: ChainIndex,
}

impl InstrumentIndex {
    /// The config list alone. Strict: any repeated symbol, Dhan id or Kite token is an
    /// error (ids of zero are "not on that broker" and are not keys).
    pub fn build(instruments: Vec<Instrument>) -> Result<InstrumentIndex, IndexError> {
        let mut index = InstrumentIndex::default();
        index.add_config(instruments)?;
        index.finish();
        Ok(index)
    }

    /// The config list over a broker master. The config must be consistent (as for
    /// `build`); a master row that shares a Dhan id, Kite token or symbol with a config
    /// instrument is dropped (config wins) and counted, as is a master row repeating an
    /// id of an earlier one.
    pub fn with_master(
        config: Vec<Instrument>,
        master: Vec<MasterRow>,
    ) -> Result<(InstrumentIndex, MergeReport), IndexError> {
        let mut index = InstrumentIndex::default();
        let mut report = MergeReport {
            config: config.len(),
            master_rows: master.len(),
            ..MergeReport::default()
        };
        let total = config.len() + master.len();
        index.instruments.reserve_exact(total);
        index.display_names.reserve_exact(total);
        index.broker_symbols.reserve_exact(total);
        // A Dhan master has no Kite tokens and a Kite master no Dhan ids: size each map
        // for the keys it will hold.
        let ids =
            |key: fn(&Instrument) -> u32| master.iter().filter(|r| key(&r.instrument) != 0).count();
        index.by_dhan.reserve(config.len() + ids(|i| i.security_id));
        index.by_kite.reserve(config.len() + ids(|i| i.kite_token));
        let config_symbols = index.add_config(config)?;
        let config_len = index.instruments.len() as u32;
        for row in master {
            index.add_master(row, config_len, &config_symbols, &mut report);
        }
        index.finish();
        report.shadowed_symbols = index.names.shared_symbols;
        report.chain_duplicates = index.chains.duplicates;
        Ok((index, report))
    }

    /// The preferred instrument with this symbol (see `names` field docs).
    pub fn by_symbol(&self, symbol: &str) -> Option<&Arc<Instrument>> {
        self.find_symbol(symbol, |_| true)
    }

    /// The instrument a client means by `name`: the preferred one with this canonical
    /// symbol, else the preferred one whose broker trading symbol (`NIFTY26D0825750PE`,
    /// `NIFTY-Dec2026-25750-PE`) it is, in any case. Edges (subscribe, orders, REST
    /// lookups) resolve through this and carry on with the instrument's own symbol.
    pub fn resolve(&self, name: &str) -> Option<&Arc<Instrument>> {
        self.by_symbol(name).or_else(|| {
            self.aliases
                .lookup(&self.broker_symbols, name)
                .map(|p| &self.instruments[p as usize])
        })
    }

    /// The broker trading symbol of an instrument from a master, where it differs from
    /// the canonical one.
    pub fn broker_symbol(&self, inst: &Instrument) -> Option<&Arc<str>> {
        let position = if inst.security_id != 0 {
            self.by_dhan.get(&dhan_key(inst))
        } else {
            self.by_kite.get(&inst.kite_token)
        }?;
        self.broker_symbols.get(*position as usize)?.as_ref()
    }

    /// Every instrument with this symbol, the preferred one first.
    pub fn symbol_matches<'a>(
        &'a self,
        symbol: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Instrument>> + 'a {
        self.names
            .symbol_candidates(symbol)
            .iter()
            .map(|e| &self.instruments[e.1 as usize])
            .filter(move |i| &*i.symbol == symbol)
    }

    /// The instrument with this symbol on this exchange (e.g. BSE `RELIANCE` when NSE
    /// holds the bare symbol).
    pub fn by_exchange_symbol(&self, exchange: Exchange, symbol: &str) -> Option<&Arc<Instrument>> {
        self.find_symbol(symbol, |i| i.exchange == exchange)
    }

    /// Dhan packets name instruments by the raw segment byte and security id.
    pub fn by_dhan(&self, segment: u8, security_id: u32) -> Option<&Arc<Instrument>> {
        self.by_dhan
            .get(&(segment, security_id))
            .map(|&i| &self.instruments[i as usize])
    }

    pub fn by_kite_token(&self, token: u32) -> Option<&Arc<Instrument>> {
        self.by_kite
            .get(&token)
            .map(|&i| &self.instruments[i as usize])
    }

    /// By Dhan display name (`SEM_CUSTOM_SYMBOL`, e.g. `ICICIGI 28 OCT 1860 CALL`),
    /// without regard to case.
    pub fn by_custom_symbol(&self, name: &str) -> Option<&Arc<Instrument>> {
        self.names
            .by_display(self.name_view(), name)
            .map(|i| &self.instruments[i as usize])
    }

    /// Up to `limit` instruments whose symbol or display name starts with `prefix`
    /// (any case), ordered by the matching name, each instrument once; then those whose
    /// broker trading symbol does, in alias order.
    pub fn search(&self, prefix: &str, limit: usize) -> Vec<SearchHit> {
        let mut found = self.names.search(self.name_view(), prefix, limit);
        if found.len() < limit {
            let more = self
                .aliases
                .search(&self.broker_symbols, prefix, limit + found.len());
            for p in more {
                if found.len() == limit {
                    break;
                }
                if !found.contains(&p) {
                    found.push(p);
                }
            }
        }
        found
            .into_iter()
            .map(|i| SearchHit {
                instrument: self.instruments[i as usize].clone(),
                display_name: self.display_names[i as usize].clone(),
                broker_symbol: self.broker_symbols[i as usize].clone(),
            })
            .collect()
    }

    /// Option expiries of `underlying` (as the master spells it: `NIFTY`, `SENSEX`) on
    /// `exchange`, ascending.
    pub fn expiries(&self, underlying: &str, exchange: Exchange) -> Vec<NaiveDate> {
        self.chains.expiries(underlying, exchange)
    }

    /// The first option expiry on or after `today` (an expiry today still trades).
    pub fn next_expiry(
        &self,
        underlying: &str,
        exchange: Exchange,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        self.chains.next_expiry(underlying, exchange, today)
    }

    /// Strikes listed for one expiry, ascending.
    pub fn strikes(&self, underlying: &str, exchange: Exchange, expiry: NaiveDate) -> Vec<f64> {
        self.chains.strikes(underlying, exchange, expiry)
    }

    /// The strike nearest `price`; halfway between two, the lower.
    pub fn atm_strike(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
        price: f64,
    ) -> Option<f64> {
        self.chains.atm_strike(underlying, exchange, expiry, price)
    }

    /// The ATM strike and `n` strikes either side, ascending. Near the end of the listed
    /// strikes the window is cut short on that side, not shifted.
    pub fn option_chain(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
        price: f64,
        n: usize,
    ) -> Vec<ChainRow> {
        self.chains
            .option_chain(&self.instruments, underlying, exchange, expiry, price, n)
    }

    /// Every option of `underlying` on `exchange`: by expiry, strike, call before put.
    pub fn options_of(&self, underlying: &str, exchange: Exchange) -> Vec<Arc<Instrument>> {
        self.chains
            .options_of(&self.instruments, underlying, exchange)
    }

    /// Every future of `underlying` on `exchange`, by expiry.
    pub fn futures_of(&self, underlying: &str, exchange: Exchange) -> Vec<Arc<Instrument>> {
        self.chains
            .futures_of(&self.instruments, underlying, exchange)
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

    fn find_symbol(
        &self,
        symbol: &str,
        also: impl Fn(&Instrument) -> bool,
    ) -> Option<&Arc<Instrument>> {
        self.names
            .symbol_candidates(symbol)
            .iter()
            .map(|e| &self.instruments[e.1 as usize])
            .find(|i| &*i.symbol == symbol && also(i))
    }

    /// Indexes the config list strictly; returns its symbols for the merge.
    fn add_config(
        &mut self,
        instruments: Vec<Instrument>,
    ) -> Result<FastSet<Arc<str>>, IndexError> {
        let mut symbols = FastSet::default();
        for inst in instruments {
            if !symbols.insert(inst.symbol.clone()) {
                return Err(IndexError::DuplicateSymbol(inst.symbol.to_string()));
            }
            if inst.security_id != 0 && self.by_dhan.contains_key(&dhan_key(&inst)) {
                return Err(IndexError::DuplicateDhanId {
                    segment: inst.segment,
                    security_id: inst.security_id,
                    symbol: inst.symbol.to_string(),
                });
            }
            if inst.kite_token != 0 && self.by_kite.contains_key(&inst.kite_token) {
                return Err(IndexError::DuplicateKiteToken {
                    token: inst.kite_token,
                    symbol: inst.symbol.to_string(),
                });
            }
            self.push(Arc::new(inst), None, None);
        }
        Ok(symbols)
    }

    fn add_master(
        &mut self,
        row: MasterRow,
        config_len: u32,
        config_symbols: &FastSet<Arc<str>>,
        report: &mut MergeReport,
    ) {
        let inst = &row.instrument;
        let from_config = |owner: u32| owner < config_len;
        if inst.security_id != 0 {
            if let Some(&owner) = self.by_dhan.get(&dhan_key(inst)) {
                let counter = if from_config(owner) {
                    &mut report.config_dhan_id
                } else {
                    &mut report.duplicate_ids
                };
                *counter += 1;
                return;
            }
        }
        if inst.kite_token != 0 {
            if let Some(&owner) = self.by_kite.get(&inst.kite_token) {
                let counter = if from_config(owner) {
                    &mut report.config_kite_token
                } else {
                    &mut report.duplicate_ids
                };
                *counter += 1;
                return;
            }
        }
        if config_symbols.contains(&*inst.symbol) {
            report.config_symbol += 1;
            return;
        }
        report.master_added += 1;
        self.push(row.instrument, row.display_name, row.broker_symbol);
    }

    /// Appends one instrument whose ids are known to be free. Names are indexed in
    /// `finish`, all at once.
    fn push(
        &mut self,
        inst: Arc<Instrument>,
        display_name: Option<Arc<str>>,
        broker_symbol: Option<Arc<str>>,
    ) {
        let position = self.instruments.len() as u32;
        if inst.security_id != 0 {
            self.by_dhan.insert(dhan_key(&inst), position);
        }
        if inst.kite_token != 0 {
            self.by_kite.insert(inst.kite_token, position);
        }
        self.instruments.push(inst);
        self.display_names.push(display_name);
        self.broker_symbols.push(broker_symbol);
    }

    fn finish(&mut self) {
        let instruments = &self.instruments;
        let names = NameIndex::build(self.name_view(), |p| rank_of(&instruments[p as usize], p));
        self.names = names;
        self.aliases = AliasIndex::build(&self.broker_symbols, |p| {
            rank_of(&instruments[p as usize], p)
        });
        self.chains = ChainIndex::build(&self.instruments);
    }

    fn name_view(&self) -> Names<'_> {
        Names {
            instruments: &self.instruments,
            display_names: &self.display_names,
        }
    }
}

fn dhan_key(inst: &Instrument) -> (u8, u32) {
    (inst.segment.code(), inst.security_id)
}

/// Exchange (NSE, BSE, MCX), then expiry (none first, then nearest), then position,
/// packed so comparing two is one integer compare.
fn rank_of(inst: &Instrument, position: u32) -> u64 {
    let exchange: u64 = match inst.exchange {
        Exchange::Nse => 0,
        Exchange::Bse => 1,
        Exchange::Mcx => 2,
    };
    // Days since year 1 fit in 30 bits for any date a master can hold.
    let expiry = inst.derivative.as_ref().map_or(0, |d| {
        d.expiry.num_days_from_ce().clamp(0, (1 << 30) - 1) as u64
    });
    exchange << 62 | expiry << 32 | u64::from(position)
}

#[cfg(test)]
mod tests;
