//! Bot behaviour, driven event by event through a small rig. Times are IST on
//! 3 Feb 2026 (see `test_support`), converted to UTC before they reach the bot.

mod entry;
mod exits;
mod scenario;
mod snapshot;
mod stale;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Instrument, OptionType, Tick};

use super::*;
use crate::test_support::{bar_at, ist, nifty, plus_ms, tick};
use crate::{EntryReason, ExitReason};

/// Underlying price at the breakout; ATM is 25750.
const SPOT: f64 = 25_762.0;

/// The defaults of `nifty_orb`: 15-minute range on 5-minute bars, stop 20%, target 40%,
/// two trades, ₹5000 loss limit, quotes stale after 5 s.
fn settings() -> BotSettings {
    BotSettings::new("nifty_orb", "NIFTY")
}

fn ce() -> Arc<Instrument> {
    nifty(10, 25_750.0, OptionType::Call)
}

fn pe() -> Arc<Instrument> {
    nifty(10, 25_750.0, OptionType::Put)
}

/// Codes of the refusals in `actions`, in order.
fn refusal_codes(actions: &[BotAction]) -> Vec<&'static str> {
    actions
        .iter()
        .filter_map(|a| match a {
            BotAction::Refused { reason, .. } => Some(reason.code()),
            _ => None,
        })
        .collect()
}

fn places_order(actions: &[BotAction]) -> bool {
    actions.iter().any(|a| {
        matches!(
            a,
            BotAction::PlaceEntry { .. } | BotAction::PlaceExit { .. }
        )
    })
}

fn place_exit(reason: ExitReason, lots: u32) -> BotAction {
    BotAction::PlaceExit {
        symbol: ce().symbol.clone(),
        lots,
        reason,
    }
}

struct Rig {
    bot: CePeBot,
}

impl Rig {
    fn new(settings: BotSettings) -> Rig {
        match CePeBot::new(settings) {
            Ok(bot) => Rig { bot },
            Err(e) => panic!("test settings invalid: {e}"),
        }
    }

    /// A 1-minute underlying bar starting at `start`, delivered 100 ms after it closes.
    fn minute(&mut self, start: DateTime<Utc>, high: f64, low: f64, close: f64) -> Vec<BotAction> {
        let now = plus_ms(start, 60_100);
        self.bot
            .on_candle(&bar_at(start, close, high, low, close), now)
    }

    /// Five identical 1-minute bars from `start`; returns the actions of all five.
    fn five(&mut self, start: DateTime<Utc>, high: f64, low: f64, close: f64) -> Vec<BotAction> {
        (0..5)
            .flat_map(|m| self.minute(plus_ms(start, m * 60_000), high, low, close))
            .collect()
    }

    fn underlying(&mut self, ltp: f64, at: DateTime<Utc>) -> Vec<BotAction> {
        self.bot.on_underlying_tick(&tick("NIFTY", ltp, at), at)
    }

    fn option_tick(&mut self, t: Tick, now: DateTime<Utc>) -> Vec<BotAction> {
        self.bot.on_option_tick(&t, now)
    }

    /// A fresh tick of the held CE at `at`.
    fn ce_at(&mut self, ltp: f64, at: DateTime<Utc>) -> Vec<BotAction> {
        self.option_tick(tick(&ce().symbol, ltp, at), at)
    }

    /// The 09:15–09:30 range: low 25700, high 25750. No actions expected.
    fn range(&mut self) {
        for (i, (high, low, close)) in [
            (25_740.0, 25_700.0, 25_720.0),
            (25_750.0, 25_710.0, 25_745.0),
            (25_748.0, 25_705.0, 25_730.0),
        ]
        .into_iter()
        .enumerate()
        {
            let actions = self.five(plus_ms(ist(9, 15, 0), i as i64 * 300_000), high, low, close);
            assert_eq!(actions, vec![], "range bar {i}");
        }
    }

    /// Range, a fresh underlying tick, and the 09:30–09:35 bar closing at `close`.
    fn breakout(&mut self, close: f64) -> Vec<BotAction> {
        self.range();
        self.underlying(close, ist(9, 34, 59));
        self.five(
            ist(9, 30, 0),
            close.max(25_750.0),
            close.min(25_700.0),
            close,
        )
    }

    /// Drives an upside breakout to an open CE position bought at `price` (65 units).
    fn open_ce(&mut self, price: f64) {
        let resolve = self.breakout(SPOT);
        let want = BotAction::ResolveContract {
            option_type: OptionType::Call,
            underlying_price: SPOT,
            reason: EntryReason::OrbBreakoutUp,
        };
        assert_eq!(resolve, vec![want], "breakout");
        assert_eq!(
            self.bot.on_contract_resolved(ce()),
            vec![BotAction::Subscribe {
                symbol: ce().symbol.clone()
            }]
        );
        let entry = self.ce_at(price, ist(9, 35, 1));
        let want = BotAction::PlaceEntry {
            symbol: ce().symbol.clone(),
            lots: 1,
            reason: EntryReason::OrbBreakoutUp,
        };
        assert_eq!(entry, vec![want], "entry");
        let fill = Fill {
            price,
            quantity: 65,
            at: ist(9, 35, 2),
        };
        assert_eq!(self.bot.on_entry_filled(fill), vec![]);
        assert!(matches!(self.bot.phase(), Phase::InPosition { .. }));
    }

    /// Fills the working exit in full at `price`.
    fn exit_fill(&mut self, price: f64, at: DateTime<Utc>) -> Vec<BotAction> {
        self.bot.on_exit_filled(Fill {
            price,
            quantity: 65,
            at,
        })
    }
}
