//! Messages the strategy host takes.

use actix::Message;

use crate::strategy_runner::BotStatus;

/// Query: every bot's status, by name.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<BotStatus>")]
pub struct GetBots;

/// Ask a bot to close its position now. False when there is no such bot.
#[derive(Message, Debug, Clone)]
#[rtype(result = "bool")]
pub struct ExitBot {
    pub name: String,
}

/// Pause (no new bars, so no new entries) or resume a bot. False when there is no such bot.
#[derive(Message, Debug, Clone)]
#[rtype(result = "bool")]
pub struct PauseBot {
    pub name: String,
    pub paused: bool,
}

/// Look at the strategy files now (the host also does every second).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ReloadStrategies;
