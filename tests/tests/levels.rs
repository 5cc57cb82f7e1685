//! Chart data over HTTP: `/api/candles?interval=` bars agree with the 1-minute candles and
//! sit on the session grid, a bad interval is a 400 naming it, and `/api/levels` answers
//! pivots, CPR, previous day and today's range — from live simulator prices, and from a
//! snapshot written at yesterday's close.

use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_domain::{Candle, DayOhlc};
use mandi_fanout::price_store::{Snapshot, SNAPSHOT_FILE};
use mandi_simulator::QuotePin;
use mandi_testkit::{get_json, request_json, start_stack, wait_for, Stack, DEADLINE};
use serde_json::{json, Value};

fn ist_today() -> NaiveDate {
    Utc::now().with_timezone(&IST).date_naive()
}

/// `date` at IST wall-clock `h:m`.
fn ist(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    date.and_hms_opt(h, m, 0)
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

fn start_of(bar: &Value) -> DateTime<Utc> {
    bar["start"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bar without a start: {bar}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The 1-minute candles and `other` fetched between two identical 1-minute reads, so both
/// answers describe the same prices. The symbol is pinned at its current price first: the
/// simulator ticks every 50 ms, and an unpinned index moves on nearly every tick.
async fn consistent(stack: &Stack, symbol: &str, other: &str) -> (Value, Value) {
    let sim = stack.app.simulator.as_ref().expect("embedded simulator");
    let now = wait_for("a first price", DEADLINE, || async {
        get_json(&stack.url("/prices")).await[symbol].as_f64()
    })
    .await;
    sim.pin_quotes([(symbol, QuotePin::at(now))])
        .await
        .expect("pin the symbol");
    let minutes_url = stack.url(&format!("/api/candles?symbol={symbol}"));
    let other_url = stack.url(other);
    wait_for("two identical reads of the candles", DEADLINE, || async {
        let before = get_json(&minutes_url).await;
        let answer = get_json(&other_url).await;
        let after = get_json(&minutes_url).await;
        let has_minutes = before["candles"].as_array().is_some_and(|c| !c.is_empty());
        (has_minutes && before == after).then_some((before, answer))
    })
    .await
}

#[actix_rt::test]
async fn five_minute_bars_agree_with_the_minutes_and_bad_input_is_named() {
    let stack = start_stack(&[]).await;
    let (minutes, bars) = consistent(&stack, "NIFTY", "/api/candles?symbol=NIFTY&interval=5").await;
    assert_eq!(minutes["interval"], "1m", "no interval means 1 minute");
    assert_eq!(bars["symbol"], "NIFTY");
    assert_eq!(bars["interval"], "5m");

    // NIFTY counts from 09:15 IST = 03:45 UTC, so its 5-minute grid is the UTC one.
    let minutes = minutes["candles"].as_array().cloned().unwrap_or_default();
    let bars = bars["candles"].as_array().cloned().unwrap_or_default();
    assert!(!bars.is_empty());
    for bar in &bars {
        assert_eq!(start_of(bar).timestamp() % 300, 0, "on the grid: {bar}");
        let inside: Vec<&Value> = minutes
            .iter()
            .filter(|m| start_of(m).timestamp() / 300 == start_of(bar).timestamp() / 300)
            .collect();
        assert!(!inside.is_empty(), "a bar comes from minutes: {bar}");
        let high = inside
            .iter()
            .map(|m| num(&m["high"]))
            .fold(f64::MIN, f64::max);
        let low = inside
            .iter()
            .map(|m| num(&m["low"]))
            .fold(f64::MAX, f64::min);
        let volume: u64 = inside.iter().filter_map(|m| m["volume"].as_u64()).sum();
        assert_eq!(bar["open"], inside[0]["open"], "{bar}");
        assert_eq!(bar["close"], inside[inside.len() - 1]["close"], "{bar}");
        assert_eq!((num(&bar["high"]), num(&bar["low"])), (high, low), "{bar}");
        assert_eq!(bar["volume"], volume, "{bar}");
    }
    let covered: usize = bars
        .iter()
        .map(|b| {
            minutes
                .iter()
                .filter(|m| start_of(m).timestamp() / 300 == start_of(b).timestamp() / 300)
                .count()
        })
        .sum();
    assert_eq!(covered, minutes.len(), "every minute is in exactly one bar");

    let (status, err) = request_json(
        "GET",
        &stack.url("/api/candles?symbol=NIFTY&interval=7"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"], "bad_interval");
    assert_eq!(err["parameter"], "interval");
    assert_eq!(err["valid"], json!([1, 3, 5, 10, 15, 30, 60]));
    let message = err["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("interval must be one of 1, 3, 5, 10, 15, 30, 60"),
        "{message}"
    );

    let (status, err) = request_json("GET", &stack.url("/api/candles?interval=5"), None).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("symbol")),
        "names the missing parameter: {err}"
    );
    for path in ["/api/candles?symbol=NOPE", "/api/levels?symbol=NOPE"] {
        let (status, err) = request_json("GET", &stack.url(path), None).await;
        assert_eq!(
            (status, &err["error"]),
            (404, &json!("unknown_symbol")),
            "{path}"
        );
    }
    stack.stop().await;
}

#[actix_rt::test]
async fn fresh_stack_levels_say_why_pivots_are_missing_and_today_matches_the_candles() {
    // Without the broker's history (tests/tests/history.rs has it on) nothing of an
    // earlier session is known.
    let stack = start_stack(&[("MANDI__HISTORY__ENABLED", "false")]).await;
    let (minutes, levels) = consistent(&stack, "NIFTY", "/api/levels?symbol=NIFTY").await;
    assert_eq!(levels["symbol"], "NIFTY");
    assert_eq!(levels["date"], ist_today().to_string());

    // Nothing of an earlier session has been seen: no pivots, and a note saying why.
    // Dhan sends the previous close, which is then all the previous day holds.
    assert_eq!(levels["pivots"], Value::Null, "{levels}");
    assert_eq!(levels["cpr"], Value::Null, "{levels}");
    let note = levels["note"].as_str().unwrap_or_default();
    assert!(note.contains("pivots and CPR"), "{levels}");
    let previous = &levels["previous_day"];
    if !previous.is_null() {
        for key in ["date", "open", "high", "low"] {
            assert_eq!(previous[key], Value::Null, "{key} unknown: {levels}");
        }
        assert!(num(&previous["close"]) > 0.0, "{levels}");
        assert!(note.contains("previous close"), "{note}");
    }

    let minutes = minutes["candles"].as_array().cloned().unwrap_or_default();
    let today = &levels["today"];
    let close_to = |got: &Value, want: f64| (num(got) - want).abs() < 0.005;
    let high = minutes
        .iter()
        .map(|m| num(&m["high"]))
        .fold(f64::MIN, f64::max);
    let low = minutes
        .iter()
        .map(|m| num(&m["low"]))
        .fold(f64::MAX, f64::min);
    assert!(
        close_to(&today["open"], num(&minutes[0]["open"])),
        "{levels}"
    );
    assert!(close_to(&today["high"], high), "{levels}");
    assert!(close_to(&today["low"], low), "{levels}");
    let last = num(&minutes[minutes.len() - 1]["close"]);
    assert!(close_to(&today["last"], last), "{levels}");
    stack.stop().await;
}

fn candle(start: DateTime<Utc>, ohlc: (f64, f64, f64, f64), volume: u64) -> Candle {
    let (open, high, low, close) = ohlc;
    Candle {
        start,
        open,
        high,
        low,
        close,
        volume,
    }
}

/// A snapshot as a run that ended yesterday would leave it: HDFCBANK's minutes are
/// yesterday's; TCS has today's minutes (09:17 missing) and a stored previous session.
fn write_snapshot(dir: &Path, today: NaiveDate) {
    let yesterday = today.checked_sub_days(Days::new(1)).expect("a date");
    let earlier = today.checked_sub_days(Days::new(3)).expect("a date");
    let tcs = [
        (15, (100.0, 101.0, 99.0, 100.5)),
        (16, (100.5, 103.0, 100.0, 102.0)),
        (18, (102.0, 102.5, 98.0, 99.0)),
        (19, (99.0, 100.0, 98.5, 99.5)),
        (20, (99.5, 104.0, 99.5, 103.0)),
        (21, (103.0, 103.5, 101.0, 101.5)),
    ]
    .map(|(m, ohlc)| candle(ist(today, 9, m), ohlc, 10));
    let hdfc = vec![
        candle(ist(yesterday, 9, 15), (100.0, 110.0, 100.0, 105.0), 5),
        candle(ist(yesterday, 15, 29), (105.0, 106.0, 101.0, 101.0), 5),
    ];
    let snapshot = Snapshot {
        saved_at: ist(yesterday, 15, 30),
        ticks: Vec::new(),
        candles: vec![("HDFCBANK".into(), hdfc), ("TCS".into(), tcs.to_vec())],
        previous_days: vec![(
            "TCS".into(),
            DayOhlc {
                date: earlier,
                open: 95.0,
                high: 120.0,
                low: 90.0,
                close: 105.0,
            },
        )],
    };
    std::fs::create_dir_all(dir).expect("data dir");
    let bytes = serde_json::to_vec(&snapshot).expect("snapshot serialises");
    std::fs::write(dir.join(SNAPSHOT_FILE), bytes).expect("write snapshot");
}

#[actix_rt::test]
async fn restored_sessions_give_exact_bars_and_levels() {
    let dir = std::env::temp_dir().join(format!("mandi-levels-e2e-{}", std::process::id()));
    let today = ist_today();
    write_snapshot(&dir, today);
    let dir_str = dir.to_string_lossy().to_string();
    // The snapshot alone: the broker's history would replace these sessions.
    let stack = start_stack(&[
        ("MANDI__STORE__DATA_DIR", dir_str.as_str()),
        ("MANDI__HISTORY__ENABLED", "false"),
    ])
    .await;

    let bars = get_json(&stack.url("/api/candles?symbol=TCS&interval=5")).await;
    let start = |m: u32| ist(today, 9, m).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(
        bars,
        json!({"symbol": "TCS", "interval": "5m", "candles": [
            {"start": start(15), "open": 100.0, "high": 103.0, "low": 98.0, "close": 99.5, "volume": 40},
            {"start": start(20), "open": 99.5, "high": 104.0, "low": 99.5, "close": 101.5, "volume": 20},
        ]}),
        "09:17 missing, 09:20 bar partial"
    );
    let hourly = get_json(&stack.url("/api/candles?symbol=TCS&interval=60m")).await;
    assert_eq!(
        hourly["candles"][0]["start"],
        start(15),
        "an NSE hour opens at 09:15"
    );
    assert_eq!(hourly["candles"].as_array().map(Vec::len), Some(1));

    let tcs = get_json(&stack.url("/api/levels?symbol=TCS")).await;
    assert_eq!(
        tcs,
        json!({
            "symbol": "TCS",
            "date": today.to_string(),
            "previous_day": {"date": today.checked_sub_days(Days::new(3)).map(|d| d.to_string()),
                             "open": 95.0, "high": 120.0, "low": 90.0, "close": 105.0},
            // P = (120 + 90 + 105)/3 = 105; BC = 105 = TC.
            "pivots": {"p": 105.0, "r1": 120.0, "r2": 135.0, "r3": 150.0,
                       "s1": 90.0, "s2": 75.0, "s3": 60.0},
            "cpr": {"top": 105.0, "bottom": 105.0, "pivot": 105.0, "width_pct": 0.0},
            "today": {"open": 100.0, "high": 104.0, "low": 98.0, "last": 101.5},
        })
    );

    // Yesterday's minutes became the previous day at restore: H 110, L 100, C 101.
    let hdfc = get_json(&stack.url("/api/levels?symbol=HDFCBANK")).await;
    let yesterday = today.checked_sub_days(Days::new(1)).map(|d| d.to_string());
    assert_eq!(
        hdfc["previous_day"],
        json!({"date": yesterday, "open": 100.0, "high": 110.0, "low": 100.0, "close": 101.0})
    );
    // P = 311/3 = 103.667; BC = 105 is above TC = 102.333; width 2.667/103.667 = 2.57 %.
    assert_eq!(
        hdfc["pivots"],
        json!({"p": 103.67, "r1": 107.33, "r2": 113.67, "r3": 117.33,
               "s1": 97.33, "s2": 93.67, "s3": 87.33})
    );
    assert_eq!(
        hdfc["cpr"],
        json!({"top": 105.0, "bottom": 102.33, "pivot": 103.67, "width_pct": 2.57})
    );
    assert_eq!(hdfc["today"], Value::Null);
    assert_eq!(hdfc["note"], "no candles today yet");
    let hdfc_minutes = get_json(&stack.url("/api/candles?symbol=HDFCBANK")).await;
    assert_eq!(
        hdfc_minutes["candles"],
        json!([]),
        "yesterday's minutes are not today's"
    );

    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
