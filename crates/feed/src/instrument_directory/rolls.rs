//! What a new index does to the continuous entries: which moved to another contract (a
//! roll the registry and the clients must hear of), which could not be resolved (one
//! warning naming the config key), and the config list the next load falls back on (the
//! contract each entry last had).

use std::sync::Arc;

use mandi_domain::Instrument;
use mandi_instruments::{ContinuousFuture, ContinuousState, InstrumentIndex, Unresolved};

use super::messages::ContractRoll;

/// The entries whose ids differ between `old` and `new`, with the contracts named.
pub fn rolls(
    old: &InstrumentIndex,
    new: &InstrumentIndex,
    states: &[ContinuousState],
) -> Vec<ContractRoll> {
    states
        .iter()
        .filter_map(|state| {
            let contract = state.contract.as_ref()?;
            let now = new.by_symbol(&state.symbol)?;
            let before = old.by_symbol(&state.symbol)?;
            if same_contract(before, now) {
                return None;
            }
            // The contract left behind is a plain master row again in the new index.
            let from = new
                .by_dhan(before.segment.code(), before.security_id)
                .filter(|_| before.security_id != 0)
                .or_else(|| new.by_kite_token(before.kite_token))
                .filter(|i| i.symbol != state.symbol)
                .map(|i| i.symbol.clone());
            Some(ContractRoll {
                symbol: state.symbol.clone(),
                from,
                to: contract.symbol.clone(),
                expiry: contract.expiry,
                instrument: now.clone(),
            })
        })
        .collect()
}

/// The same contract to the broker: every id both carry agrees (a Dhan master's row has
/// no Kite token, and the Dhan id alone decides under Dhan).
pub fn same_contract(a: &Instrument, b: &Instrument) -> bool {
    let dhan = (a.security_id != 0 && b.security_id != 0)
        .then_some(a.segment == b.segment && a.security_id == b.security_id);
    let kite = (a.kite_token != 0 && b.kite_token != 0).then_some(a.kite_token == b.kite_token);
    match (dhan, kite) {
        (None, None) => a.security_id == b.security_id && a.kite_token == b.kite_token,
        (dhan, kite) => dhan.unwrap_or(true) && kite.unwrap_or(true),
    }
}

/// `config` with each continuous entry as `index` holds it, so a later load that cannot
/// resolve the entry keeps the contract in force rather than the one the config names.
pub fn carried_config(
    config: &[Instrument],
    index: &InstrumentIndex,
    specs: &[ContinuousFuture],
) -> Vec<Instrument> {
    config
        .iter()
        .map(|i| {
            let continuous = specs.iter().any(|s| s.symbol == i.symbol);
            match index.by_symbol(&i.symbol) {
                Some(now) if continuous => Instrument::clone(now),
                _ => i.clone(),
            }
        })
        .collect()
}

/// One warning per entry that is newly unresolved (or unresolved for another reason);
/// one info line per entry newly resolved to a contract, and per roll.
pub fn log_changes(
    specs: &[ContinuousFuture],
    previous: &[ContinuousState],
    now: &[ContinuousState],
    rolls: &[ContractRoll],
) {
    for state in now {
        let before = previous.iter().find(|p| p.symbol == state.symbol);
        let key = specs
            .iter()
            .find(|s| s.symbol == state.symbol)
            .map_or_else(|| Arc::from("instruments"), |s| s.config_key.clone());
        match (&state.unresolved, &state.contract) {
            (Some(why), _) if before.and_then(|b| b.unresolved.as_ref()) != Some(why) => {
                let fix = match why {
                    Unresolved::NoMaster => "load a master (master.source, or POST /api/admin/master/reload) or remove continuous; meanwhile the entry streams the contract its ids name",
                    _ => "check the underlying's spelling and exchange against the master (or lower roll_days_before_expiry); meanwhile the entry keeps the contract it had",
                };
                tracing::warn!(
                    key = %key,
                    symbol = %state.symbol,
                    reason = %why,
                    fix,
                    "continuous future not resolved"
                );
            }
            (None, Some(contract)) if before.and_then(|b| b.contract.as_ref()).is_none() => {
                tracing::info!(
                    symbol = %state.symbol,
                    contract = %contract.symbol,
                    security_id = contract.security_id,
                    expiry = %contract.expiry,
                    "continuous future resolved"
                );
            }
            _ => {}
        }
    }
    for roll in rolls {
        tracing::info!(
            symbol = %roll.symbol,
            from = roll.from.as_deref().unwrap_or("-"),
            to = %roll.to,
            expiry = %roll.expiry,
            security_id = roll.instrument.security_id,
            "continuous future rolled; subscriptions move to the new contract"
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use mandi_domain::{Derivative, Exchange, Segment};
    use mandi_instruments::ContractInForce;

    use super::*;

    fn crude(symbol: &str, id: u32, expiry: NaiveDate) -> Instrument {
        Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Mcx,
            segment: Segment::McxComm,
            security_id: id,
            kite_token: 0,
            kite_key: "".into(),
            tick_size: 1.0,
            lot_size: 100,
            derivative: Some(Derivative {
                underlying: "CRUDEOIL".into(),
                expiry,
                strike: None,
                option_type: None,
            }),
        }
    }

    fn state(id: u32, symbol: &str, expiry: NaiveDate) -> ContinuousState {
        ContinuousState {
            symbol: "CRUDEOIL".into(),
            underlying: "CRUDEOIL".into(),
            exchange: Exchange::Mcx,
            roll_days_before_expiry: 2,
            contract: Some(ContractInForce {
                symbol: symbol.into(),
                broker_symbol: None,
                security_id: id,
                kite_token: 0,
                expiry,
            }),
            unresolved: None,
        }
    }

    #[test]
    fn a_roll_is_a_change_of_ids() {
        let dec = NaiveDate::from_ymd_opt(2026, 12, 18).unwrap_or_default();
        let jan = NaiveDate::from_ymd_opt(2027, 1, 19).unwrap_or_default();
        let index = |entry: Instrument, other: Option<Instrument>| {
            let mut all = vec![entry];
            all.extend(other);
            InstrumentIndex::build(all).unwrap_or_default()
        };
        let before = index(crude("CRUDEOIL", 1, dec), None);
        struct TestCase {
            name: &'static str,
            new: InstrumentIndex,
            states: Vec<ContinuousState>,
            want: Vec<(Option<&'static str>, &'static str, u32)>,
        }
        let cases = [
            TestCase {
                name: "same contract: no roll",
                new: index(crude("CRUDEOIL", 1, dec), None),
                states: vec![state(1, "CRUDEOIL-18Dec2026-FUT", dec)],
                want: vec![],
            },
            TestCase {
                name: "next month: rolled, the old contract named by its own symbol",
                new: index(
                    crude("CRUDEOIL", 2, jan),
                    Some(crude("CRUDEOIL-18Dec2026-FUT", 1, dec)),
                ),
                states: vec![state(2, "CRUDEOIL-19Jan2027-FUT", jan)],
                want: vec![(Some("CRUDEOIL-18Dec2026-FUT"), "CRUDEOIL-19Jan2027-FUT", 2)],
            },
            TestCase {
                name: "old contract not in the new master: from unknown",
                new: index(crude("CRUDEOIL", 2, jan), None),
                states: vec![state(2, "CRUDEOIL-19Jan2027-FUT", jan)],
                want: vec![(None, "CRUDEOIL-19Jan2027-FUT", 2)],
            },
            TestCase {
                name: "unresolved: the entry kept its contract, no roll",
                new: index(crude("CRUDEOIL", 1, dec), None),
                states: vec![ContinuousState {
                    contract: None,
                    ..state(1, "x", dec)
                }],
                want: vec![],
            },
        ];
        for c in cases {
            let got: Vec<_> = rolls(&before, &c.new, &c.states)
                .into_iter()
                .map(|r| (r.from, r.to, r.instrument.security_id))
                .collect();
            let want: Vec<_> = c
                .want
                .into_iter()
                .map(|(f, t, id)| (f.map(Arc::from), Arc::from(t), id))
                .collect();
            assert_eq!(got, want, "{}", c.name);
        }
    }
}
