//! The compact tick encoding on the wire between the feed leader and the edges, and the
//! subject token a symbol travels under. A tick is the feed's merged `Tick` (not the
//! partial update), so the last one kept per instrument is a complete snapshot for a
//! subscriber that arrives later. Fixed little-endian fields, ~150 bytes without depth
//! against ~450 in JSON; the first byte is the format version so an edge that meets a
//! newer format says so instead of misreading it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{DepthLevel, Mode, Tick, TickSource, TickUpdate};

/// Bumped when the layout changes; an edge refuses other versions (counted, logged).
pub const FORMAT_VERSION: u8 = 2;

/// A tick as it crossed the backplane: the merged tick and when the leader published it
/// (the start of the backplane lag an edge measures).
#[derive(Clone, Debug, PartialEq)]
pub struct WireTick {
    pub published_at: DateTime<Utc>,
    pub tick: Tick,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("tick encoding version {0}, this build reads {FORMAT_VERSION}: run the same mandi version on every node")]
    Version(u8),
    #[error("tick payload ends at byte {0}, before its last field")]
    Short(usize),
    #[error("tick payload has a bad {0}")]
    Bad(&'static str),
}

/// Encode one tick for the wire.
pub fn encode(published_at: DateTime<Utc>, t: &Tick) -> Vec<u8> {
    let mut b = Vec::with_capacity(160);
    b.push(FORMAT_VERSION);
    put_time(&mut b, Some(published_at));
    let sym = t.symbol.as_bytes();
    // Symbols are short exchange names; longer ones are cut at 255 bytes, which no
    // exchange issues.
    let len = sym.len().min(255);
    b.push(len as u8);
    b.extend_from_slice(&sym[..len]);
    b.push(mode_byte(t.mode));
    b.push(source_byte(t.source));
    for f in [
        t.ltp,
        t.avg_price,
        t.bid,
        t.ask,
        t.open,
        t.high,
        t.low,
        t.prev_close,
    ] {
        b.extend_from_slice(&f.to_le_bytes());
    }
    for n in [t.volume, t.total_buy_qty, t.total_sell_qty, t.oi, t.prev_oi] {
        b.extend_from_slice(&n.to_le_bytes());
    }
    for n in [t.last_qty, t.bid_qty, t.ask_qty] {
        b.extend_from_slice(&n.to_le_bytes());
    }
    put_time(&mut b, t.exchange_time);
    put_time(&mut b, Some(t.received_time));
    match &t.depth {
        None => b.push(0),
        Some(levels) => {
            b.push(1);
            for l in levels {
                b.extend_from_slice(&l.bid_price.to_le_bytes());
                b.extend_from_slice(&l.ask_price.to_le_bytes());
                for n in [l.bid_qty, l.bid_orders, l.ask_qty, l.ask_orders] {
                    b.extend_from_slice(&n.to_le_bytes());
                }
            }
        }
    }
    b
}

/// Decode one tick; never panics on a bad payload.
pub fn decode(bytes: &[u8]) -> Result<WireTick, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.u8()?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::Version(version));
    }
    let published_at = r.time()?.ok_or(DecodeError::Bad("publish time"))?;
    let len = usize::from(r.u8()?);
    let symbol = std::str::from_utf8(r.take(len)?).map_err(|_| DecodeError::Bad("symbol"))?;
    let symbol: Arc<str> = Arc::from(symbol);
    let mode = mode_from(r.u8()?)?;
    let source = source_from(r.u8()?)?;
    let mut f = [0.0; 8];
    for slot in &mut f {
        *slot = r.f64()?;
    }
    let mut n = [0u64; 5];
    for slot in &mut n {
        *slot = r.u64()?;
    }
    let mut q = [0u32; 3];
    for slot in &mut q {
        *slot = r.u32()?;
    }
    let exchange_time = r.time()?;
    let received_time = r.time()?.ok_or(DecodeError::Bad("receive time"))?;
    let depth = match r.u8()? {
        0 => None,
        1 => {
            let mut levels = [DepthLevel::default(); 5];
            for l in &mut levels {
                l.bid_price = r.f64()?;
                l.ask_price = r.f64()?;
                l.bid_qty = r.u32()?;
                l.bid_orders = r.u32()?;
                l.ask_qty = r.u32()?;
                l.ask_orders = r.u32()?;
            }
            Some(levels)
        }
        _ => return Err(DecodeError::Bad("depth flag")),
    };
    Ok(WireTick {
        published_at,
        tick: Tick {
            symbol,
            mode,
            ltp: f[0],
            avg_price: f[1],
            bid: f[2],
            ask: f[3],
            open: f[4],
            high: f[5],
            low: f[6],
            prev_close: f[7],
            volume: n[0],
            total_buy_qty: n[1],
            total_sell_qty: n[2],
            oi: n[3],
            prev_oi: n[4],
            last_qty: q[0],
            bid_qty: q[1],
            ask_qty: q[2],
            depth,
            exchange_time,
            received_time,
            source,
        },
    })
}

/// The merged tick as an update for an edge's own price store, which merges it like any
/// other: every field set, so the edge's picture equals the leader's.
pub fn as_update(t: &Tick) -> TickUpdate {
    // A tick without depth still carries its best bid and ask: the edge's store takes
    // them from the first level.
    let depth = t.depth.or_else(|| {
        (t.bid != 0.0 || t.ask != 0.0).then(|| {
            let mut levels = [DepthLevel::default(); 5];
            levels[0] = DepthLevel {
                bid_price: t.bid,
                bid_qty: t.bid_qty,
                ask_price: t.ask,
                ask_qty: t.ask_qty,
                ..DepthLevel::default()
            };
            levels
        })
    });
    TickUpdate {
        symbol: t.symbol.clone(),
        mode: Some(t.mode),
        ltp: Some(t.ltp),
        last_qty: Some(t.last_qty),
        avg_price: Some(t.avg_price),
        volume: Some(t.volume),
        total_buy_qty: Some(t.total_buy_qty),
        total_sell_qty: Some(t.total_sell_qty),
        open: Some(t.open),
        high: Some(t.high),
        low: Some(t.low),
        prev_close: Some(t.prev_close),
        oi: Some(t.oi),
        // 0 is "not known": it must not overwrite what the edge may know.
        prev_oi: (t.prev_oi > 0).then_some(t.prev_oi),
        depth,
        exchange_time: t.exchange_time,
        received_time: t.received_time,
        source: t.source,
    }
}

/// A symbol as one NATS subject token (and key-value key): NATS reserves `.`, `*`, `>`
/// and whitespace, and KV keys allow only `[A-Za-z0-9_=/.-]`, so everything else is
/// written `=XX` (hex). Exchange symbols are plain (`NIFTY26DEC26000CE`), so this is
/// almost always the symbol itself; `M&M` becomes `M=26M`.
pub fn symbol_token(symbol: &str) -> String {
    let mut out = String::with_capacity(symbol.len());
    for b in symbol.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out
}

/// The inverse of [`symbol_token`]; `None` for a token no symbol maps to.
pub fn token_symbol(token: &str) -> Option<String> {
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mode_byte(m: Mode) -> u8 {
    match m {
        Mode::Ltp => 0,
        Mode::Quote => 1,
        Mode::Full => 2,
    }
}

fn mode_from(b: u8) -> Result<Mode, DecodeError> {
    Ok(match b {
        0 => Mode::Ltp,
        1 => Mode::Quote,
        2 => Mode::Full,
        _ => return Err(DecodeError::Bad("mode")),
    })
}

fn source_byte(s: TickSource) -> u8 {
    match s {
        TickSource::Socket => 0,
        TickSource::Rest => 1,
        TickSource::Snapshot => 2,
    }
}

fn source_from(b: u8) -> Result<TickSource, DecodeError> {
    Ok(match b {
        0 => TickSource::Socket,
        1 => TickSource::Rest,
        2 => TickSource::Snapshot,
        _ => return Err(DecodeError::Bad("source")),
    })
}

/// Microseconds since the epoch; `i64::MIN` is "none".
fn put_time(b: &mut Vec<u8>, t: Option<DateTime<Utc>>) {
    let micros = t.map_or(i64::MIN, |t| t.timestamp_micros());
    b.extend_from_slice(&micros.to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Short(self.at))?;
        let out = self
            .bytes
            .get(self.at..end)
            .ok_or(DecodeError::Short(self.bytes.len()))?;
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn time(&mut self) -> Result<Option<DateTime<Utc>>, DecodeError> {
        let micros = i64::from_le_bytes(self.array()?);
        if micros == i64::MIN {
            return Ok(None);
        }
        DateTime::from_timestamp_micros(micros)
            .map(Some)
            .ok_or(DecodeError::Bad("timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1000)
            .single()
            .expect("valid time")
    }

    fn tick(symbol: &str, depth: bool) -> Tick {
        let mut t = Tick::empty(symbol.into(), at(1_780_000_000, 123_456));
        t.mode = Mode::Full;
        t.ltp = 25_750.55;
        t.volume = 1_234_567;
        t.oi = 99;
        t.last_qty = 75;
        t.bid = 25_750.5;
        t.ask = 25_750.6;
        t.exchange_time = Some(at(1_780_000_000, 0));
        t.source = TickSource::Rest;
        if depth {
            let mut levels = [DepthLevel::default(); 5];
            for (i, l) in levels.iter_mut().enumerate() {
                l.bid_price = 100.0 - i as f64;
                l.ask_qty = 10 * i as u32;
            }
            // The merged tick's best bid and ask are the first level's.
            t.bid = levels[0].bid_price;
            t.ask = levels[0].ask_price;
            t.bid_qty = levels[0].bid_qty;
            t.ask_qty = levels[0].ask_qty;
            t.depth = Some(levels);
        }
        t
    }

    #[test]
    fn ticks_survive_the_wire() {
        let published = at(1_780_000_001, 5);
        for (case, t) in [
            ("plain", tick("NIFTY", false)),
            ("with depth", tick("NIFTY26DEC26000CE", true)),
            ("no exchange time", {
                let mut t = tick("RELIANCE", false);
                t.exchange_time = None;
                t
            }),
            ("reserved characters", tick("M&M.X", false)),
        ] {
            let bytes = encode(published, &t);
            let back = decode(&bytes).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(back.tick, t, "{case}");
            assert_eq!(back.published_at, published, "{case}");
        }
    }

    #[test]
    fn bad_payloads_are_errors_not_panics() {
        let good = encode(at(1, 0), &tick("NIFTY", true));
        for (case, bytes, want) in [
            ("empty", vec![], DecodeError::Short(0)),
            ("newer version", vec![9, 0, 0], DecodeError::Version(9)),
            ("cut short", good[..40].to_vec(), DecodeError::Short(40)),
            ("cut in depth", good[..good.len() - 1].to_vec(), {
                DecodeError::Short(good.len() - 1)
            }),
        ] {
            assert_eq!(decode(&bytes), Err(want), "{case}");
        }
    }

    #[test]
    fn the_encoding_is_compact() {
        let t = tick("NIFTY", false);
        let bytes = encode(at(1, 0), &t).len();
        let json = serde_json::to_vec(&t).map(|v| v.len()).unwrap_or(0);
        assert!(bytes * 2 < json, "{bytes} bytes against {json} in JSON");
    }

    #[test]
    fn an_update_rebuilds_the_same_tick() {
        for (case, t) in [
            ("with depth", tick("NIFTY", true)),
            ("best bid/ask only", tick("NIFTY", false)),
        ] {
            let mut rebuilt = Tick::empty(t.symbol.clone(), at(0, 0));
            assert!(rebuilt.apply(&as_update(&t)), "{case}");
            assert_eq!(rebuilt.ltp, t.ltp, "{case}");
            assert_eq!((rebuilt.bid, rebuilt.ask), (t.bid, t.ask), "{case}");
            assert_eq!(rebuilt.volume, t.volume, "{case}");
            assert_eq!(rebuilt.mode, t.mode, "{case}");
        }
    }

    #[test]
    fn symbols_map_to_tokens_and_back() {
        for (symbol, token) in [
            ("NIFTY", "NIFTY"),
            ("NIFTY26DEC26000CE", "NIFTY26DEC26000CE"),
            ("M&M", "M=26M"),
            ("BAJAJ-AUTO", "BAJAJ-AUTO"),
            ("A.B*C>", "A=2EB=2AC=3E"),
            ("a b", "a=20b"),
        ] {
            assert_eq!(symbol_token(symbol), token, "{symbol}");
            assert_eq!(token_symbol(token).as_deref(), Some(symbol), "{token}");
        }
        assert_eq!(token_symbol("BAD=Z"), None, "a cut escape");
    }
}
