//! A bot's state as plain data, so a restarted process resumes it: an open position keeps
//! its entry price, peak and pending exit, and its exit still fires.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{symbol_of, CePeBot, DayBook, Phase};
use crate::{BotAction, BotSettings, SettingsError, SignalEngine};

/// Bumped when the snapshot's shape changes incompatibly.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Everything a bot needs to continue after a restart. Quotes are left out on purpose:
/// after a restart the bot waits for fresh ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BotSnapshot {
    pub version: u32,
    pub name: String,
    /// IST date the counters belong to.
    pub day: Option<NaiveDate>,
    pub trades_today: u32,
    pub realised_pnl_today: f64,
    pub phase: Phase,
    /// Indicator state (partial bar, opening range, EMAs) so signals continue mid-day.
    pub signals: SignalEngine,
}

/// Why a snapshot cannot be resumed with these settings.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RestoreError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("snapshot version {found} is not supported (this build reads {SNAPSHOT_VERSION})")]
    Version { found: u32 },
    #[error("snapshot belongs to bot `{snapshot}`, not `{settings}`")]
    NameMismatch { snapshot: String, settings: String },
    #[error("snapshot holds {symbol}, which is not an option of {underlying}")]
    ForeignContract { symbol: String, underlying: String },
}

impl CePeBot {
    pub fn snapshot(&self) -> BotSnapshot {
        BotSnapshot {
            version: SNAPSHOT_VERSION,
            name: self.settings.name.clone(),
            day: self.day.date,
            trades_today: self.day.trades,
            realised_pnl_today: self.day.realised_pnl,
            phase: self.phase.clone(),
            signals: self.signals.clone(),
        }
    }

    /// Resumes a bot from its snapshot under (possibly edited) settings, which then apply
    /// to the open position too. Returns the actions that re-establish its inputs: the
    /// subscription to the option it holds or is entering.
    ///
    /// A `ResolveContract` lost in the restart is asked again. An order that was out
    /// (`AwaitingEntryFill`, `AwaitingExitFill`) stays out: the runtime must deliver the
    /// fill or rejection the paper journal holds for it.
    pub fn restore(
        settings: BotSettings,
        snapshot: BotSnapshot,
    ) -> Result<(CePeBot, Vec<BotAction>), RestoreError> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(RestoreError::Version {
                found: snapshot.version,
            });
        }
        if snapshot.name != settings.name {
            return Err(RestoreError::NameMismatch {
                snapshot: snapshot.name,
                settings: settings.name,
            });
        }
        if let Some(contract) = snapshot.phase.contract() {
            let ours = contract
                .derivative
                .as_ref()
                .is_some_and(|d| *d.underlying == *settings.underlying);
            if !ours {
                return Err(RestoreError::ForeignContract {
                    symbol: contract.symbol.to_string(),
                    underlying: settings.underlying.clone(),
                });
            }
        }
        let mut bot = CePeBot::new(settings)?;
        let s = &bot.settings;
        if snapshot
            .signals
            .is_configured_as(&s.entry, s.candle_interval_min, s.market_open_ist)
        {
            bot.signals = snapshot.signals;
        }
        bot.day = DayBook {
            date: snapshot.day,
            trades: snapshot.trades_today,
            realised_pnl: snapshot.realised_pnl_today,
        };
        bot.phase = match snapshot.phase {
            Phase::AwaitingContract { entry, .. } => Phase::AwaitingContract {
                entry,
                requested: false,
            },
            phase => phase,
        };
        let actions = bot
            .phase
            .contract()
            .map(|c| BotAction::Subscribe {
                symbol: symbol_of(c),
            })
            .into_iter()
            .collect();
        Ok((bot, actions))
    }
}
