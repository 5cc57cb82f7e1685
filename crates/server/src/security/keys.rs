//! Client API keys and what each may do. Keys come from `MANDI_API_KEYS` (comma-separated)
//! and from the file `server.api_keys_file` (one a line, `#` comments), never from the
//! committed config. An entry is `trade:KEY` or `read:KEY`; a bare `KEY` is read-only, so a
//! key given without thought can watch but never trade.

use std::fmt;

/// Shortest key accepted: shorter ones are guessable.
pub const MIN_KEY_LEN: usize = 16;

/// What a key (or the login session made from it) may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Prices, sockets, the account and bots as read-only views.
    Read,
    /// Also places and cancels paper orders and exits bots.
    Trade,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
        }
    }
}

/// A key entry that cannot be used, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{origin} entry {index}: the key is shorter than {MIN_KEY_LEN} characters")]
    TooShort { origin: String, index: usize },
    #[error("{origin} entry {index}: unknown scope \"{scope}\" (use read: or trade:)")]
    UnknownScope {
        origin: String,
        index: usize,
        scope: String,
    },
    #[error("{origin} entry {index}: the key holds whitespace or a control character")]
    BadCharacter { origin: String, index: usize },
}

/// The configured keys. `Debug` never prints a key.
#[derive(Clone, Default)]
pub struct ClientKeys {
    keys: Vec<(Vec<u8>, Scope)>,
}

impl fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientKeys({} keys)", self.keys.len())
    }
}

impl ClientKeys {
    /// Parses entries separated by commas or newlines; `origin` names the source in errors
    /// (`MANDI_API_KEYS`, or the file's path).
    pub fn parse(text: &str, origin: &str) -> Result<ClientKeys, KeyError> {
        let mut keys = ClientKeys::default();
        keys.add(text, origin)?;
        Ok(keys)
    }

    /// Adds the entries of `text` to these keys.
    pub fn add(&mut self, text: &str, origin: &str) -> Result<(), KeyError> {
        let entries = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let index = index + 1;
            let origin = origin.to_string();
            let (scope, key) = match entry.split_once(':') {
                Some(("trade", key)) => (Scope::Trade, key),
                Some(("read", key)) => (Scope::Read, key),
                Some((scope, _)) if scope.len() < MIN_KEY_LEN => {
                    return Err(KeyError::UnknownScope {
                        origin,
                        index,
                        scope: scope.to_string(),
                    })
                }
                _ => (Scope::Read, entry),
            };
            if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(KeyError::BadCharacter { origin, index });
            }
            if key.len() < MIN_KEY_LEN {
                return Err(KeyError::TooShort { origin, index });
            }
            self.keys.push((key.as_bytes().to_vec(), scope));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The scope of `given`, comparing against every key in constant time.
    pub fn scope_of(&self, given: &str) -> Option<Scope> {
        // Every key is compared, whichever matches, so the time taken does not tell
        // which entry (or how much of one) matched.
        self.keys.iter().fold(None, |found, (key, scope)| {
            if constant_time_eq(given.as_bytes(), key) {
                found.max(Some(*scope))
            } else {
                found
            }
        })
    }
}

/// Equal in time that depends only on `expected`'s length, never on where `given` differs
/// or how long it is: the loop always runs over `expected`, and a length mismatch is
/// folded into the same accumulator.
/// A stable, non-reversible-at-a-glance name for what a key owns on disk (the terminal's
/// watchlists), so files are kept per key without storing the key. FNV-1a 64: the same in
/// every build, unlike std's `DefaultHasher`, so a toolchain upgrade keeps the files.
pub fn fingerprint(key: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = key
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}

pub fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, e) in expected.iter().enumerate() {
        let g = given.get(i).copied().unwrap_or(!e);
        diff |= g ^ e;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCase {
        name: &'static str,
        text: &'static str,
        expect: Result<Vec<Scope>, &'static str>,
    }

    #[test]
    fn entries_parse_into_scopes_or_a_named_error() {
        let cases = [
            TestCase {
                name: "bare key is read-only",
                text: "0123456789abcdef",
                expect: Ok(vec![Scope::Read]),
            },
            TestCase {
                name: "scoped keys, comma and newline separated, comments dropped",
                text: "trade:0123456789abcdef, read:fedcba9876543210\n# old key\n",
                expect: Ok(vec![Scope::Trade, Scope::Read]),
            },
            TestCase {
                name: "short key refused",
                text: "trade:short",
                expect: Err("shorter than 16"),
            },
            TestCase {
                name: "unknown scope refused",
                text: "admin:0123456789abcdef",
                expect: Err("unknown scope \"admin\""),
            },
            TestCase {
                name: "empty text is no keys",
                text: " , \n",
                expect: Ok(vec![]),
            },
        ];
        for case in cases {
            let got = ClientKeys::parse(case.text, "MANDI_API_KEYS");
            match (&got, &case.expect) {
                (Ok(keys), Ok(scopes)) => assert_eq!(
                    keys.keys.iter().map(|k| k.1).collect::<Vec<_>>(),
                    *scopes,
                    "{}",
                    case.name
                ),
                (Err(e), Err(part)) => {
                    assert!(e.to_string().contains(part), "{}: {e}", case.name)
                }
                _ => panic!("{}: got {got:?}", case.name),
            }
        }
    }

    #[test]
    fn a_key_matches_only_itself() {
        let keys = ClientKeys::parse("trade:0123456789abcdef,read:fedcba9876543210", "t")
            .expect("valid keys");
        assert_eq!(keys.scope_of("0123456789abcdef"), Some(Scope::Trade));
        assert_eq!(keys.scope_of("fedcba9876543210"), Some(Scope::Read));
        assert_eq!(keys.scope_of("0123456789abcde"), None, "a prefix");
        assert_eq!(keys.scope_of("0123456789abcdefX"), None, "a longer key");
        assert_eq!(keys.scope_of(""), None);
        assert!(!format!("{keys:?}").contains("0123"), "Debug hides keys");
    }

    #[test]
    fn constant_time_eq_is_plain_equality() {
        for (a, b) in [
            ("", ""),
            ("a", ""),
            ("", "a"),
            ("abc", "abc"),
            ("abc", "abd"),
        ] {
            assert_eq!(
                constant_time_eq(a.as_bytes(), b.as_bytes()),
                a == b,
                "{a:?} {b:?}"
            );
        }
    }
}
