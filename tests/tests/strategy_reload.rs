//! Strategy files reload without a restart: a good edit reaches the running bot, a bad one
//! is refused with the bot keeping its previous settings, and a new file starts a bot.

use mandi_testkit::{get_json, start_stack, wait_for, Stack, DEADLINE};
use serde_json::Value;

const BOT: &str = "name = \"reload_me\"\nunderlying = \"NIFTY\"\nstop_loss_pct = 20.0\n";

async fn bot(stack: &Stack, name: &str) -> Option<Value> {
    let bots = get_json(&stack.url("/api/bots")).await;
    bots["bots"]
        .as_array()?
        .iter()
        .find(|b| b["name"] == name)
        .cloned()
}

async fn stop_loss_becomes(stack: &Stack, want: f64) {
    wait_for(&format!("stop_loss_pct {want}"), DEADLINE, || async {
        let b = bot(stack, "reload_me").await?;
        (b["settings"]["stop_loss_pct"].as_f64() == Some(want)).then_some(())
    })
    .await;
}

#[actix_rt::test]
async fn edits_apply_bad_edits_are_refused_and_new_files_start_bots() {
    let dir = std::env::temp_dir().join(format!("mandi-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("strategies dir");
    let file = dir.join("reload_me.toml");
    std::fs::write(&file, BOT).expect("bot file");
    let path = dir.to_string_lossy().to_string();
    let stack = start_stack(&[("MANDI__STRATEGIES__DIR", path.as_str())]).await;
    stop_loss_becomes(&stack, 20.0).await;

    std::fs::write(&file, BOT.replace("20.0", "25.0")).expect("edit");
    stop_loss_becomes(&stack, 25.0).await;

    // A bad edit, then a good file for a second bot: once the second bot runs, the host
    // has read the bad edit too (one pass reads every file), and the first bot kept 25.
    std::fs::write(&file, BOT.replace("20.0", "-3.0")).expect("bad edit");
    let second = "name = \"second\"\nunderlying = \"NIFTY\"\n";
    std::fs::write(dir.join("second.toml"), second).expect("second bot");
    wait_for("the second bot", DEADLINE, || bot(&stack, "second")).await;
    let first = bot(&stack, "reload_me").await.expect("still running");
    assert_eq!(first["settings"]["stop_loss_pct"], 25.0, "{first}");

    // Fixing the file applies again.
    std::fs::write(&file, BOT.replace("20.0", "30.0")).expect("fix");
    stop_loss_becomes(&stack, 30.0).await;
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
