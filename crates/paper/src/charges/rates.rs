//! Indian brokerage and statutory rates, configurable, with defaults that follow the
//! Zerodha/Dhan published schedules as of 2026 (see each field).

use serde::{Deserialize, Serialize};

use mandi_domain::Exchange;

/// Every rate the charge calculator uses. Percentages are written as the brokers'
/// charges pages write them: `0.15` means 0.15 %.
///
/// Defaults follow the schedules published as of November 2026:
/// - STT on F&O from the Union Budget 2026 (effective 2026-04-01): futures 0.05 %,
///   options 0.15 % of premium, both on the sell side.
/// - Exchange transaction charges from the NSE/BSE/MCX circulars effective 2024-10-01
///   (SEBI's uniform-fee directive), with NSE's IPFT levy folded in as Zerodha shows it.
/// - SEBI turnover fee ₹10 per crore; GST 18 %; stamp duty under the Indian Stamp Act
///   amendment effective 2020-07-01.
///
/// Brokers revise these; override them in config rather than trusting the defaults for
/// money that matters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChargeRates {
    /// GST on brokerage + exchange charges + SEBI fee. 18 %.
    pub gst_pct: f64,
    /// SEBI turnover fee, ₹ per crore (₹1,00,00,000) of turnover, both sides. ₹10.
    pub sebi_per_crore_inr: f64,
    /// Index and stock options (NSE, BSE) and commodity options (MCX); turnover is premium.
    pub options: ClassRates,
    /// Index and stock futures (NSE, BSE) and commodity futures (MCX).
    pub futures: ClassRates,
    /// Cash equity, charged as intraday (MIS): paper bots square off the same day. For
    /// delivery set STT 0.1 % both sides, stamp 0.015 % and brokerage 0.
    pub equity: ClassRates,
}

/// Rates for one instrument class (options, futures or equity). A class overridden in
/// config must be given whole (every field): a half-written class silently zeroing the
/// rest would under-charge, so a missing field is a deserialization error instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRates {
    /// Brokerage cap per executed order, ₹.
    pub brokerage_flat_inr: f64,
    /// Brokerage as % of the order's turnover, charged when lower than the flat amount;
    /// `None` means always the flat amount.
    pub brokerage_pct: Option<f64>,
    /// Securities transaction tax on buys (NSE, BSE), % of turnover.
    pub stt_buy_pct: f64,
    /// Securities transaction tax on sells (NSE, BSE), % of turnover.
    pub stt_sell_pct: f64,
    /// Commodities transaction tax on sells (MCX, non-agricultural), % of turnover.
    /// MCX levies CTT instead of STT.
    pub ctt_sell_pct: f64,
    /// Stamp duty on buys, % of turnover.
    pub stamp_buy_pct: f64,
    /// Exchange transaction charges, % of turnover, both sides.
    pub exchange_pct: ExchangeRates,
}

/// A percentage per exchange.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRates {
    pub nse: f64,
    pub bse: f64,
    pub mcx: f64,
}

impl ExchangeRates {
    pub fn get(&self, exchange: Exchange) -> f64 {
        match exchange {
            Exchange::Nse => self.nse,
            Exchange::Bse => self.bse,
            Exchange::Mcx => self.mcx,
        }
    }
}

impl Default for ChargeRates {
    fn default() -> ChargeRates {
        ChargeRates {
            gst_pct: 18.0,
            sebi_per_crore_inr: 10.0,
            options: ClassRates::options(),
            futures: ClassRates::futures(),
            equity: ClassRates::equity_intraday(),
        }
    }
}

impl ClassRates {
    /// Options, as of 2026-11.
    /// - Brokerage: flat ₹20 per executed order (Zerodha, Dhan).
    /// - STT 0.15 % of sell premium (Budget 2026, from 2026-04-01; 0.1 % before).
    /// - CTT (MCX) 0.05 % of sell premium.
    /// - Exchange: NSE 0.03553 % of premium (0.03503 % transaction fee + 0.0005 % IPFT);
    ///   BSE 0.0325 % (SENSEX/BANKEX options; unsure for other BSE options, which the
    ///   2024 circular left at 0.005 %); MCX 0.0418 %.
    /// - Stamp 0.003 % of buy premium.
    pub fn options() -> ClassRates {
        ClassRates {
            brokerage_flat_inr: 20.0,
            brokerage_pct: None,
            stt_buy_pct: 0.0,
            stt_sell_pct: 0.15,
            ctt_sell_pct: 0.05,
            stamp_buy_pct: 0.003,
            exchange_pct: ExchangeRates {
                nse: 0.03553,
                bse: 0.0325,
                mcx: 0.0418,
            },
        }
    }

    /// Futures, as of 2026-11.
    /// - Brokerage: 0.03 % or ₹20 per executed order, whichever is lower.
    /// - STT 0.05 % of sell turnover (Budget 2026, from 2026-04-01; 0.02 % before).
    /// - CTT (MCX, non-agri) 0.01 % of sell turnover.
    /// - Exchange: NSE 0.00183 % (0.00173 % + 0.0001 % IPFT); BSE 0; MCX 0.0021 %.
    /// - Stamp 0.002 % of buy turnover.
    pub fn futures() -> ClassRates {
        ClassRates {
            brokerage_flat_inr: 20.0,
            brokerage_pct: Some(0.03),
            stt_buy_pct: 0.0,
            stt_sell_pct: 0.05,
            ctt_sell_pct: 0.01,
            stamp_buy_pct: 0.002,
            exchange_pct: ExchangeRates {
                nse: 0.00183,
                bse: 0.0,
                mcx: 0.0021,
            },
        }
    }

    /// Cash equity intraday, as of 2026-11.
    /// - Brokerage: 0.03 % or ₹20 per executed order, whichever is lower.
    /// - STT 0.025 % of sell turnover.
    /// - Exchange: NSE 0.00307 % (0.00297 % + 0.0001 % IPFT); BSE 0.00375 % (groups A
    ///   and B; other groups differ). MCX has no cash equity.
    /// - Stamp 0.003 % of buy turnover.
    pub fn equity_intraday() -> ClassRates {
        ClassRates {
            brokerage_flat_inr: 20.0,
            brokerage_pct: Some(0.03),
            stt_buy_pct: 0.0,
            stt_sell_pct: 0.025,
            ctt_sell_pct: 0.0,
            stamp_buy_pct: 0.003,
            exchange_pct: ExchangeRates {
                nse: 0.00307,
                bse: 0.00375,
                mcx: 0.0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_classes_keep_defaults() {
        let mut futures = serde_json::to_value(ClassRates::futures()).unwrap_or_default();
        futures["stt_sell_pct"] = serde_json::json!(0.02);
        let json = serde_json::json!({"gst_pct": 18.0, "futures": futures});
        let rates: ChargeRates = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(rates.futures.stt_sell_pct, 0.02, "overridden");
        assert_eq!(
            rates.futures.stamp_buy_pct, 0.002,
            "rest of the class as given"
        );
        assert_eq!(rates.options, ClassRates::options(), "omitted class");
        assert_eq!(rates.sebi_per_crore_inr, 10.0, "omitted top-level field");
    }

    #[test]
    fn half_written_class_is_an_error() {
        let json = r#"{"futures": {"stt_sell_pct": 0.02}}"#;
        let err = serde_json::from_str::<ChargeRates>(json).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("missing field"), "{msg}");
    }
}
