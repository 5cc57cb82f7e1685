//! Messages a strategy runner takes.

use actix::Message;
use mandi_strategy::BotSettings;
use serde::Serialize;

use super::latency::LatencySummary;
use super::record::PendingOrder;

/// The host put ticks or candles in the runner's inbox: take them all.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Drain;

/// New, validated settings from an edited strategy file. They apply to the open
/// position too (stops, targets, square-off time).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct UpdateSettings(pub BotSettings);

/// The operator asks the bot to close its position now (reason `manual`).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ManualExit;

/// Query: what the bot is doing, for `/api/bots`.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "BotStatus")]
pub struct GetBotStatus;

#[derive(Debug, Clone, Serialize)]
pub struct BotStatus {
    pub name: String,
    pub underlying: String,
    /// The bot's phase with its data (`{"phase":"in_position","position":{..}}`).
    pub phase: serde_json::Value,
    pub trades_today: u32,
    pub realised_pnl_today: f64,
    /// The order the bot has out, if any.
    pub pending: Option<PendingOrder>,
    /// Ticks that arrived while the bot was busy and were superseded by a newer one.
    pub conflated_ticks: u64,
    /// How late the ticks it read were, from the feed's frame to the bot.
    pub tick_latency: LatencySummary,
    /// Bot event frames that could not be handed to the client sockets' broadcaster
    /// (its mailbox full or gone); warned about, throttled.
    pub dropped_updates: u64,
    pub settings: serde_json::Value,
    /// Why the bot cannot pick a contract (unknown underlying, no options in the
    /// instrument master); `null` when it can.
    pub unresolved: Option<String>,
    /// Paused from the API (`POST /api/bots/{name}/pause`): no new entries until resumed.
    /// Set by the strategy host, which holds the pause.
    pub paused: bool,
}
