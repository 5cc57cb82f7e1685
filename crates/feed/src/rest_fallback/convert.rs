//! Quote answers → `TickUpdate`s, the way the socket adapters convert packets: prices
//! checked and put on the instrument's tick grid, IST trade times to UTC, but with
//! `source: Rest`. Rows are matched to the batch they answer.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use mandi_domain::time::{round_to_tick, IST_OFFSET_S};
use mandi_domain::{DepthLevel, Instrument, Mode, TickSource, TickUpdate};
use mandi_protocol::dhan::rest::{self as dhan_rest, RestError, RestQuote};
use mandi_protocol::kite::rest as kite_rest;

use super::batch::{Batch, Endpoint};
use crate::instrument_directory::InstrumentIndex;

/// What one answer gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Converted {
    pub updates: Vec<TickUpdate>,
    /// Instruments of the batch the broker did not answer for (Kite leaves out unknown
    /// or expired keys; Dhan rows can be missing too).
    pub missing: usize,
    /// Rows with a negative or non-finite price, dropped whole as the socket does.
    pub rejected: usize,
}

/// Parse the broker's answer to `batch` and convert every row.
pub fn convert_answer(
    batch: &Batch,
    status: u16,
    body: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Result<Converted, RestError> {
    let ltp_only = batch.endpoint.is_ltp();
    // (instrument, quote, exchange time in IST wall-clock seconds, prev close known?)
    let mut rows: Vec<(&Instrument, RestQuote, Option<i64>, bool)> = Vec::new();
    match batch.endpoint {
        Endpoint::DhanLtp | Endpoint::DhanQuote => {
            let asked: HashMap<(u8, u32), &Instrument> = batch
                .instruments
                .iter()
                .map(|i| ((i.segment.code(), i.security_id), &**i))
                .collect();
            for row in dhan_rest::parse_quote_response(status, body)? {
                let key = (row.segment.code(), row.security_id);
                let found = asked
                    .get(&key)
                    .copied()
                    .or_else(|| index.by_dhan(key.0, key.1).map(|i| &**i));
                if let Some(inst) = found {
                    let traded = row.quote.last_trade_ist_s;
                    // Dhan's `ohlc.close` is not documented as the previous close (its
                    // binary feed's is today's close), so it is not used as one.
                    rows.push((inst, row.quote, traded, false));
                }
            }
        }
        Endpoint::KiteLtp | Endpoint::KiteQuote => {
            let asked: HashMap<&str, &Instrument> = batch
                .instruments
                .iter()
                .map(|i| (&*i.kite_key, &**i))
                .collect();
            for row in kite_rest::parse_quote_response(status, body)? {
                let found = asked.get(row.key.as_str()).copied().or_else(|| {
                    row.instrument_token
                        .and_then(|t| index.by_kite_token(t))
                        .map(|i| &**i)
                });
                if let Some(inst) = found {
                    // `timestamp` is the exchange's stamp on this quote, the same clock
                    // as the socket's exchange timestamp; the last trade can be older.
                    let stamp = row.timestamp_ist_s.or(row.quote.last_trade_ist_s);
                    rows.push((inst, row.quote, stamp, true));
                }
            }
        }
    }
    let mut out = Converted::default();
    let mut answered = HashSet::with_capacity(rows.len());
    for (inst, quote, stamp, prev_close) in rows {
        answered.insert(inst.symbol.clone());
        match update(inst, &quote, ltp_only, prev_close, stamp, received_time) {
            Some(u) => out.updates.push(u),
            None => out.rejected += 1,
        }
    }
    out.missing = batch
        .instruments
        .iter()
        .filter(|i| !answered.contains(&i.symbol))
        .count();
    Ok(out)
}

/// One row as an update; `None` when any price in it is unusable.
fn update(
    inst: &Instrument,
    q: &RestQuote,
    ltp_only: bool,
    prev_close_in_ohlc: bool,
    exchange_ist_s: Option<i64>,
    received_time: DateTime<Utc>,
) -> Option<TickUpdate> {
    let tick = inst.tick_size;
    let price = |raw: f64| checked_price(raw, tick);
    let mut u = TickUpdate {
        symbol: inst.symbol.clone(),
        mode: Some(Mode::Ltp),
        ltp: Some(price(q.last_price)?),
        exchange_time: exchange_ist_s.and_then(ist_wall_to_utc),
        received_time,
        source: TickSource::Rest,
        ..TickUpdate::default()
    };
    if ltp_only {
        return Some(u);
    }
    u.mode = Some(if q.depth.is_some() {
        Mode::Full
    } else {
        Mode::Quote
    });
    u.last_qty = q.last_quantity;
    u.avg_price = match q.average_price {
        Some(raw) => Some(price(raw)?),
        None => None,
    };
    u.volume = q.volume;
    u.total_buy_qty = q.buy_quantity;
    u.total_sell_qty = q.sell_quantity;
    u.oi = q.oi;
    if let Some(ohlc) = q.ohlc {
        u.open = Some(price(ohlc.open)?);
        u.high = Some(price(ohlc.high)?);
        u.low = Some(price(ohlc.low)?);
        if prev_close_in_ohlc {
            u.prev_close = Some(price(ohlc.close)?);
        }
    }
    if let Some(depth) = q.depth {
        let mut levels = [DepthLevel::default(); 5];
        for (out, level) in levels.iter_mut().zip(depth) {
            *out = DepthLevel {
                bid_price: price(level.bid_price)?,
                ask_price: price(level.ask_price)?,
                ..level
            };
        }
        u.depth = Some(levels);
    }
    Some(u)
}

/// Finite and non-negative, then onto the tick grid; anything else drops the row.
fn checked_price(raw: f64, tick: f64) -> Option<f64> {
    (raw.is_finite() && raw >= 0.0).then(|| round_to_tick(raw, tick))
}

/// IST wall-clock seconds (the protocol crate's convention) to a UTC instant.
pub fn ist_wall_to_utc(ist_s: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(ist_s - IST_OFFSET_S, 0).single()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mandi_domain::{Exchange, Segment};

    use super::*;

    fn instruments() -> Vec<Instrument> {
        let inst = |symbol: &str, segment, id, token, key: &str, tick| Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment,
            security_id: id,
            kite_token: token,
            kite_key: key.into(),
            tick_size: tick,
            lot_size: 1,
            derivative: None,
        };
        vec![
            inst("NIFTY", Segment::IdxI, 13, 256_265, "NSE:NIFTY 50", 0.05),
            inst("TCS", Segment::NseEq, 11536, 2_953_217, "NSE:TCS", 0.05),
            inst(
                "CRUDEOIL",
                Segment::McxComm,
                467_013,
                60_297_479,
                "MCX:CRUDEOIL26DECFUT",
                1.0,
            ),
        ]
    }

    fn index() -> InstrumentIndex {
        InstrumentIndex::build(instruments()).unwrap_or_default()
    }

    fn batch(endpoint: Endpoint, symbols: &[&str]) -> Batch {
        Batch {
            endpoint,
            instruments: instruments()
                .into_iter()
                .filter(|i| symbols.contains(&&*i.symbol))
                .map(Arc::new)
                .collect(),
        }
    }

    fn received() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 4, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// 2026-02-03 09:09:55 IST.
    fn traded() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 3, 3, 39, 55)
            .single()
            .unwrap_or_default()
    }

    fn base(symbol: &str, mode: Mode, ltp: f64) -> TickUpdate {
        TickUpdate {
            symbol: symbol.into(),
            mode: Some(mode),
            ltp: Some(ltp),
            received_time: received(),
            source: TickSource::Rest,
            ..TickUpdate::default()
        }
    }

    struct TestCase {
        name: &'static str,
        batch: Batch,
        status: u16,
        body: &'static str,
        want: Result<Converted, &'static str>,
    }

    #[test]
    fn conversions() {
        let mut tcs_depth = [DepthLevel::default(); 5];
        tcs_depth[0] = DepthLevel {
            bid_price: 4525.5,
            bid_qty: 20,
            bid_orders: 2,
            ask_price: 4525.55,
            ask_qty: 7,
            ask_orders: 1,
        };
        let cases = [
            TestCase {
                name: "dhan ltp: f32-style residue back on the grid, no time",
                batch: batch(Endpoint::DhanLtp, &["NIFTY", "TCS"]),
                status: 200,
                body: r#"{"data":{"IDX_I":{"13":{"last_price":25760.849976}},"NSE_EQ":{"11536":{"last_price":4520}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![base("NIFTY", Mode::Ltp, 25_760.85), base("TCS", Mode::Ltp, 4520.0)],
                    ..Converted::default()
                }),
            },
            TestCase {
                name: "dhan quote: depth rounded, IST trade time to UTC, close is not prev close",
                batch: batch(Endpoint::DhanQuote, &["TCS"]),
                status: 200,
                body: r#"{"data":{"NSE_EQ":{"11536":{"last_price":4525.55,"last_quantity":2,"average_price":4516.6201,
                    "volume":412853,"buy_quantity":50433,"sell_quantity":44276,"oi":0,
                    "ohlc":{"open":4521.45,"close":4507.85,"high":4530,"low":4500},
                    "depth":{"buy":[{"quantity":20,"orders":2,"price":4525.4999}],"sell":[{"quantity":7,"orders":1,"price":4525.55}]},
                    "last_trade_time":"03/02/2026 09:09:55"}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![TickUpdate {
                        last_qty: Some(2),
                        avg_price: Some(4516.6),
                        volume: Some(412_853),
                        total_buy_qty: Some(50_433),
                        total_sell_qty: Some(44_276),
                        oi: Some(0),
                        open: Some(4521.45),
                        high: Some(4530.0),
                        low: Some(4500.0),
                        depth: Some(tcs_depth),
                        exchange_time: Some(traded()),
                        ..base("TCS", Mode::Full, 4525.55)
                    }],
                    ..Converted::default()
                }),
            },
            TestCase {
                name: "kite quote: timestamp wins over last trade, close is prev close, index has no book",
                batch: batch(Endpoint::KiteQuote, &["NIFTY"]),
                status: 200,
                body: r#"{"status":"success","data":{"NSE:NIFTY 50":{"instrument_token":256265,
                    "timestamp":"2026-02-03 09:09:55","last_trade_time":"2026-02-03 09:00:00","last_price":25760.85,
                    "ohlc":{"open":25700,"high":25800,"low":25650.05,"close":25751.65}}}}"#,
                want: Ok(Converted {
                    updates: vec![TickUpdate {
                        open: Some(25_700.0),
                        high: Some(25_800.0),
                        low: Some(25_650.05),
                        prev_close: Some(25_751.65),
                        exchange_time: Some(traded()),
                        ..base("NIFTY", Mode::Quote, 25_760.85)
                    }],
                    ..Converted::default()
                }),
            },
            TestCase {
                name: "kite ltp: missing keys counted, an unknown key ignored",
                batch: batch(Endpoint::KiteLtp, &["NIFTY", "TCS", "CRUDEOIL"]),
                status: 200,
                body: r#"{"status":"success","data":{"MCX:CRUDEOIL26DECFUT":{"instrument_token":60297479,"last_price":5545.3},
                    "NSE:UNKNOWN":{"instrument_token":1,"last_price":1}}}"#,
                want: Ok(Converted {
                    updates: vec![base("CRUDEOIL", Mode::Ltp, 5545.0)],
                    missing: 2,
                    rejected: 0,
                }),
            },
            TestCase {
                name: "kite: a key spelt differently is matched by its token",
                batch: batch(Endpoint::KiteLtp, &["TCS"]),
                status: 200,
                body: r#"{"status":"success","data":{"NSE:tcs":{"instrument_token":2953217,"last_price":3462.1}}}"#,
                want: Ok(Converted {
                    updates: vec![base("TCS", Mode::Ltp, 3462.1)],
                    ..Converted::default()
                }),
            },
            TestCase {
                name: "a negative price drops the row",
                batch: batch(Endpoint::DhanLtp, &["TCS"]),
                status: 200,
                body: r#"{"data":{"NSE_EQ":{"11536":{"last_price":-1}}},"status":"success"}"#,
                want: Ok(Converted {
                    updates: vec![],
                    missing: 0,
                    rejected: 1,
                }),
            },
            TestCase {
                name: "an error answer is the protocol's classified error",
                batch: batch(Endpoint::KiteQuote, &["TCS"]),
                status: 403,
                body: r#"{"status":"error","message":"Incorrect `api_key` or `access_token`.","data":null,"error_type":"TokenException"}"#,
                want: Err("token_rejected"),
            },
        ];
        let index = index();
        for c in cases {
            let got = convert_answer(&c.batch, c.status, c.body.as_bytes(), &index, received());
            let got = got.map(|mut g| {
                g.updates.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                g
            });
            let mut want = c.want;
            if let Ok(w) = &mut want {
                w.updates.sort_by(|a, b| a.symbol.cmp(&b.symbol));
            }
            assert_eq!(got.map_err(|e| e.kind()), want, "{}", c.name);
        }
    }
}
