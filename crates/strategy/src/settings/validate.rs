//! Checks that serde cannot express: ranges, and the order of the day's times. Each
//! failure names the key, what is wrong, and what would be valid.

use chrono::{NaiveTime, TimeDelta};
use thiserror::Error;

use super::{BotSettings, EntryRule};

/// Longest EMA period accepted: 200 bars is already most of a 5-minute day's 75 bars
/// times a few days, and a larger one never finishes warming up within a day.
const MAX_EMA_PERIOD: u32 = 200;
/// Furthest strike offset accepted; weekly chains rarely list more than ~50 strikes a side.
const MAX_STRIKE_OFFSET: i32 = 50;
/// Quotes this fresh cannot be promised by any feed; a smaller limit would refuse every quote.
const MIN_QUOTE_AGE_MS: u64 = 100;

/// A settings problem: which key, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("strategy setting `{key}`: {problem} — fix: {fix}")]
pub struct SettingsError {
    /// Dotted key as written in the TOML file (`contract.lots`).
    pub key: &'static str,
    pub problem: String,
    pub fix: String,
}

impl SettingsError {
    fn new(key: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        SettingsError {
            key,
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

pub(super) fn validate(s: &BotSettings) -> Result<(), SettingsError> {
    for (key, value) in [("name", &s.name), ("underlying", &s.underlying)] {
        if value.trim().is_empty() {
            return Err(SettingsError::new(
                key,
                "is empty",
                format!("set {key} = \"...\" (e.g. name = \"nifty_orb\", underlying = \"NIFTY\")"),
            ));
        }
    }
    if !matches!(s.candle_interval_min, 1 | 5) {
        return Err(SettingsError::new(
            "candle_interval_min",
            format!("{} is not a supported bar length", s.candle_interval_min),
            "use 1 or 5",
        ));
    }
    validate_entry(s)?;
    validate_contract(s)?;
    validate_exits(s)?;
    validate_times(s)?;
    if s.max_quote_age_ms < MIN_QUOTE_AGE_MS {
        return Err(SettingsError::new(
            "max_quote_age_ms",
            format!("{} ms would call every quote stale", s.max_quote_age_ms),
            format!("use at least {MIN_QUOTE_AGE_MS} (5000 is the default)"),
        ));
    }
    if s.entry_timeout_ms == 0 {
        return Err(SettingsError::new(
            "entry_timeout_ms",
            "0 would drop every signal",
            "use a positive number of milliseconds (60000 is the default)",
        ));
    }
    Ok(())
}

fn validate_entry(s: &BotSettings) -> Result<(), SettingsError> {
    match s.entry {
        EntryRule::OpeningRange { minutes } => {
            if minutes == 0 || minutes % s.candle_interval_min != 0 {
                return Err(SettingsError::new(
                    "entry.minutes",
                    format!(
                        "{minutes} is not a positive multiple of candle_interval_min {}",
                        s.candle_interval_min
                    ),
                    "use a multiple of the bar length, e.g. 15",
                ));
            }
        }
        EntryRule::EmaCrossover { fast, slow } => {
            if fast == 0 || slow > MAX_EMA_PERIOD || fast >= slow {
                return Err(SettingsError::new(
                    "entry.slow",
                    format!("fast {fast} and slow {slow} do not satisfy 1 <= fast < slow <= {MAX_EMA_PERIOD}"),
                    "use a shorter fast period than slow, e.g. fast = 9, slow = 21",
                ));
            }
        }
    }
    Ok(())
}

fn validate_contract(s: &BotSettings) -> Result<(), SettingsError> {
    let c = &s.contract;
    if c.strike_offset.abs() > MAX_STRIKE_OFFSET {
        return Err(SettingsError::new(
            "contract.strike_offset",
            format!(
                "{} strikes from ATM is outside any listed chain",
                c.strike_offset
            ),
            format!("use -{MAX_STRIKE_OFFSET}..={MAX_STRIKE_OFFSET} (0 = ATM, 1 = one strike OTM)"),
        ));
    }
    if c.lots == 0 {
        return Err(SettingsError::new(
            "contract.lots",
            "0 lots buys nothing",
            "use 1 or more",
        ));
    }
    Ok(())
}

fn validate_exits(s: &BotSettings) -> Result<(), SettingsError> {
    let pcts = [
        ("stop_loss_pct", Some(s.stop_loss_pct), 100.0),
        ("trailing_stop_pct", s.trailing_stop_pct, 100.0),
        ("target_pct", Some(s.target_pct), 1_000.0),
    ];
    for (key, value, max) in pcts {
        if let Some(v) = value {
            if !(v > 0.0 && v < max) {
                return Err(SettingsError::new(
                    key,
                    format!("{v} is out of range"),
                    format!("use a percentage above 0 and below {max}, e.g. 20"),
                ));
            }
        }
    }
    if s.max_trades_per_day == 0 {
        return Err(SettingsError::new(
            "max_trades_per_day",
            "0 would never trade",
            "use 1 or more",
        ));
    }
    if !(s.max_loss_per_day.is_finite() && s.max_loss_per_day > 0.0) {
        return Err(SettingsError::new(
            "max_loss_per_day",
            format!("{} is not a positive rupee amount", s.max_loss_per_day),
            "use the day's loss limit in rupees, e.g. 5000",
        ));
    }
    Ok(())
}

fn validate_times(s: &BotSettings) -> Result<(), SettingsError> {
    if let EntryRule::OpeningRange { minutes } = s.entry {
        let (end, wrapped) = s
            .market_open_ist
            .overflowing_add_signed(TimeDelta::minutes(i64::from(minutes)));
        if wrapped != 0 || end >= s.no_entry_after_ist {
            return Err(SettingsError::new(
                "entry.minutes",
                format!(
                    "the range from {} ends at or after no_entry_after_ist {}",
                    show(s.market_open_ist),
                    show(s.no_entry_after_ist)
                ),
                "shorten the range or move no_entry_after_ist later",
            ));
        }
    }
    let start = s.entry_start();
    // (key, its time, the time it must follow, whether equal is allowed, the rule in words)
    let order = [
        (
            "entry_start_ist",
            start,
            s.market_open_ist,
            true,
            "at or after market_open_ist",
        ),
        (
            "no_entry_after_ist",
            s.no_entry_after_ist,
            start,
            false,
            "after the entry start",
        ),
        (
            "square_off_ist",
            s.square_off_ist,
            s.no_entry_after_ist,
            true,
            "at or after no_entry_after_ist",
        ),
    ];
    for (key, time, after, equal_ok, rule) in order {
        if time < after || (time == after && !equal_ok) {
            return Err(SettingsError::new(
                key,
                format!("{} is not {rule} ({})", show(time), show(after)),
                "reorder the times (defaults: 09:15 open, 15:00 last entry, 15:15 square-off)",
            ));
        }
    }
    Ok(())
}

fn show(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}
