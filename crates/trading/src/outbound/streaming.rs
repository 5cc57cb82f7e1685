//! `StreamingChange`: the symbols an actor must newly subscribe and those it may release,
//! as a plain decision its state returns and its `mod.rs` sends to the registry.

use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamingChange {
    pub subscribe: Vec<Arc<str>>,
    pub release: Vec<Arc<str>>,
}

impl StreamingChange {
    /// What turns the streamed set `before` into `after`.
    pub fn between(before: &BTreeSet<Arc<str>>, after: &BTreeSet<Arc<str>>) -> StreamingChange {
        StreamingChange {
            subscribe: after.difference(before).cloned().collect(),
            release: before.difference(after).cloned().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.subscribe.is_empty() && self.release.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(symbols: &[&str]) -> BTreeSet<Arc<str>> {
        symbols.iter().map(|s| Arc::from(*s)).collect()
    }

    fn names(symbols: &[Arc<str>]) -> Vec<&str> {
        symbols.iter().map(|s| &**s).collect()
    }

    #[test]
    fn the_change_is_the_two_differences() {
        let change = StreamingChange::between(&set(&["A", "B"]), &set(&["B", "C"]));
        assert_eq!(names(&change.subscribe), ["C"]);
        assert_eq!(names(&change.release), ["A"]);
        assert!(StreamingChange::between(&set(&["A"]), &set(&["A"])).is_empty());
    }
}
