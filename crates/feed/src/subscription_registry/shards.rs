//! Which upstream connection carries each instrument: the first connection with room
//! takes a new instrument, so connection 0 fills to exactly the per-connection limit
//! before connection 1 is opened, and so on. Instruments never move between connections
//! (a move would be an unsubscribe and a subscribe, a gap in their ticks); a freed slot
//! is refilled by the next new instrument.

use std::collections::HashMap;
use std::sync::Arc;

/// Instrument → connection, and how full each connection is.
#[derive(Clone, Debug)]
pub struct ShardTable {
    per_connection: usize,
    by_symbol: HashMap<Arc<str>, usize>,
    counts: Vec<usize>,
}

impl ShardTable {
    /// `connections` connections of `per_connection` instruments each (at least one).
    pub fn new(per_connection: usize, connections: usize) -> ShardTable {
        ShardTable {
            per_connection,
            by_symbol: HashMap::new(),
            counts: vec![0; connections.max(1)],
        }
    }

    /// The connection carrying `symbol`, placing it on the first one with room if it has
    /// none yet; `None` when every connection is full.
    pub fn place(&mut self, symbol: &Arc<str>) -> Option<usize> {
        if let Some(shard) = self.by_symbol.get(symbol) {
            return Some(*shard);
        }
        let shard = self.counts.iter().position(|n| *n < self.per_connection)?;
        self.counts[shard] += 1;
        self.by_symbol.insert(symbol.clone(), shard);
        Some(shard)
    }

    /// Free `symbol`'s slot; the connection it was on.
    pub fn remove(&mut self, symbol: &str) -> Option<usize> {
        let shard = self.by_symbol.remove(symbol)?;
        self.counts[shard] -= 1;
        Some(shard)
    }

    pub fn shard_of(&self, symbol: &str) -> Option<usize> {
        self.by_symbol.get(symbol).copied()
    }

    /// Whether one more new instrument would find room.
    pub fn has_room(&self) -> bool {
        self.counts.iter().any(|n| *n < self.per_connection)
    }

    /// Instruments per connection.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// Connection 0 always; any other while it carries something.
    pub fn needed(&self) -> Vec<bool> {
        self.counts
            .iter()
            .enumerate()
            .map(|(shard, n)| shard == 0 || *n > 0)
            .collect()
    }

    pub fn per_connection(&self) -> usize {
        self.per_connection
    }

    pub fn connections(&self) -> usize {
        self.counts.len()
    }

    pub fn len(&self) -> usize {
        self.by_symbol.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_symbol.is_empty()
    }

    /// Keep only the symbols `keep` accepts (a rebuild after a restart).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let counts = &mut self.counts;
        self.by_symbol.retain(|symbol, shard| {
            let kept = keep(symbol);
            if !kept {
                counts[*shard] -= 1;
            }
            kept
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(n: usize) -> Arc<str> {
        format!("S{n}").into()
    }

    /// Place symbols 0..n and return the connection each got.
    fn fill(table: &mut ShardTable, n: usize) -> Vec<Option<usize>> {
        (0..n).map(|i| table.place(&sym(i))).collect()
    }

    struct TestCase {
        name: &'static str,
        per_connection: usize,
        connections: usize,
        placed: usize,
        want_counts: &'static [usize],
        want_refused: usize,
    }

    #[test]
    fn fill_spill_and_refuse() {
        let cases = [
            TestCase {
                name: "fills the first to exactly the limit",
                per_connection: 3,
                connections: 2,
                placed: 3,
                want_counts: &[3, 0],
                want_refused: 0,
            },
            TestCase {
                name: "one more spills to the next connection",
                per_connection: 3,
                connections: 2,
                placed: 4,
                want_counts: &[3, 1],
                want_refused: 0,
            },
            TestCase {
                name: "exactly the total capacity",
                per_connection: 3,
                connections: 2,
                placed: 6,
                want_counts: &[3, 3],
                want_refused: 0,
            },
            TestCase {
                name: "past the total capacity is refused",
                per_connection: 3,
                connections: 2,
                placed: 8,
                want_counts: &[3, 3],
                want_refused: 2,
            },
            TestCase {
                name: "zero connections still means one",
                per_connection: 2,
                connections: 0,
                placed: 3,
                want_counts: &[2],
                want_refused: 1,
            },
        ];
        for c in cases {
            let mut table = ShardTable::new(c.per_connection, c.connections);
            let got = fill(&mut table, c.placed);
            assert_eq!(table.counts(), c.want_counts, "{}", c.name);
            let refused = got.iter().filter(|s| s.is_none()).count();
            assert_eq!(refused, c.want_refused, "{}", c.name);
            assert_eq!(table.len(), c.placed - refused, "{}", c.name);
            let capacity = c.per_connection * c.connections.max(1);
            assert_eq!(table.has_room(), table.len() < capacity, "{}", c.name);
        }
    }

    #[test]
    fn a_release_frees_a_slot_for_the_next_new_instrument() {
        let mut table = ShardTable::new(2, 2);
        assert_eq!(
            fill(&mut table, 4),
            vec![Some(0), Some(0), Some(1), Some(1)]
        );
        assert_eq!(table.place(&sym(9)), None, "full");
        assert_eq!(table.remove("S0"), Some(0));
        assert_eq!(table.place(&sym(9)), Some(0), "the freed slot");
        assert_eq!(table.place(&sym(9)), Some(0), "placing again is a lookup");
        assert_eq!(table.shard_of("S3"), Some(1), "nobody moved");
        assert_eq!(table.remove("S2"), Some(1));
        assert_eq!(table.remove("S3"), Some(1));
        assert_eq!(
            table.needed(),
            vec![true, false],
            "connection 1 carries nothing now"
        );
        assert_eq!(table.remove("S3"), None);
    }

    #[test]
    fn retain_recounts() {
        let mut table = ShardTable::new(2, 2);
        fill(&mut table, 3);
        table.retain(|s| s != "S1");
        assert_eq!(table.counts(), &[1, 1]);
        assert_eq!(table.place(&sym(7)), Some(0));
    }
}
