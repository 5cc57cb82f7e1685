//! One Kite connection's subscriptions (token → mode) and the packets its requests
//! and the clock's ticks produce. Plain state; `ws.rs` frames and sends them.

use std::collections::BTreeMap;

use mandi_domain::Mode;
use mandi_protocol::kite::{KitePacket, KiteRequest};

use super::packets::packet;
use crate::counters::{BrokerTally, KiteSubscription};
use crate::limits::KITE_MAX_PER_CONNECTION;
use crate::market::{MarketSnapshot, Universe};

/// What a request produced: packets for one frame, and an error text message.
#[derive(Debug, Default, PartialEq)]
pub struct KiteReply {
    pub packets: Vec<KitePacket>,
    pub error: Option<String>,
}

#[derive(Debug)]
struct KiteSub {
    /// `None`: a token the simulator does not quote; it still takes a slot.
    idx: Option<usize>,
    mode: Mode,
    sent_version: u64,
}

#[derive(Debug, Default)]
pub struct KiteSubscriptions {
    entries: BTreeMap<u32, KiteSub>,
}

impl KiteSubscriptions {
    pub fn handle(
        &mut self,
        req: &KiteRequest,
        universe: &Universe,
        market: &MarketSnapshot,
        tally: &BrokerTally,
    ) -> KiteReply {
        match req {
            KiteRequest::Subscribe { tokens } => self.subscribe(tokens, universe, market, tally),
            KiteRequest::Unsubscribe { tokens } => {
                BrokerTally::bump(&tally.unsubscribe_messages, 1);
                for t in tokens {
                    self.entries.remove(t);
                }
                KiteReply::default()
            }
            KiteRequest::SetMode { mode, tokens } => {
                // A mode change re-sends the current state in the new mode at once.
                let mut changed = Vec::new();
                for t in tokens {
                    if let Some(sub) = self.entries.get_mut(t) {
                        sub.mode = *mode;
                        changed.push(*t);
                    }
                }
                KiteReply {
                    packets: self.snapshot_of(&changed, universe, market),
                    error: None,
                }
            }
        }
    }

    /// Packets for every subscribed token whose quote changed since last sent.
    pub fn on_tick(&mut self, universe: &Universe, market: &MarketSnapshot) -> Vec<KitePacket> {
        let mut out = Vec::new();
        for sub in self.entries.values_mut() {
            let Some(idx) = sub.idx else { continue };
            let (Some(i), Some(q)) = (universe.get(idx), market.quote(idx)) else {
                continue;
            };
            if q.version > sub.sent_version {
                out.push(packet(i, q, sub.mode, market.time));
                sub.sent_version = q.version;
            }
        }
        out
    }

    /// Whether the connection has subscribed anything (a recorded frame goes out whole;
    /// replay).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sorted `[token, mode]` of the tokens the simulator quotes.
    pub fn view(&self) -> Vec<KiteSubscription> {
        self.entries
            .iter()
            .filter(|(_, s)| s.idx.is_some())
            .map(|(t, s)| (*t, s.mode))
            .collect()
    }

    fn subscribe(
        &mut self,
        tokens: &[u32],
        universe: &Universe,
        market: &MarketSnapshot,
        tally: &BrokerTally,
    ) -> KiteReply {
        BrokerTally::bump(&tally.subscribe_messages, 1);
        let mut added = Vec::new();
        let mut refused = 0usize;
        for &t in tokens {
            if self.entries.contains_key(&t) {
                BrokerTally::bump(&tally.duplicate_subscribes, 1);
                continue;
            }
            if self.entries.len() >= KITE_MAX_PER_CONNECTION {
                refused += 1;
                continue;
            }
            let idx = universe.by_kite_token(t);
            if idx.is_none() {
                BrokerTally::bump(&tally.unknown_instruments, 1);
            }
            // New tokens stream in quote mode until a mode message says otherwise.
            self.entries.insert(
                t,
                KiteSub {
                    idx,
                    mode: Mode::Quote,
                    sent_version: 0,
                },
            );
            added.push(t);
        }
        tally.connection_holds(self.entries.len());
        let error = (refused > 0).then(|| {
            BrokerTally::bump(&tally.limit_violations, 1);
            format!(
                "{refused} tokens not subscribed: at most {KITE_MAX_PER_CONNECTION} per connection"
            )
        });
        KiteReply {
            packets: self.snapshot_of(&added, universe, market),
            error,
        }
    }

    /// Current state of `tokens` in their modes (Kite sends a snapshot on subscribe).
    fn snapshot_of(
        &mut self,
        tokens: &[u32],
        universe: &Universe,
        market: &MarketSnapshot,
    ) -> Vec<KitePacket> {
        let mut out = Vec::new();
        for t in tokens {
            let Some(sub) = self.entries.get_mut(t) else {
                continue;
            };
            let Some(idx) = sub.idx else { continue };
            let (Some(i), Some(q)) = (universe.get(idx), market.quote(idx)) else {
                continue;
            };
            out.push(packet(i, q, sub.mode, market.time));
            sub.sent_version = sub.sent_version.max(q.version);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::market::test_market;

    #[test]
    fn subscribe_defaults_to_quote_and_mode_resends() {
        let (u, m) = test_market();
        let tally = BrokerTally::default();
        let mut s = KiteSubscriptions::default();
        let sub = KiteRequest::Subscribe {
            tokens: vec![256_265, 738_561, 42],
        };
        let reply = s.handle(&sub, &u, &m, &tally);
        assert_eq!(reply.packets.len(), 2, "unknown token 42 sends nothing");
        assert_eq!(
            s.view(),
            vec![(256_265, Mode::Quote), (738_561, Mode::Quote)]
        );
        let full = KiteRequest::SetMode {
            mode: Mode::Full,
            tokens: vec![738_561],
        };
        let reply = s.handle(&full, &u, &m, &tally);
        assert!(matches!(reply.packets.as_slice(), [KitePacket::Quote(q)] if q.extra.is_some()));
        assert!(s.on_tick(&u, &m).is_empty(), "no change since the snapshot");
        assert_eq!(tally.unknown_instruments.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn tokens_past_the_connection_limit_are_refused() {
        let (u, m) = test_market();
        let tally = BrokerTally::default();
        let mut s = KiteSubscriptions::default();
        let tokens: Vec<u32> = (1..=KITE_MAX_PER_CONNECTION as u32 + 2).collect();
        let reply = s.handle(&KiteRequest::Subscribe { tokens }, &u, &m, &tally);
        assert!(reply.error.is_some());
        assert_eq!(s.entries.len(), KITE_MAX_PER_CONNECTION);
        assert_eq!(tally.limit_violations.load(Ordering::Relaxed), 1);
        assert_eq!(
            tally
                .max_subscriptions_per_connection
                .load(Ordering::Relaxed),
            KITE_MAX_PER_CONNECTION as u64
        );
    }
}
