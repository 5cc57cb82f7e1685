//! One Dhan connection's subscriptions and what its requests and the clock's ticks
//! make it send. Plain state, no actix: the WebSocket actor in `ws.rs` drives it.

use std::collections::{BTreeMap, HashMap, HashSet};

use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{request_code, DhanDisconnectReason, DhanPacket, DhanRequest};

use super::packets;
use crate::counters::{BrokerTally, DhanSubscription};
use crate::limits::{DHAN_MAX_PER_CONNECTION, DHAN_MAX_PER_MESSAGE};
use crate::market::{MarketSnapshot, Universe};

/// What the connection must do after a request.
#[derive(Debug, PartialEq)]
pub enum DhanAction {
    /// Send these packets, one per WebSocket message (possibly none).
    Send(Vec<DhanPacket>),
    /// Send a code-50 packet with this reason, then close.
    Disconnect { reason: DhanDisconnectReason },
    /// The client asked to disconnect (`RequestCode` 12): close normally.
    Close,
}

/// Subscriptions are per mode: Ticker and Quote of one instrument are separate
/// entries, and unsubscribing one leaves the other (protocols.md A2).
#[derive(Debug, Default)]
pub struct DhanSubscriptions {
    /// `None`: an id the simulator does not quote; it still takes a slot.
    entries: BTreeMap<(Segment, u32, Mode), Option<usize>>,
    /// Quote version last sent, per instrument index.
    sent: HashMap<usize, u64>,
}

impl DhanSubscriptions {
    pub fn handle(
        &mut self,
        req: &DhanRequest,
        universe: &Universe,
        market: &MarketSnapshot,
        tally: &BrokerTally,
    ) -> DhanAction {
        if req.request_code == request_code::DISCONNECT {
            return DhanAction::Close;
        }
        let Some((mode, subscribe)) = req.mode_action() else {
            return DhanAction::Send(Vec::new());
        };
        if req.instruments.len() > DHAN_MAX_PER_MESSAGE {
            BrokerTally::bump(&tally.limit_violations, 1);
            return DhanAction::Disconnect {
                reason: DhanDisconnectReason::InstrumentLimit,
            };
        }
        if !subscribe {
            BrokerTally::bump(&tally.unsubscribe_messages, 1);
            for &(seg, id) in &req.instruments {
                self.entries.remove(&(seg, id, mode));
            }
            self.forget_unsubscribed();
            return DhanAction::Send(Vec::new());
        }
        BrokerTally::bump(&tally.subscribe_messages, 1);
        let mut fresh: Vec<(Segment, u32)> = req
            .instruments
            .iter()
            .copied()
            .filter(|&(seg, id)| !self.entries.contains_key(&(seg, id, mode)))
            .collect();
        fresh.sort();
        fresh.dedup();
        if self.entries.len() + fresh.len() > DHAN_MAX_PER_CONNECTION {
            BrokerTally::bump(&tally.limit_violations, 1);
            return DhanAction::Disconnect {
                reason: DhanDisconnectReason::InstrumentLimit,
            };
        }
        let duplicates = req.instruments.len() - fresh.len();
        BrokerTally::bump(&tally.duplicate_subscribes, duplicates as u64);
        let mut added = Vec::new();
        for &(seg, id) in &req.instruments {
            let key = (seg, id, mode);
            if self.entries.contains_key(&key) {
                continue;
            }
            let idx = universe.by_dhan(seg, id);
            self.entries.insert(key, idx);
            match idx {
                Some(idx) => added.push(idx),
                None => BrokerTally::bump(&tally.unknown_instruments, 1),
            }
        }
        tally.connection_holds(self.entries.len());
        DhanAction::Send(self.initial_packets(&added, mode, universe, market))
    }

    /// Packets for every subscribed instrument whose quote changed since last sent.
    pub fn on_tick(&mut self, universe: &Universe, market: &MarketSnapshot) -> Vec<DhanPacket> {
        let mut out = Vec::new();
        for (&(_, _, mode), &idx) in &self.entries {
            let Some(idx) = idx else { continue };
            let (Some(i), Some(q)) = (universe.get(idx), market.quote(idx)) else {
                continue;
            };
            if self.sent.get(&idx).is_some_and(|&v| q.version > v) {
                out.extend(packets::for_mode(i, q, mode));
            }
        }
        for (idx, v) in &mut self.sent {
            if let Some(q) = market.quote(*idx) {
                *v = (*v).max(q.version);
            }
        }
        out
    }

    /// Whether the connection holds the instrument in any mode (a recorded packet for it
    /// goes out; replay).
    pub fn carries(&self, segment: Segment, id: u32) -> bool {
        [Mode::Ltp, Mode::Quote, Mode::Full]
            .iter()
            .any(|&m| self.entries.contains_key(&(segment, id, m)))
    }

    /// Sorted `[segment, id, mode]` of the instruments the simulator quotes.
    pub fn view(&self) -> Vec<DhanSubscription> {
        let mut v: Vec<DhanSubscription> = self
            .entries
            .iter()
            .filter(|(_, idx)| idx.is_some())
            .map(|(&(seg, id, mode), _)| (seg.as_str().to_string(), id, mode))
            .collect();
        v.sort();
        v
    }

    /// Prev close for each new instrument first, then its current state in `mode`, so a
    /// new subscriber has data before the next tick.
    fn initial_packets(
        &mut self,
        added: &[usize],
        mode: Mode,
        universe: &Universe,
        market: &MarketSnapshot,
    ) -> Vec<DhanPacket> {
        let rows: Vec<_> = added
            .iter()
            .filter_map(|&idx| Some((idx, universe.get(idx)?, market.quote(idx)?)))
            .collect();
        let mut out: Vec<DhanPacket> = rows
            .iter()
            .map(|(_, i, q)| packets::prev_close(i, q))
            .collect();
        for (idx, i, q) in rows {
            out.extend(packets::for_mode(i, q, mode));
            let v = self.sent.entry(idx).or_insert(q.version);
            *v = (*v).max(q.version);
        }
        out
    }

    fn forget_unsubscribed(&mut self) {
        let live: HashSet<usize> = self.entries.values().filter_map(|i| *i).collect();
        self.sent.retain(|idx, _| live.contains(idx));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::test_market;

    fn codes(action: &DhanAction) -> Vec<u8> {
        let DhanAction::Send(packets) = action else {
            return vec![];
        };
        packets.iter().map(DhanPacket::code).collect()
    }

    fn req(code: u8, instruments: &[(Segment, u32)]) -> DhanRequest {
        DhanRequest {
            request_code: code,
            instruments: instruments.to_vec(),
        }
    }

    struct TestCase {
        name: &'static str,
        code: u8,
        want: Vec<u8>,
    }

    #[test]
    fn subscribe_sends_prev_close_then_mode_packets() {
        let (u, m) = test_market();
        let both = [(Segment::IdxI, 13), (Segment::NseEq, 2885)];
        let cases = [
            TestCase {
                name: "ticker",
                code: 15,
                want: vec![6, 6, 2, 2],
            },
            TestCase {
                name: "quote",
                code: 17,
                want: vec![6, 6, 4, 5, 4, 5],
            },
            TestCase {
                name: "full",
                code: 21,
                want: vec![6, 6, 8, 8],
            },
        ];
        for c in cases {
            let mut s = DhanSubscriptions::default();
            let got = s.handle(&req(c.code, &both), &u, &m, &BrokerTally::default());
            assert_eq!(codes(&got), c.want, "{}", c.name);
        }
    }

    #[test]
    fn duplicates_and_unknown_ids_are_counted_not_sent() {
        let (u, m) = test_market();
        let tally = BrokerTally::default();
        let mut s = DhanSubscriptions::default();
        let list = [(Segment::NseEq, 2885), (Segment::NseEq, 999_999)];
        s.handle(&req(15, &list), &u, &m, &tally);
        let again = s.handle(&req(15, &list), &u, &m, &tally);
        assert_eq!(codes(&again), Vec::<u8>::new());
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(get(&tally.duplicate_subscribes), 2);
        assert_eq!(get(&tally.unknown_instruments), 1);
        assert_eq!(get(&tally.subscribe_messages), 2);
        assert_eq!(s.view(), vec![("NSE_EQ".to_string(), 2885, Mode::Ltp)]);
    }

    #[test]
    fn over_one_hundred_per_message_disconnects_with_804() {
        let (u, m) = test_market();
        let tally = BrokerTally::default();
        let list: Vec<(Segment, u32)> = (0..101).map(|i| (Segment::NseEq, 10_000 + i)).collect();
        let got = DhanSubscriptions::default().handle(&req(17, &list), &u, &m, &tally);
        assert_eq!(
            got,
            DhanAction::Disconnect {
                reason: DhanDisconnectReason::InstrumentLimit
            }
        );
        assert_eq!(
            tally
                .limit_violations
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    #[test]
    fn five_thousand_per_connection_then_804() {
        let (u, m) = test_market();
        let tally = BrokerTally::default();
        let mut s = DhanSubscriptions::default();
        for batch in 0..50u32 {
            let list: Vec<(Segment, u32)> = (0..100)
                .map(|i| (Segment::NseFno, batch * 100 + i))
                .collect();
            assert_eq!(
                s.handle(&req(15, &list), &u, &m, &tally),
                DhanAction::Send(vec![]),
                "batch {batch}"
            );
        }
        let got = s.handle(&req(15, &[(Segment::NseEq, 2885)]), &u, &m, &tally);
        assert_eq!(
            got,
            DhanAction::Disconnect {
                reason: DhanDisconnectReason::InstrumentLimit
            }
        );
        // Re-subscribing what is already held is a duplicate, not a new slot.
        let again = s.handle(&req(15, &[(Segment::NseFno, 0)]), &u, &m, &tally);
        assert_eq!(again, DhanAction::Send(vec![]));
        assert_eq!(
            tally
                .max_subscriptions_per_connection
                .load(std::sync::atomic::Ordering::Relaxed),
            5000,
            "the refused subscribe never counted"
        );
    }

    #[test]
    fn unsubscribe_is_per_mode_and_ticks_follow_versions() {
        let (u, mut m) = test_market();
        let tally = BrokerTally::default();
        let mut s = DhanSubscriptions::default();
        let nifty = [(Segment::IdxI, 13)];
        s.handle(&req(15, &nifty), &u, &m, &tally);
        s.handle(&req(21, &nifty), &u, &m, &tally);
        assert!(s.on_tick(&u, &m).is_empty(), "nothing changed yet");
        m.quotes[0].version += 1;
        assert_eq!(s.on_tick(&u, &m).len(), 2, "ticker and full");
        s.handle(&req(16, &nifty), &u, &m, &tally);
        m.quotes[0].version += 1;
        let after = s.on_tick(&u, &m);
        assert!(
            matches!(after.as_slice(), [DhanPacket::Full(_)]),
            "{after:?}"
        );
        assert_eq!(s.handle(&req(12, &[]), &u, &m, &tally), DhanAction::Close);
    }
}
