//! History from the broker: on an empty data directory, `/api/levels` has the previous
//! session, pivots and CPR within 10 s of start, equal to what the domain's formulas give
//! for the broker's own previous-day candle — the real `mandi` binary against a separately
//! started `mandi sim`, over Dhan's and Kite's historical endpoints, and in-process with
//! the embedded simulator. Older days of `/api/candles` come from the broker once, then
//! from local storage.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use mandi_domain::candles::ist_date;
use mandi_domain::levels::day_levels;
use mandi_domain::DayOhlc;
use mandi_server::app::{SIM_DHAN_CLIENT_ID, SIM_DHAN_TOKEN, SIM_KITE_API_KEY, SIM_KITE_TOKEN};
use mandi_testkit::{get_json, start_stack, wait_for, DEADLINE};
use serde_json::{json, Value};

const MANDI: &str = env!("CARGO_BIN_EXE_mandi-e2e");
/// What the issue promises: levels within this long of start, on an empty data directory.
const LEVELS_WITHIN: Duration = Duration::from_secs(10);

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the binary with `args` and `env`; returns it and the first stdout line that
/// starts with `prefix`, without the prefix.
fn spawn(args: &[&str], env: &[(&str, String)], prefix: &'static str) -> (Running, String) {
    let mut cmd = Command::new(MANDI);
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn mandi");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(prefix) {
                let _ = tx.send(rest.to_string());
            }
        }
    });
    let running = Running(child);
    let found = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("mandi {args:?} never printed {prefix:?}"));
    (running, found)
}

fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandi-history-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data dir");
    dir
}

#[derive(Clone, Copy, Debug)]
enum Broker {
    Dhan,
    Kite,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Broker::Dhan => "dhan",
            Broker::Kite => "kite",
        }
    }

    fn credentials(self) -> [(&'static str, String); 2] {
        match self {
            Broker::Dhan => [
                ("DHAN_CLIENT_ID", SIM_DHAN_CLIENT_ID.into()),
                ("DHAN_ACCESS_TOKEN", SIM_DHAN_TOKEN.into()),
            ],
            Broker::Kite => [
                ("KITE_API_KEY", SIM_KITE_API_KEY.into()),
                ("KITE_ACCESS_TOKEN", SIM_KITE_TOKEN.into()),
            ],
        }
    }

    fn master_path(self) -> &'static str {
        match self {
            Broker::Dhan => "/api-data/api-scrip-master.csv",
            Broker::Kite => "/instruments",
        }
    }
}

/// NIFTY's newest daily bar before today, straight from the simulator's history endpoint
/// of `broker`, read from the raw JSON.
async fn previous_day_from(broker: Broker, rest_url: &str) -> DayOhlc {
    let today = ist_date(Utc::now());
    let week_ago = today.checked_sub_days(Days::new(7)).expect("a date");
    let client = awc::Client::new();
    let body: Value = match broker {
        Broker::Dhan => {
            let mut resp = client
                .post(format!("{rest_url}/v2/charts/historical"))
                .insert_header(("access-token", SIM_DHAN_TOKEN))
                .insert_header(("client-id", SIM_DHAN_CLIENT_ID))
                .timeout(DEADLINE)
                .send_json(&json!({"securityId": "13", "exchangeSegment": "IDX_I",
                    "instrument": "INDEX", "expiryCode": 0, "oi": false,
                    "fromDate": week_ago.to_string(), "toDate": today.to_string()}))
                .await
                .expect("dhan history answers");
            resp.json().await.expect("dhan history is JSON")
        }
        Broker::Kite => {
            let url = format!(
                "{rest_url}/instruments/historical/256265/day?from={week_ago}+00:00:00&to={today}+00:00:00"
            );
            let mut resp = client
                .get(url)
                .insert_header((
                    "authorization",
                    format!("token {SIM_KITE_API_KEY}:{SIM_KITE_TOKEN}"),
                ))
                .insert_header(("x-kite-version", "3"))
                .timeout(DEADLINE)
                .send()
                .await
                .expect("kite history answers");
            resp.json().await.expect("kite history is JSON")
        }
    };
    let num = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {body}"));
    let (start_s, open, high, low, close) = match broker {
        Broker::Dhan => {
            let last = |k: &str| body[k].as_array().and_then(|a| a.last()).cloned();
            let col = |k: &str| num(&last(k).unwrap_or_else(|| panic!("no {k}: {body}")));
            (
                col("timestamp") as i64,
                col("open"),
                col("high"),
                col("low"),
                col("close"),
            )
        }
        Broker::Kite => {
            let rows = body["data"]["candles"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let row = rows.last().unwrap_or_else(|| panic!("no candles: {body}"));
            let at = chrono::DateTime::parse_from_str(
                row[0].as_str().unwrap_or_default(),
                "%Y-%m-%dT%H:%M:%S%z",
            )
            .expect("a kite time");
            (
                at.timestamp(),
                num(&row[1]),
                num(&row[2]),
                num(&row[3]),
                num(&row[4]),
            )
        }
    };
    let start = chrono::DateTime::from_timestamp(start_s, 0).expect("a time");
    DayOhlc {
        date: ist_date(start),
        open,
        high,
        low,
        close,
    }
}

/// `/api/levels` of NIFTY once it has pivots, within `deadline`.
async fn levels_with_pivots(base: &str, deadline: Duration) -> Value {
    let url = format!("{base}/api/levels?symbol=NIFTY");
    wait_for("levels with pivots", deadline, || async {
        let levels = get_json(&url).await;
        (!levels["pivots"].is_null()).then_some(levels)
    })
    .await
}

/// The levels' previous day, pivots and CPR are the domain's for `day`.
fn assert_levels_are_from(levels: &Value, day: &DayOhlc, case: &str) {
    let want = serde_json::to_value(day_levels(Utc::now(), Some(day), &[], None))
        .expect("levels serialise");
    for key in ["previous_day", "pivots", "cpr"] {
        assert_eq!(levels[key], want[key], "{case}: {key} in {levels}");
    }
}

/// One broker: `mandi run` against a separate `mandi sim`, empty data directory.
async fn levels_on_day_one_from(broker: Broker) {
    let case = broker.name();
    let (_sim, sim_ws) = spawn(
        &["sim", "--port", "0"],
        &[("MANDI__SIMULATOR__PORT", "0".into())],
        "mandi sim listening on ws://",
    );
    let sim_addr = sim_ws
        .split_whitespace()
        .next()
        .expect("an address")
        .to_string();
    let rest_url = format!("http://{sim_addr}");
    let dir = empty_dir(case);
    let mut env = vec![
        ("MANDI__SERVER__PORT", "0".to_string()),
        ("MANDI__SIMULATOR__ENABLED", "false".into()),
        ("MANDI__STORE__DATA_DIR", dir.to_string_lossy().into_owned()),
        ("MANDI__STRATEGIES__DIR", String::new()),
        ("MANDI__UPSTREAM__BROKER", case.into()),
        ("MANDI__UPSTREAM__WS_URL", format!("ws://{sim_addr}")),
        ("MANDI__UPSTREAM__REST_URL", rest_url.clone()),
        (
            "MANDI__MASTER__SOURCE",
            format!("{rest_url}{}", broker.master_path()),
        ),
    ];
    env.extend(broker.credentials());
    let started = Instant::now();
    let (_run, base) = spawn(&["run"], &env, "mandi listening on ");
    let levels = levels_with_pivots(&base, LEVELS_WITHIN.saturating_sub(started.elapsed())).await;
    let day = previous_day_from(broker, &rest_url).await;
    assert_levels_are_from(&levels, &day, case);

    let health = get_json(&format!("{base}/health")).await;
    let history = &health["history"];
    assert_eq!(history["requests_failed"], 0, "{case}: {history}");
    assert!(
        history["previous_days_loaded"].as_u64() >= Some(1),
        "{case}: {history}"
    );

    // The previous day's minutes: fetched once from the broker, then from storage.
    let date = day.date.to_string();
    let url = format!("{base}/api/candles?symbol=NIFTY&interval=60&from={date}&to={date}");
    let bars = get_json(&url).await;
    assert_eq!(
        (&bars["from"], &bars["to"]),
        (&json!(date), &json!(date)),
        "{case}"
    );
    let bars = bars["candles"].as_array().cloned().unwrap_or_default();
    assert_eq!(bars.len(), 7, "{case}: 09:15 to 15:30 in hours: {bars:?}");
    assert_eq!(
        bars[0]["open"],
        json!(day.open),
        "{case}: the session opens the day"
    );
    let high = bars
        .iter()
        .filter_map(|b| b["high"].as_f64())
        .fold(f64::MIN, f64::max);
    let low = bars
        .iter()
        .filter_map(|b| b["low"].as_f64())
        .fold(f64::MAX, f64::min);
    assert!(
        high >= day.high && low <= day.low,
        "{case}: {high} {low} {day:?}"
    );
    let stored = dir
        .join("history")
        .join("NIFTY")
        .join(format!("{date}.json"));
    assert!(stored.exists(), "{case}: {} kept", stored.display());
    let again = get_json(&url).await;
    assert_eq!(again["candles"].as_array().map(Vec::len), Some(7), "{case}");
    let health = get_json(&format!("{base}/health")).await;
    assert_eq!(
        health["history"]["days_from_storage"], 1,
        "{case}: the second ask is served from storage: {}",
        health["history"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_rt::test]
async fn dhan_history_gives_levels_on_day_one() {
    levels_on_day_one_from(Broker::Dhan).await;
}

#[actix_rt::test]
async fn kite_history_gives_levels_on_day_one() {
    levels_on_day_one_from(Broker::Kite).await;
}

#[actix_rt::test]
async fn the_embedded_simulator_gives_levels_at_once() {
    let started = Instant::now();
    let stack = start_stack(&[]).await;
    let levels = levels_with_pivots(&stack.url(""), LEVELS_WITHIN).await;
    let sim = stack.app.simulator.as_ref().expect("embedded simulator");
    let day = previous_day_from(Broker::Dhan, &sim.rest_url()).await;
    assert_levels_are_from(&levels, &day, "embedded");
    let today = ist_date(Utc::now());
    assert!(day.date < today, "{day:?}");
    assert!(
        started.elapsed() < LEVELS_WITHIN,
        "levels after {:?}",
        started.elapsed()
    );

    // Bad ranges name the parameter.
    for (query, parameter) in [
        ("from=yesterday", "from"),
        ("from=2026-11-21&to=2026-11-20", "from"),
        ("to=20-11-2026", "to"),
    ] {
        let url = stack.url(&format!("/api/candles?symbol=NIFTY&{query}"));
        let (status, err) = mandi_testkit::request_json("GET", &url, None).await;
        assert_eq!(status, 400, "{query}: {err}");
        assert_eq!(
            (&err["error"], &err["parameter"]),
            (&json!("bad_range"), &json!(parameter)),
            "{query}"
        );
    }
    // Today alone is the live minutes, as without a range.
    let today_only = get_json(&stack.url(&format!(
        "/api/candles?symbol=NIFTY&from={today}&to={today}"
    )))
    .await;
    assert!(
        today_only["candles"]
            .as_array()
            .is_some_and(|c| c.iter().all(|b| b["start"].as_str().is_some())),
        "{today_only}"
    );
    stack.stop().await;
}
