//! `mandi sim --record-day DATE`: a whole synthetic session written straight to a
//! recording file at full speed — the same price models and packet encoders the feed
//! sessions use, stepped every `tick_interval_ms` of the day's sessions, with no socket.
//! Tests, benchmarks and new users get days to replay without a broker account.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use mandi_domain::{Exchange, Instrument, MarketCalendar, Mode};
use mandi_recording::{Header, Record, RecordKind, SegmentWriter, FORMAT_VERSION};

use crate::market::{self, MarketSnapshot, Universe};
use crate::settings::SimSettings;
use crate::{dhan, kite};

/// Options kept per underlying: the nearest expiry, strikes within this fraction of the
/// underlying's price at the day's first step (what a CE/PE bot can pick at ATM ± a few).
const STRIKE_BAND: f64 = 0.005;

/// Which broker's wire format, and where.
pub struct RecordDay {
    pub broker: String,
    pub date: NaiveDate,
    /// `<store.data_dir>/recordings`; the file goes in its `<date>` directory.
    pub root: PathBuf,
    /// Limits the day to `[from, to)` (tests, benchmarks); `None` is the whole session.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// What was written.
#[derive(Debug)]
pub struct RecordedDay {
    pub path: PathBuf,
    pub instruments: usize,
    pub records: u64,
    pub bytes: u64,
}

/// Writes the day. Refuses a date on which no exchange of the universe trades.
pub fn record_day(
    settings: &SimSettings,
    calendar: &MarketCalendar,
    day: &RecordDay,
) -> io::Result<RecordedDay> {
    let mut settings = settings.clone();
    settings.derivatives.start_date = Some(day.date);
    let exchanges: Vec<Exchange> = settings
        .universe
        .iter()
        .map(|s| s.instrument.exchange)
        .collect();
    let bounds = exchanges
        .iter()
        .filter_map(|&e| calendar.session_bounds(e, day.date))
        .fold(
            None,
            |acc: Option<(DateTime<Utc>, DateTime<Utc>)>, (o, c)| {
                Some(acc.map_or((o, c), |(a, b)| (a.min(o), b.max(c))))
            },
        );
    let (open, close) = match (day.window, bounds) {
        (Some(w), _) => w,
        (None, Some(b)) => b,
        (None, None) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is not a trading day of any configured exchange (weekend or holiday)",
                    day.date
                ),
            ));
        }
    };
    let (universe, mut models) = market::build(&settings, open);
    let first = models.snapshot(open);
    let chosen = choose(&universe, &first, day.date);
    let header = Header {
        format_version: FORMAT_VERSION,
        broker: day.broker.clone(),
        source: "synthetic".into(),
        created_ns: nanos(open),
        ist_date: day.date.to_string(),
        instruments: chosen
            .iter()
            .filter_map(|&i| universe.get(i).cloned())
            .collect(),
    };
    let dir = day.root.join(day.date.to_string());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("synthetic-{}.mrec", day.broker));
    let mut writer = SegmentWriter::new(BufWriter::new(File::create(&path)?), &header)?;
    let mut sent = vec![0u64; universe.len()];
    let mut records = 0u64;
    let step = Duration::milliseconds(settings.tick_interval_ms.max(1) as i64);
    let mut now = open;
    let mut last_flush = open;
    while now < close {
        models.step(now);
        let snapshot = models.snapshot(now);
        let live: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&i| {
                universe
                    .get(i)
                    .is_some_and(|ins| calendar.is_open(ins.exchange, now))
            })
            .filter(|&i| snapshot.quote(i).is_some_and(|q| q.version > sent[i]))
            .collect();
        for frame in frames(&day.broker, &universe, &snapshot, &live, &sent, now) {
            writer.push(&Record {
                received_ns: nanos(now),
                connection: 0,
                kind: RecordKind::Binary,
                payload: Bytes::from(frame),
            })?;
            records += 1;
        }
        for &i in &live {
            sent[i] = snapshot.quote(i).map_or(sent[i], |q| q.version);
        }
        // One block per recorded second, as the live recorder flushes.
        if now - last_flush >= Duration::seconds(1) {
            writer.flush_block()?;
            last_flush = now;
        }
        now += step;
    }
    let bytes = writer
        .finish()
        .map(|w| w.get_ref().metadata().map(|m| m.len()).unwrap_or(0))?;
    Ok(RecordedDay {
        path,
        instruments: chosen.len(),
        records,
        bytes,
    })
}

/// The configured instruments, and per underlying the nearest expiry's options and
/// futures near its price.
fn choose(universe: &Universe, first: &MarketSnapshot, date: NaiveDate) -> Vec<usize> {
    let price_of = |name: &str| {
        universe
            .iter()
            .position(|i| i.derivative.is_none() && &*i.symbol == name)
            .and_then(|idx| first.quote(idx))
            .map(|q| q.ltp)
    };
    let mut nearest: std::collections::HashMap<&str, NaiveDate> = std::collections::HashMap::new();
    for i in universe.iter() {
        if let Some(d) = &i.derivative {
            if d.expiry >= date {
                let e = nearest.entry(&d.underlying).or_insert(d.expiry);
                *e = (*e).min(d.expiry);
            }
        }
    }
    universe
        .iter()
        .enumerate()
        .filter(|(_, i)| match &i.derivative {
            None => true,
            Some(d) => {
                nearest.get(&*d.underlying) == Some(&d.expiry)
                    && match (d.strike, price_of(&d.underlying)) {
                        (None, _) => true,
                        (Some(k), Some(p)) => (k - p).abs() <= p * STRIKE_BAND,
                        (Some(_), None) => false,
                    }
            }
        })
        .map(|(idx, _)| idx)
        .collect()
}

/// The frames a subscribed session would get this step: Dhan one packet per frame (a
/// previous-close packet first for an instrument's first frame), Kite one frame.
fn frames(
    broker: &str,
    universe: &Universe,
    snapshot: &MarketSnapshot,
    live: &[usize],
    sent: &[u64],
    now: DateTime<Utc>,
) -> Vec<Vec<u8>> {
    let rows = live
        .iter()
        .filter_map(|&i| Some((i, universe.get(i)?, snapshot.quote(i)?)));
    match broker {
        "kite" => {
            let packets: Vec<_> = rows
                .map(|(_, i, q)| kite::packets::packet(i, q, Mode::Full, now))
                .collect();
            if packets.is_empty() {
                Vec::new()
            } else {
                packets
                    .chunks(usize::from(u16::MAX))
                    .map(mandi_protocol::kite::encode_frame)
                    .collect()
            }
        }
        _ => rows
            .flat_map(|(idx, i, q): (usize, &Instrument, _)| {
                let first = (sent[idx] == 0).then(|| dhan::packets::prev_close(i, q));
                first
                    .into_iter()
                    .chain(dhan::packets::for_mode(i, q, Mode::Full))
            })
            .map(|p| p.encode())
            .collect(),
    }
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or_default()
}

/// Where `--record-day` writes by default when the config keeps nothing on disk.
pub fn default_root() -> &'static Path {
    Path::new("recordings")
}
