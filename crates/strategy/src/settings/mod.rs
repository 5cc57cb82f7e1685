//! A CE/PE bot's settings as its TOML file spells them, with defaults. Serde rejects
//! unknown keys; [`BotSettings::validate`] checks ranges and the order of the day's times.

mod hhmm;
mod validate;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use mandi_domain::calendar::EQUITY_OPEN_IST;
use mandi_domain::{Exchange, OptionType};
use serde::{Deserialize, Serialize};

use crate::select::ContractRequest;

pub use validate::SettingsError;

/// Which bar pattern opens a trade. Bullish buys a CE, bearish buys a PE.
///
/// TOML: `entry = { kind = "opening_range", minutes = 15 }` or
/// `entry = { kind = "ema_crossover", fast = 9, slow = 21 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EntryRule {
    /// High and low of the first `minutes` after the market open. A bar closing above the
    /// high is bullish, below the low bearish; only the bar that crosses out signals.
    OpeningRange { minutes: u32 },
    /// EMAs of bar closes, restarted each day. Fast crossing above slow is bullish, below
    /// bearish; the first signal needs `slow` bars of warm-up.
    EmaCrossover { fast: u32, slow: u32 },
}

impl Default for EntryRule {
    fn default() -> Self {
        EntryRule::OpeningRange { minutes: 15 }
    }
}

/// How the expiry of the traded option is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryRule {
    /// The first listed expiry on or after today (IST).
    #[default]
    Nearest,
}

/// Which option to buy once a signal has picked CE or PE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractRule {
    /// Strikes away from ATM in the listed ladder; positive is out of the money for either
    /// side (higher for a CE, lower for a PE), negative in the money.
    pub strike_offset: i32,
    /// Lots per entry; the quantity is `lots × lot_size` of the chosen contract.
    pub lots: u32,
    pub expiry: ExpiryRule,
    /// On expiry day, after this IST time the expiring series is skipped for the next one
    /// (expiring options decay and gap hard in the last hours). Unset: trade it all day.
    #[serde(with = "hhmm::option", skip_serializing_if = "Option::is_none")]
    pub skip_expiry_day_after_ist: Option<NaiveTime>,
}

impl Default for ContractRule {
    fn default() -> Self {
        ContractRule {
            strike_offset: 0,
            lots: 1,
            expiry: ExpiryRule::Nearest,
            skip_expiry_day_after_ist: None,
        }
    }
}

/// One bot's settings (`config/strategies/<name>.toml`). Percentages are of the option's
/// entry price; money is in rupees; times are IST wall-clock `"HH:MM"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// Unique bot name; journal rows and log lines carry it.
    pub name: String,
    /// The underlying's mandi symbol (`NIFTY`): its candles and ticks drive the signals, and
    /// its options list it as their underlying in the instrument master.
    pub underlying: String,
    /// Exchange whose options are traded (NSE for NIFTY, BSE for SENSEX, MCX for
    /// commodities); keeps expiries of different exchanges from mixing.
    pub exchange: Exchange,
    /// Bar length the signals read: 1, or 5 (built here from the 1-minute candles).
    pub candle_interval_min: u32,
    pub entry: EntryRule,
    pub contract: ContractRule,
    /// Exit when the option's LTP falls this far below the entry price.
    pub stop_loss_pct: f64,
    /// Exit when the option's LTP rises this far above the entry price.
    pub target_pct: f64,
    /// Once the option has traded above its entry, exit when it falls this far below the
    /// highest LTP since entry. Unset: no trailing stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_stop_pct: Option<f64>,
    /// Session open the opening range counts from; bars before it are ignored.
    #[serde(with = "hhmm")]
    pub market_open_ist: NaiveTime,
    /// First entry time. Unset: the open plus the opening range (opening_range), or the open.
    #[serde(with = "hhmm::option", skip_serializing_if = "Option::is_none")]
    pub entry_start_ist: Option<NaiveTime>,
    /// No new entries at or after this time; open positions are still managed.
    #[serde(with = "hhmm")]
    pub no_entry_after_ist: NaiveTime,
    /// An open position is closed at this time whatever its price.
    #[serde(with = "hhmm")]
    pub square_off_ist: NaiveTime,
    /// Entries (fills) per IST day; reaching it ends the day after the exit.
    pub max_trades_per_day: u32,
    /// Rupees: when the day's realised plus open loss reaches this, exit and stop for the day.
    pub max_loss_per_day: f64,
    /// A quote older than this (by its `received_time`) is stale: no entry or exit on it.
    pub max_quote_age_ms: u64,
    /// A signal not turned into an entry order within this time (no contract, no fresh
    /// quote) is dropped; so is a signal whose bar closed longer ago than this.
    pub entry_timeout_ms: u64,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            name: String::new(),
            underlying: String::new(),
            exchange: Exchange::Nse,
            candle_interval_min: 5,
            entry: EntryRule::default(),
            contract: ContractRule::default(),
            stop_loss_pct: 20.0,
            target_pct: 40.0,
            trailing_stop_pct: None,
            market_open_ist: EQUITY_OPEN_IST,
            entry_start_ist: None,
            no_entry_after_ist: hm(15, 0),
            square_off_ist: hm(15, 15),
            max_trades_per_day: 2,
            max_loss_per_day: 5_000.0,
            max_quote_age_ms: 5_000,
            entry_timeout_ms: 60_000,
        }
    }
}

impl BotSettings {
    /// Defaults for everything but the two keys that have none.
    pub fn new(name: impl Into<String>, underlying: impl Into<String>) -> Self {
        BotSettings {
            name: name.into(),
            underlying: underlying.into(),
            ..BotSettings::default()
        }
    }

    /// The first IST time an entry may be placed (see `entry_start_ist`).
    pub fn entry_start(&self) -> NaiveTime {
        if let Some(t) = self.entry_start_ist {
            return t;
        }
        match self.entry {
            EntryRule::OpeningRange { minutes } => {
                let (t, _wrapped) = self
                    .market_open_ist
                    .overflowing_add_signed(TimeDelta::minutes(i64::from(minutes)));
                t
            }
            EntryRule::EmaCrossover { .. } => self.market_open_ist,
        }
    }

    /// What the runtime hands to [`crate::select_contract`] for a `ResolveContract` action.
    pub fn contract_request(
        &self,
        option_type: OptionType,
        underlying_price: f64,
        now: DateTime<Utc>,
    ) -> ContractRequest {
        ContractRequest {
            underlying: self.underlying.clone(),
            exchange: self.exchange,
            option_type,
            underlying_price,
            now,
        }
    }

    /// Checks what serde cannot; the error names the key and the fix.
    pub fn validate(&self) -> Result<(), SettingsError> {
        validate::validate(self)
    }
}

/// A wall-clock literal for defaults; out-of-range parts give midnight, never a panic.
pub(crate) fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests;
