//! Config loading and validation cases.

use std::io::Write;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_env(pairs: &[(&str, &str)]) -> Result<MandiConfig, ConfigError> {
    load(None, env(pairs))
}

#[test]
fn embedded_default_loads() {
    let cfg = load_env(&[]).expect("default config is valid");
    assert_eq!(cfg.server.port, 8000);
    assert_eq!(cfg.broker(), Broker::Dhan);
    assert!(cfg.simulator.enabled);
    assert!(cfg.always_open(), "simulator on ⇒ always open by default");
    assert!(cfg.instruments().iter().any(|i| &*i.symbol == "CRUDEOIL"));
}

#[test]
fn environment_overrides_with_double_underscore() {
    let cfg = load_env(&[
        ("MANDI__SERVER__PORT", "8010"),
        ("MANDI__UPSTREAM__BROKER", "kite"),
        ("MANDI__SIMULATOR__ENABLED", "false"),
        ("MANDI__UPSTREAM__WS_URL", "ws://127.0.0.1:9100"),
        (
            "MANDI__SERVER__CORS_ORIGINS",
            "https://a.example,https://b.example",
        ),
        ("UNRELATED", "x"),
    ])
    .expect("valid");
    assert_eq!(cfg.server.port, 8010);
    assert_eq!(cfg.broker(), Broker::Kite);
    assert!(!cfg.always_open());
    assert_eq!(
        cfg.server.cors_origins,
        vec!["https://a.example", "https://b.example"]
    );
    let up = cfg.upstream_settings(None);
    assert_eq!(up.ws_url, "ws://127.0.0.1:9100");
    assert_eq!(
        up.rest_url, "https://api.kite.trade",
        "empty rest_url ⇒ the broker's own"
    );
    assert_eq!(up.read_idle_timeout_ms, 5_000, "kite's idle rule");
}

struct TestCase {
    name: &'static str,
    env: &'static [(&'static str, &'static str)],
    key: &'static str,
}

#[test]
fn bad_values_name_the_key() {
    let cases = [
        TestCase {
            name: "broker",
            env: &[("MANDI__UPSTREAM__BROKER", "zerodha")],
            key: "upstream.broker",
        },
        TestCase {
            name: "ws url",
            env: &[("MANDI__UPSTREAM__WS_URL", "http://x")],
            key: "upstream.ws_url",
        },
        TestCase {
            name: "port type",
            env: &[("MANDI__SERVER__PORT", "eighty")],
            key: "server.port",
        },
        TestCase {
            name: "port range",
            env: &[("MANDI__SERVER__PORT", "70000")],
            key: "server.port",
        },
        TestCase {
            name: "unknown key",
            env: &[("MANDI__SERVER__PROT", "1")],
            key: "server",
        },
        TestCase {
            name: "rate written as a percentage",
            env: &[("MANDI__OPTION_CHAIN__RISK_FREE_RATE_ANNUAL", "6.5")],
            key: "option_chain.risk_free_rate_annual",
        },
        TestCase {
            name: "negative dividend yield",
            env: &[("MANDI__OPTION_CHAIN__DIVIDEND_YIELD_ANNUAL", "-0.01")],
            key: "option_chain.dividend_yield_annual",
        },
        TestCase {
            name: "zero interval",
            env: &[("MANDI__BROADCAST__HEARTBEAT_INTERVAL_MS", "0")],
            key: "broadcast.heartbeat_interval_ms",
        },
        TestCase {
            name: "feed stale before quiet",
            env: &[
                ("MANDI__BROADCAST__FEED_QUIET_AFTER_S", "20"),
                ("MANDI__BROADCAST__FEED_STALE_AFTER_S", "10"),
            ],
            key: "broadcast.feed_stale_after_s",
        },
        TestCase {
            name: "factor",
            env: &[("MANDI__UPSTREAM__BACKOFF_FACTOR", "0.5")],
            key: "upstream.backoff_factor",
        },
        TestCase {
            name: "more connections than dhan allows",
            env: &[("MANDI__UPSTREAM__MAX_CONNECTIONS", "6")],
            key: "upstream.max_connections",
        },
        TestCase {
            name: "more connections than kite allows",
            env: &[
                ("MANDI__UPSTREAM__BROKER", "kite"),
                ("MANDI__UPSTREAM__MAX_CONNECTIONS", "4"),
            ],
            key: "upstream.max_connections",
        },
        TestCase {
            name: "more instruments per connection than dhan allows",
            env: &[("MANDI__UPSTREAM__MAX_INSTRUMENTS_PER_CONNECTION", "5001")],
            key: "upstream.max_instruments_per_connection",
        },
        TestCase {
            name: "no flush window",
            env: &[("MANDI__UPSTREAM__SUBSCRIBE_FLUSH_MS", "0")],
            key: "upstream.subscribe_flush_ms",
        },
        TestCase {
            name: "no subscribe messages at all",
            env: &[("MANDI__UPSTREAM__MAX_SUBSCRIBE_MESSAGES_PER_S", "0")],
            key: "upstream.max_subscribe_messages_per_s",
        },
        TestCase {
            name: "master cache age",
            env: &[("MANDI__MASTER__MAX_AGE_HOURS", "0")],
            key: "master.max_age_hours",
        },
        TestCase {
            name: "master mirror not a URL",
            env: &[("MANDI__MASTER__BROKER_URL", "images.dhan.co/x.csv")],
            key: "master.broker_url",
        },
        TestCase {
            name: "unknown price symbol",
            env: &[("MANDI__PRICES__SYMBOLS", "NIFTY,GOLD")],
            key: "prices.symbols[1]",
        },
    ];
    for c in cases {
        let err = load_env(c.env).expect_err(c.name);
        assert_eq!(err.key, c.key, "{}: {err}", c.name);
        assert!(!err.fix.is_empty(), "{}", c.name);
    }
}

#[test]
fn upstream_limits_default_to_the_brokers_and_may_be_lowered() {
    let cases = [
        ("dhan default", vec![], (5, 5000)),
        (
            "kite default",
            vec![("MANDI__UPSTREAM__BROKER", "kite")],
            (3, 3000),
        ),
        (
            "lowered",
            vec![
                ("MANDI__UPSTREAM__MAX_CONNECTIONS", "3"),
                ("MANDI__UPSTREAM__MAX_INSTRUMENTS_PER_CONNECTION", "200"),
            ],
            (3, 200),
        ),
    ];
    for (name, env, want) in cases {
        let up = load_env(&env).expect(name).upstream_settings(None);
        assert_eq!(
            (up.max_connections, up.max_instruments_per_connection),
            want,
            "{name}"
        );
        assert_eq!(
            (up.subscribe_flush_ms, up.max_subscribe_messages_per_s),
            (100, 10),
            "{name}"
        );
    }
}

#[test]
fn overlay_file_and_bad_segment() {
    let dir = std::env::temp_dir().join(format!("mandi-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("bad.toml");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "[[instruments]]\nsymbol = \"X\"\nexchange = \"NSE\"\nsegment = \"NSE_XX\"\nsecurity_id = 1\nkite_token = 2\nkite_key = \"NSE:X\"\ntick_size = 0.05\nlot_size = 1\nsim_price = 10.0").expect("write");
    let err = load(Some(&path), Vec::new()).expect_err("bad segment");
    assert_eq!(err.key, "instruments[0].segment");
    assert!(err.fix.contains("NSE_EQ"), "{err}");
    let missing = load(Some(&dir.join("nope.toml")), Vec::new()).expect_err("missing file");
    assert_eq!(missing.key, "--config");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn holidays_reach_the_calendar_and_bad_dates_name_the_key() {
    use chrono::NaiveDate;
    use mandi_domain::Exchange;
    let dir = std::env::temp_dir().join(format!("mandi-holidays-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[market]\nalways_open = false\n[market.holidays]\nnse = [\"2026-01-26\"]\n",
    )
    .expect("write");
    let cfg = load(Some(&good), Vec::new()).expect("valid holidays");
    let cal = cfg.calendar();
    let republic_day = NaiveDate::from_ymd_opt(2026, 1, 26).expect("date");
    assert!(!cal.is_trading_day(Exchange::Nse, republic_day));
    assert!(
        cal.is_trading_day(Exchange::Mcx, republic_day),
        "separate lists per exchange"
    );

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[market.holidays]\nnse = [\"26/01/2026\"]\n").expect("write");
    let err = load(Some(&bad), Vec::new()).expect_err("bad date");
    assert!(err.key.starts_with("market"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

struct PathCase {
    name: &'static str,
    /// Files written into the scratch config directory.
    files: &'static [(&'static str, &'static str)],
    /// What `--config` names, relative to the scratch directory ("" = no `--config`).
    config: &'static str,
    env: &'static [(&'static str, &'static str)],
    key: &'static str,
    /// The wanted path: `{cfg}` is the scratch config directory, `{cwd}` the working one.
    want: &'static str,
}

#[test]
fn relative_paths_resolve_against_the_layer_that_set_them() {
    let cases = [
        PathCase {
            name: "compiled-in default: ./config/strategies",
            files: &[],
            config: "",
            env: &[],
            key: "strategies.dir",
            want: "{cwd}/config/strategies",
        },
        PathCase {
            name: "compiled-in default data dir: ./data",
            files: &[],
            config: "",
            env: &[],
            key: "store.data_dir",
            want: "{cwd}/data",
        },
        PathCase {
            name: "directory's default.toml sets it: from that directory",
            files: &[("default.toml", "[strategies]\ndir = \"strategies\"\n")],
            config: ".",
            env: &[],
            key: "strategies.dir",
            want: "{cfg}/strategies",
        },
        PathCase {
            name: "local.toml over default.toml",
            files: &[
                (
                    "default.toml",
                    "[store]\ndata_dir = \"a\"\npersist_interval_ms = 5000\n",
                ),
                ("local.toml", "[store]\ndata_dir = \"../state\"\n"),
            ],
            config: ".",
            env: &[],
            key: "store.data_dir",
            want: "{cfg}/../state",
        },
        PathCase {
            name: "a file named directly: its own directory",
            files: &[(
                "mine.toml",
                "[upstream]\ncredentials_file = \"secrets/creds.env\"\n",
            )],
            config: "mine.toml",
            env: &[],
            key: "upstream.credentials_file",
            want: "{cfg}/secrets/creds.env",
        },
        PathCase {
            name: "a directory without the key: the compiled-in default's place",
            files: &[("local.toml", "[server]\nport = 8001\n")],
            config: ".",
            env: &[],
            key: "strategies.dir",
            want: "{cwd}/config/strategies",
        },
        PathCase {
            name: "environment beats the file, from the working directory",
            files: &[("default.toml", "[strategies]\ndir = \"strategies\"\n")],
            config: ".",
            env: &[("MANDI__STRATEGIES__DIR", "bots")],
            key: "strategies.dir",
            want: "{cwd}/bots",
        },
        PathCase {
            name: "absolute stays",
            files: &[("default.toml", "[strategies]\ndir = \"/srv/bots\"\n")],
            config: ".",
            env: &[],
            key: "strategies.dir",
            want: "/srv/bots",
        },
        PathCase {
            name: "empty stays empty",
            files: &[],
            config: "",
            env: &[("MANDI__STORE__DATA_DIR", "")],
            key: "store.data_dir",
            want: "",
        },
        PathCase {
            name: "a master file from the file's directory",
            files: &[(
                "default.toml",
                "[master]\nsource = \"dhan.csv\"\nmax_age_hours = 12\ndownload_timeout_s = 120\n",
            )],
            config: ".",
            env: &[],
            key: "master.source",
            want: "{cfg}/dhan.csv",
        },
        PathCase {
            name: "the broker keyword is no path",
            files: &[],
            config: "",
            env: &[("MANDI__MASTER__SOURCE", "broker")],
            key: "master.source",
            want: "broker",
        },
    ];
    let root = std::env::temp_dir().join(format!("mandi-paths-{}", std::process::id()));
    for (i, c) in cases.iter().enumerate() {
        let cfg_dir = root.join(format!("case{i}")).join("conf");
        let cwd = root.join(format!("case{i}")).join("elsewhere");
        std::fs::create_dir_all(&cfg_dir).expect("config dir");
        std::fs::create_dir_all(&cwd).expect("working dir");
        for (name, text) in c.files {
            std::fs::write(cfg_dir.join(name), text).expect("write config file");
        }
        let config_path = (!c.config.is_empty()).then(|| cfg_dir.join(c.config));
        let cfg = load_in(config_path.as_deref(), env(c.env), &cwd)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let want = c
            .want
            .replace("{cfg}", &cfg_dir.display().to_string())
            .replace("{cwd}", &cwd.display().to_string());
        let want = if want.is_empty() {
            String::new()
        } else {
            // Compare as the loader prints them: `..` taken out.
            std::path::Path::new(&want)
                .components()
                .fold(std::path::PathBuf::new(), |mut p, part| {
                    match part {
                        std::path::Component::ParentDir => {
                            p.pop();
                        }
                        std::path::Component::CurDir => {}
                        other => p.push(other.as_os_str()),
                    }
                    p
                })
                .display()
                .to_string()
        };
        let got = cfg
            .resolved_paths
            .iter()
            .find(|p| p.key == c.key)
            .unwrap_or_else(|| panic!("{}: {} reported", c.name, c.key));
        assert_eq!(got.resolved, want, "{}", c.name);
        let in_config = match c.key {
            "strategies.dir" => &cfg.strategies.dir,
            "store.data_dir" => &cfg.store.data_dir,
            "upstream.credentials_file" => &cfg.upstream.credentials_file,
            _ => &cfg.master.source,
        };
        assert_eq!(in_config, &want, "{}: the config itself holds it", c.name);
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_missing_or_empty_strategies_dir_is_noted() {
    let root = std::env::temp_dir().join(format!("mandi-bots-note-{}", std::process::id()));
    let empty = root.join("empty");
    let full = root.join("full");
    std::fs::create_dir_all(&empty).expect("empty dir");
    std::fs::create_dir_all(&full).expect("full dir");
    std::fs::write(
        full.join("b.toml"),
        "name = \"b\"\nunderlying = \"NIFTY\"\n",
    )
    .expect("bot file");
    let missing = root.join("missing");
    let cases = [
        ("unset", String::new(), Some(StrategiesDirNote::Unset)),
        (
            "missing",
            missing.display().to_string(),
            Some(StrategiesDirNote::Missing(missing.clone())),
        ),
        (
            "empty",
            empty.display().to_string(),
            Some(StrategiesDirNote::Empty(empty.clone())),
        ),
        ("one bot", full.display().to_string(), None),
    ];
    for (name, dir, want) in cases {
        let cfg = load_env(&[("MANDI__STRATEGIES__DIR", dir.as_str())]).expect(name);
        assert_eq!(cfg.strategies_dir_note(), want, "{name}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn retry_floors_reach_the_upstream_and_bad_ones_name_the_key() {
    let cfg = load_env(&[
        ("MANDI__UPSTREAM__THROTTLED_RETRY_FLOOR_MS", "5000"),
        ("MANDI__UPSTREAM__AUTH_RETRY_FLOOR_MS", "1000"),
    ])
    .expect("valid floors");
    let up = cfg.upstream_settings(None);
    assert_eq!(
        (
            up.auth_retry_floor_ms,
            up.throttled_retry_floor_ms,
            up.fatal_retry_floor_ms
        ),
        (1000, 5000, 600_000)
    );
    for key in ["AUTH", "THROTTLED", "FATAL"] {
        let var = format!("MANDI__UPSTREAM__{key}_RETRY_FLOOR_MS");
        let err = load(None, vec![(var.clone(), "3600001".to_string())]).expect_err(&var);
        assert_eq!(
            err.key,
            format!("upstream.{}_retry_floor_ms", key.to_lowercase()),
            "{var}: {err}"
        );
    }
}

#[test]
fn continuous_entries_default_and_bad_ones_name_the_key() {
    let cfg = load_env(&[]).expect("default config is valid");
    let specs = cfg.continuous_futures();
    let crude = specs
        .iter()
        .find(|s| &*s.symbol == "CRUDEOIL")
        .expect("CRUDEOIL is continuous by default");
    assert_eq!(&*crude.underlying, "CRUDEOIL");
    assert_eq!(crude.exchange, mandi_domain::Exchange::Mcx);
    assert_eq!(crude.roll_days_before_expiry, DEFAULT_ROLL_DAYS);
    assert_eq!(&*crude.config_key, "instruments[2].continuous");

    let dir = std::env::temp_dir().join(format!("mandi-continuous-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let entry = |extra: &str, segment: &str| {
        format!("[prices]\nsymbols = [\"X\"]\n[[instruments]]\nsymbol = \"X\"\nexchange = \"MCX\"\nsegment = \"{segment}\"\nsecurity_id = 1\nkite_token = 2\nkite_key = \"MCX:X\"\ntick_size = 1.0\nlot_size = 1\nsim_price = 10.0\n{extra}")
    };
    struct ContinuousCase {
        name: &'static str,
        text: String,
        /// `Ok(roll days)` or the key the error names.
        want: Result<u32, &'static str>,
    }
    let cases = [
        ContinuousCase {
            name: "roll days default",
            text: entry("continuous = \"CRUDEOIL\"", "MCX_COMM"),
            want: Ok(DEFAULT_ROLL_DAYS),
        },
        ContinuousCase {
            name: "roll days given",
            text: entry(
                "continuous = \"CRUDEOIL\"\nroll_days_before_expiry = 5",
                "MCX_COMM",
            ),
            want: Ok(5),
        },
        ContinuousCase {
            name: "roll days without continuous",
            text: entry("roll_days_before_expiry = 5", "MCX_COMM"),
            want: Err("instruments[0].roll_days_before_expiry"),
        },
        ContinuousCase {
            name: "empty underlying",
            text: entry("continuous = \" \"", "MCX_COMM"),
            want: Err("instruments[0].continuous"),
        },
        ContinuousCase {
            name: "not a futures segment",
            text: entry("continuous = \"CRUDEOIL\"", "NSE_EQ"),
            want: Err("instruments[0].continuous"),
        },
        ContinuousCase {
            name: "roll past a month",
            text: entry(
                "continuous = \"CRUDEOIL\"\nroll_days_before_expiry = 21",
                "MCX_COMM",
            ),
            want: Err("instruments[0].roll_days_before_expiry"),
        },
    ];
    for c in cases {
        let path = dir.join("continuous.toml");
        std::fs::write(&path, &c.text).expect("write");
        let got = load(Some(&path), Vec::new());
        match (got, c.want) {
            (Ok(cfg), Ok(days)) => {
                let specs = cfg.continuous_futures();
                assert_eq!(specs.len(), 1, "{}", c.name);
                assert_eq!(specs[0].roll_days_before_expiry, days, "{}", c.name);
            }
            (Err(err), Err(key)) => assert_eq!(err.key, key, "{}: {err}", c.name),
            (got, want) => panic!("{}: got {got:?}, want {want:?}", c.name),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
