//! Normalised ticks: a partial `TickUpdate` from any source, merged into a full `Tick`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Mode;

/// Where a tick came from; clients and bots see it, so a REST-polled price is never
/// mistaken for a streamed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TickSource {
    #[default]
    Socket,
    Rest,
    Snapshot,
}

/// One level of the order book: best first.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct DepthLevel {
    pub bid_price: f64,
    pub bid_qty: u32,
    pub bid_orders: u32,
    pub ask_price: f64,
    pub ask_qty: u32,
    pub ask_orders: u32,
}

/// What one upstream packet (or one REST row) says about an instrument. Every field
/// is optional because brokers send them piecemeal (Dhan sends OI and previous close
/// in packets of their own); `Tick::apply` merges it into the full picture.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct TickUpdate {
    pub symbol: Arc<str>,
    pub mode: Option<Mode>,
    pub ltp: Option<f64>,
    pub last_qty: Option<u32>,
    pub avg_price: Option<f64>,
    pub volume: Option<u64>,
    pub total_buy_qty: Option<u64>,
    pub total_sell_qty: Option<u64>,
    pub open: Option<f64>,
    pub high: Option<f64>,
    pub low: Option<f64>,
    pub prev_close: Option<f64>,
    pub oi: Option<u64>,
    /// The previous session's closing open interest (Dhan sends it with the previous
    /// close; Kite's feed has none).
    pub prev_oi: Option<u64>,
    pub depth: Option<[DepthLevel; 5]>,
    pub exchange_time: Option<DateTime<Utc>>,
    pub received_time: DateTime<Utc>,
    pub source: TickSource,
}

/// The latest known state of one instrument, as served to clients and bots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    pub symbol: Arc<str>,
    pub mode: Mode,
    pub ltp: f64,
    pub last_qty: u32,
    pub avg_price: f64,
    pub volume: u64,
    pub total_buy_qty: u64,
    pub total_sell_qty: u64,
    pub bid: f64,
    pub ask: f64,
    pub bid_qty: u32,
    pub ask_qty: u32,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub prev_close: f64,
    pub oi: u64,
    /// The previous session's closing open interest; 0, and left out of the JSON, when
    /// the broker did not say (the day's OI change is `oi - prev_oi` when it did).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub prev_oi: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub depth: Option<[DepthLevel; 5]>,
    pub exchange_time: Option<DateTime<Utc>>,
    pub received_time: DateTime<Utc>,
    pub source: TickSource,
}

impl Tick {
    /// A blank tick, used as the base for the first update of an instrument.
    pub fn empty(symbol: Arc<str>, received_time: DateTime<Utc>) -> Tick {
        Tick {
            symbol,
            mode: Mode::Ltp,
            ltp: 0.0,
            last_qty: 0,
            avg_price: 0.0,
            volume: 0,
            total_buy_qty: 0,
            total_sell_qty: 0,
            bid: 0.0,
            ask: 0.0,
            bid_qty: 0,
            ask_qty: 0,
            open: 0.0,
            high: 0.0,
            low: 0.0,
            prev_close: 0.0,
            oi: 0,
            prev_oi: 0,
            depth: None,
            exchange_time: None,
            received_time,
            source: TickSource::Socket,
        }
    }

    /// Merge an update in. Returns false (and changes nothing) when the update is older
    /// than what we hold by exchange time — a replayed or out-of-order packet must not
    /// move the price backwards.
    pub fn apply(&mut self, u: &TickUpdate) -> bool {
        if let (Some(new), Some(old)) = (u.exchange_time, self.exchange_time) {
            if new < old {
                return false;
            }
        }
        if let Some(m) = u.mode {
            self.mode = self.mode.max(m);
        }
        set(&mut self.ltp, u.ltp);
        set(&mut self.last_qty, u.last_qty);
        set(&mut self.avg_price, u.avg_price);
        // Volume is cumulative for the day: a smaller number is a stale packet.
        if let Some(v) = u.volume {
            self.volume = self.volume.max(v);
        }
        set(&mut self.total_buy_qty, u.total_buy_qty);
        set(&mut self.total_sell_qty, u.total_sell_qty);
        set(&mut self.open, u.open);
        set(&mut self.high, u.high);
        set(&mut self.low, u.low);
        set(&mut self.prev_close, u.prev_close);
        set(&mut self.oi, u.oi);
        set(&mut self.prev_oi, u.prev_oi);
        if let Some(depth) = u.depth {
            let best = depth[0];
            self.bid = best.bid_price;
            self.ask = best.ask_price;
            self.bid_qty = best.bid_qty;
            self.ask_qty = best.ask_qty;
            self.depth = Some(depth);
        }
        if u.exchange_time.is_some() {
            self.exchange_time = u.exchange_time;
        }
        self.received_time = u.received_time;
        self.source = u.source;
        true
    }

    /// Percentage change against the previous close, 0 when there is none.
    pub fn change_pct(&self) -> f64 {
        if self.prev_close == 0.0 {
            0.0
        } else {
            (self.ltp - self.prev_close) * 100.0 / self.prev_close
        }
    }
}

/// For serde: leave a zero field out.
fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn set<T: Copy>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    #[test]
    fn partial_updates_merge() {
        let mut t = Tick::empty("NIFTY".into(), at(0));
        let ltp = TickUpdate {
            symbol: "NIFTY".into(),
            ltp: Some(100.5),
            exchange_time: Some(at(10)),
            received_time: at(10),
            ..Default::default()
        };
        let oi = TickUpdate {
            symbol: "NIFTY".into(),
            oi: Some(42),
            received_time: at(11),
            ..Default::default()
        };
        assert!(t.apply(&ltp));
        assert!(t.apply(&oi));
        assert_eq!(t.ltp, 100.5);
        assert_eq!(t.oi, 42);
        assert_eq!(t.exchange_time, Some(at(10)));
        assert_eq!(t.received_time, at(11));
    }

    #[test]
    fn older_exchange_time_is_ignored() {
        let mut t = Tick::empty("X".into(), at(0));
        let newer = TickUpdate {
            ltp: Some(2.0),
            exchange_time: Some(at(20)),
            ..Default::default()
        };
        let older = TickUpdate {
            ltp: Some(1.0),
            exchange_time: Some(at(10)),
            ..Default::default()
        };
        assert!(t.apply(&newer));
        assert!(!t.apply(&older));
        assert_eq!(t.ltp, 2.0);
    }

    #[test]
    fn volume_never_goes_backwards() {
        let mut t = Tick::empty("X".into(), at(0));
        for v in [10, 30, 20] {
            t.apply(&TickUpdate {
                volume: Some(v),
                ..Default::default()
            });
        }
        assert_eq!(t.volume, 30);
    }

    #[test]
    fn depth_sets_touch() {
        let mut t = Tick::empty("X".into(), at(0));
        let mut depth = [DepthLevel::default(); 5];
        depth[0] = DepthLevel {
            bid_price: 99.95,
            bid_qty: 10,
            bid_orders: 1,
            ask_price: 100.05,
            ask_qty: 20,
            ask_orders: 2,
        };
        t.apply(&TickUpdate {
            depth: Some(depth),
            ..Default::default()
        });
        assert_eq!(
            (t.bid, t.ask, t.bid_qty, t.ask_qty),
            (99.95, 100.05, 10, 20)
        );
    }
}
