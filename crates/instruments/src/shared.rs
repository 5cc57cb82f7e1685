//! `SharedIndex`: the current index behind one lock, swapped whole. A reader holds the
//! `Arc` it got and never sees a half-built master; a failed reload never swaps.

use std::sync::{Arc, PoisonError, RwLock};

use crate::InstrumentIndex;

/// A cloneable handle on the current `InstrumentIndex`.
#[derive(Clone, Debug, Default)]
pub struct SharedIndex {
    current: Arc<RwLock<Arc<InstrumentIndex>>>,
}

impl SharedIndex {
    pub fn new(index: Arc<InstrumentIndex>) -> SharedIndex {
        SharedIndex {
            current: Arc::new(RwLock::new(index)),
        }
    }

    /// The current index. Hold the `Arc` for a batch of lookups rather than calling
    /// this per lookup: it takes the lock.
    pub fn load(&self) -> Arc<InstrumentIndex> {
        // A panic elsewhere while holding the lock cannot leave a half-written `Arc`.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs `new` and returns the index it replaced (dropped when its last reader
    /// lets go).
    pub fn swap(&self, new: Arc<InstrumentIndex>) -> Arc<InstrumentIndex> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, new)
    }
}

impl From<Arc<InstrumentIndex>> for SharedIndex {
    fn from(index: Arc<InstrumentIndex>) -> SharedIndex {
        SharedIndex::new(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_keep_what_they_loaded() {
        let shared = SharedIndex::new(Arc::new(InstrumentIndex::default()));
        let before = shared.load();
        let new = Arc::new(InstrumentIndex::default());
        let old = shared.swap(new.clone());
        assert!(Arc::ptr_eq(&old, &before));
        assert!(Arc::ptr_eq(&shared.load(), &new));
        assert!(
            !Arc::ptr_eq(&before, &new),
            "the earlier reader still has the old one"
        );
    }
}
