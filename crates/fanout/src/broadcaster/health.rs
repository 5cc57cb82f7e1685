//! Per-instrument health as the broadcaster tracks it: the state each watched symbol
//! was last announced in, so clients hear `instrument_status` only on a change.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::health::classify;
use mandi_domain::{
    FeedState, HealthThresholds, InstrumentHealth, InstrumentStatus, MarketCalendar,
};

use mandi_instruments::InstrumentIndex;

use super::state::FanoutState;

/// The last announced state per watched symbol.
#[derive(Debug, Default)]
pub struct HealthBook {
    announced: HashMap<Arc<str>, InstrumentHealth>,
}

/// The inputs shared by every symbol's classification at one instant.
pub struct HealthInputs<'a> {
    pub feed: FeedState,
    pub fallback_active: bool,
    pub calendar: &'a MarketCalendar,
    /// The index at this instant (held for the whole pass over the symbols).
    pub index: Arc<InstrumentIndex>,
    pub thresholds: HealthThresholds,
    pub now: DateTime<Utc>,
}

impl HealthInputs<'_> {
    pub fn status(&self, symbol: &Arc<str>, fanout: &FanoutState) -> InstrumentStatus {
        let tick = fanout.latest(symbol).map(|l| &l.tick);
        // An instrument the index does not know is judged by its ticks alone.
        let in_session = match self.index.by_symbol(symbol) {
            Some(inst) => self.calendar.is_open(inst.exchange, self.now),
            None => true,
        };
        let last_tick_at = tick.map(|t| t.received_time);
        InstrumentStatus {
            symbol: symbol.clone(),
            state: classify(
                self.feed.condition(),
                self.fallback_active,
                in_session,
                last_tick_at,
                self.now,
                self.thresholds,
            ),
            last_tick_seconds_ago: last_tick_at
                .map(|at| mandi_domain::time::seconds_since(at, self.now)),
            source: tick.map(|t| t.source),
        }
    }
}

impl HealthBook {
    /// Whether `symbol`'s state has been announced: a client subscribing to it later is
    /// owed the current state itself, since the others heard it only on the change.
    pub fn is_announced(&self, symbol: &str) -> bool {
        self.announced.contains_key(symbol)
    }

    /// Classify every watched symbol; returns the ones whose state changed since the
    /// last call (a newly watched symbol counts as changed).
    pub fn refresh(
        &mut self,
        inputs: &HealthInputs<'_>,
        fanout: &FanoutState,
    ) -> Vec<InstrumentStatus> {
        let mut changed = Vec::new();
        let watched: Vec<Arc<str>> = fanout.watched().cloned().collect();
        self.announced.retain(|s, _| watched.contains(s));
        for symbol in watched {
            let status = inputs.status(&symbol, fanout);
            if self.announced.insert(symbol, status.state) != Some(status.state) {
                changed.push(status);
            }
        }
        changed
    }
}
