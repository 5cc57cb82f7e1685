//! The host's decisions: what a pass over the strategy files changes, and what a publish
//! puts in a bot's inbox.

use chrono::TimeZone;

use super::*;

const ORB: &str = "name = \"orb\"\nunderlying = \"NIFTY\"\nstop_loss_pct = 20.0\n";

fn orb(stop: &str) -> String {
    ORB.replace("20.0", stop)
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(format!("strategies/{name}.toml"))
}

fn on_disk(files: &[(&str, Option<&str>)]) -> Vec<DiskFile> {
    files
        .iter()
        .map(|(name, text)| DiskFile {
            path: path(name),
            text: text.map(str::to_owned),
        })
        .collect()
}

/// A change as the tests name it: `start orb`, `reload orb`, `refuse <file>: <why>`, ...
fn summary(change: &FileChange) -> String {
    match change {
        FileChange::Start { file, .. } => format!("start {}", file.settings.name),
        FileChange::Reload { name, .. } => format!("reload {name}"),
        FileChange::Refuse { error } => {
            let why = error.to_string();
            let file = why
                .split_whitespace()
                .nth(2)
                .unwrap_or_default()
                .trim_end_matches(':')
                .to_string();
            let kind = if why.contains("renamed") {
                "rename"
            } else if why.contains("underlying changed") {
                "underlying"
            } else if why.contains("already runs") {
                "duplicate"
            } else {
                "invalid"
            };
            format!("refuse {file} ({kind})")
        }
        FileChange::NotStarted { name, .. } => format!("not started {name}"),
        FileChange::Removed { name, .. } => format!("removed {name}"),
    }
}

struct TestCase {
    name: &'static str,
    /// Passes after a first one that starts `orb` from `orb.toml` (stop 20): the files
    /// on disk, and the changes the pass must decide.
    passes: Vec<(Vec<DiskFile>, Vec<&'static str>)>,
    /// `orb`'s stop-loss after the last pass.
    stop_loss_pct: f64,
}

#[test]
fn a_pass_over_the_files_starts_reloads_refuses_and_notices_removals() {
    let rename = ORB.replace("\"orb\"", "\"orb2\"");
    let banknifty = ORB.replace("NIFTY", "BANKNIFTY");
    let cases = vec![
        TestCase {
            name: "an unchanged file changes nothing",
            passes: vec![(on_disk(&[("orb", Some(ORB))]), vec![])],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "an edit reloads the bot",
            passes: vec![(on_disk(&[("orb", Some(&orb("25.0")))]), vec!["reload orb"])],
            stop_loss_pct: 25.0,
        },
        TestCase {
            name: "a bad edit is refused once and the bot keeps its settings",
            passes: vec![
                (
                    on_disk(&[("orb", Some(&orb("-3.0")))]),
                    vec!["refuse strategies/orb.toml (invalid)"],
                ),
                (on_disk(&[("orb", Some(&orb("-3.0")))]), vec![]),
            ],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "fixing a refused edit applies it",
            passes: vec![
                (
                    on_disk(&[("orb", Some(&orb("-3.0")))]),
                    vec!["refuse strategies/orb.toml (invalid)"],
                ),
                (on_disk(&[("orb", Some(&orb("30.0")))]), vec!["reload orb"]),
            ],
            stop_loss_pct: 30.0,
        },
        TestCase {
            name: "a running bot cannot be renamed",
            passes: vec![(
                on_disk(&[("orb", Some(&rename))]),
                vec!["refuse strategies/orb.toml (rename)"],
            )],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "a running bot cannot change its underlying",
            passes: vec![(
                on_disk(&[("orb", Some(&banknifty))]),
                vec!["refuse strategies/orb.toml (underlying)"],
            )],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "a new file starts a bot",
            passes: vec![(
                on_disk(&[("orb", Some(ORB)), ("second", Some(&rename))]),
                vec!["start orb2"],
            )],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "a new file naming a running bot is refused once",
            passes: vec![
                (
                    on_disk(&[("orb", Some(ORB)), ("copy", Some(ORB))]),
                    vec!["refuse strategies/copy.toml (duplicate)"],
                ),
                (on_disk(&[("orb", Some(ORB)), ("copy", Some(ORB))]), vec![]),
            ],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "a bad new file is refused once, and starts when fixed",
            passes: vec![
                (
                    on_disk(&[("orb", Some(ORB)), ("bad", Some("name = "))]),
                    vec!["refuse strategies/bad.toml (invalid)"],
                ),
                (
                    on_disk(&[("orb", Some(ORB)), ("bad", Some("name = "))]),
                    vec![],
                ),
                (
                    on_disk(&[("orb", Some(ORB)), ("bad", Some(&rename))]),
                    vec!["start orb2"],
                ),
            ],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "a removed file is said once; the bot keeps running",
            passes: vec![
                (on_disk(&[]), vec!["removed orb"]),
                (on_disk(&[]), vec![]),
                (on_disk(&[("orb", Some(ORB))]), vec![]),
                (on_disk(&[]), vec!["removed orb"]),
            ],
            stop_loss_pct: 20.0,
        },
        TestCase {
            name: "an unreadable file is neither edited nor removed",
            passes: vec![(on_disk(&[("orb", None)]), vec![])],
            stop_loss_pct: 20.0,
        },
    ];
    for case in cases {
        let mut state = HostState::default();
        let first = state.reload(on_disk(&[("orb", Some(ORB))]));
        assert_eq!(
            first.iter().map(summary).collect::<Vec<_>>(),
            ["start orb"],
            "case `{}`: first pass",
            case.name
        );
        for (i, (files, want)) in case.passes.into_iter().enumerate() {
            let got: Vec<String> = state.reload(files).iter().map(summary).collect();
            assert_eq!(got, want, "case `{}`, pass {i}", case.name);
        }
        let stop = state.file("orb").map(|f| f.settings.stop_loss_pct);
        assert_eq!(stop, Some(case.stop_loss_pct), "case `{}`", case.name);
    }
}

#[test]
fn files_loaded_at_start_start_their_bots_once() {
    let file = |name: &str, text: &str| StrategyFile {
        path: path(name),
        text: text.into(),
        settings: files::parse(&path(name), text).expect("valid"),
    };
    let mut state = HostState::default();
    let changes = state.start(vec![file("orb", ORB), file("copy", ORB)]);
    let got: Vec<String> = changes.iter().map(summary).collect();
    assert_eq!(
        got,
        ["start orb", "refuse strategies/copy.toml (duplicate)"]
    );
    assert!(state.file("orb").is_some() && state.file("copy").is_none());
}

fn minute(sec: i64, ltp: f64) -> Tick {
    // 1 770 000 000 is a whole minute, so `sec` counts from a minute start.
    let at = Utc
        .timestamp_opt(1_770_000_000 + sec, 0)
        .single()
        .unwrap_or_default();
    let mut t = Tick::empty("NIFTY".into(), at);
    t.ltp = ltp;
    t.exchange_time = Some(at);
    t
}

#[test]
fn bars_are_built_for_running_bots_underlyings_only() {
    let mut state = HostState::default();
    assert!(
        state
            .on_ticks(&[minute(1, 100.0), minute(61, 101.0)])
            .is_empty(),
        "no bot, no bars"
    );
    state.reload(on_disk(&[("orb", Some(ORB))]));
    assert!(state.on_ticks(&[minute(1, 100.0)]).is_empty());
    let closed = state.on_ticks(&[minute(61, 101.0)]);
    assert_eq!(closed.len(), 1);
    assert_eq!((&*closed[0].0, closed[0].1.close), ("NIFTY", 100.0));
    let due = state.close_due(minute(125, 0.0).received_time);
    assert_eq!(
        due.iter().map(|(_, b)| b.close).collect::<Vec<_>>(),
        [101.0]
    );
}

#[test]
fn a_bot_gets_its_underlyings_bars_and_the_ticks_it_reads() {
    struct TestCase {
        name: &'static str,
        bars: Vec<&'static str>,
        ticks: Vec<&'static str>,
        already_scheduled: bool,
        wakes: bool,
        candles: usize,
        ticks_kept: usize,
    }
    let cases = [
        TestCase {
            name: "its underlying's bar wakes it",
            bars: vec!["NIFTY"],
            ticks: vec![],
            already_scheduled: false,
            wakes: true,
            candles: 1,
            ticks_kept: 0,
        },
        TestCase {
            name: "another underlying's bar is not its",
            bars: vec!["BANKNIFTY"],
            ticks: vec![],
            already_scheduled: false,
            wakes: false,
            candles: 0,
            ticks_kept: 0,
        },
        TestCase {
            name: "a tick it reads wakes it; one it does not is dropped",
            bars: vec![],
            ticks: vec!["NIFTY", "SENSEX"],
            already_scheduled: false,
            wakes: true,
            candles: 0,
            ticks_kept: 1,
        },
        TestCase {
            name: "a runner already woken is not woken twice",
            bars: vec!["NIFTY"],
            ticks: vec!["NIFTY"],
            already_scheduled: true,
            wakes: false,
            candles: 1,
            ticks_kept: 1,
        },
    ];
    for case in cases {
        let mut inbox = Inbox::new("NIFTY".into());
        inbox.scheduled = case.already_scheduled;
        let bar = minute(0, 100.0);
        let bars: Vec<UnderlyingBar> = case
            .bars
            .iter()
            .map(|s| {
                let candle = Candle {
                    start: bar.received_time,
                    open: 1.0,
                    high: 1.0,
                    low: 1.0,
                    close: 1.0,
                    volume: 0,
                };
                (Arc::from(*s), candle)
            })
            .collect();
        let ticks: Vec<Tick> = case
            .ticks
            .iter()
            .map(|s| Tick::empty(Arc::from(*s), bar.received_time))
            .collect();
        let woke = fill_inbox(&mut inbox, "NIFTY", &bars, &ticks, false);
        assert_eq!(woke, case.wakes, "case `{}`", case.name);
        assert_eq!(
            (inbox.candles.len(), inbox.ticks.len()),
            (case.candles, case.ticks_kept),
            "case `{}`",
            case.name
        );
    }
}

#[test]
fn a_paused_bot_gets_its_ticks_but_no_bars_until_resumed() {
    let mut state = HostState::default();
    state.reload(on_disk(&[("orb", Some(ORB))]));
    assert!(!state.is_paused("orb"), "running at start");
    assert!(
        !state.set_paused("nobody", true),
        "an unknown bot cannot be paused"
    );
    assert!(state.set_paused("orb", true));
    assert!(state.is_paused("orb"));

    let bar = minute(0, 100.0);
    let candle = Candle {
        start: bar.received_time,
        open: 1.0,
        high: 1.0,
        low: 1.0,
        close: 1.0,
        volume: 0,
    };
    let bars = vec![(Arc::from("NIFTY"), candle)];
    let ticks = vec![Tick::empty(Arc::from("NIFTY"), bar.received_time)];
    for (name, paused, want_candles) in [("paused", true, 0), ("resumed", false, 1)] {
        if !paused {
            assert!(state.set_paused("orb", false));
        }
        let mut inbox = Inbox::new("NIFTY".into());
        let woke = fill_inbox(&mut inbox, "NIFTY", &bars, &ticks, state.is_paused("orb"));
        assert!(woke, "case `{name}`: the tick still wakes it");
        assert_eq!(
            (inbox.candles.len(), inbox.ticks.len()),
            (want_candles, 1),
            "case `{name}`"
        );
    }
}
