//! What one connection should carry against what its socket has been told, and the
//! messages that close the gap: unsubscribes first, batched to the broker's message size,
//! never past the per-connection limit, and paced. Plain data; time is an argument.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mandi_domain::{Instrument, Mode};

use super::messages::UpstreamChange;
use super::pacing::MessagePacer;
use crate::instrument_directory::same_contract;
use crate::settings::Broker;
use crate::upstream::{change_messages, SubscribeLimits};

/// What to write now, and when to look again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outgoing {
    pub texts: Vec<String>,
    /// Messages are still owed and the pace holds them back: look again after this.
    pub retry_in: Option<Duration>,
    /// Instruments wanted beyond the per-connection limit, left off the socket (the
    /// registry never asks for that many; this only keeps a bug from reaching the broker).
    pub over_limit: usize,
}

/// The wanted set and the socket's set. Both are keyed by symbol and ordered, so the
/// messages go out in a stable order.
#[derive(Debug)]
pub struct SocketSet {
    broker: Broker,
    per_connection: usize,
    per_message: usize,
    /// What the upstream should carry. Kept while disconnected so health is right; the
    /// registry's replay after each connect is the authority.
    wanted: BTreeMap<Arc<str>, (Instrument, Mode)>,
    /// What the open socket has been told to carry. Cleared on every connect, so the
    /// first replay sends everything; later ones send only the difference and the
    /// broker never sees a duplicate subscribe.
    sent: BTreeMap<Arc<str>, (Instrument, Mode)>,
    pacer: MessagePacer,
    /// The open socket has not had its first replay yet (that one is not paced).
    fresh: bool,
}

impl SocketSet {
    /// `messages_per_s` paces subscribe, unsubscribe and mode messages (see [`MessagePacer`]).
    pub fn new(broker: Broker, limits: SubscribeLimits, messages_per_s: u32) -> SocketSet {
        SocketSet {
            broker,
            per_connection: limits.per_connection,
            per_message: limits.per_message,
            wanted: BTreeMap::new(),
            sent: BTreeMap::new(),
            pacer: MessagePacer::new(messages_per_s),
            fresh: false,
        }
    }

    /// A new socket carries nothing.
    pub fn connected(&mut self) {
        self.sent.clear();
        self.fresh = true;
    }

    /// The registry's whole set for this connection: it replaces ours.
    pub fn replace(&mut self, active: &[(Instrument, Mode)]) {
        self.wanted = active
            .iter()
            .map(|(i, m)| (i.symbol.clone(), (i.clone(), *m)))
            .collect();
    }

    pub fn apply(&mut self, changes: &[UpstreamChange]) {
        for c in changes {
            match c.to {
                Some(mode) => {
                    self.wanted
                        .insert(c.instrument.symbol.clone(), (c.instrument.clone(), mode));
                }
                None => {
                    self.wanted.remove(&c.instrument.symbol);
                }
            }
        }
    }

    /// Whether this is the socket's first replay since it opened; asking ends that.
    pub fn take_fresh(&mut self) -> bool {
        std::mem::take(&mut self.fresh)
    }

    pub fn wanted_len(&self) -> usize {
        self.wanted.len()
    }

    /// Instruments the socket has been told to carry.
    pub fn sent_len(&self) -> usize {
        self.sent.len()
    }

    pub fn wanted_mode(&self, symbol: &str) -> Option<Mode> {
        self.wanted.get(symbol).map(|(_, m)| *m)
    }

    pub fn wanted_symbols(&self) -> impl Iterator<Item = &Arc<str>> {
        self.wanted.keys()
    }

    /// The messages that move the socket toward the wanted set: all of them when
    /// `unpaced` (a fresh socket's replay, at most a connection's worth), else as many as
    /// the pace allows now, in order. What the socket carries is updated for exactly the
    /// messages returned, so whatever is held back is worked out afresh next time:
    /// a subscribe undone meanwhile is never sent.
    pub fn outgoing(&mut self, now: Instant, unpaced: bool) -> Outgoing {
        let (changes, over_limit) = self.diff();
        let messages = change_messages(self.broker, &changes, self.per_message);
        if unpaced {
            self.pacer.spend(messages.len(), now);
        }
        let mut out = Outgoing {
            over_limit,
            ..Outgoing::default()
        };
        for message in messages {
            if !unpaced && !self.pacer.try_take(now) {
                out.retry_in = Some(self.pacer.wait(now));
                break;
            }
            for (instrument, mode) in message.carries {
                match mode {
                    Some(mode) => {
                        self.sent
                            .insert(instrument.symbol.clone(), (instrument, mode));
                    }
                    None => {
                        self.sent.remove(&instrument.symbol);
                    }
                }
            }
            out.texts.push(message.text);
        }
        out
    }

    /// Changes from the socket's set to the wanted one. New instruments only fill the
    /// room the per-connection limit leaves once the removals are done.
    fn diff(&self) -> (Vec<UpstreamChange>, usize) {
        let mut changes = Vec::new();
        let mut removed = 0;
        for (symbol, (instrument, mode)) in &self.sent {
            // A symbol now wanted under other ids (a rolled continuous future) is the old
            // contract dropped and the new one added.
            let want = self
                .wanted
                .get(symbol)
                .filter(|(w, _)| same_contract(w, instrument))
                .map(|(_, m)| *m);
            if want != Some(*mode) {
                removed += usize::from(want.is_none());
                changes.push(UpstreamChange {
                    instrument: instrument.clone(),
                    from: Some(*mode),
                    to: want,
                });
            }
        }
        let mut room = self
            .per_connection
            .saturating_sub(self.sent.len() - removed);
        let mut over_limit = 0;
        for (symbol, (instrument, mode)) in &self.wanted {
            if self
                .sent
                .get(symbol)
                .is_some_and(|(sent, _)| same_contract(sent, instrument))
            {
                continue;
            }
            if room == 0 {
                over_limit += 1;
                continue;
            }
            room -= 1;
            changes.push(UpstreamChange {
                instrument: instrument.clone(),
                from: None,
                to: Some(*mode),
            });
        }
        (changes, over_limit)
    }
}

#[cfg(test)]
mod tests {
    use mandi_domain::{Exchange, Segment};
    use mandi_protocol::{dhan, kite};

    use super::*;
    use crate::upstream::subscribe_limits;

    fn inst(n: u32) -> Instrument {
        let symbol = format!("S{n:05}");
        Instrument {
            symbol: symbol.as_str().into(),
            exchange: Exchange::Nse,
            segment: Segment::NseFno,
            security_id: n,
            kite_token: n << 8 | 2,
            kite_key: format!("NFO:{symbol}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn add(n: u32, mode: Mode) -> UpstreamChange {
        UpstreamChange {
            instrument: inst(n),
            from: None,
            to: Some(mode),
        }
    }

    fn drop(n: u32) -> UpstreamChange {
        UpstreamChange {
            instrument: inst(n),
            from: Some(Mode::Ltp),
            to: None,
        }
    }

    fn dhan(per_connection: usize, per_s: u32) -> SocketSet {
        let limits = SubscribeLimits {
            per_connection,
            ..subscribe_limits(Broker::Dhan)
        };
        SocketSet::new(Broker::Dhan, limits, per_s)
    }

    /// (request code, instruments) of each Dhan text.
    fn dhan_requests(texts: &[String]) -> Vec<(u8, usize)> {
        texts
            .iter()
            .filter_map(|t| dhan::parse_request(t).ok())
            .map(|r| (r.request_code, r.instruments.len()))
            .collect()
    }

    #[test]
    fn a_fresh_socket_gets_its_whole_set_at_once_in_batches_of_a_hundred() {
        let t0 = Instant::now();
        let mut set = dhan(5000, 3);
        let active: Vec<(Instrument, Mode)> = (1..=250).map(|n| (inst(n), Mode::Ltp)).collect();
        set.replace(&active);
        set.connected();
        assert!(
            set.take_fresh() && !set.take_fresh(),
            "only the first replay"
        );
        let out = set.outgoing(t0, true);
        assert_eq!(
            dhan_requests(&out.texts),
            vec![(15, 100), (15, 100), (15, 50)]
        );
        assert_eq!((out.retry_in, set.sent_len()), (None, 250));
        assert_eq!(set.outgoing(t0, false), Outgoing::default(), "nothing owed");
        // The three messages spent the bucket: the next change waits for a token.
        set.apply(&[add(251, Mode::Ltp)]);
        let out = set.outgoing(t0, false);
        assert!(out.texts.is_empty());
        assert!(out.retry_in.is_some_and(|d| d > Duration::from_millis(300)));
        let out = set.outgoing(t0 + Duration::from_millis(334), false);
        assert_eq!(dhan_requests(&out.texts), vec![(15, 1)]);
    }

    #[test]
    fn a_subscribe_undone_before_it_was_sent_is_never_sent() {
        let t0 = Instant::now();
        let mut set = dhan(5000, 1);
        set.connected();
        set.take_fresh();
        set.apply(&[add(1, Mode::Ltp)]);
        assert_eq!(dhan_requests(&set.outgoing(t0, false).texts), vec![(15, 1)]);
        // Paced out: these wait, and cancel out while they wait.
        set.apply(&[add(2, Mode::Ltp), drop(1)]);
        assert!(set.outgoing(t0, false).texts.is_empty());
        set.apply(&[drop(2), add(1, Mode::Ltp)]);
        let later = set.outgoing(t0 + Duration::from_secs(5), false);
        assert_eq!(later, Outgoing::default(), "back where the socket is");
    }

    #[test]
    fn unsubscribes_go_first_and_the_socket_never_passes_its_limit() {
        let t0 = Instant::now();
        let mut set = dhan(150, 100);
        let full: Vec<(Instrument, Mode)> = (1..=150).map(|n| (inst(n), Mode::Ltp)).collect();
        set.replace(&full);
        set.connected();
        set.outgoing(t0, true);
        // Swap 120 of them for others, and move one to full mode.
        let mut changes: Vec<UpstreamChange> = (1..=120).map(drop).collect();
        changes.extend((1001..=1120).map(|n| add(n, Mode::Ltp)));
        changes.push(UpstreamChange {
            instrument: inst(150),
            from: Some(Mode::Ltp),
            to: Some(Mode::Full),
        });
        set.apply(&changes);
        let out = set.outgoing(t0 + Duration::from_secs(1), false);
        assert_eq!(
            dhan_requests(&out.texts),
            vec![(16, 100), (16, 21), (15, 100), (15, 20), (21, 1)],
            "unsubscribes (with the old mode of the moved one) before any subscribe"
        );
        let mut carried = 150i64;
        for (code, n) in dhan_requests(&out.texts) {
            carried += if code % 2 == 0 { -(n as i64) } else { n as i64 };
            assert!(carried <= 150, "{carried} on the socket after code {code}");
        }
        // Asked for more than fits: the excess stays off the socket.
        set.apply(&[add(5000, Mode::Ltp)]);
        let out = set.outgoing(t0 + Duration::from_secs(2), false);
        assert_eq!((out.texts.len(), out.over_limit), (0, 1));
        assert_eq!(set.sent_len(), 150);
    }

    #[test]
    fn kite_new_tokens_stream_in_quote_until_the_mode_message_is_sent() {
        let t0 = Instant::now();
        let mut set = SocketSet::new(Broker::Kite, subscribe_limits(Broker::Kite), 1);
        set.connected();
        set.take_fresh();
        set.apply(&[add(1, Mode::Full)]);
        let first = set.outgoing(t0, false);
        assert_eq!(
            kite::KiteRequest::parse(&first.texts[0]),
            Ok(kite::KiteRequest::Subscribe {
                tokens: vec![1 << 8 | 2]
            })
        );
        assert_eq!(first.texts.len(), 1, "the mode message waits for the pace");
        let next = set.outgoing(t0 + Duration::from_secs(1), false);
        assert_eq!(
            kite::KiteRequest::parse(&next.texts[0]),
            Ok(kite::KiteRequest::SetMode {
                mode: Mode::Full,
                tokens: vec![1 << 8 | 2]
            })
        );
        assert_eq!(
            set.outgoing(t0 + Duration::from_secs(2), false),
            Outgoing::default()
        );
    }

    #[test]
    fn a_symbol_moved_to_another_contract_drops_the_old_and_adds_the_new() {
        let t0 = Instant::now();
        let mut set = dhan(5000, 100);
        set.connected();
        set.take_fresh();
        set.apply(&[add(1, Mode::Quote)]);
        let first = set.outgoing(t0, false);
        assert_eq!(dhan_requests(&first.texts), vec![(17, 1)]);
        // The same symbol, now under security id 7 (a rolled continuous future).
        let rolled = Instrument {
            security_id: 7,
            kite_token: 7 << 8 | 2,
            ..inst(1)
        };
        set.apply(&[UpstreamChange {
            instrument: rolled,
            from: Some(Mode::Quote),
            to: Some(Mode::Quote),
        }]);
        let out = set.outgoing(t0, false);
        let sent: Vec<(u8, Vec<u32>)> = out
            .texts
            .iter()
            .filter_map(|t| dhan::parse_request(t).ok())
            .map(|r| (r.request_code, r.instruments.iter().map(|i| i.1).collect()))
            .collect();
        assert_eq!(
            sent,
            vec![(18, vec![1]), (17, vec![7])],
            "old contract unsubscribed first, then the new one"
        );
        assert_eq!(set.sent_len(), 1);
        assert_eq!(
            set.outgoing(t0, false),
            Outgoing::default(),
            "the socket carries the new contract"
        );
    }
}
