//! `SimState`: what every handler and session of one simulator shares: settings,
//! instruments and their master files, the latest market snapshot, open sessions,
//! counters, rate limits and fault switches.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::counters::{Counters, CountersSnapshot};
use crate::faults::FaultState;
use crate::limits::RateLimiter;
use crate::market::{MarketSnapshot, SharedSnapshot, Universe};
use crate::master::MasterFiles;
use crate::sessions::SessionRegistry;
use crate::SimSettings;

pub struct SimState {
    pub settings: SimSettings,
    pub universe: Universe,
    /// Built from `universe` and the first snapshot; served as is.
    pub masters: MasterFiles,
    pub sessions: SessionRegistry,
    pub counters: Counters,
    pub dhan_quote_limit: RateLimiter,
    pub kite_quote_limit: RateLimiter,
    pub faults: FaultState,
    market: RwLock<SharedSnapshot>,
}

impl SimState {
    pub fn new(settings: SimSettings, universe: Universe, first: MarketSnapshot) -> Self {
        SimState {
            masters: MasterFiles::build(&universe, &first),
            settings,
            universe,
            sessions: SessionRegistry::default(),
            counters: Counters::default(),
            dhan_quote_limit: RateLimiter::default(),
            kite_quote_limit: RateLimiter::default(),
            faults: FaultState::default(),
            market: RwLock::new(Arc::new(first)),
        }
    }

    /// `GET /admin/counters`: the counters plus the fault switches and what they did.
    pub fn counters_snapshot(&self, now: std::time::Instant) -> CountersSnapshot {
        let mut s = self.counters.snapshot(&self.sessions, now);
        s.faults = self.faults.current();
        s.faults_applied = self.faults.applied();
        s
    }

    /// The latest snapshot (cheap: an `Arc` clone).
    pub fn snapshot(&self) -> SharedSnapshot {
        match self.market.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn publish(&self, snapshot: SharedSnapshot) {
        match self.market.write() {
            Ok(mut g) => *g = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}

/// Lock a mutex, carrying on through poisoning: every critical section here leaves
/// its data consistent, so a panic elsewhere must not take the simulator down.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
