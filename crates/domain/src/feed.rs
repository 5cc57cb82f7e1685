//! The upstream feed's connection state, and the quality of the data it carries (a live
//! socket that sends nothing is not `good`), as clients, bots and `/health` see them.
//! Defined here, below every actor, so the feed that sets it and the fan-out that reports
//! it share one vocabulary without depending on each other.

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

/// What the feed's data is worth now, whatever the socket says. Clients see it as
/// `quality` in `connection_status`, `connection_quality` in the heartbeat and, past
/// `good`, as the `/ws/prices` `status`: a connected socket that carries nothing inside a
/// session is `quiet`, then `stale`, never `good`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedQuality {
    /// Market data flowing, or a live socket outside every streamed session (silence is
    /// normal then).
    Good,
    /// Socket live inside a session, but no market data for `quiet_after_s`.
    Quiet,
    /// No market data for `stale_after_s` inside a session, whatever the socket or the
    /// REST poller says: the prices on screen are frozen.
    Stale,
    /// Connecting or reconnecting with recent prices, or REST polling standing in.
    Degraded,
    /// Needs a human: the token is refused (by the socket, and by REST if it was
    /// tried), or the broker stopped the feed.
    Down,
}

impl FeedQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedQuality::Good => "good",
            FeedQuality::Quiet => "quiet",
            FeedQuality::Stale => "stale",
            FeedQuality::Degraded => "degraded",
            FeedQuality::Down => "down",
        }
    }
}

/// The facts the feed's quality is judged from at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedFacts {
    pub state: FeedState,
    /// REST polling has taken over from the socket.
    pub fallback_active: bool,
    /// ... and the broker refuses its requests (token or account): it serves nothing.
    pub fallback_refused: bool,
    /// An exchange of some streamed instrument is in its session: data is expected.
    pub in_session: bool,
    /// Seconds without market data, counted from the later of the last tick (any
    /// source) and the moment data became expected (start, or a session opening).
    pub data_age_s: f64,
}

impl FeedFacts {
    /// REST polling serves prices in place of a socket that is not live.
    pub fn fallback_serving(&self) -> bool {
        self.fallback_active && !self.fallback_refused && self.state != FeedState::Live
    }

    /// The token is dead everywhere: the socket is not live and the REST poller that
    /// stood in is refused too. Only a new login helps.
    pub fn refused_everywhere(&self) -> bool {
        self.fallback_active && self.fallback_refused && self.state != FeedState::Live
    }
}

/// Judge the feed. `Down` wins (a human must act), then `Stale` (frozen prices inside a
/// session, even while reconnecting or polling), then what the socket says.
pub fn feed_quality(f: &FeedFacts, t: crate::HealthThresholds) -> FeedQuality {
    let needs_human = matches!(f.state, FeedState::LoginRequired | FeedState::Stopped);
    if f.refused_everywhere() || (needs_human && !f.fallback_serving()) {
        return FeedQuality::Down;
    }
    if f.in_session && f.data_age_s > t.stale_after_s {
        return FeedQuality::Stale;
    }
    if f.fallback_serving() {
        return FeedQuality::Degraded;
    }
    match f.state {
        FeedState::Live if f.in_session && f.data_age_s > t.quiet_after_s => FeedQuality::Quiet,
        FeedState::Live => FeedQuality::Good,
        _ => FeedQuality::Degraded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HealthThresholds;

    struct TestCase {
        name: &'static str,
        state: FeedState,
        fallback: (bool, bool),
        in_session: bool,
        age_s: f64,
        want: FeedQuality,
    }

    #[test]
    fn quality_cases() {
        use FeedQuality as Q;
        use FeedState as S;
        let case = |name, state, fallback, in_session, age_s, want| TestCase {
            name,
            state,
            fallback,
            in_session,
            age_s,
            want,
        };
        let cases = [
            case("ticking", S::Live, (false, false), true, 1.0, Q::Good),
            case(
                "connected, mute 12 s",
                S::Live,
                (false, false),
                true,
                12.0,
                Q::Quiet,
            ),
            case(
                "connected, mute 37 s",
                S::Live,
                (false, false),
                true,
                37.0,
                Q::Stale,
            ),
            case(
                "mute outside hours",
                S::Live,
                (false, false),
                false,
                9999.0,
                Q::Good,
            ),
            case(
                "reconnecting, fresh",
                S::Reconnecting,
                (false, false),
                true,
                2.0,
                Q::Degraded,
            ),
            case(
                "reconnecting, frozen",
                S::Reconnecting,
                (false, false),
                true,
                40.0,
                Q::Stale,
            ),
            case(
                "connecting outside hours",
                S::Connecting,
                (false, false),
                false,
                99.0,
                Q::Degraded,
            ),
            case(
                "rest serving",
                S::LoginRequired,
                (true, false),
                true,
                1.0,
                Q::Degraded,
            ),
            case(
                "rest serving, stalled",
                S::Reconnecting,
                (true, false),
                true,
                45.0,
                Q::Stale,
            ),
            case(
                "rest refused too",
                S::LoginRequired,
                (true, true),
                true,
                1.0,
                Q::Down,
            ),
            case(
                "rest refused, socket down",
                S::Reconnecting,
                (true, true),
                true,
                1.0,
                Q::Down,
            ),
            case(
                "login, no fallback",
                S::LoginRequired,
                (false, false),
                true,
                99.0,
                Q::Down,
            ),
            case("stopped", S::Stopped, (false, false), false, 0.0, Q::Down),
            case(
                "live again, flag lagging",
                S::Live,
                (true, true),
                true,
                0.5,
                Q::Good,
            ),
        ];
        let t = HealthThresholds {
            quiet_after_s: 10.0,
            stale_after_s: 30.0,
        };
        for c in cases {
            let facts = FeedFacts {
                state: c.state,
                fallback_active: c.fallback.0,
                fallback_refused: c.fallback.1,
                in_session: c.in_session,
                data_age_s: c.age_s,
            };
            assert_eq!(feed_quality(&facts, t), c.want, "{}", c.name);
        }
    }
}
