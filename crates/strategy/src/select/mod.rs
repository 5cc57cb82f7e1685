//! Picks the option a signal trades from a list of instruments: the underlying's nearest
//! expiry, ATM from the listed strike ladder, then the configured offset. Pure.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::{Exchange, Instrument, OptionType};
use thiserror::Error;

use crate::clock::{ist_date, ist_time};
use crate::settings::{ContractRule, ExpiryRule};

/// Two strikes whose distances from the price differ by less than this (rupees) are tied;
/// float noise in prices like 25_762.55 must not decide between two strikes.
const TIE_EPSILON: f64 = 1e-6;

/// The chain to pick from and the moment of the pick; built by
/// [`crate::BotSettings::contract_request`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContractRequest {
    /// Underlying as the instrument master lists it on its options (`NIFTY`).
    pub underlying: String,
    /// Only options on this exchange; NSE and BSE/MCX expiries must never mix.
    pub exchange: Exchange,
    pub option_type: OptionType,
    pub underlying_price: f64,
    /// Decides "today" (IST) and, on expiry day, the skip cutoff.
    pub now: DateTime<Utc>,
}

/// Why no contract could be picked.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SelectError {
    #[error("underlying price {price} is not a positive number")]
    BadUnderlyingPrice { price: f64 },
    #[error("no {} options of {underlying} on {exchange:?} among {candidates} instruments", .option_type.as_str())]
    NoOptions {
        underlying: String,
        exchange: Exchange,
        option_type: OptionType,
        candidates: usize,
    },
    #[error(
        "every listed expiry of {underlying} is before {today} (or is today, past the skip cutoff)"
    )]
    NoExpiry {
        underlying: String,
        today: NaiveDate,
    },
    #[error("{underlying} options expiring {expiry} list no valid strike")]
    NoStrikes {
        underlying: String,
        expiry: NaiveDate,
    },
    #[error(
        "{strike_offset} strikes from ATM {atm_strike} is outside the listed {lowest}..={highest}"
    )]
    OffsetOutsideChain {
        atm_strike: f64,
        strike_offset: i32,
        lowest: f64,
        highest: f64,
    },
}

/// Picks the option to buy.
///
/// 1. Candidates are options of `request.option_type` on `request.underlying` and
///    `request.exchange`; futures, other underlyings and other exchanges are skipped.
/// 2. Expiry: the nearest on or after today (IST). With `skip_expiry_day_after_ist` set,
///    today's expiry is skipped from that time on.
/// 3. ATM: the listed strike of that expiry nearest the underlying price; a tie goes to
///    the lower strike.
/// 4. Offset: `strike_offset` steps along the listed ladder, so uneven grids (50 apart
///    near the money, 100 further out) work. Positive is out of the money: up for a CE,
///    down for a PE.
///
/// Among duplicates of the chosen strike, the first in `candidates` wins.
pub fn select_contract(
    candidates: &[Arc<Instrument>],
    request: &ContractRequest,
    rule: &ContractRule,
) -> Result<Arc<Instrument>, SelectError> {
    let price = request.underlying_price;
    if !(price.is_finite() && price > 0.0) {
        return Err(SelectError::BadUnderlyingPrice { price });
    }
    let options: Vec<&Arc<Instrument>> = candidates
        .iter()
        .filter(|i| i.exchange == request.exchange && i.option_type() == Some(request.option_type))
        .filter(|i| {
            i.derivative
                .as_ref()
                .is_some_and(|d| *d.underlying == *request.underlying)
        })
        .collect();
    if options.is_empty() {
        return Err(SelectError::NoOptions {
            underlying: request.underlying.clone(),
            exchange: request.exchange,
            option_type: request.option_type,
            candidates: candidates.len(),
        });
    }
    let expiry = nearest_expiry(&options, request, rule)?;
    let mut ladder: Vec<(f64, &Arc<Instrument>)> = options
        .iter()
        .filter_map(|i| {
            let d = i.derivative.as_ref()?;
            let strike = d.strike.filter(|s| s.is_finite() && *s > 0.0)?;
            (d.expiry == expiry).then_some((strike, *i))
        })
        .collect();
    // Stable sort: among equal strikes the candidate listed first stays first.
    ladder.sort_by(|a, b| a.0.total_cmp(&b.0));
    ladder.dedup_by(|later, first| later.0 == first.0);
    let (Some(lowest), Some(highest)) = (ladder.first(), ladder.last()) else {
        return Err(SelectError::NoStrikes {
            underlying: request.underlying.clone(),
            expiry,
        });
    };
    let atm = atm_index(&ladder, price);
    let step = match request.option_type {
        OptionType::Call => i64::from(rule.strike_offset),
        OptionType::Put => -i64::from(rule.strike_offset),
    };
    let target = i64::try_from(atm).ok().map(|a| a + step);
    match target
        .and_then(|t| usize::try_from(t).ok())
        .and_then(|t| ladder.get(t))
    {
        Some((_, instrument)) => Ok(Arc::clone(instrument)),
        None => Err(SelectError::OffsetOutsideChain {
            atm_strike: ladder[atm].0,
            strike_offset: rule.strike_offset,
            lowest: lowest.0,
            highest: highest.0,
        }),
    }
}

fn nearest_expiry(
    options: &[&Arc<Instrument>],
    request: &ContractRequest,
    rule: &ContractRule,
) -> Result<NaiveDate, SelectError> {
    let today = ist_date(request.now);
    let skip_today = rule
        .skip_expiry_day_after_ist
        .is_some_and(|cutoff| ist_time(request.now) >= cutoff);
    // The only rule so far; a new one fails to compile here until it is handled.
    let ExpiryRule::Nearest = rule.expiry;
    options
        .iter()
        .filter_map(|i| i.derivative.as_ref().map(|d| d.expiry))
        .filter(|e| *e > today || (*e == today && !skip_today))
        .min()
        .ok_or_else(|| SelectError::NoExpiry {
            underlying: request.underlying.clone(),
            today,
        })
}

/// Index of the strike nearest `price` in an ascending, non-empty ladder; ties go low.
fn atm_index(ladder: &[(f64, &Arc<Instrument>)], price: f64) -> usize {
    let mut best = 0;
    for (i, (strike, _)) in ladder.iter().enumerate() {
        if (strike - price).abs() < (ladder[best].0 - price).abs() - TIE_EPSILON {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests;
