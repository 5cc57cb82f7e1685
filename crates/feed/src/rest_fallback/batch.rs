//! The polled set and how it is cut into requests: round-robin over the subscribed
//! instruments, each request as large as the broker's endpoint allows (Dhan 1000 over
//! all segments; Kite 500 per full quote, 1000 per LTP quote: `upstream` says which).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use mandi_domain::{Instrument, Mode};

use crate::feed_connection::messages::UpstreamChange;
use crate::settings::Broker;
use crate::upstream::{self, QuoteBatch};

/// The instruments to poll: the registry's upstream set, minus any the broker has no
/// identifier for.
#[derive(Debug)]
pub struct PollSet {
    broker: Broker,
    /// Keyed by symbol so the round-robin order stays put while instruments come and go.
    entries: BTreeMap<Arc<str>, (Arc<Instrument>, Mode)>,
    /// The last symbol polled; the next batch starts after it.
    cursor: Option<Arc<str>>,
}

impl PollSet {
    pub fn new(broker: Broker) -> PollSet {
        PollSet {
            broker,
            entries: BTreeMap::new(),
            cursor: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The registry's whole set replaces ours.
    pub fn replace(&mut self, active: &[(Instrument, Mode)]) {
        self.entries.clear();
        for (instrument, mode) in active {
            self.insert(instrument, *mode);
        }
    }

    pub fn apply(&mut self, changes: &[UpstreamChange]) {
        for change in changes {
            match change.to {
                Some(mode) => self.insert(&change.instrument, mode),
                None => {
                    self.entries.remove(&change.instrument.symbol);
                }
            }
        }
    }

    /// The next request: up to the endpoint's limit, starting after the last one and
    /// wrapping round, so every instrument is asked for once per `ceil(n / limit)` requests.
    pub fn next_batch(&mut self) -> Option<QuoteBatch> {
        let set_ltp_only = self.entries.values().all(|(_, mode)| *mode == Mode::Ltp);
        let limit = upstream::quote_batch_limit(self.broker, set_ltp_only);
        let instruments = self.next_batch_of(limit)?;
        let batch_ltp_only = instruments.iter().all(|i| {
            self.entries
                .get(&i.symbol)
                .is_some_and(|(_, mode)| *mode == Mode::Ltp)
        });
        Some(QuoteBatch {
            endpoint: upstream::quote_endpoint(self.broker, set_ltp_only, batch_ltp_only),
            instruments,
        })
    }

    fn next_batch_of(&mut self, limit: usize) -> Option<Vec<Arc<Instrument>>> {
        let take = limit.min(self.entries.len());
        if take == 0 {
            return None;
        }
        let after = match &self.cursor {
            Some(c) => self
                .entries
                .range::<str, _>((Bound::Excluded(&**c), Bound::Unbounded)),
            None => self.entries.range::<str, _>(..),
        };
        // `take <= len`, so wrapping to the start never reaches what `after` yielded.
        let instruments: Vec<Arc<Instrument>> = after
            .chain(self.entries.iter())
            .take(take)
            .map(|(_, (instrument, _))| instrument.clone())
            .collect();
        self.cursor = instruments.last().map(|i| i.symbol.clone());
        Some(instruments)
    }

    fn insert(&mut self, instrument: &Instrument, mode: Mode) {
        if upstream::knows_instrument(self.broker, instrument) {
            let entry = (Arc::new(instrument.clone()), mode);
            self.entries.insert(instrument.symbol.clone(), entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use mandi_domain::{Exchange, Segment};

    use super::*;
    use crate::upstream::QuoteEndpoint;

    fn inst(n: u32) -> Instrument {
        Instrument {
            symbol: format!("S{n:05}").into(),
            exchange: Exchange::Nse,
            segment: if n.is_multiple_of(2) {
                Segment::NseEq
            } else {
                Segment::NseFno
            },
            security_id: n,
            kite_token: (n << 8) | 1,
            kite_key: format!("NSE:S{n:05}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn set(broker: Broker, n: u32, mode_of: impl Fn(u32) -> Mode) -> PollSet {
        let mut s = PollSet::new(broker);
        let active: Vec<(Instrument, Mode)> = (1..=n).map(|i| (inst(i), mode_of(i))).collect();
        s.replace(&active);
        s
    }

    #[test]
    fn batches_respect_each_endpoint_limit() {
        struct TestCase {
            name: &'static str,
            broker: Broker,
            instruments: u32,
            quote_every: u32,
            /// (endpoint, size) of each request until every instrument was asked once.
            want: &'static [(QuoteEndpoint, usize)],
        }
        let cases = [
            TestCase {
                name: "dhan: 1001 instruments need 2 requests",
                broker: Broker::Dhan,
                instruments: 1001,
                quote_every: 0,
                want: &[(QuoteEndpoint::Ltp, 1000), (QuoteEndpoint::Ltp, 1000)],
            },
            TestCase {
                name: "dhan: 1000 fit one",
                broker: Broker::Dhan,
                instruments: 1000,
                quote_every: 0,
                want: &[(QuoteEndpoint::Ltp, 1000)],
            },
            TestCase {
                name: "dhan: one quote-mode instrument makes the batch a full quote",
                broker: Broker::Dhan,
                instruments: 3,
                quote_every: 3,
                want: &[(QuoteEndpoint::Quote, 3)],
            },
            TestCase {
                name: "kite: 501 in quote mode need 2 requests",
                broker: Broker::Kite,
                instruments: 501,
                quote_every: 1,
                want: &[(QuoteEndpoint::Quote, 500), (QuoteEndpoint::Quote, 500)],
            },
            TestCase {
                name: "kite: 1000 in ltp mode fit one LTP request",
                broker: Broker::Kite,
                instruments: 1000,
                quote_every: 0,
                want: &[(QuoteEndpoint::Ltp, 1000)],
            },
            TestCase {
                name: "kite: 1001 in ltp mode need 2",
                broker: Broker::Kite,
                instruments: 1001,
                quote_every: 0,
                want: &[(QuoteEndpoint::Ltp, 1000), (QuoteEndpoint::Ltp, 1000)],
            },
            TestCase {
                name: "kite: one quote-mode instrument puts the whole set on /quote",
                broker: Broker::Kite,
                instruments: 600,
                quote_every: 600,
                want: &[(QuoteEndpoint::Quote, 500), (QuoteEndpoint::Quote, 500)],
            },
        ];
        for c in cases {
            let mode_of = |i: u32| match c.quote_every {
                0 => Mode::Ltp,
                q if i.is_multiple_of(q) => Mode::Quote,
                _ => Mode::Ltp,
            };
            let mut s = set(c.broker, c.instruments, mode_of);
            let mut seen = HashSet::new();
            for (i, &(endpoint, size)) in c.want.iter().enumerate() {
                let batch = s
                    .next_batch()
                    .unwrap_or_else(|| panic!("{}: no batch", c.name));
                assert_eq!(
                    (batch.endpoint, batch.instruments.len()),
                    (endpoint, size),
                    "{}: request {i}",
                    c.name
                );
                let distinct: HashSet<_> =
                    batch.instruments.iter().map(|i| i.symbol.clone()).collect();
                assert_eq!(distinct.len(), size, "{}: no repeats in a request", c.name);
                seen.extend(distinct);
            }
            assert_eq!(
                seen.len(),
                c.instruments as usize,
                "{}: all covered",
                c.name
            );
        }
    }

    #[test]
    fn round_robin_wraps_and_survives_changes() {
        let mut s = set(Broker::Dhan, 5, |_| Mode::Ltp);
        let next = |s: &mut PollSet| -> Vec<u32> {
            s.next_batch_of(2)
                .map(|b| b.iter().map(|i| i.security_id).collect())
                .unwrap_or_default()
        };
        assert_eq!(next(&mut s), vec![1, 2]);
        assert_eq!(next(&mut s), vec![3, 4]);
        assert_eq!(next(&mut s), vec![5, 1], "wraps round to fill the request");
        // The cursor's own instrument leaves: the order carries on after its place.
        s.apply(&[UpstreamChange {
            instrument: inst(1),
            from: Some(Mode::Ltp),
            to: None,
        }]);
        assert_eq!(next(&mut s), vec![2, 3]);
        s.apply(&[UpstreamChange {
            instrument: inst(9),
            from: None,
            to: Some(Mode::Full),
        }]);
        assert_eq!(next(&mut s), vec![4, 5]);
        assert_eq!(next(&mut s), vec![9, 2]);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn instruments_without_a_broker_id_are_not_polled() {
        let mut no_dhan = inst(7);
        no_dhan.security_id = 0;
        let mut no_kite = inst(8);
        no_kite.kite_key = "".into();
        let active = vec![
            (no_dhan, Mode::Ltp),
            (no_kite, Mode::Ltp),
            (inst(9), Mode::Ltp),
        ];
        for (broker, want) in [
            (Broker::Dhan, ["S00008", "S00009"]),
            (Broker::Kite, ["S00007", "S00009"]),
        ] {
            let mut s = PollSet::new(broker);
            s.replace(&active);
            let got: Vec<String> = s
                .next_batch()
                .map(|b| b.instruments.iter().map(|i| i.symbol.to_string()).collect())
                .unwrap_or_default();
            assert_eq!(got, want, "{broker:?}");
        }
        assert!(
            PollSet::new(Broker::Kite).next_batch().is_none(),
            "empty set"
        );
    }
}
