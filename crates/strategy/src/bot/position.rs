//! An open option position and the price rules that close it. Every rule reads the
//! option's LTP (not bid or ask): the last traded price is what a trader watching the
//! chain sees, and the paper fill then happens at the touch.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::Instrument;
use serde::{Deserialize, Serialize};

use crate::{BotSettings, EntryReason, ExitReason};

/// The option held.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub contract: Arc<Instrument>,
    pub entry_reason: EntryReason,
    /// Average fill price of the entry (rupees per unit).
    pub entry_price: f64,
    /// Units held (lots × lot size), reduced by partial exit fills.
    pub quantity: u32,
    /// Highest fresh LTP since entry, starting at the entry price; the trailing stop hangs
    /// from it.
    pub peak_price: f64,
    pub entered_at: DateTime<Utc>,
    /// An exit decided but not yet placed: the quote was stale when it was due, or the
    /// exit order was rejected. It is placed on the next fresh quote, whatever the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_exit: Option<ExitReason>,
}

impl Position {
    /// Lots to sell to flatten; rounds up so an odd remainder is never left behind.
    pub fn lots(&self) -> u32 {
        self.quantity.div_ceil(self.contract.lot_size.max(1))
    }

    /// Rupees gained (negative: lost) if the whole position traded at `ltp`.
    pub fn unrealised_pnl(&self, ltp: f64) -> f64 {
        (ltp - self.entry_price) * f64::from(self.quantity)
    }

    /// Stop-loss trigger, on the contract's tick grid.
    pub fn stop_level(&self, settings: &BotSettings) -> f64 {
        self.level(self.entry_price * (1.0 - settings.stop_loss_pct / 100.0))
    }

    /// Target trigger, on the contract's tick grid.
    pub fn target_level(&self, settings: &BotSettings) -> f64 {
        self.level(self.entry_price * (1.0 + settings.target_pct / 100.0))
    }

    /// Trailing-stop trigger, once armed: only after the option has traded above its entry,
    /// so until then the fixed stop alone protects the position.
    pub fn trailing_level(&self, settings: &BotSettings) -> Option<f64> {
        let pct = settings.trailing_stop_pct?;
        (self.peak_price > self.entry_price)
            .then(|| self.level(self.peak_price * (1.0 - pct / 100.0)))
    }

    fn level(&self, price: f64) -> f64 {
        round_to_tick(price, self.contract.tick_size)
    }
}

/// The exit a fresh LTP calls for, checked in this order: the stop (trailing stop when
/// it sits above the fixed one), the target, then the day's loss limit including this
/// position at `ltp`. Time-based exits are the caller's.
pub(crate) fn price_exit(
    position: &Position,
    ltp: f64,
    settings: &BotSettings,
    realised_today: f64,
) -> Option<ExitReason> {
    let stop = position.stop_level(settings);
    match position.trailing_level(settings) {
        Some(trail) if trail > stop && ltp <= trail => return Some(ExitReason::TrailingStop),
        _ if ltp <= stop => return Some(ExitReason::StopLoss),
        _ => {}
    }
    if ltp >= position.target_level(settings) {
        return Some(ExitReason::Target);
    }
    if realised_today + position.unrealised_pnl(ltp) <= -settings.max_loss_per_day {
        return Some(ExitReason::MaxLoss);
    }
    None
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Derivative, Exchange, OptionType, Segment};

    use super::*;

    fn position(entry: f64, peak: f64, quantity: u32) -> Position {
        let contract = Instrument {
            symbol: "NIFTY 10 FEB 25800 CALL".into(),
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            security_id: 1,
            kite_token: 1,
            kite_key: "NFO:NIFTY2621025800CE".into(),
            tick_size: 0.05,
            lot_size: 65,
            derivative: Some(Derivative {
                underlying: "NIFTY".into(),
                expiry: chrono::NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default(),
                strike: Some(25_800.0),
                option_type: Some(OptionType::Call),
            }),
        };
        Position {
            contract: Arc::new(contract),
            entry_reason: EntryReason::OrbBreakoutUp,
            entry_price: entry,
            quantity,
            peak_price: peak,
            entered_at: DateTime::default(),
            pending_exit: None,
        }
    }

    struct TestCase {
        name: &'static str,
        entry: f64,
        peak: f64,
        ltp: f64,
        trailing_pct: Option<f64>,
        realised: f64,
        want: Option<ExitReason>,
    }

    #[test]
    fn price_exit_cases() {
        // Stop 20% (100 → 80), target 40% (→ 140), loss limit ₹5000, 65 units.
        let base = TestCase {
            name: "",
            entry: 100.0,
            peak: 100.0,
            ltp: 100.0,
            trailing_pct: None,
            realised: 0.0,
            want: None,
        };
        let cases = [
            TestCase {
                name: "flat holds",
                ..base
            },
            TestCase {
                name: "stop at its level",
                ltp: 80.0,
                want: Some(ExitReason::StopLoss),
                ..base
            },
            TestCase {
                name: "one tick above stop holds",
                ltp: 80.05,
                ..base
            },
            TestCase {
                name: "target at its level",
                ltp: 140.0,
                want: Some(ExitReason::Target),
                ..base
            },
            TestCase {
                name: "just under target holds",
                ltp: 139.95,
                ..base
            },
            TestCase {
                name: "trailing not armed before a new high",
                ltp: 86.0,
                trailing_pct: Some(10.0),
                ..base
            },
            TestCase {
                name: "trailing fires 10% under the peak",
                peak: 130.0,
                ltp: 117.0,
                trailing_pct: Some(10.0),
                want: Some(ExitReason::TrailingStop),
                ..base
            },
            TestCase {
                name: "trailing holds above its level",
                peak: 130.0,
                ltp: 117.05,
                trailing_pct: Some(10.0),
                ..base
            },
            TestCase {
                name: "trailing below the fixed stop leaves the stop in charge",
                peak: 101.0,
                ltp: 80.0,
                trailing_pct: Some(25.0),
                want: Some(ExitReason::StopLoss),
                ..base
            },
            TestCase {
                name: "day loss limit counts realised plus open",
                ltp: 90.0,
                realised: -4_400.0,
                want: Some(ExitReason::MaxLoss),
                ..base
            },
            TestCase {
                name: "under the loss limit holds",
                ltp: 90.0,
                realised: -4_300.0,
                ..base
            },
        ];
        for c in cases {
            let mut settings = BotSettings::new("t", "NIFTY");
            settings.trailing_stop_pct = c.trailing_pct;
            let p = position(c.entry, c.peak, 65);
            assert_eq!(
                price_exit(&p, c.ltp, &settings, c.realised),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn lots_round_up() {
        for (quantity, want) in [(65, 1), (130, 2), (100, 2), (0, 0)] {
            assert_eq!(
                position(1.0, 1.0, quantity).lots(),
                want,
                "{quantity} units"
            );
        }
    }
}
