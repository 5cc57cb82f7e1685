//! Calendar tests: phase boundaries, holidays, MCX's US-DST close, the schedule, and a
//! child-process check that answers do not depend on the process time zone.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, Offset, TimeZone, Utc};

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// An IST wall-clock instant, for readable tables.
fn ist(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    ist_instant(
        date(y, m, d),
        NaiveTime::from_hms_opt(h, mi, s).unwrap_or_default(),
    )
}

/// A UTC instant written out independently of the code under test.
fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, mi, 0)
        .single()
        .unwrap_or_default()
}

/// 2026-01-26 (Monday, Republic Day) is an NSE/BSE holiday; MCX is left trading on it.
fn calendar() -> MarketCalendar {
    MarketCalendar::new(CalendarSettings {
        holidays: HolidayLists {
            nse: vec![date(2026, 1, 26)],
            bse: vec![date(2026, 1, 26)],
            mcx: vec![],
        },
        always_open: false,
    })
}

#[test]
fn phase_cases() {
    struct TestCase {
        name: &'static str,
        exchange: Exchange,
        at: DateTime<Utc>,
        want: MarketPhase,
    }
    use Exchange::{Bse, Mcx, Nse};
    use MarketPhase::*;
    // 2026-07-15 and 2026-12-16 are Wednesdays, 2026-07-18 a Saturday.
    let cases = [
        TestCase {
            name: "nse 08:59:59 closed",
            exchange: Nse,
            at: ist(2026, 7, 15, 8, 59, 59),
            want: Closed,
        },
        TestCase {
            name: "nse 09:00:00 pre-open",
            exchange: Nse,
            at: ist(2026, 7, 15, 9, 0, 0),
            want: PreOpen,
        },
        TestCase {
            name: "nse 09:07:59 pre-open",
            exchange: Nse,
            at: ist(2026, 7, 15, 9, 7, 59),
            want: PreOpen,
        },
        TestCase {
            name: "nse 09:08:00 matching",
            exchange: Nse,
            at: ist(2026, 7, 15, 9, 8, 0),
            want: PreOpenMatching,
        },
        TestCase {
            name: "nse 09:14:59 matching",
            exchange: Nse,
            at: ist(2026, 7, 15, 9, 14, 59),
            want: PreOpenMatching,
        },
        TestCase {
            name: "nse 09:15:00 open",
            exchange: Nse,
            at: ist(2026, 7, 15, 9, 15, 0),
            want: Open,
        },
        TestCase {
            name: "nse 09:15:00 open, utc literal",
            exchange: Nse,
            at: utc(2026, 7, 15, 3, 45),
            want: Open,
        },
        TestCase {
            name: "nse 15:29:59 open",
            exchange: Nse,
            at: ist(2026, 7, 15, 15, 29, 59),
            want: Open,
        },
        TestCase {
            name: "nse 15:30:00 post-close",
            exchange: Nse,
            at: ist(2026, 7, 15, 15, 30, 0),
            want: PostClose,
        },
        TestCase {
            name: "nse 15:30:00 post-close, utc literal",
            exchange: Nse,
            at: utc(2026, 7, 15, 10, 0),
            want: PostClose,
        },
        TestCase {
            name: "nse 15:59:59 post-close",
            exchange: Nse,
            at: ist(2026, 7, 15, 15, 59, 59),
            want: PostClose,
        },
        TestCase {
            name: "nse 16:00:00 closed",
            exchange: Nse,
            at: ist(2026, 7, 15, 16, 0, 0),
            want: Closed,
        },
        TestCase {
            name: "bse follows nse hours",
            exchange: Bse,
            at: ist(2026, 7, 15, 9, 15, 0),
            want: Open,
        },
        TestCase {
            name: "nse saturday",
            exchange: Nse,
            at: ist(2026, 7, 18, 10, 0, 0),
            want: Closed,
        },
        TestCase {
            name: "mcx sunday",
            exchange: Mcx,
            at: ist(2026, 7, 19, 10, 0, 0),
            want: Closed,
        },
        TestCase {
            name: "nse configured holiday",
            exchange: Nse,
            at: ist(2026, 1, 26, 10, 0, 0),
            want: Closed,
        },
        TestCase {
            name: "mcx trades on the nse holiday",
            exchange: Mcx,
            at: ist(2026, 1, 26, 10, 0, 0),
            want: Open,
        },
        TestCase {
            name: "mcx 08:59:59 closed",
            exchange: Mcx,
            at: ist(2026, 7, 15, 8, 59, 59),
            want: Closed,
        },
        TestCase {
            name: "mcx 09:00:00 open",
            exchange: Mcx,
            at: ist(2026, 7, 15, 9, 0, 0),
            want: Open,
        },
        TestCase {
            name: "mcx july 23:29:59 open",
            exchange: Mcx,
            at: ist(2026, 7, 15, 23, 29, 59),
            want: Open,
        },
        TestCase {
            name: "mcx july 23:30:00 closed",
            exchange: Mcx,
            at: ist(2026, 7, 15, 23, 30, 0),
            want: Closed,
        },
        TestCase {
            name: "mcx december 23:30:00 open",
            exchange: Mcx,
            at: ist(2026, 12, 16, 23, 30, 0),
            want: Open,
        },
        TestCase {
            name: "mcx december 23:54:59 open",
            exchange: Mcx,
            at: ist(2026, 12, 16, 23, 54, 59),
            want: Open,
        },
        TestCase {
            name: "mcx december 23:55:00 closed",
            exchange: Mcx,
            at: ist(2026, 12, 16, 23, 55, 0),
            want: Closed,
        },
    ];
    let cal = calendar();
    for c in cases {
        assert_eq!(cal.phase(c.exchange, c.at), c.want, "{}", c.name);
        assert_eq!(
            cal.is_open(c.exchange, c.at),
            c.want == Open,
            "{} is_open",
            c.name
        );
    }
}

#[test]
fn always_open_opens_is_open_only() {
    let cal = MarketCalendar::new(CalendarSettings {
        always_open: true,
        ..CalendarSettings::default()
    });
    let saturday_night = ist(2026, 7, 18, 3, 0, 0);
    for x in [Exchange::Nse, Exchange::Bse, Exchange::Mcx] {
        assert!(cal.is_open(x, saturday_night), "{x:?} is_open");
        assert_eq!(
            cal.next_open(x, saturday_night),
            saturday_night,
            "{x:?} next_open"
        );
        assert_eq!(
            cal.phase(x, saturday_night),
            MarketPhase::Closed,
            "{x:?} phase stays real"
        );
        assert_eq!(
            cal.session_bounds(x, date(2026, 7, 18)),
            None,
            "{x:?} bounds stay real"
        );
    }
}

#[test]
fn session_bounds_cases() {
    struct TestCase {
        name: &'static str,
        exchange: Exchange,
        date: NaiveDate,
        want: Option<(DateTime<Utc>, DateTime<Utc>)>,
    }
    let cases = [
        TestCase {
            name: "nse july: 09:15–15:30 IST",
            exchange: Exchange::Nse,
            date: date(2026, 7, 15),
            want: Some((utc(2026, 7, 15, 3, 45), utc(2026, 7, 15, 10, 0))),
        },
        TestCase {
            name: "mcx july: 09:00–23:30 IST",
            exchange: Exchange::Mcx,
            date: date(2026, 7, 15),
            want: Some((utc(2026, 7, 15, 3, 30), utc(2026, 7, 15, 18, 0))),
        },
        TestCase {
            name: "mcx december: 09:00–23:55 IST",
            exchange: Exchange::Mcx,
            date: date(2026, 12, 16),
            want: Some((utc(2026, 12, 16, 3, 30), utc(2026, 12, 16, 18, 25))),
        },
        TestCase {
            name: "saturday",
            exchange: Exchange::Nse,
            date: date(2026, 7, 18),
            want: None,
        },
        TestCase {
            name: "bse holiday",
            exchange: Exchange::Bse,
            date: date(2026, 1, 26),
            want: None,
        },
    ];
    let cal = calendar();
    for c in cases {
        assert_eq!(cal.session_bounds(c.exchange, c.date), c.want, "{}", c.name);
        assert_eq!(
            cal.is_trading_day(c.exchange, c.date),
            c.want.is_some(),
            "{}",
            c.name
        );
    }
}

#[test]
fn next_open_cases() {
    struct TestCase {
        name: &'static str,
        exchange: Exchange,
        now: DateTime<Utc>,
        want: DateTime<Utc>,
    }
    let cases = [
        TestCase {
            name: "friday close to tuesday over weekend and holiday",
            exchange: Exchange::Nse,
            now: ist(2026, 1, 23, 15, 30, 0),
            want: utc(2026, 1, 27, 3, 45),
        },
        TestCase {
            name: "friday evening to monday over a plain weekend",
            exchange: Exchange::Nse,
            now: ist(2026, 7, 17, 18, 0, 0),
            want: utc(2026, 7, 20, 3, 45),
        },
        TestCase {
            name: "pre-open waits for 09:15 the same day",
            exchange: Exchange::Nse,
            now: ist(2026, 7, 15, 9, 5, 0),
            want: utc(2026, 7, 15, 3, 45),
        },
        TestCase {
            name: "already open returns now",
            exchange: Exchange::Nse,
            now: ist(2026, 7, 15, 11, 0, 0),
            want: ist(2026, 7, 15, 11, 0, 0),
        },
        TestCase {
            name: "mcx opens on the nse holiday",
            exchange: Exchange::Mcx,
            now: ist(2026, 1, 26, 8, 0, 0),
            want: utc(2026, 1, 26, 3, 30),
        },
        TestCase {
            name: "mcx after the december close goes to the next morning",
            exchange: Exchange::Mcx,
            now: ist(2026, 12, 16, 23, 55, 0),
            want: utc(2026, 12, 17, 3, 30),
        },
    ];
    let cal = calendar();
    for c in cases {
        assert_eq!(cal.next_open(c.exchange, c.now), c.want, "{}", c.name);
    }
}

#[test]
fn absurd_holiday_list_still_answers() {
    let every_day: Vec<NaiveDate> = date(2026, 1, 1).iter_days().take(400).collect();
    let cal = MarketCalendar::new(CalendarSettings {
        holidays: HolidayLists {
            nse: every_day.clone(),
            bse: every_day.clone(),
            mcx: every_day,
        },
        always_open: false,
    });
    let now = ist(2026, 3, 2, 10, 0, 0);
    let later = now + TimeDelta::days(30);
    assert_eq!(cal.next_open(Exchange::Nse, now), later);
    let schedule = DailySchedule::new(cal);
    assert!(schedule.schedule_for(date(2026, 3, 2)).is_empty());
    assert_eq!(schedule.next_job(now), (ScheduledJob::TokenCheck, later));
}

#[test]
fn extreme_instants_do_not_panic() {
    let schedule = DailySchedule::new(calendar());
    let cal = schedule.calendar();
    for now in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        for x in [Exchange::Nse, Exchange::Bse, Exchange::Mcx] {
            assert_eq!(cal.phase(x, now), MarketPhase::Closed, "{now} {x:?}");
            assert!(cal.next_open(x, now) >= now, "{now} {x:?} next_open");
        }
        assert!(schedule.next_job(now).1 >= now, "{now} next_job");
    }
    // The end of time saturates instead of overflowing.
    let end = DateTime::<Utc>::MAX_UTC;
    assert_eq!(cal.next_open(Exchange::Nse, end), end);
}

#[test]
fn schedule_cases() {
    use ScheduledJob::*;
    struct TestCase {
        name: &'static str,
        date: NaiveDate,
        want: Vec<(ScheduledJob, DateTime<Utc>)>,
    }
    let cases = [
        TestCase {
            name: "july weekday",
            date: date(2026, 7, 15),
            want: vec![
                (MasterRefresh, utc(2026, 7, 15, 3, 5)),
                (TokenCheck, utc(2026, 7, 15, 3, 20)),
                (Connect, utc(2026, 7, 15, 3, 25)),
                (EndOfDay(Exchange::Nse), utc(2026, 7, 15, 10, 0)),
                (EndOfDay(Exchange::Bse), utc(2026, 7, 15, 10, 0)),
                (EndOfDay(Exchange::Mcx), utc(2026, 7, 15, 18, 0)),
            ],
        },
        TestCase {
            name: "december weekday: mcx closes 23:55",
            date: date(2026, 12, 16),
            want: vec![
                (MasterRefresh, utc(2026, 12, 16, 3, 5)),
                (TokenCheck, utc(2026, 12, 16, 3, 20)),
                (Connect, utc(2026, 12, 16, 3, 25)),
                (EndOfDay(Exchange::Nse), utc(2026, 12, 16, 10, 0)),
                (EndOfDay(Exchange::Bse), utc(2026, 12, 16, 10, 0)),
                (EndOfDay(Exchange::Mcx), utc(2026, 12, 16, 18, 25)),
            ],
        },
        TestCase {
            name: "nse/bse holiday keeps the mcx day",
            date: date(2026, 1, 26),
            want: vec![
                (MasterRefresh, utc(2026, 1, 26, 3, 5)),
                (TokenCheck, utc(2026, 1, 26, 3, 20)),
                (Connect, utc(2026, 1, 26, 3, 25)),
                (EndOfDay(Exchange::Mcx), utc(2026, 1, 26, 18, 25)),
            ],
        },
        TestCase {
            name: "saturday is empty",
            date: date(2026, 7, 18),
            want: vec![],
        },
    ];
    let schedule = DailySchedule::new(calendar());
    for c in cases {
        let got = schedule.schedule_for(c.date);
        assert_eq!(got, c.want, "{}", c.name);
        assert!(
            got.windows(2).all(|w| w[0].1 <= w[1].1),
            "{} sorted",
            c.name
        );
    }
}

#[test]
fn next_job_cases() {
    struct TestCase {
        name: &'static str,
        now: DateTime<Utc>,
        want: (ScheduledJob, DateTime<Utc>),
    }
    let cases = [
        TestCase {
            name: "early morning: master refresh",
            now: ist(2026, 7, 15, 6, 0, 0),
            want: (ScheduledJob::MasterRefresh, utc(2026, 7, 15, 3, 5)),
        },
        TestCase {
            name: "exactly at the master refresh: the token check",
            now: utc(2026, 7, 15, 3, 5),
            want: (ScheduledJob::TokenCheck, utc(2026, 7, 15, 3, 20)),
        },
        TestCase {
            name: "exactly at token check: the next job, not a repeat",
            now: utc(2026, 7, 15, 3, 20),
            want: (ScheduledJob::Connect, utc(2026, 7, 15, 3, 25)),
        },
        TestCase {
            name: "at the nse/bse close: both already due, so mcx end-of-day",
            now: utc(2026, 7, 15, 10, 0),
            want: (
                ScheduledJob::EndOfDay(Exchange::Mcx),
                utc(2026, 7, 15, 18, 0),
            ),
        },
        TestCase {
            name: "after the mcx close (00:30 IST next day): next morning's refresh",
            now: utc(2026, 7, 15, 19, 0),
            want: (ScheduledJob::MasterRefresh, utc(2026, 7, 16, 3, 5)),
        },
        TestCase {
            name: "friday night to monday",
            now: ist(2026, 7, 17, 23, 59, 0),
            want: (ScheduledJob::MasterRefresh, utc(2026, 7, 20, 3, 5)),
        },
    ];
    let schedule = DailySchedule::new(calendar());
    for c in cases {
        assert_eq!(schedule.next_job(c.now), c.want, "{}", c.name);
    }
}

#[test]
fn settings_deserialise_strictly() {
    let ok: Result<CalendarSettings, _> = serde_json::from_str(
        r#"{"holidays": {"nse": ["2026-01-26"], "mcx": []}, "always_open": true}"#,
    );
    let want = CalendarSettings {
        holidays: HolidayLists {
            nse: vec![date(2026, 1, 26)],
            ..HolidayLists::default()
        },
        always_open: true,
    };
    assert_eq!(ok.ok(), Some(want), "full settings");
    let empty: Result<CalendarSettings, _> = serde_json::from_str("{}");
    assert_eq!(
        empty.ok(),
        Some(CalendarSettings::default()),
        "empty is default"
    );
    for bad in [
        r#"{"always_opn": true}"#,
        r#"{"holidays": {"nsee": []}}"#,
        r#"{"holidays": {"nse": ["26/01/2026"]}}"#,
    ] {
        assert!(
            serde_json::from_str::<CalendarSettings>(bad).is_err(),
            "{bad}"
        );
    }
}

// --- Process time zone independence -------------------------------------------------------

const PROBE_ENV: &str = "MANDI_CALENDAR_TZ_PROBE";
const PROBE_TEST: &str = "calendar::tests::tz_probe_child";
const PROBE_PREFIX: &str = "probe: ";
const LOCAL_PREFIX: &str = "local_offset: ";

/// What the child computes: bounds, phases, next opens and schedules for fixed dates.
fn probe_lines() -> Vec<String> {
    let cal = calendar();
    let schedule = DailySchedule::new(cal.clone());
    let mut out = Vec::new();
    for d in [date(2026, 7, 15), date(2026, 12, 16)] {
        for x in [Exchange::Nse, Exchange::Mcx] {
            if let Some((open, close)) = cal.session_bounds(x, d) {
                out.push(format!(
                    "{d} {x:?} bounds {} {}",
                    open.to_rfc3339(),
                    close.to_rfc3339()
                ));
            }
        }
        for (job, at) in schedule.schedule_for(d) {
            out.push(format!("{d} job {job:?} {}", at.to_rfc3339()));
        }
    }
    let friday_close = utc(2026, 1, 23, 10, 0);
    out.push(format!(
        "next_open {}",
        cal.next_open(Exchange::Nse, friday_close).to_rfc3339()
    ));
    out.push(format!(
        "phase {:?}",
        cal.phase(Exchange::Nse, utc(2026, 7, 15, 3, 44))
    ));
    out
}

/// The expected probe output, written as UTC literals derived by hand from IST.
const PROBE_WANT: &[&str] = &[
    "2026-07-15 Nse bounds 2026-07-15T03:45:00+00:00 2026-07-15T10:00:00+00:00",
    "2026-07-15 Mcx bounds 2026-07-15T03:30:00+00:00 2026-07-15T18:00:00+00:00",
    "2026-07-15 job MasterRefresh 2026-07-15T03:05:00+00:00",
    "2026-07-15 job TokenCheck 2026-07-15T03:20:00+00:00",
    "2026-07-15 job Connect 2026-07-15T03:25:00+00:00",
    "2026-07-15 job EndOfDay(Nse) 2026-07-15T10:00:00+00:00",
    "2026-07-15 job EndOfDay(Bse) 2026-07-15T10:00:00+00:00",
    "2026-07-15 job EndOfDay(Mcx) 2026-07-15T18:00:00+00:00",
    "2026-12-16 Nse bounds 2026-12-16T03:45:00+00:00 2026-12-16T10:00:00+00:00",
    "2026-12-16 Mcx bounds 2026-12-16T03:30:00+00:00 2026-12-16T18:25:00+00:00",
    "2026-12-16 job MasterRefresh 2026-12-16T03:05:00+00:00",
    "2026-12-16 job TokenCheck 2026-12-16T03:20:00+00:00",
    "2026-12-16 job Connect 2026-12-16T03:25:00+00:00",
    "2026-12-16 job EndOfDay(Nse) 2026-12-16T10:00:00+00:00",
    "2026-12-16 job EndOfDay(Bse) 2026-12-16T10:00:00+00:00",
    "2026-12-16 job EndOfDay(Mcx) 2026-12-16T18:25:00+00:00",
    "next_open 2026-01-27T03:45:00+00:00",
    "phase PreOpenMatching",
];

/// Child half of [`results_do_not_depend_on_process_time_zone`]; a no-op unless spawned
/// by it, so `cargo test -- --ignored` stays green.
#[test]
#[ignore = "spawned by results_do_not_depend_on_process_time_zone"]
fn tz_probe_child() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    // Proves the TZ variable took effect in this process; reading the zone of a fixed
    // instant is not reading the clock.
    let local = chrono::Local.offset_from_utc_datetime(&utc(2026, 12, 16, 0, 0).naive_utc());
    println!("{LOCAL_PREFIX}{}", local.fix());
    for line in probe_lines() {
        println!("{PROBE_PREFIX}{line}");
    }
}

/// Runs this test binary's probe under `tz`, returning (local offset line, probe lines).
// The harness may read the wall clock to bound the child; the calendar itself never does.
#[allow(clippy::disallowed_methods)]
fn run_probe(tz: &str) -> (String, Vec<String>) {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut child = Command::new(exe)
        .args([
            PROBE_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, "1")
        .env("TZ", tz)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn probe under TZ={tz}: {e}"));
    // Bounded: the child runs one tiny test; kill it rather than hang the suite.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                panic!("probe under TZ={tz} did not finish in time");
            }
        }
    };
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    assert!(status.success(), "probe under TZ={tz} failed:\n{stdout}");
    let local = stdout
        .lines()
        .find_map(|l| l.split_once(LOCAL_PREFIX).map(|(_, rest)| rest))
        .unwrap_or_default()
        .to_owned();
    let lines = stdout
        .lines()
        .filter_map(|l| l.split_once(PROBE_PREFIX).map(|(_, rest)| rest))
        .map(str::to_owned)
        .collect();
    (local, lines)
}

#[test]
fn results_do_not_depend_on_process_time_zone() {
    let (utc_local, under_utc) = run_probe("UTC");
    let (ny_local, under_ny) = run_probe("America/New_York");
    assert_eq!(
        under_utc, PROBE_WANT,
        "TZ=UTC matches the IST-derived instants"
    );
    assert_eq!(under_ny, under_utc, "TZ=America/New_York matches TZ=UTC");
    assert_eq!(utc_local, "+00:00", "TZ=UTC took effect in the child");
    // Without tzdata the New York child silently runs as UTC, proving nothing about it.
    if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
        assert_eq!(
            ny_local, "-05:00",
            "TZ=America/New_York took effect in the child"
        );
    }
}

// --- Properties over arbitrary instants ------------------------------------------------------

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// 2000-01-01 to 2100-01-01 in Unix seconds: the span tzdata and the exchanges care about.
    const FROM_S: i64 = 946_684_800;
    const TO_S: i64 = 4_102_444_800;

    fn instant(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    proptest! {
        #[test]
        fn open_phase_agrees_with_session_bounds(secs in FROM_S..TO_S, x in 0usize..3) {
            let exchange = [Exchange::Nse, Exchange::Bse, Exchange::Mcx][x];
            let cal = calendar();
            let now = instant(secs);
            let today = ist_wall_clock(now).map(|t| t.date()).unwrap_or_default();
            let inside = cal
                .session_bounds(exchange, today)
                .is_some_and(|(open, close)| (open..close).contains(&now));
            prop_assert_eq!(cal.phase(exchange, now) == MarketPhase::Open, inside);
        }

        #[test]
        fn next_open_is_an_open_instant_within_days(secs in FROM_S..TO_S, x in 0usize..3) {
            let exchange = [Exchange::Nse, Exchange::Bse, Exchange::Mcx][x];
            let cal = MarketCalendar::default();
            let now = instant(secs);
            let next = cal.next_open(exchange, now);
            prop_assert!(next >= now);
            prop_assert!(cal.is_open(exchange, next));
            // Friday after the close to Monday's open is the longest wait without holidays.
            prop_assert!(next - now < TimeDelta::days(4));
        }

        #[test]
        fn next_job_is_strictly_later_and_listed(secs in FROM_S..TO_S) {
            let schedule = DailySchedule::new(calendar());
            let now = instant(secs);
            let (job, at) = schedule.next_job(now);
            prop_assert!(at > now);
            let day = ist_wall_clock(at).map(|t| t.date()).unwrap_or_default();
            prop_assert!(schedule.schedule_for(day).contains(&(job, at)));
        }
    }
}
