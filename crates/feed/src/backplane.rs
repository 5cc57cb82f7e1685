//! The backplane: every message that crosses between the broker side (this crate) and
//! the client side (`mandi-fanout`, `mandi-trading`), and nothing else. Ticks and status
//! flow out; subscription interest flows in, named by a subscriber id. Plain data with
//! serde derives, so the same messages can travel between processes; in one process the
//! supervisor hands each side the other's `Recipient`s directly.

use std::sync::Arc;

use std::future::Future;

use actix::{Actor, Addr, Handler, MailboxError, Message, Recipient};
use chrono::{DateTime, Utc};
use mandi_domain::{FeedState, Mode, TickUpdate};
use serde::{Deserialize, Serialize};

/// Names a subscriber: a browser session (`client-17`), a bot (`bot:orb`), or the
/// runtime itself (`runtime:prices`). Strings keep `/api/subscriptions/active` readable.
pub type SubscriberId = Arc<str>;

/// Feed → price store: every update decoded from one upstream frame.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct TicksReceived {
    pub updates: Vec<TickUpdate>,
    pub received_time: DateTime<Utc>,
}

/// History fetcher → price store: what the broker's historical API says about one
/// symbol — its previous session (for the day levels) and today's one-minute bars so far
/// (for a start after the open). Either may be absent.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct HistoryLoaded {
    pub symbol: Arc<str>,
    pub previous_day: Option<mandi_domain::DayOhlc>,
    /// Oldest first, all of one IST day.
    pub minutes: Vec<mandi_domain::Candle>,
}

/// Feed → anyone interested: the feed's state changed.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct FeedStatusChanged {
    pub state: FeedState,
    /// Operator-facing reason, e.g. "dhan disconnect 807: access token expired".
    pub reason: Option<String>,
    /// Failed attempts in a row when this was published; 0 once live.
    pub consecutive_failures: u32,
    /// The broker's REST API refused the token too: a REST fallback would be refused.
    pub rest_refused: bool,
    pub at: DateTime<Utc>,
}

/// Fallback → anyone interested (broadcaster, health): REST polling took over from the
/// socket, or handed back. Sent once per transition.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct FallbackStatusChanged {
    pub active: bool,
    /// Operator-facing, e.g. "websocket down: dhan disconnect 807: access token expired —
    /// polling REST quotes at 1 request/s until the socket is back".
    pub reason: String,
    /// The broker refuses the poller's requests (token or account), so polling serves
    /// nothing until a success: the refusal, operator-facing. Sent again (still active)
    /// when it starts or ends, so clients see `login_required`, not "prices from REST".
    #[serde(default)]
    pub refused: Option<String>,
    pub at: DateTime<Utc>,
}

/// Subscribe a subscriber to symbols. The answer names the symbols that were not
/// subscribed, and why.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "SubscribeAnswer")]
pub struct Subscribe {
    pub subscriber: SubscriberId,
    pub symbols: Vec<Arc<str>>,
    pub mode: Mode,
}

/// The registry's answer to [`Subscribe`]: every other symbol was subscribed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeAnswer {
    /// Symbols the instrument index does not know.
    pub unknown: Vec<Arc<str>>,
    /// Known symbols the upstream has no room for: every connection the broker allows
    /// already carries its maximum. Nothing was subscribed for them.
    pub over_capacity: Vec<Arc<str>>,
}

/// Release some of a subscriber's symbols.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct Release {
    pub subscriber: SubscriberId,
    pub symbols: Vec<Arc<str>>,
}

/// Release everything a subscriber holds.
#[derive(Message, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct ReleaseAll {
    pub subscriber: SubscriberId,
}

/// Where a client-side actor sends its subscription interest: the registry in one
/// process, a bridge to the message bus in a cluster. Cloned into every sender.
#[derive(Clone)]
pub struct Interest {
    subscribe: Recipient<Subscribe>,
    release: Recipient<Release>,
    release_all: Recipient<ReleaseAll>,
}

impl Interest {
    pub fn new<A>(addr: &Addr<A>) -> Interest
    where
        A: Actor<Context = actix::Context<A>>
            + Handler<Subscribe>
            + Handler<Release>
            + Handler<ReleaseAll>,
    {
        Interest {
            subscribe: addr.clone().recipient(),
            release: addr.clone().recipient(),
            release_all: addr.clone().recipient(),
        }
    }

    /// Interest messages are rare and must not be dropped (a lost one is a silent
    /// "subscribed but no ticks"), so these queue past the mailbox bound rather than fail.
    pub fn subscribe(&self, msg: Subscribe) {
        self.subscribe.do_send(msg);
    }

    /// Subscribe and hear the answer (unknown and over-capacity symbols). Sent within
    /// the mailbox bound, which the registry keeps far above any burst, so it is queued
    /// in order with the `do_send`s around it.
    pub fn subscribe_answered(
        &self,
        msg: Subscribe,
    ) -> impl Future<Output = Result<SubscribeAnswer, MailboxError>> {
        self.subscribe.send(msg)
    }

    pub fn release(&self, msg: Release) {
        self.release.do_send(msg);
    }

    pub fn release_all(&self, msg: ReleaseAll) {
        self.release_all.do_send(msg);
    }
}

impl std::fmt::Debug for Interest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde::de::DeserializeOwned;

    fn round_trip<M: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(msg: M) {
        let text = serde_json::to_string(&msg).expect("serialises");
        let back: M = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, msg, "{text}");
    }

    #[test]
    fn every_backplane_message_survives_a_round_trip() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 4, 4, 0, 0)
            .single()
            .expect("valid");
        round_trip(TicksReceived {
            updates: vec![TickUpdate {
                symbol: "NIFTY".into(),
                mode: Some(Mode::Quote),
                ltp: Some(25_750.5),
                exchange_time: Some(at),
                ..TickUpdate::default()
            }],
            received_time: at,
        });
        round_trip(FeedStatusChanged {
            state: FeedState::LoginRequired,
            reason: Some("dhan disconnect 807: access token expired".into()),
            consecutive_failures: 3,
            rest_refused: true,
            at,
        });
        round_trip(FallbackStatusChanged {
            active: true,
            reason: "polling REST quotes".into(),
            refused: Some("dhan REST 401: access token invalid".into()),
            at,
        });
        round_trip(Subscribe {
            subscriber: "client-7".into(),
            symbols: vec!["NIFTY".into(), "RELIANCE".into()],
            mode: Mode::Full,
        });
        round_trip(SubscribeAnswer {
            unknown: vec!["NOPE".into()],
            over_capacity: vec!["NIFTY26DEC26000CE".into()],
        });
        round_trip(Release {
            subscriber: "bot:orb".into(),
            symbols: vec!["NIFTY".into()],
        });
        round_trip(ReleaseAll {
            subscriber: "client-7".into(),
        });
    }
}
