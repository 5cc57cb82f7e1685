//! Continuous futures: a config instrument (`CRUDEOIL`) that stands for the nearest-month
//! future of an underlying, resolved from the master to the contract in force on a given
//! IST date and rolled a number of trading days before that contract expires. Pure: the
//! date is an argument.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use mandi_domain::{Exchange, Instrument};
use mandi_protocol::master::MasterRow;
use serde::Serialize;

/// Most trading days before expiry a roll may be set to: past a month the "nearest"
/// contract would be skipped altogether.
pub const MAX_ROLL_DAYS: u32 = 20;

/// One `[[instruments]]` entry declared `continuous`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContinuousFuture {
    /// The config symbol clients use (`CRUDEOIL`); it stays the instrument's name.
    pub symbol: Arc<str>,
    /// The underlying as the master spells it (`CRUDEOIL`, `NIFTY`).
    pub underlying: Arc<str>,
    pub exchange: Exchange,
    /// The contract in force is the nearest one with more than this many trading days
    /// left before (and including) its expiry day.
    pub roll_days_before_expiry: u32,
    /// The exchange's full-day closures: not trading days.
    #[serde(skip)]
    pub holidays: Vec<NaiveDate>,
    /// The config key, for messages (`instruments[2].continuous`).
    #[serde(skip)]
    pub config_key: Arc<str>,
}

/// The contract a continuous entry stands for, as `/api/instruments` shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractInForce {
    /// Canonical symbol of the contract (`CRUDEOIL-18Dec2026-FUT`).
    pub symbol: Arc<str>,
    /// The broker's trading symbol, when it differs.
    pub broker_symbol: Option<Arc<str>>,
    pub security_id: u32,
    pub kite_token: u32,
    pub expiry: NaiveDate,
}

/// Why no contract is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unresolved {
    #[error("no instrument master is loaded")]
    NoMaster,
    #[error("the master lists no {underlying} future on {exchange:?}")]
    NoFutures {
        underlying: Arc<str>,
        exchange: Exchange,
    },
    #[error("every {underlying} future listed expires within {roll_days} trading days (last {last_expiry})")]
    AllInsideRollWindow {
        underlying: Arc<str>,
        roll_days: u32,
        last_expiry: NaiveDate,
    },
}

/// One continuous entry after a load: the contract in force, or why there is none (the
/// entry then keeps the ids the config gives it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContinuousState {
    pub symbol: Arc<str>,
    pub underlying: Arc<str>,
    pub exchange: Exchange,
    pub roll_days_before_expiry: u32,
    pub contract: Option<ContractInForce>,
    pub unresolved: Option<Unresolved>,
}

impl ContinuousState {
    pub fn unresolved(spec: &ContinuousFuture, why: Unresolved) -> ContinuousState {
        ContinuousState {
            symbol: spec.symbol.clone(),
            underlying: spec.underlying.clone(),
            exchange: spec.exchange,
            roll_days_before_expiry: spec.roll_days_before_expiry,
            contract: None,
            unresolved: Some(why),
        }
    }
}

/// The continuous entries and the IST date a load resolves them for.
#[derive(Clone, Debug, Default)]
pub struct Continuity {
    pub specs: Vec<ContinuousFuture>,
    pub today: Option<NaiveDate>,
}

/// Trading days after `today` up to and including `expiry` (weekends and `holidays` left
/// out): 0 on expiry day and after it.
pub fn trading_days_left(today: NaiveDate, expiry: NaiveDate, holidays: &[NaiveDate]) -> u32 {
    today
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= expiry)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(d))
        .count() as u32
}

/// The contract in force for `spec` on `today`: among the master's futures of the
/// underlying on the exchange, the nearest expiry with more than
/// `roll_days_before_expiry` trading days left (file order breaks a tie).
pub fn contract_in_force<'a>(
    rows: &'a [MasterRow],
    spec: &ContinuousFuture,
    today: NaiveDate,
) -> Result<&'a MasterRow, Unresolved> {
    let mut listed = None::<NaiveDate>;
    let mut best: Option<(&MasterRow, NaiveDate)> = None;
    for row in rows {
        let i = &row.instrument;
        let Some(d) = i.derivative.as_ref() else {
            continue;
        };
        if d.strike.is_some()
            || d.option_type.is_some()
            || i.exchange != spec.exchange
            || !d.underlying.eq_ignore_ascii_case(&spec.underlying)
        {
            continue;
        }
        listed = listed.max(Some(d.expiry));
        if trading_days_left(today, d.expiry, &spec.holidays) <= spec.roll_days_before_expiry {
            continue;
        }
        let nearer = match best {
            Some((_, e)) => d.expiry < e,
            None => true,
        };
        if nearer {
            best = Some((row, d.expiry));
        }
    }
    match (best, listed) {
        (Some((row, _)), _) => Ok(row),
        (None, Some(last_expiry)) => Err(Unresolved::AllInsideRollWindow {
            underlying: spec.underlying.clone(),
            roll_days: spec.roll_days_before_expiry,
            last_expiry,
        }),
        (None, None) => Err(Unresolved::NoFutures {
            underlying: spec.underlying.clone(),
            exchange: spec.exchange,
        }),
    }
}

/// The config list with each continuous entry given its contract's ids, lot, tick and
/// expiry (keeping its own symbol), and every entry's state. An entry with no contract
/// keeps what the config gives it.
pub fn resolve_config(
    config: Vec<Instrument>,
    rows: &[MasterRow],
    continuity: &Continuity,
) -> (Vec<Instrument>, Vec<ContinuousState>) {
    if continuity.specs.is_empty() {
        return (config, Vec::new());
    }
    let Some(today) = continuity.today else {
        let states = continuity
            .specs
            .iter()
            .map(|s| ContinuousState::unresolved(s, Unresolved::NoMaster))
            .collect();
        return (config, states);
    };
    let mut states = Vec::with_capacity(continuity.specs.len());
    let mut config = config;
    for spec in &continuity.specs {
        let found = contract_in_force(rows, spec, today);
        let Some(entry) = config.iter_mut().find(|i| i.symbol == spec.symbol) else {
            continue;
        };
        match found {
            Ok(row) => {
                let c = &row.instrument;
                *entry = Instrument {
                    symbol: entry.symbol.clone(),
                    ..Instrument::clone(c)
                };
                states.push(ContinuousState {
                    contract: Some(ContractInForce {
                        symbol: c.symbol.clone(),
                        broker_symbol: row.broker_symbol.clone(),
                        security_id: c.security_id,
                        kite_token: c.kite_token,
                        expiry: c.derivative.as_ref().map_or(today, |d| d.expiry),
                    }),
                    unresolved: None,
                    ..ContinuousState::unresolved(spec, Unresolved::NoMaster)
                });
            }
            Err(why) => states.push(ContinuousState::unresolved(spec, why)),
        }
    }
    (config, states)
}

#[cfg(test)]
mod tests;
