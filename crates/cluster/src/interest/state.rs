//! The union of the edges' interest, as the leader's registry must hold it: one
//! subscriber per edge (`edge:<node>`), and the registry messages that turn the last
//! known set of an edge into the new one. Pure: time is an argument.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::Mode;
use mandi_feed::backplane::{Release, ReleaseAll, Subscribe, SubscriberId};
use serde::{Deserialize, Serialize};

/// An edge's key in the interest bucket: every instrument its clients hold, at the
/// highest mode any of them asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EdgeInterest {
    pub symbols: Vec<(Arc<str>, Mode)>,
}

/// A registry message the leader sends for the edges.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Subscribe(Subscribe),
    Release(Release),
    ReleaseAll(ReleaseAll),
}

/// The registry's subscriber for one edge.
pub fn subscriber(edge: &str) -> SubscriberId {
    Arc::from(format!("edge:{edge}"))
}

struct Held {
    symbols: BTreeMap<Arc<str>, Mode>,
    renewed_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct InterestTable {
    edges: BTreeMap<String, Held>,
}

impl InterestTable {
    /// An edge wrote its key (a change or a renewal) at `at`.
    pub fn put(&mut self, edge: &str, interest: EdgeInterest, at: DateTime<Utc>) -> Vec<Action> {
        let new: BTreeMap<Arc<str>, Mode> = interest.symbols.into_iter().collect();
        let old = self
            .edges
            .get(edge)
            .map(|h| &h.symbols)
            .cloned()
            .unwrap_or_default();
        let who = subscriber(edge);
        let mut actions = Vec::new();
        let gone: Vec<Arc<str>> = old
            .keys()
            .filter(|s| !new.contains_key(*s))
            .cloned()
            .collect();
        if !gone.is_empty() {
            actions.push(Action::Release(Release {
                subscriber: who.clone(),
                symbols: gone,
            }));
        }
        for mode in Mode::ALL {
            let symbols: Vec<Arc<str>> = new
                .iter()
                .filter(|(s, m)| **m == mode && old.get(*s) != Some(m))
                .map(|(s, _)| s.clone())
                .collect();
            if !symbols.is_empty() {
                actions.push(Action::Subscribe(Subscribe {
                    subscriber: who.clone(),
                    symbols,
                    mode,
                }));
            }
        }
        self.edges.insert(
            edge.to_string(),
            Held {
                symbols: new,
                renewed_at: at,
            },
        );
        actions
    }

    /// An edge's key was deleted (a clean stop) or expired.
    pub fn remove(&mut self, edge: &str) -> Vec<Action> {
        match self.edges.remove(edge) {
            Some(_) => vec![Action::ReleaseAll(ReleaseAll {
                subscriber: subscriber(edge),
            })],
            None => Vec::new(),
        }
    }

    /// Edges that have not renewed within `ttl` of `now`: gone, their interest released.
    pub fn expire(&mut self, now: DateTime<Utc>, ttl: chrono::Duration) -> Vec<(String, Action)> {
        let dead: Vec<String> = self
            .edges
            .iter()
            .filter(|(_, h)| now - h.renewed_at > ttl)
            .map(|(e, _)| e.clone())
            .collect();
        dead.into_iter()
            .flat_map(|e| self.remove(&e).into_iter().map(move |a| (e.clone(), a)))
            .collect()
    }

    pub fn edges(&self) -> Vec<String> {
        self.edges.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_780_000_000 + s, 0)
            .single()
            .expect("valid")
    }

    fn interest(items: &[(&str, Mode)]) -> EdgeInterest {
        EdgeInterest {
            symbols: items.iter().map(|(s, m)| (Arc::from(*s), *m)).collect(),
        }
    }

    fn sub(edge: &str, symbols: &[&str], mode: Mode) -> Action {
        Action::Subscribe(Subscribe {
            subscriber: subscriber(edge),
            symbols: symbols.iter().map(|s| Arc::from(*s)).collect(),
            mode,
        })
    }

    fn rel(edge: &str, symbols: &[&str]) -> Action {
        Action::Release(Release {
            subscriber: subscriber(edge),
            symbols: symbols.iter().map(|s| Arc::from(*s)).collect(),
        })
    }

    /// A case: its name, the keys written in order, the messages the last write brings.
    type Case = (&'static str, Vec<(&'static str, EdgeInterest)>, Vec<Action>);

    #[test]
    fn puts_become_the_registry_messages_of_the_difference() {
        use Mode::*;
        let cases: Vec<Case> = vec![
            (
                "first key subscribes everything, by mode",
                vec![("e1", interest(&[("NIFTY", Ltp), ("TCS", Full)]))],
                vec![sub("e1", &["NIFTY"], Ltp), sub("e1", &["TCS"], Full)],
            ),
            (
                "a renewal with the same set sends nothing",
                vec![
                    ("e1", interest(&[("NIFTY", Ltp)])),
                    ("e1", interest(&[("NIFTY", Ltp)])),
                ],
                vec![],
            ),
            (
                "dropped symbols are released, new and upgraded ones subscribed",
                vec![
                    ("e1", interest(&[("NIFTY", Ltp), ("TCS", Ltp)])),
                    ("e1", interest(&[("NIFTY", Quote), ("INFY", Ltp)])),
                ],
                vec![
                    rel("e1", &["TCS"]),
                    sub("e1", &["INFY"], Ltp),
                    sub("e1", &["NIFTY"], Quote),
                ],
            ),
            (
                "edges are separate subscribers",
                vec![
                    ("e1", interest(&[("NIFTY", Ltp)])),
                    ("e2", interest(&[("NIFTY", Ltp)])),
                ],
                vec![sub("e2", &["NIFTY"], Ltp)],
            ),
        ];
        for (case, puts, want) in cases {
            let mut table = InterestTable::default();
            let mut last = Vec::new();
            for (edge, i) in puts {
                last = table.put(edge, i, at(0));
            }
            assert_eq!(last, want, "{case}");
        }
    }

    #[test]
    fn an_edge_that_stops_renewing_is_released() {
        let mut table = InterestTable::default();
        table.put("e1", interest(&[("NIFTY", Mode::Ltp)]), at(0));
        table.put("e2", interest(&[("NIFTY", Mode::Ltp)]), at(10));
        let ttl = chrono::Duration::seconds(15);
        assert_eq!(table.expire(at(15), ttl), vec![], "e1 still within its TTL");
        let gone = table.expire(at(16), ttl);
        assert_eq!(
            gone,
            vec![(
                "e1".to_string(),
                Action::ReleaseAll(ReleaseAll {
                    subscriber: subscriber("e1")
                })
            )],
            "e1 expired, e2 kept"
        );
        assert_eq!(table.edges(), vec!["e2".to_string()]);
        assert_eq!(table.remove("e1"), vec![], "removing twice releases once");
    }
}
