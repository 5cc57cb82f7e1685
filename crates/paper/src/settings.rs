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
    /// The most lots one order may ask for; more is refused before the book sees it
    /// (`lots_out_of_range`). Default 100.
    pub max_lots_per_order: u32,
    /// How far a limit or trigger price may sit from the last price, in percent of it;
    /// further is refused before the book sees it (`price_out_of_band`). Checked only
    /// when a last price is known. Default 100: up to twice the last price, and down to
    /// one tick (a bid far below the market, a stop at half the entry).
    pub max_price_deviation_pct: f64,
    /// An instrument traded in the last this-many seconds keeps streaming even when its
    /// position is flat and it has no open order, so the next order meets a live quote.
    /// Default 300.
    pub keep_streaming_after_trade_s: u64,
}

impl Default for PaperSettings {
    fn default() -> PaperSettings {
        PaperSettings {
            starting_cash: 1_000_000.0,
            slippage_ticks: 0,
            protection_ticks: 5,
            max_quote_age_ms: 5_000,
            charges: ChargeRates::default(),
            max_lots_per_order: 100,
            max_price_deviation_pct: 100.0,
            keep_streaming_after_trade_s: 300,
        }
    }
}

impl PaperSettings {
    /// Whether two settings fill and charge alike. The order limits and the streaming
    /// window are the runtime's, read from config at every start; the rest belongs to
    /// the account and is kept with it.
    pub fn same_fill_model(&self, other: &PaperSettings) -> bool {
        let runtime_only = PaperSettings {
            max_lots_per_order: self.max_lots_per_order,
            max_price_deviation_pct: self.max_price_deviation_pct,
            keep_streaming_after_trade_s: self.keep_streaming_after_trade_s,
            ..other.clone()
        };
        *self == runtime_only
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
        assert_eq!(s.max_lots_per_order, 100);
    }

    #[test]
    fn the_fill_model_ignores_the_runtime_limits() {
        let base = PaperSettings::default();
        let limits = PaperSettings {
            max_lots_per_order: 5,
            max_price_deviation_pct: 10.0,
            keep_streaming_after_trade_s: 0,
            ..PaperSettings::default()
        };
        assert!(base.same_fill_model(&limits));
        let slipped = PaperSettings {
            slippage_ticks: 1,
            ..PaperSettings::default()
        };
        assert!(!base.same_fill_model(&slipped));
    }
}
