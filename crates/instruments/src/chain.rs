//! Option chains and futures per (underlying, exchange): expiries, strikes, ATM and the
//! call/put row at each strike. NSE, BSE and MCX never mix, so SENSEX options (BSE) and
//! NIFTY options (NSE) each form their own chain even where names overlap.

use std::sync::Arc;

use chrono::NaiveDate;
use mandi_domain::{Exchange, Instrument, OptionType};

use mandi_protocol::master::fast_hash::FastMap;

/// "No instrument" in a strike slot; positions are `u32` to keep slots small.
const NONE: u32 = u32::MAX;

/// One strike of an option chain: the call and the put listed there, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainRow {
    /// Rupees.
    pub strike: f64,
    /// `None` when no call is listed at this strike for the expiry.
    pub call: Option<Arc<Instrument>>,
    pub put: Option<Arc<Instrument>>,
}

/// Every chain, looked up by underlying name then exchange.
#[derive(Debug, Default)]
pub(crate) struct ChainIndex {
    /// Chain numbers per underlying, one slot per exchange (`NONE` where it has none).
    by_underlying: FastMap<Arc<str>, [u32; 3]>,
    chains: Vec<Chain>,
    /// Options left out because an earlier instrument (config first, then file order)
    /// already holds the same expiry, strike and side.
    pub(crate) duplicates: usize,
}

#[derive(Debug, Default)]
struct Chain {
    /// Ascending by date; each owns a run of `slots`.
    expiries: Vec<ExpirySlots>,
    /// Grouped by expiry, ascending by strike within one.
    slots: Vec<StrikeSlot>,
    /// Futures, ascending by expiry.
    futures: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct ExpirySlots {
    expiry: NaiveDate,
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, Copy)]
struct StrikeSlot {
    strike: f64,
    call: u32,
    put: u32,
}

/// An option while the chains are being built.
struct Listed {
    expiry: NaiveDate,
    strike: f64,
    side: OptionType,
    position: u32,
}

impl ChainIndex {
    pub(crate) fn build(instruments: &[Arc<Instrument>]) -> ChainIndex {
        let mut index = ChainIndex::default();
        let mut options: Vec<Vec<Listed>> = Vec::new();
        let mut futures: Vec<Vec<(NaiveDate, u32)>> = Vec::new();
        for (position, inst) in instruments.iter().enumerate() {
            let Some(d) = &inst.derivative else { continue };
            let chain = index.chain_number(&d.underlying, inst.exchange, options.len());
            if chain == options.len() {
                options.push(Vec::new());
                futures.push(Vec::new());
            }
            match (d.strike, d.option_type) {
                (Some(strike), Some(side)) => options[chain].push(Listed {
                    expiry: d.expiry,
                    strike,
                    side,
                    position: position as u32,
                }),
                _ => futures[chain].push((d.expiry, position as u32)),
            }
        }
        for (listed, mut futs) in options.into_iter().zip(futures) {
            let mut chain = Chain::default();
            index.duplicates += chain.fill(listed);
            futs.sort_unstable();
            chain.futures = futs.into_iter().map(|(_, p)| p).collect();
            index.chains.push(chain);
        }
        index
    }

    /// The chain's number for (underlying, exchange); `next` if it is new.
    fn chain_number(&mut self, underlying: &Arc<str>, exchange: Exchange, next: usize) -> usize {
        // `get_mut` first: one chain holds thousands of rows, the key is cloned once.
        let slots = match self.by_underlying.get_mut(&**underlying) {
            Some(slots) => slots,
            None => self
                .by_underlying
                .entry(underlying.clone())
                .or_insert([NONE; 3]),
        };
        let slot = &mut slots[exchange_slot(exchange)];
        if *slot == NONE {
            *slot = next as u32;
        }
        *slot as usize
    }

    fn chain(&self, underlying: &str, exchange: Exchange) -> Option<&Chain> {
        let slot = self.by_underlying.get(underlying)?[exchange_slot(exchange)];
        self.chains.get(slot as usize)
    }

    pub(crate) fn expiries(&self, underlying: &str, exchange: Exchange) -> Vec<NaiveDate> {
        self.chain(underlying, exchange)
            .map(|c| c.expiries.iter().map(|e| e.expiry).collect())
            .unwrap_or_default()
    }

    pub(crate) fn next_expiry(
        &self,
        underlying: &str,
        exchange: Exchange,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let chain = self.chain(underlying, exchange)?;
        let i = chain.expiries.partition_point(|e| e.expiry < today);
        chain.expiries.get(i).map(|e| e.expiry)
    }

    pub(crate) fn strikes(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
    ) -> Vec<f64> {
        self.slots(underlying, exchange, expiry)
            .iter()
            .map(|s| s.strike)
            .collect()
    }

    pub(crate) fn atm_strike(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
        price: f64,
    ) -> Option<f64> {
        let slots = self.slots(underlying, exchange, expiry);
        atm_position(slots, price).map(|i| slots[i].strike)
    }

    pub(crate) fn option_chain(
        &self,
        instruments: &[Arc<Instrument>],
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
        price: f64,
        n: usize,
    ) -> Vec<ChainRow> {
        let slots = self.slots(underlying, exchange, expiry);
        let Some(atm) = atm_position(slots, price) else {
            return Vec::new();
        };
        let window = atm.saturating_sub(n)..=(atm + n).min(slots.len() - 1);
        let get = |p: u32| (p != NONE).then(|| instruments[p as usize].clone());
        slots[window]
            .iter()
            .map(|s| ChainRow {
                strike: s.strike,
                call: get(s.call),
                put: get(s.put),
            })
            .collect()
    }

    /// Every option, by expiry then strike, the call before the put.
    pub(crate) fn options_of(
        &self,
        instruments: &[Arc<Instrument>],
        underlying: &str,
        exchange: Exchange,
    ) -> Vec<Arc<Instrument>> {
        let Some(chain) = self.chain(underlying, exchange) else {
            return Vec::new();
        };
        chain
            .slots
            .iter()
            .flat_map(|s| [s.call, s.put])
            .filter(|&p| p != NONE)
            .map(|p| instruments[p as usize].clone())
            .collect()
    }

    pub(crate) fn futures_of(
        &self,
        instruments: &[Arc<Instrument>],
        underlying: &str,
        exchange: Exchange,
    ) -> Vec<Arc<Instrument>> {
        self.chain(underlying, exchange)
            .map(|c| {
                c.futures
                    .iter()
                    .map(|&p| instruments[p as usize].clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn slots(&self, underlying: &str, exchange: Exchange, expiry: NaiveDate) -> &[StrikeSlot] {
        let Some(chain) = self.chain(underlying, exchange) else {
            return &[];
        };
        match chain.expiries.binary_search_by_key(&expiry, |e| e.expiry) {
            Ok(i) => {
                let e = chain.expiries[i];
                &chain.slots[e.start as usize..e.end as usize]
            }
            Err(_) => &[],
        }
    }
}

impl Chain {
    /// Lays out the options as expiry runs of strike slots; returns how many were
    /// duplicates of an earlier listing.
    fn fill(&mut self, mut listed: Vec<Listed>) -> usize {
        // Position last in the key: at equal (expiry, strike, side) the earlier wins.
        listed.sort_unstable_by(|a, b| {
            a.expiry
                .cmp(&b.expiry)
                .then(a.strike.total_cmp(&b.strike))
                .then((a.side as u8).cmp(&(b.side as u8)))
                .then(a.position.cmp(&b.position))
        });
        let mut duplicates = 0;
        for option in listed {
            let new_expiry = self.expiries.last().map(|e| e.expiry) != Some(option.expiry);
            if new_expiry {
                let start = self.slots.len() as u32;
                self.expiries.push(ExpirySlots {
                    expiry: option.expiry,
                    start,
                    end: start,
                });
            }
            let same_strike =
                !new_expiry && self.slots.last().map(|s| s.strike) == Some(option.strike);
            if !same_strike {
                self.slots.push(StrikeSlot {
                    strike: option.strike,
                    call: NONE,
                    put: NONE,
                });
            }
            let end = self.slots.len() as u32;
            let (slot, expiry) = match (self.slots.last_mut(), self.expiries.last_mut()) {
                (Some(slot), Some(expiry)) => (slot, expiry),
                _ => continue,
            };
            expiry.end = end;
            let side = match option.side {
                OptionType::Call => &mut slot.call,
                OptionType::Put => &mut slot.put,
            };
            if *side == NONE {
                *side = option.position;
            } else {
                duplicates += 1;
            }
        }
        duplicates
    }
}

/// Nearest strike to `price`; a price exactly between two strikes takes the lower one.
fn atm_position(slots: &[StrikeSlot], price: f64) -> Option<usize> {
    if slots.is_empty() || !price.is_finite() {
        return None;
    }
    let above = slots.partition_point(|s| s.strike < price);
    if above == 0 {
        return Some(0);
    }
    if above == slots.len() {
        return Some(slots.len() - 1);
    }
    let (lower, upper) = (slots[above - 1].strike, slots[above].strike);
    Some(if price - lower <= upper - price {
        above - 1
    } else {
        above
    })
}

fn exchange_slot(exchange: Exchange) -> usize {
    match exchange {
        Exchange::Nse => 0,
        Exchange::Bse => 1,
        Exchange::Mcx => 2,
    }
}
