//! A runner's inbox, shared with the host behind a mutex: the host offers ticks and bars,
//! the runner takes them when woken.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use mandi_domain::{Candle, Tick};

/// What the host hands a runner: the latest tick per symbol (conflated: a busy bot sees
/// only the newest) and every completed candle of its underlying (never conflated: a
/// missing bar would change the signals).
#[derive(Debug, Default)]
pub struct Inbox {
    pub ticks: BTreeMap<Arc<str>, Tick>,
    pub candles: Vec<Candle>,
    /// Symbols the bot reads: its underlying and the option it holds or is entering.
    pub wanted: BTreeSet<Arc<str>>,
    /// A `Drain` is on its way; no need to send another.
    pub scheduled: bool,
    /// Ticks replaced by a newer one of the same symbol before the bot read them.
    pub conflated: u64,
}

impl Inbox {
    pub fn new(underlying: Arc<str>) -> Inbox {
        Inbox {
            wanted: BTreeSet::from([underlying]),
            ..Inbox::default()
        }
    }

    /// Offers a tick; true when the runner needs waking.
    pub fn offer_tick(&mut self, tick: &Tick) -> bool {
        if !self.wanted.contains(&tick.symbol) {
            return false;
        }
        if self
            .ticks
            .insert(tick.symbol.clone(), tick.clone())
            .is_some()
        {
            self.conflated += 1;
        }
        self.wake()
    }

    pub fn offer_candle(&mut self, candle: Candle) -> bool {
        self.candles.push(candle);
        self.wake()
    }

    fn wake(&mut self) -> bool {
        !std::mem::replace(&mut self.scheduled, true)
    }

    /// Everything waiting, and the next offer wakes the runner again.
    pub fn take(&mut self) -> (Vec<Tick>, Vec<Candle>) {
        self.scheduled = false;
        let ticks = std::mem::take(&mut self.ticks).into_values().collect();
        (ticks, std::mem::take(&mut self.candles))
    }
}

/// Locks a bot's inbox, taking it over if a panic poisoned it. A panic while the lock was
/// held (the host or the runner crashing mid-offer) leaves plain data — at worst a tick
/// or bar half-offered — and supervision restarts the actor that panicked; refusing the
/// lock instead would leave the bot deaf for good. Said once per poisoning: the poison is
/// cleared on the way.
pub fn lock_inbox<'a>(inbox: &'a Mutex<Inbox>, bot: &str) -> MutexGuard<'a, Inbox> {
    inbox.lock().unwrap_or_else(|poisoned| {
        tracing::warn!(bot, "bot inbox lock poisoned by a panic while held; taking it over (a tick or bar may have been lost)");
        inbox.clear_poison();
        poisoned.into_inner()
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn tick(symbol: &str, ltp: f64) -> Tick {
        let mut t = Tick::empty(symbol.into(), Utc::now());
        t.ltp = ltp;
        t
    }

    #[test]
    fn a_busy_bot_sees_only_the_newest_tick_of_each_symbol() {
        let mut inbox = Inbox::new("NIFTY".into());
        assert!(inbox.offer_tick(&tick("NIFTY", 1.0)), "first offer wakes");
        assert!(!inbox.offer_tick(&tick("NIFTY", 2.0)), "already scheduled");
        assert!(!inbox.offer_tick(&tick("BANKNIFTY", 3.0)), "not wanted");
        let (ticks, candles) = inbox.take();
        assert_eq!(ticks.len(), 1);
        assert_eq!(ticks[0].ltp, 2.0);
        assert!(candles.is_empty());
        assert_eq!(inbox.conflated, 1);
        assert!(
            inbox.offer_tick(&tick("NIFTY", 4.0)),
            "wakes again after take"
        );
    }

    #[test]
    fn a_poisoned_inbox_is_taken_over_and_cleared() {
        let inbox = Arc::new(Mutex::new(Inbox::new("NIFTY".into())));
        let held = inbox.clone();
        let crashed = std::thread::spawn(move || {
            let _guard = held.lock();
            panic!("a crash while the inbox is held");
        })
        .join();
        assert!(crashed.is_err(), "the thread panicked");
        assert!(inbox.is_poisoned());
        assert!(lock_inbox(&inbox, "t").offer_tick(&tick("NIFTY", 1.0)));
        assert!(!inbox.is_poisoned(), "said once: the poison is cleared");
    }
}
