//! The upstream feed's connection state, as clients, bots and `/health` see it. Defined
//! here, below every actor, so the feed that sets it and the fan-out that reports it share
//! one vocabulary without depending on each other.

use serde::{Deserialize, Serialize};

use crate::health::FeedCondition;

/// The feed's state, as clients, bots and `/health` see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedState {
    /// Not yet connected, or connecting for the first time.
    Connecting,
    /// Socket open, subscriptions sent, data flowing.
    Live,
    /// Lost the socket; waiting out the backoff before the next attempt.
    Reconnecting,
    /// The broker rejected the credentials; waiting for a new token.
    LoginRequired,
    /// The broker says the account cannot use the feed (e.g. Dhan 806); needs a human.
    Stopped,
}

impl FeedState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Connecting => "connecting",
            FeedState::Live => "live",
            FeedState::Reconnecting => "reconnecting",
            FeedState::LoginRequired => "login_required",
            FeedState::Stopped => "stopped",
        }
    }

    /// The coarser condition per-instrument health is classified from.
    pub fn condition(self) -> FeedCondition {
        match self {
            FeedState::Live => FeedCondition::Live,
            FeedState::Connecting | FeedState::Reconnecting => FeedCondition::Down,
            FeedState::LoginRequired => FeedCondition::LoginRequired,
            FeedState::Stopped => FeedCondition::Stopped,
        }
    }
}
