//! The instrument masters the brokers publish, generated once at start from the whole
//! universe (configured instruments and generated derivatives): Dhan's compact scrip
//! master at `GET /api-data/api-scrip-master.csv` (served here without credentials, as
//! the CDN does) and Kite's `GET /instruments` and `/instruments/{exchange}` (handlers
//! in `kite/rest.rs`, which check the session first).

mod dhan;
mod kite;
mod names;

use std::collections::BTreeMap;
use std::time::Instant;

use actix_web::{web, HttpResponse};
use bytes::Bytes;

use mandi_domain::Instrument;

use crate::market::{MarketSnapshot, Universe};
use crate::sessions::Broker;
use crate::state::SimState;

/// Where Dhan's compact master lives (on `images.dhan.co`; here on the simulator's port).
pub const DHAN_SCRIP_MASTER_PATH: &str = "/api-data/api-scrip-master.csv";

/// The masters as served, built once: the universe never changes while running.
#[derive(Debug, Default)]
pub struct MasterFiles {
    dhan_compact: Bytes,
    kite_all: Bytes,
    /// Keyed by Kite's `exchange` column (`NSE`, `BSE`, `NFO`, `BFO`, `MCX`).
    kite_by_exchange: BTreeMap<String, Bytes>,
}

impl MasterFiles {
    /// Every instrument of `universe`; the Kite `last_price` column is each one's
    /// previous close in `market` (the live dump is a day old too).
    pub fn build(universe: &Universe, market: &MarketSnapshot) -> MasterFiles {
        let rows: Vec<&Instrument> = universe.iter().collect();
        MasterFiles::of_rows(&rows, |idx| market.quote(idx).map_or(0.0, |q| q.prev_close))
    }

    /// The masters of a recording's own rows (`mandi run --replay`): the instruments its
    /// frames name, whether the simulator generates them or not. No last price.
    pub fn from_recording(rows: &[Instrument]) -> MasterFiles {
        let rows: Vec<&Instrument> = rows.iter().collect();
        MasterFiles::of_rows(&rows, |_| 0.0)
    }

    fn of_rows(rows: &[&Instrument], last_price: impl Fn(usize) -> f64) -> MasterFiles {
        let futures = dhan::future_order(rows.iter().copied());
        let mut dhan_csv = format!("{}\n", dhan::HEADER);
        let mut kite_all = format!("{}\n", kite::HEADER);
        let mut by_exchange: BTreeMap<String, String> = BTreeMap::new();
        for (idx, i) in rows.iter().copied().enumerate() {
            dhan_csv.push_str(&dhan::row(i, &futures));
            dhan_csv.push('\n');
            let last = last_price(idx);
            let (exchange, line) = kite::row(i, last);
            let part = by_exchange
                .entry(exchange.to_string())
                .or_insert_with(|| format!("{}\n", kite::HEADER));
            for text in [&mut kite_all, part] {
                text.push_str(&line);
                text.push('\n');
            }
        }
        MasterFiles {
            dhan_compact: Bytes::from(dhan_csv),
            kite_all: Bytes::from(kite_all),
            kite_by_exchange: by_exchange
                .into_iter()
                .map(|(k, v)| (k, Bytes::from(v)))
                .collect(),
        }
    }

    pub fn dhan_compact(&self) -> Bytes {
        self.dhan_compact.clone()
    }

    /// The whole Kite master, or one exchange's rows (just the header for an exchange
    /// with none, e.g. `CDS`).
    pub fn kite(&self, exchange: Option<&str>) -> Bytes {
        let Some(exchange) = exchange else {
            return self.kite_all.clone();
        };
        self.kite_by_exchange
            .get(&exchange.to_ascii_uppercase())
            .cloned()
            .unwrap_or_else(|| Bytes::from(format!("{}\n", kite::HEADER)))
    }
}

/// `GET /api-data/api-scrip-master.csv`: no credentials, like the public CDN file.
pub async fn dhan_scrip_master(state: web::Data<SimState>) -> HttpResponse {
    state.counters.record_rest(Broker::Dhan, Instant::now());
    state.counters.record_master_download(Broker::Dhan);
    csv_response(state.masters.dhan_compact())
}

/// A CSV body; `kiteconnect` picks its parser by the `csv` in the content type.
pub fn csv_response(body: Bytes) -> HttpResponse {
    HttpResponse::Ok().content_type("text/csv").body(body)
}

/// A CSV field, quoted only when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A float as Python's `float()` and pandas read it, always with a decimal point
/// (`25800.0`, `0.05`, `1443.4`).
fn decimal(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests;
