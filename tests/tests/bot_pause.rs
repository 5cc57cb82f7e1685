//! Pausing a bot over HTTP: `POST /api/bots/{name}/pause` and `/resume` show in
//! `/api/bots` as `paused`, and an unknown bot is a 404 naming where to look.

use mandi_testkit::{get_json, request_json, start_stack, wait_for, Stack, DEADLINE};
use serde_json::Value;

const BOT: &str = "name = \"pausable\"\nunderlying = \"NIFTY\"\n";

async fn paused(stack: &Stack) -> Option<bool> {
    let bots = get_json(&stack.url("/api/bots")).await;
    bots["bots"]
        .as_array()?
        .iter()
        .find(|b| b["name"] == "pausable")
        .and_then(|b| b["paused"].as_bool())
}

#[actix_rt::test]
async fn pause_and_resume_show_in_the_bot_list() {
    let dir = std::env::temp_dir().join(format!("mandi-pause-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("strategies dir");
    std::fs::write(dir.join("pausable.toml"), BOT).expect("bot file");
    let path = dir.to_string_lossy().to_string();
    let stack = start_stack(&[("MANDI__STRATEGIES__DIR", path.as_str())]).await;
    let first = wait_for("the bot running", DEADLINE, || paused(&stack)).await;
    assert!(!first, "a bot starts unpaused");

    struct TestCase {
        name: &'static str,
        path: &'static str,
        status: u16,
        paused_after: bool,
    }
    let cases = [
        TestCase {
            name: "pause",
            path: "/api/bots/pausable/pause",
            status: 200,
            paused_after: true,
        },
        TestCase {
            name: "pause twice",
            path: "/api/bots/pausable/pause",
            status: 200,
            paused_after: true,
        },
        TestCase {
            name: "resume",
            path: "/api/bots/pausable/resume",
            status: 200,
            paused_after: false,
        },
        TestCase {
            name: "unknown bot",
            path: "/api/bots/nobody/pause",
            status: 404,
            paused_after: false,
        },
    ];
    for case in cases {
        let (status, body): (u16, Value) = request_json("POST", &stack.url(case.path), None).await;
        assert_eq!(status, case.status, "case {:?}: {body}", case.name);
        if status == 404 {
            assert_eq!(body["error"], "unknown_bot", "case {:?}", case.name);
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("/api/bots")),
                "case {:?}: {body}",
                case.name
            );
        }
        assert_eq!(
            paused(&stack).await,
            Some(case.paused_after),
            "case {:?}",
            case.name
        );
    }
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
