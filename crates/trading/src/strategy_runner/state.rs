//! A runner's durable record and its inbox. The record is what the journal keeps per bot:
//! the bot's snapshot and the order it has out, written *before* the order is sent, so a
//! restart can tell "sent and filled" from "never sent" by the order's tag.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mandi_domain::{Candle, Tick};
use mandi_strategy::BotSnapshot;
use serde::{Deserialize, Serialize};

/// Entry or exit: which bot callback its fill goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPurpose {
    Entry,
    Exit,
}

/// An order the bot has asked for and not yet heard back on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingOrder {
    /// `<bot>#<seq>`: the order's tag in the paper book, unique per bot.
    pub tag: String,
    pub purpose: OrderPurpose,
    pub symbol: Arc<str>,
    pub lots: u32,
    /// The entry or exit reason code.
    pub reason: String,
}

/// The journal row of one bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunnerRecord {
    pub snapshot: BotSnapshot,
    pub pending: Option<PendingOrder>,
    /// The next order sequence number; never reused.
    pub next_seq: u64,
}

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
}
