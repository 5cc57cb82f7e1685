//! `PaperSettings`: the knobs of the fill model and the account, read from config.

use serde::{Deserialize, Serialize};

use crate::ChargeRates;

/// Settings of one paper book. Every field has a default, so config may name only the
/// ones it changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperSettings {
    /// Opening cash, ₹. Default ₹10,00,000.
    pub starting_cash: f64,
    /// Ticks every taker fill moves against the order before the residual rule. Default 0:
    /// the touch is already the honest price, and the residual rule charges for size.
    pub slippage_ticks: u32,
    /// The most a taker fill may move from the touch, ticks (Nautilus's price
    /// protection). Prices beyond it are held at it. Default 5.
    pub protection_ticks: u32,
    /// Quotes older than this (by exchange time, else received time) are never filled
    /// against. Default 5000 ms.
    pub max_quote_age_ms: u64,
    pub charges: ChargeRates,
}

impl Default for PaperSettings {
    fn default() -> PaperSettings {
        PaperSettings {
            starting_cash: 1_000_000.0,
            slippage_ticks: 0,
            protection_ticks: 5,
            max_quote_age_ms: 5_000,
            charges: ChargeRates::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_fills_in_defaults() {
        let s: PaperSettings = serde_json::from_str(r#"{"slippage_ticks": 1}"#).unwrap_or_default();
        assert_eq!(s.slippage_ticks, 1);
        assert_eq!(s.max_quote_age_ms, 5_000);
        assert_eq!(s.starting_cash, 1_000_000.0);
        assert_eq!(s.charges, ChargeRates::default());
    }
}
