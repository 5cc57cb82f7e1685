//! `mandi replay --set`: a 3 × 3 sweep of a bot's stop and target over one synthetic
//! stretch gives nine rows, one per combination, best net PnL first, and each row's
//! figures are exactly what a plain replay with those settings written in the strategy
//! file reports. (How much faster than nine replays one after another is in
//! `make bench`: the replay bench's sweep group.)

use std::path::Path;

use mandi_server::replay::args::parse;
use mandi_server::replay::{self, sweep};
use mandi_server::{app, config};
use mandi_simulator::record_day::record_day;
use mandi_tests::test_stretch;

/// A bot that trades within minutes: a one-minute opening range on one-minute bars.
fn bot(stop: &str, target: &str) -> String {
    format!(
        "name = \"sweep_orb\"\nunderlying = \"NIFTY\"\nexchange = \"NSE\"\n\
         candle_interval_min = 1\nentry = {{ kind = \"opening_range\", minutes = 1 }}\n\
         stop_loss_pct = {stop}\ntarget_pct = {target}\nmax_trades_per_day = 5\n\
         max_loss_per_day = 50000.0\nmax_quote_age_ms = 5000\n\
         [contract]\nstrike_offset = 0\nlots = 1\n"
    )
}

fn write_bot(dir: &Path, stop: &str, target: &str) {
    std::fs::create_dir_all(dir).expect("strategies dir");
    std::fs::write(dir.join("sweep_orb.toml"), bot(stop, target)).expect("bot file");
}

fn args(v: &[&str]) -> replay::ReplayArgs {
    parse(v.iter().map(|s| s.to_string())).expect("arguments")
}

#[test]
fn a_three_by_three_sweep_prints_nine_rows_each_equal_to_its_own_replay() {
    let dir = std::env::temp_dir().join(format!("mandi-replay-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let strategies = dir.join("strategies");
    write_bot(&strategies, "20.0", "40.0");
    let env = [
        (
            "MANDI__STORE__DATA_DIR".to_string(),
            dir.to_string_lossy().to_string(),
        ),
        (
            "MANDI__STRATEGIES__DIR".to_string(),
            strategies.to_string_lossy().to_string(),
        ),
    ];
    let cfg = config::load(None, env).expect("config");
    let day = test_stretch(
        cfg.broker().as_str(),
        dir.join("recordings"),
        (9, 15),
        (9, 25),
    );
    record_day(&app::sim_settings(&cfg), &cfg.calendar(), &day).expect("records");

    let swept = sweep::sweep(
        &cfg,
        &args(&[
            "2026-11-23",
            "--set",
            "stop_loss_pct=2,5,10",
            "--set",
            "sweep_orb:target_pct=2,5,10",
        ]),
    )
    .expect("sweeps");
    assert_eq!(swept.rows.len(), 9, "{}", swept.table());
    assert_eq!(swept.axes, ["stop_loss_pct", "sweep_orb:target_pct"]);
    let mut combos: Vec<String> = swept
        .rows
        .iter()
        .map(|r| format!("{:?}", r.settings))
        .collect();
    combos.sort();
    combos.dedup();
    assert_eq!(combos.len(), 9, "every combination once");
    assert!(
        swept
            .rows
            .windows(2)
            .all(|w| w[0].total.net_pnl >= w[1].total.net_pnl),
        "best first:\n{}",
        swept.table()
    );
    assert!(
        swept.rows.iter().any(|r| r.total.trades > 0),
        "the bot trades in the stretch:\n{}",
        swept.table()
    );
    let table = swept.table();
    assert_eq!(
        table.lines().count(),
        2 + 9,
        "a title, a header, nine rows:\n{table}"
    );

    // Two rows against plain replays with the values written in the file.
    for row in [&swept.rows[0], &swept.rows[8]] {
        let stop = &row.settings["stop_loss_pct"];
        let target = &row.settings["sweep_orb:target_pct"];
        write_bot(&strategies, stop, target);
        let plain = actix_rt::System::new()
            .block_on(async { replay::replay(&cfg, &args(&["2026-11-23", "--json"])).await })
            .expect("replays");
        assert_eq!(
            plain.report.total, row.total,
            "stop {stop} target {target}: the sweep's row is the plain replay's total"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
