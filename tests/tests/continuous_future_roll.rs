//! `CRUDEOIL` is a continuous future: on the runtime's date it stands for the nearest MCX
//! crude contract with more than two trading days left. With the clock moved to two
//! sessions before December's expiry, the next master load rolls it: a `/ws` client hears
//! `contract_rolled`, the simulator's socket drops the December id and carries January's,
//! `CRUDEOIL` ticks keep coming (now January's), `/api/instruments` shows the contract in
//! force, and the December contract is a plain master instrument again.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mandi_domain::time::IST;
use mandi_testkit::{
    get_json, request_json, sim_connections, start_stack_at, wait_for, ManualClock, WsClient,
    DEADLINE,
};
use serde_json::{json, Value};

const DECEMBER: &str = "CRUDEOIL-18Dec2026-FUT";
const JANUARY: &str = "CRUDEOIL-19Jan2027-FUT";

fn ist(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .and_then(|t| IST.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid IST time")
}

async fn crude_entry(url: &str) -> Value {
    let list = get_json(url).await;
    list.as_array()
        .and_then(|l| l.iter().find(|i| i["symbol"] == "CRUDEOIL"))
        .cloned()
        .unwrap_or_else(|| panic!("CRUDEOIL in /api/instruments: {list}"))
}

/// The simulator's connections of `broker` carry the contract with this id (Dhan:
/// `[segment, security_id, mode]`; Kite: `[instrument_token, mode]`).
fn sim_holds(counters: &Value, broker: &str, id: u64) -> bool {
    let at = if broker == "dhan" { 1 } else { 0 };
    sim_connections(counters, broker)
        .iter()
        .flat_map(|subs| subs.as_array().cloned().unwrap_or_default())
        .any(|s| s[at].as_u64() == Some(id))
}

#[actix_rt::test]
async fn crudeoil_rolls_to_the_next_month_and_clients_follow_on_dhan() {
    rolls_on("dhan", "security_id").await;
}

#[actix_rt::test]
async fn crudeoil_rolls_to_the_next_month_and_clients_follow_on_kite() {
    rolls_on("kite", "kite_token").await;
}

/// `id_key`: the field of an instrument the broker subscribes by.
async fn rolls_on(broker: &str, id_key: &str) {
    // Monday 14 December 2026: four sessions before the 18th's expiry.
    let clock = ManualClock::new(ist(2026, 12, 14, 10));
    let stack = start_stack_at(
        &[
            ("MANDI__STRATEGIES__DIR", ""),
            ("MANDI__UPSTREAM__BROKER", broker),
        ],
        &clock,
    )
    .await;
    let instruments = stack.url("/api/instruments");

    let before = crude_entry(&instruments).await;
    assert_eq!(
        before["continuous"]["status"], "resolved",
        "{broker}: {before}"
    );
    assert_eq!(
        before["continuous"]["contract"]["symbol"], DECEMBER,
        "{broker}: {before}"
    );
    let december_id = before[id_key].as_u64().unwrap_or_default();
    let found = get_json(&stack.url(&format!("/api/instruments/search?q={JANUARY}"))).await;
    let january_id = found["results"]
        .as_array()
        .and_then(|r| r.iter().find(|i| i["symbol"] == JANUARY))
        .and_then(|i| i[id_key].as_u64())
        .unwrap_or_else(|| {
            panic!("{broker}: January is a master contract before the roll: {found}")
        });
    assert_ne!(december_id, january_id, "{broker}");

    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["CRUDEOIL"], "mode": "quote"}))
        .await;
    ws.next_of_type("subscribed", DEADLINE).await;
    ws.next_matching("a CRUDEOIL tick", DEADLINE, |m| {
        m["type"] == "tick" && m["data"]["symbol"] == "CRUDEOIL"
    })
    .await;
    let counters_url = format!(
        "{}/admin/counters",
        stack.app.simulator.as_ref().expect("simulator").rest_url()
    );
    assert!(
        sim_holds(&get_json(&counters_url).await, broker, december_id),
        "{broker}: December streams before the roll"
    );

    // Wednesday the 16th: two sessions left (Thursday, Friday), the roll's day. The
    // morning refresh is a master load like this one.
    clock.set(ist(2026, 12, 16, 9));
    let (status, body) = request_json("POST", &stack.url("/api/admin/master/reload"), None).await;
    assert_eq!(status, 200, "{body}");

    let rolled = ws.next_of_type("contract_rolled", DEADLINE).await;
    assert_eq!(rolled["symbol"], "CRUDEOIL", "{rolled}");
    assert_eq!(rolled["from"], DECEMBER, "{rolled}");
    assert_eq!(rolled["to"], JANUARY, "{rolled}");
    assert_eq!(rolled["expiry"], "2027-01-19", "{rolled}");
    assert_eq!(rolled[id_key].as_u64(), Some(january_id), "{rolled}");

    // The upstream subscription moved: January in, December out.
    wait_for("the simulator to carry January only", DEADLINE, || async {
        let counters = get_json(&counters_url).await;
        let (new, old) = (
            sim_holds(&counters, broker, january_id),
            sim_holds(&counters, broker, december_id),
        );
        (new && !old).then_some(())
    })
    .await;
    // Ticks received from now on can only be January's: December is subscribed nowhere.
    let moved_at = Utc::now();
    let tick = ws.tick_after(moved_at, Duration::from_secs(10)).await;
    assert_eq!(tick["data"]["symbol"], "CRUDEOIL", "{tick}");

    let after = crude_entry(&instruments).await;
    assert_eq!(after[id_key].as_u64(), Some(january_id), "{after}");
    let contract = &after["continuous"]["contract"];
    assert_eq!(contract["symbol"], JANUARY, "{after}");
    assert_eq!(contract["expiry"], "2027-01-19", "{after}");
    assert_eq!(after["continuous"]["roll_days_before_expiry"], 2, "{after}");

    // December is an ordinary contract again, under its own name.
    ws.send_json(&json!({"action": "subscribe", "symbols": [DECEMBER], "mode": "quote"}))
        .await;
    ws.next_matching("a December tick under its own symbol", DEADLINE, |m| {
        m["type"] == "tick" && m["data"]["symbol"] == DECEMBER
    })
    .await;
    ws.next_matching("CRUDEOIL still streaming beside it", DEADLINE, |m| {
        m["type"] == "tick" && m["data"]["symbol"] == "CRUDEOIL"
    })
    .await;

    ws.close().await;
    stack.stop().await;
}

/// With no master, the entry streams the contract its config ids name and says it is
/// unresolved.
#[actix_rt::test]
async fn without_a_master_the_configured_contract_streams_unresolved() {
    let clock = ManualClock::new(ist(2026, 12, 14, 10));
    let stack = start_stack_at(
        &[
            ("MANDI__STRATEGIES__DIR", ""),
            ("MANDI__MASTER__SOURCE", "none"),
        ],
        &clock,
    )
    .await;
    let entry = crude_entry(&stack.url("/api/instruments")).await;
    assert_eq!(entry["security_id"], 467_013, "{entry}");
    assert_eq!(entry["continuous"]["status"], "unresolved", "{entry}");
    assert!(
        entry["continuous"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("no instrument master")),
        "{entry}"
    );
    let mut ws = WsClient::connect(&stack.ws_url("/ws")).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": ["CRUDEOIL"], "mode": "quote"}))
        .await;
    ws.next_matching("a CRUDEOIL tick", DEADLINE, |m| {
        m["type"] == "tick" && m["data"]["symbol"] == "CRUDEOIL"
    })
    .await;
    ws.close().await;
    stack.stop().await;
}
