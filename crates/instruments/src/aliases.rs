//! Broker trading symbols as aliases of canonical symbols: `NIFTY26D0825750PE` (Kite) and
//! `NIFTY-Dec2026-25750-PE` (Dhan) both find `NIFTY-08Dec2026-25750-PE`. Exact lookup
//! and prefix search, without regard to case; names are read from the index, not copied.

use std::cmp::Ordering;
use std::sync::Arc;

/// Positions of the instruments that have an alias, ordered by alias (any case), then by
/// the index's preference, so the first of a run is the one a shared alias means (Dhan's
/// month form names every weekly of a month: the nearest expiry wins).
#[derive(Debug, Default)]
pub(crate) struct AliasIndex {
    sorted: Vec<u32>,
}

impl AliasIndex {
    /// `aliases` is parallel to the index's instruments; `rank` orders instruments
    /// sharing a name, lower first.
    pub(crate) fn build(aliases: &[Option<Arc<str>>], rank: impl Fn(u32) -> u64) -> AliasIndex {
        let mut sorted: Vec<u32> = (0..aliases.len() as u32)
            .filter(|&p| aliases[p as usize].is_some())
            .collect();
        sorted.sort_unstable_by(|&a, &b| {
            cmp_folded(name(aliases, a), name(aliases, b)).then_with(|| rank(a).cmp(&rank(b)))
        });
        AliasIndex { sorted }
    }

    /// The preferred instrument whose alias is `alias`, in any case.
    pub(crate) fn lookup(&self, aliases: &[Option<Arc<str>>], alias: &str) -> Option<u32> {
        let start = self.start(aliases, alias);
        self.sorted
            .get(start)
            .copied()
            .filter(|&p| name(aliases, p).eq_ignore_ascii_case(alias))
    }

    /// Up to `limit` instruments whose alias starts with `prefix` (any case), in alias
    /// order.
    pub(crate) fn search(
        &self,
        aliases: &[Option<Arc<str>>],
        prefix: &str,
        limit: usize,
    ) -> Vec<u32> {
        let start = self.start(aliases, prefix);
        self.sorted[start..]
            .iter()
            .copied()
            .take_while(|&p| {
                let n = name(aliases, p);
                n.len() >= prefix.len()
                    && n.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
            })
            .take(limit)
            .collect()
    }

    fn start(&self, aliases: &[Option<Arc<str>>], key: &str) -> usize {
        self.sorted
            .partition_point(|&p| cmp_folded(name(aliases, p), key) == Ordering::Less)
    }
}

fn name(aliases: &[Option<Arc<str>>], position: u32) -> &str {
    aliases
        .get(position as usize)
        .and_then(|a| a.as_deref())
        .unwrap_or("")
}

fn cmp_folded(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_and_prefixes() {
        let aliases: Vec<Option<Arc<str>>> = vec![
            None,
            Some("NIFTY-Dec2026-25750-PE".into()),
            Some("NIFTY26D0825750PE".into()),
            // A later weekly sharing Dhan's month form; ranked after position 1.
            Some("NIFTY-Dec2026-25750-PE".into()),
            Some("BANKNIFTY26DECFUT".into()),
        ];
        let index = AliasIndex::build(&aliases, u64::from);
        struct TestCase {
            name: &'static str,
            alias: &'static str,
            want: Option<u32>,
        }
        let cases = [
            TestCase {
                name: "kite exact",
                alias: "NIFTY26D0825750PE",
                want: Some(2),
            },
            TestCase {
                name: "any case",
                alias: "nifty26d0825750pe",
                want: Some(2),
            },
            TestCase {
                name: "shared alias prefers the best ranked",
                alias: "NIFTY-DEC2026-25750-PE",
                want: Some(1),
            },
            TestCase {
                name: "prefix is not a match",
                alias: "NIFTY26D08",
                want: None,
            },
            TestCase {
                name: "unknown",
                alias: "SENSEX26DECFUT",
                want: None,
            },
            TestCase {
                name: "empty",
                alias: "",
                want: None,
            },
        ];
        for case in cases {
            assert_eq!(
                index.lookup(&aliases, case.alias),
                case.want,
                "{}",
                case.name
            );
        }
        assert_eq!(
            index.search(&aliases, "nifty", 10),
            vec![1, 3, 2],
            "prefix in alias order"
        );
        assert_eq!(index.search(&aliases, "NIFTY", 1), vec![1], "limit");
        assert_eq!(
            index.search(&aliases, "X", 10),
            Vec::<u32>::new(),
            "no match"
        );
    }
}
