//! Name lookups over the index's instruments: exact symbol, Dhan display name without
//! regard to case (`ICICIGI 28 OCT 1860 CALL`), and prefix search over both in a fixed,
//! case-insensitive order. Positions are `u32`; names are read from the instruments, not
//! copied.

use std::cmp::Ordering;
use std::sync::Arc;

use mandi_domain::Instrument;

/// Marks a sorted-name entry as a display name rather than a symbol.
const DISPLAY_BIT: u32 = 1 << 31;

/// Past this many 8-byte chunks of equal prefix, sort the rest by plain comparison.
const MAX_RADIX_DEPTH: usize = 16;

/// Borrowed views of the index's names, by position.
#[derive(Clone, Copy)]
pub(crate) struct Names<'a> {
    pub(crate) instruments: &'a [Arc<Instrument>],
    pub(crate) display_names: &'a [Option<Arc<str>>],
}

impl<'a> Names<'a> {
    pub(crate) fn symbol(&self, position: u32) -> &'a str {
        &self.instruments[position as usize].symbol
    }

    pub(crate) fn display(&self, position: u32) -> &'a str {
        self.display_names
            .get(position as usize)
            .and_then(|d| d.as_deref())
            .unwrap_or("")
    }

    fn entry(&self, packed: u32) -> &'a str {
        let position = packed & !DISPLAY_BIT;
        if packed & DISPLAY_BIT != 0 {
            self.display(position)
        } else {
            self.symbol(position)
        }
    }
}

/// The three name structures.
#[derive(Debug, Default)]
pub(crate) struct NameIndex {
    symbols: HashRuns,
    displays: HashRuns,
    /// Every symbol and display name, ordered case-insensitively; the key is the first
    /// 8 bytes upper-cased, so a search's binary search mostly stays in this array.
    sorted: Vec<(u64, u32)>,
    /// Instruments whose symbol an earlier-ranked instrument also has.
    pub(crate) shared_symbols: usize,
}

impl NameIndex {
    /// `rank` orders instruments sharing a name, lower first.
    pub(crate) fn build(names: Names<'_>, rank: impl Fn(u32) -> u64) -> NameIndex {
        let count = names.instruments.len();
        let symbols = HashRuns::build(
            (0..count as u32)
                .map(|p| (fold_hash(names.symbol(p)), p))
                .collect(),
            // Identical symbols end up side by side, the preferred first.
            |a, b| {
                names
                    .symbol(a)
                    .cmp(names.symbol(b))
                    .then_with(|| rank(a).cmp(&rank(b)))
            },
        );
        let shared_symbols = symbols
            .entries
            .windows(2)
            .filter(|w| w[0].0 == w[1].0 && names.symbol(w[0].1) == names.symbol(w[1].1))
            .count();
        let displays = HashRuns::build(
            (0..count as u32)
                .filter(|&p| !names.display(p).is_empty())
                .map(|p| (fold_hash(names.display(p)), p))
                .collect(),
            |a, b| rank(a).cmp(&rank(b)),
        );
        let mut sorted: Vec<(u64, u32)> = (0..count as u32)
            .map(|p| (0, p))
            .chain(
                (0..count as u32)
                    .filter(|&p| !names.display(p).is_empty())
                    .map(|p| (0, p | DISPLAY_BIT)),
            )
            .collect();
        radix_sort(&mut sorted, 0, names, &rank);
        NameIndex {
            symbols,
            displays,
            sorted,
            shared_symbols,
        }
    }

    /// Candidates for a symbol lookup: every instrument whose symbol hashes alike.
    /// Those with exactly this symbol come out side by side, the preferred first.
    pub(crate) fn symbol_candidates(&self, symbol: &str) -> &[(u64, u32)] {
        self.symbols.run(fold_hash(symbol))
    }

    /// The preferred instrument with this display name, in any case.
    pub(crate) fn by_display(&self, names: Names<'_>, display: &str) -> Option<u32> {
        self.displays
            .run(fold_hash(display))
            .iter()
            .map(|e| e.1)
            .find(|&p| names.display(p).eq_ignore_ascii_case(display))
    }

    /// Up to `limit` instruments with a symbol or display name starting with `prefix`
    /// (any case), in name order; each instrument once.
    pub(crate) fn search(&self, names: Names<'_>, prefix: &str, limit: usize) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        if limit == 0 {
            return found;
        }
        let key = chunk_key(prefix, 0);
        let start = self.sorted.partition_point(|e| {
            e.0 < key || (e.0 == key && cmp_folded(names.entry(e.1), prefix) == Ordering::Less)
        });
        for &(_, packed) in &self.sorted[start..] {
            if !starts_with_folded(names.entry(packed), prefix) {
                break;
            }
            let position = packed & !DISPLAY_BIT;
            // `found` is a page of results: a scan beats a set.
            if !found.contains(&position) {
                found.push(position);
                if found.len() == limit {
                    break;
                }
            }
        }
        found
    }
}

/// (hash, position) pairs sorted by hash, with a directory on the hash's top bits: a
/// lookup reads one directory slot and a run of about two entries.
#[derive(Debug, Default)]
struct HashRuns {
    entries: Vec<(u64, u32)>,
    /// `directory[b]..directory[b + 1]` are the entries whose top `bits` bits are `b`.
    directory: Vec<u32>,
    bits: u32,
}

impl HashRuns {
    fn build(mut entries: Vec<(u64, u32)>, tie: impl Fn(u32, u32) -> Ordering) -> HashRuns {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| tie(a.1, b.1)));
        // About two entries per slot.
        let bits = (usize::BITS - entries.len().leading_zeros())
            .saturating_sub(2)
            .clamp(1, 20);
        let mut directory = vec![0u32; (1 << bits) + 1];
        for &(hash, _) in &entries {
            directory[(hash >> (64 - bits)) as usize + 1] += 1;
        }
        for b in 1..directory.len() {
            directory[b] += directory[b - 1];
        }
        HashRuns {
            entries,
            directory,
            bits,
        }
    }

    fn run(&self, hash: u64) -> &[(u64, u32)] {
        if self.entries.is_empty() {
            return &[];
        }
        let slot = (hash >> (64 - self.bits)) as usize;
        let bucket =
            &self.entries[self.directory[slot] as usize..self.directory[slot + 1] as usize];
        let start = bucket.partition_point(|e| e.0 < hash);
        let len = bucket[start..].iter().take_while(|e| e.0 == hash).count();
        &bucket[start..start + len]
    }
}

/// Multikey radix sort by 8-byte chunks of the upper-cased names: each level sorts plain
/// integers and reads each name once, instead of comparing whole strings O(n log n)
/// times (names share long prefixes: `NIFTY-Jan2026-…`).
fn radix_sort(
    entries: &mut [(u64, u32)],
    depth: usize,
    names: Names<'_>,
    rank: &impl Fn(u32) -> u64,
) {
    for entry in entries.iter_mut() {
        entry.0 = chunk_key(names.entry(entry.1), depth);
    }
    entries.sort_unstable_by_key(|e| e.0);
    let mut start = 0;
    while start < entries.len() {
        let key = entries[start].0;
        let end = start + entries[start..].iter().take_while(|e| e.0 == key).count();
        let run = &mut entries[start..end];
        if run.len() > 1 {
            // A zero last byte: every name in the run ended within this chunk, so they
            // are equal but for case; settle those by the full order.
            if key & 0xff == 0 || depth >= MAX_RADIX_DEPTH {
                run.sort_unstable_by(|a, b| full_order(names, rank, a.1, b.1));
            } else {
                radix_sort(run, depth + 1, names, rank);
                // Deeper levels overwrote the keys; put this level's back, so the top
                // level leaves every entry keyed by its first chunk.
                for entry in run.iter_mut() {
                    entry.0 = key;
                }
            }
        }
        start = end;
    }
}

/// Case-insensitive, then exact bytes, then instrument preference, then symbol first.
fn full_order(names: Names<'_>, rank: &impl Fn(u32) -> u64, a: u32, b: u32) -> Ordering {
    let (x, y) = (names.entry(a), names.entry(b));
    cmp_folded(x, y)
        .then_with(|| x.cmp(y))
        .then_with(|| rank(a & !DISPLAY_BIT).cmp(&rank(b & !DISPLAY_BIT)))
        .then_with(|| a.cmp(&b))
}

/// Bytes `8·depth .. 8·depth + 8`, ASCII upper-cased, big-endian, zero-padded: integer
/// order is name order on them.
fn chunk_key(name: &str, depth: usize) -> u64 {
    let mut key = [0u8; 8];
    let bytes = name.as_bytes().get(depth * 8..).unwrap_or_default();
    for (slot, b) in key.iter_mut().zip(bytes) {
        *slot = b.to_ascii_uppercase();
    }
    u64::from_be_bytes(key)
}

fn cmp_folded(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

fn starts_with_folded(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// FNV-1a over the ASCII upper-cased bytes, then a final mix so the top bits (the
/// directory slot) depend on every byte. Equal for names equal but for case.
fn fold_hash(name: &str) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b.to_ascii_uppercase())).wrapping_mul(0x0100_0000_01b3)
    });
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let h = (h ^ (h >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}
