//! The cluster over NATS, end to end with the real `mandi` binary: `mandi sim` stands for
//! the broker, real `nats-server` processes carry the backplane, and feed and edge nodes
//! run as in production (docs/cluster.md). Each test is bounded; they run one at a time
//! (two cores, timing bounds) under a lock.
//!
//! - two feed nodes and two edges: clients on both edges get ticks for what they asked;
//!   the simulator sees one connection carrying the union of the edges' interest;
//! - `kill -9` of the leader: the standby holds the broker connection within 5 s, clients
//!   on the edges get ticks again without being disconnected, and the simulator never
//!   sees two connections; then a leader frozen with SIGSTOP loses the lease to a standby
//!   and, resumed, closes its connection (exits) without taking the lead back;
//! - an edge killed: its interest expires and the leader releases what only it held;
//! - one of three NATS servers killed under load: the largest tick gap stays under 2 s;
//!   and on three servers with the deployment's 10 s lease, a killed leader is replaced
//!   within 5 s (its refused pings, not its lease's expiry);
//! - edges load the instrument master the leader shares over NATS, and its contracts tick;
//! - a browser logged in on one edge is known on the others, with its watchlists, and its
//!   logout ends the session everywhere;
//! - one edge trades for the cluster: an order placed on another edge is forwarded to it,
//!   its updates reach that edge's `/ws` client, the bots run on it alone, and with it
//!   gone the other edges answer 503 naming it.

mod cluster;
mod common;

use std::time::{Duration, Instant};

use cluster::{Cluster, Node};
use mandi_testkit::nats::{start_nats, start_nats_cluster};
use mandi_testkit::{wait_for, WsClient};
use serde_json::{json, Value};

/// One cluster test at a time: each starts half a dozen processes on two cores. (Each
/// test runs on its own runtime; tokio's lock works across them.)
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Dhan security ids of the symbols the edges' clients ask for (config/default.toml):
/// an index, which the simulator ticks even while markets are closed, and a stock.
const BANKNIFTY: u64 = 25;
const TCS: u64 = 11536;
/// The runtime's own `/prices` symbols: every node holds these.
const PRICES_SYMBOLS: usize = 4;

const WAIT: Duration = Duration::from_secs(15);

fn ids(subscriptions: &[Value]) -> Vec<u64> {
    let mut v: Vec<u64> = subscriptions.iter().filter_map(|s| s[1].as_u64()).collect();
    v.sort_unstable();
    v
}

/// The security ids on the simulator's first connection (none without one).
fn upstream_ids(c: &Cluster) -> Vec<u64> {
    c.sim_connections()
        .first()
        .map(|s| ids(s))
        .unwrap_or_default()
}

/// Wait until TCS (edge-2's alone) has left the upstream set while BANKNIFTY (edge-1's)
/// stays.
async fn wait_for_tcs_released(c: &Cluster, what: &str, deadline: Duration) {
    wait_for(what, deadline, || async {
        let all = upstream_ids(c);
        (all.contains(&BANKNIFTY) && !all.contains(&TCS)).then_some(())
    })
    .await;
}

async fn client(edge: &Node, symbols: &[&str]) -> WsClient {
    let mut ws = WsClient::connect(&format!("ws://{}/ws", edge.addr)).await;
    ws.send_json(&json!({"action": "subscribe", "symbols": symbols, "mode": "ltp"}))
        .await;
    let ack = ws.next_of_type("subscribed", WAIT).await;
    assert_eq!(ack["symbols"], json!(symbols), "{}: {ack}", edge.name);
    ws
}

/// The next tick for `symbol` (other messages skipped); panics naming `what`.
async fn tick_of(ws: &mut WsClient, symbol: &str, what: &str, deadline: Duration) -> Value {
    ws.next_matching(what, deadline, |m| {
        m["type"] == "tick" && m["data"]["symbol"] == symbol
    })
    .await
}

#[actix_rt::test]
async fn two_edges_get_their_ticks_over_one_upstream_connection() {
    let _serial = SERIAL.lock().await;
    let c = Cluster::new(vec![start_nats()], &[]);
    let leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    let standby = c.start("feed", "feed-b");
    c.logged(&standby, "feed standby", WAIT).await;
    let (e1, e2) = (c.start("edge", "edge-1"), c.start("edge", "edge-2"));
    c.serving(&e1).await;
    c.serving(&e2).await;

    let mut on_e1 = client(&e1, &["BANKNIFTY"]).await;
    let mut on_e2 = client(&e2, &["TCS", "NIFTY"]).await;
    tick_of(&mut on_e1, "BANKNIFTY", "BANKNIFTY ticks on edge-1", WAIT).await;
    tick_of(&mut on_e2, "NIFTY", "NIFTY ticks on edge-2", WAIT).await;
    // Only what each asked for reaches each client.
    for _ in 0..20 {
        let m = on_e1.next_of_type("tick", WAIT).await;
        assert_eq!(m["data"]["symbol"], "BANKNIFTY", "edge-1's client: {m}");
    }

    let union = wait_for(
        "one upstream connection carrying both edges' symbols",
        WAIT,
        || async {
            let conns = c.sim_connections();
            let all = conns.first().map(|s| ids(s)).unwrap_or_default();
            (conns.len() == 1 && all.contains(&BANKNIFTY) && all.contains(&TCS)).then_some(all)
        },
    )
    .await;
    assert_eq!(
        union.len(),
        PRICES_SYMBOLS + 2,
        "the union, once each: {union:?}"
    );
    let counters = c.sim_counters().expect("counters");
    assert_eq!(
        counters["dhan"]["connections_total"], 1,
        "the standby and the edges never connected: {counters}"
    );

    let health = e1.health().expect("edge health");
    let cl = &health["cluster"];
    assert_eq!(cl["role"], "edge", "{cl}");
    assert_eq!(cl["leader"], "feed-a", "{cl}");
    assert!(
        cl["lease_age_ms"].as_u64().is_some_and(|a| a < 3000),
        "{cl}"
    );
    assert!(cl["backplane_lag_ms"].as_f64().is_some(), "{cl}");
    assert_eq!(health["feed"]["state"], "live", "{}", health["feed"]);
    let lead = leader.health().expect("leader health");
    let mut keys: Vec<String> =
        serde_json::from_value(lead["cluster"]["interest_keys"].clone()).expect("interest keys");
    keys.sort();
    assert_eq!(keys, ["edge-1", "edge-2"], "{}", lead["cluster"]);

    // The same figures as /metrics series.
    let edge_metrics = e1.metrics().expect("edge metrics");
    let lead_metrics = leader.metrics().expect("leader metrics");
    let m = |all: &std::collections::HashMap<String, f64>, k: &str| {
        *all.get(k)
            .unwrap_or_else(|| panic!("{k} missing from /metrics: {all:?}"))
    };
    assert_eq!(m(&lead_metrics, "mandi_cluster_is_leader"), 1.0);
    assert_eq!(m(&lead_metrics, "mandi_cluster_interest_keys"), 2.0);
    assert!(m(&lead_metrics, "mandi_cluster_ticks_published_total") > 0.0);
    assert_eq!(m(&edge_metrics, "mandi_cluster_is_leader"), 0.0);
    assert_eq!(m(&edge_metrics, "mandi_cluster_nats_connected"), 1.0);
    assert!(m(&edge_metrics, "mandi_cluster_ticks_received_total") > 0.0);
    assert!(m(&edge_metrics, "mandi_cluster_backplane_lag_seconds") >= 0.0);
    let age = m(&edge_metrics, "mandi_cluster_lease_age_seconds");
    assert!((0.0..3.0).contains(&age), "lease age {age}");
    assert_eq!(
        m(
            &edge_metrics,
            "mandi_cluster_info{role=\"edge\",node=\"edge-1\",leader=\"feed-a\"}"
        ),
        1.0
    );
    let leaving = Instant::now();
    e2.signal("-TERM");
    // Stopped cleanly, edge-2 deletes its key: TCS goes at once, not after the 15 s TTL.
    wait_for_tcs_released(&c, "TCS released after edge-2 left", Duration::from_secs(5)).await;
    println!("released {:?} after edge-2 left", leaving.elapsed());
    c.logged(&e2, "left the cluster", WAIT).await;
    assert_eq!(
        leader.health().expect("leader health")["cluster"]["interest_keys"],
        json!(["edge-1"])
    );
    tick_of(&mut on_e1, "BANKNIFTY", "edge-1's ticks go on", WAIT).await;

    // The standby dies: the leader, which can no longer reach it, asks the lease's quorum
    // whether it is the one cut off, hears it is not, and leads on.
    let mut standby = standby;
    standby.kill9();
    c.logged(&leader, "the standby is gone, not this node", WAIT)
        .await;
    let mut leader = leader;
    assert_eq!(
        leader.exited(),
        None,
        "the leader leads on:\n{}",
        leader.log()
    );
    tick_of(
        &mut on_e1,
        "BANKNIFTY",
        "ticks after the standby died",
        WAIT,
    )
    .await;
}

#[actix_rt::test]
async fn the_standby_takes_over_a_killed_leader_and_a_frozen_one_steps_down() {
    let _serial = SERIAL.lock().await;
    let c = Cluster::new(vec![start_nats()], &[]);
    let mut first = c.start("feed", "feed-a");
    c.serving(&first).await;
    let second = c.start("feed", "feed-b");
    c.logged(&second, "feed standby", WAIT).await;
    // A standby answers /health as one, naming the leader, and refuses the rest.
    let waiting = wait_for("the standby's /health", WAIT, || async {
        second.health().filter(|h| h["status"] == "standby")
    })
    .await;
    assert_eq!(waiting["cluster"]["leader"], "feed-a", "{waiting}");
    assert_eq!(waiting["cluster"]["is_leader"], false, "{waiting}");
    let refused = common::get_text(&second.addr, "/api/instruments").unwrap_or_default();
    assert!(refused.contains("standby"), "{refused}");
    let (e1, e2) = (c.start("edge", "edge-1"), c.start("edge", "edge-2"));
    c.serving(&e1).await;
    c.serving(&e2).await;
    let mut on_e1 = client(&e1, &["BANKNIFTY"]).await;
    let mut on_e2 = client(&e2, &["TCS", "NIFTY"]).await;
    tick_of(&mut on_e1, "BANKNIFTY", "ticks before the kill", WAIT).await;
    tick_of(&mut on_e2, "NIFTY", "ticks before the kill", WAIT).await;

    let took = kill_and_wait_for_takeover(&c, &mut first, &[BANKNIFTY, TCS]).await;
    println!("standby holds the broker connection {took:?} after kill -9");
    // Meanwhile the edges' clients heard the feed was reconnecting, naming the silent
    // leader, not its last `live`; then live again from the new one.
    let told = on_e1
        .next_matching("a status naming the silent leader", WAIT, |m| {
            m["type"] == "connection_status"
                && m["message"].as_str().is_some_and(|s| s.contains("feed-a"))
        })
        .await;
    assert_eq!(told["mode"], "reconnecting", "{told}");
    on_e1
        .next_matching("live again", WAIT, |m| {
            m["type"] == "connection_status" && m["mode"] == "live"
        })
        .await;
    let after = chrono::Utc::now();
    on_e1.tick_after(after, WAIT).await;
    on_e2.tick_after(after, WAIT).await;
    for (edge, ws) in [(&e1, &mut on_e1), (&e2, &mut on_e2)] {
        // Still the same sockets, still subscribed: ticks keep coming for the symbol.
        let sym = if edge.name == "edge-1" {
            "BANKNIFTY"
        } else {
            "NIFTY"
        };
        tick_of(ws, sym, "ticks on the same socket after the failover", WAIT).await;
    }
    let health = e1.health().expect("edge health");
    assert_eq!(
        health["cluster"]["leader"], "feed-b",
        "{}",
        health["cluster"]
    );
    // The new leader serves the full API on the socket its standby /health had.
    c.serving(&second).await;
    let led = second.health().expect("the new leader's health");
    assert_eq!(led["cluster"]["is_leader"], true, "{}", led["cluster"]);
    assert!(!second.log().contains("ERROR"), "{}", second.log());

    // Freeze the new leader: a standby takes over once the lease expires.
    let mut third = c.start("feed", "feed-c");
    c.logged(&third, "feed standby", WAIT).await;
    let mut frozen = second;
    frozen.signal("-STOP");
    c.logged(
        &third,
        "feed leader: holding the lease",
        Duration::from_secs(10),
    )
    .await;
    tick_of(&mut on_e1, "BANKNIFTY", "ticks from the third node", WAIT).await;
    frozen.signal("-CONT");
    let code = wait_for(
        "the resumed node to step down (exit)",
        Duration::from_secs(5),
        || {
            let code = frozen.exited();
            async move { code }
        },
    )
    .await;
    assert_eq!(code, 75, "fenced exit status; log:\n{}", frozen.log());
    assert!(
        frozen.log().contains("lost the feed lease"),
        "{}",
        frozen.log()
    );
    wait_for(
        "one connection again after the frozen node stepped down",
        WAIT,
        || async { (c.sim_connections().len() == 1).then_some(()) },
    )
    .await;
    let health = e2.health().expect("edge health");
    assert_eq!(
        health["cluster"]["leader"], "feed-c",
        "the lead stays where it went"
    );
    assert!(third.exited().is_none(), "the third node still leads");
    tick_of(&mut on_e2, "NIFTY", "ticks after all that", WAIT).await;
}

#[actix_rt::test]
async fn a_dead_edges_interest_expires_and_its_instruments_are_released() {
    let _serial = SERIAL.lock().await;
    let c = Cluster::new(
        vec![start_nats()],
        &[("MANDI__CLUSTER__INTEREST_TTL_MS", "3000")],
    );
    let leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    let (e1, mut e2) = (c.start("edge", "edge-1"), c.start("edge", "edge-2"));
    c.serving(&e1).await;
    c.serving(&e2).await;
    let mut on_e1 = client(&e1, &["BANKNIFTY"]).await;
    let _on_e2 = client(&e2, &["TCS", "NIFTY"]).await;
    wait_for("both edges' symbols upstream", WAIT, || async {
        let all = upstream_ids(&c);
        (all.contains(&BANKNIFTY) && all.contains(&TCS)).then_some(())
    })
    .await;

    e2.kill9();
    let killed = Instant::now();
    wait_for_tcs_released(
        &c,
        "TCS released upstream after edge-2's interest expired",
        Duration::from_secs(30),
    )
    .await;
    println!("released {:?} after the edge died", killed.elapsed());
    let after = chrono::Utc::now();
    on_e1.tick_after(after, WAIT).await;
    let lead = leader.health().expect("leader health");
    assert_eq!(
        lead["cluster"]["interest_keys"],
        json!(["edge-1"]),
        "{}",
        lead["cluster"]
    );
}

#[actix_rt::test]
async fn losing_one_of_three_nats_servers_leaves_no_tick_gap_over_2_s() {
    let _serial = SERIAL.lock().await;
    // JetStream re-elects a bucket's leader within seconds of a server's loss; the lease
    // must outlast that or the leader fences itself (docs/cluster.md).
    let c = Cluster::new(
        start_nats_cluster(),
        &[
            ("MANDI__CLUSTER__KV_REPLICAS", "3"),
            ("MANDI__CLUSTER__LEASE_TTL_MS", "10000"),
        ],
    );
    let leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    // A standby too: the leader must not take the loss for a partition and fence itself.
    let standby = c.start("feed", "feed-b");
    c.logged(&standby, "feed standby", WAIT).await;
    let edge = c.start("edge", "edge-1");
    c.serving(&edge).await;
    let mut ws = client(&edge, &["NIFTY"]).await;
    tick_of(&mut ws, "NIFTY", "ticks before the loss", WAIT).await;

    // Kill the server the leader publishes through: the worst case.
    let busiest = (0..3)
        .find(|&i| {
            common::get_json(&format!("127.0.0.1:{}", c.nats[i].monitor_port), "/connz")
                .is_some_and(|v| v.to_string().contains("mandi-feed-feed-a"))
        })
        .expect("the leader's NATS server");
    println!(
        "killing NATS server {busiest} (port {})",
        c.nats[busiest].port
    );
    let mut c = c;
    let start = Instant::now();
    let mut last = Instant::now();
    let mut gap = Duration::ZERO;
    let mut killed = false;
    while start.elapsed() < Duration::from_secs(8) {
        if !killed && start.elapsed() > Duration::from_secs(2) {
            c.nats[busiest].kill();
            killed = true;
        }
        let Some(m) = ws.next_json(Duration::from_secs(3)).await else {
            panic!(
                "the client heard nothing for 3 s (or was closed); leader log:\n{}\nedge log:\n{}",
                tail(&leader.log()),
                tail(&edge.log())
            );
        };
        if m["type"] == "tick" && m["data"]["symbol"] == "NIFTY" {
            if last.elapsed() > Duration::from_millis(500) {
                println!("gap of {:?} at {:?}", last.elapsed(), start.elapsed());
            }
            gap = gap.max(last.elapsed());
            last = Instant::now();
        }
    }
    gap = gap.max(last.elapsed());
    println!("largest tick gap with one NATS server killed: {gap:?}");
    assert!(
        !leader.log().contains("lost the feed lease"),
        "the leader fenced itself:\n{}",
        tail(&leader.log())
    );
    assert!(
        gap < Duration::from_secs(2),
        "tick gap {gap:?}; edge log:\n{}",
        edge.log()
    );
}

#[actix_rt::test]
async fn one_edge_trades_for_the_cluster_and_the_others_forward_to_it() {
    let _serial = SERIAL.lock().await;
    // One bot file for every node; only the trading edge may run it.
    let bot_dir = std::env::temp_dir().join(format!("mandi-cluster-bots-{}", std::process::id()));
    std::fs::create_dir_all(&bot_dir).expect("bots dir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/strategies/nifty_orb.toml"
        ),
        bot_dir.join("nifty_orb.toml"),
    )
    .expect("a bot file");
    let bots_dir = bot_dir.display().to_string();
    let c = Cluster::new(
        vec![start_nats()],
        &[
            ("MANDI__CLUSTER__TRADING_NODE", "edge-1"),
            ("MANDI__MARKET__ALWAYS_OPEN", "true"),
            ("MANDI__STRATEGIES__DIR", &bots_dir),
        ],
    );
    let leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    let (mut trader, other) = (c.start("edge", "edge-1"), c.start("edge", "edge-2"));
    c.serving(&trader).await;
    c.serving(&other).await;
    c.logged(&trader, "bot started", WAIT).await;
    let mut ws = client(&other, &["RELIANCE"]).await;
    tick_of(&mut ws, "RELIANCE", "RELIANCE ticks on edge-2", WAIT).await;

    // Placed on edge-2, booked on edge-1.
    let order = json!({"symbol": "RELIANCE", "side": "BUY", "lots": 1, "tag": "cluster-entry"});
    let (status, placed) =
        common::request_json(&other.addr, "POST", "/api/orders", Some(&order)).expect("an answer");
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["order"]["status"], "filled", "{placed}");
    let id = placed["order"]["order_id"].clone();
    // Its updates reach edge-2's client over the backplane.
    let fill = ws
        .next_matching("the fill on edge-2's /ws", WAIT, |m| {
            m["type"] == "fill" && m["data"]["order_id"] == id
        })
        .await;
    assert_eq!(fill["data"]["symbol"], "RELIANCE", "{fill}");
    // One account, whichever node answers.
    let positions =
        |node: &Node| common::get_json(&node.addr, "/api/positions").expect("positions");
    let booked = positions(&trader);
    assert_eq!(positions(&other), booked);
    assert_eq!(positions(&leader), booked, "a feed node forwards too");
    assert!(booked.to_string().contains("RELIANCE"), "{booked}");
    // Refusals come back as the trading node gave them.
    let (status, refused) = common::request_json(
        &other.addr,
        "POST",
        "/api/orders",
        Some(&json!({"symbol": "RELIANCE", "side": "BUY", "lots": 0})),
    )
    .expect("an answer");
    assert!((400..500).contains(&status), "{status} {refused}");
    let bots = common::get_json(&other.addr, "/api/bots").expect("bots");
    assert!(bots.to_string().contains("nifty_orb"), "{bots}");
    for node in [&other, &leader] {
        assert!(
            !node.log().contains("bot started"),
            "{} runs no bot:\n{}",
            node.name,
            node.log()
        );
    }
    let health = other.health().expect("edge-2 health");
    let t = &health["cluster"]["trading"];
    assert_eq!(t["node"], "edge-1", "{t}");
    assert_eq!(t["here"], false, "{t}");
    assert!(t["api_forwarded"].as_u64() >= Some(3), "{t}");
    assert!(t["updates_received"].as_u64() >= Some(1), "{t}");
    let t = trader.health().expect("edge-1 health")["cluster"]["trading"].clone();
    assert_eq!(t["here"], true, "{t}");
    assert!(t["api_served"].as_u64() >= Some(3), "{t}");

    // Without the trading node the others say so, at once, naming it.
    trader.kill9();
    let asked = Instant::now();
    let (status, gone) =
        common::request_json(&other.addr, "POST", "/api/orders", Some(&order)).expect("an answer");
    assert_eq!(status, 503, "{gone}");
    assert_eq!(gone["error"], "trading_unavailable", "{gone}");
    assert!(
        gone["message"].as_str().unwrap_or("").contains("edge-1"),
        "{gone}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "{:?}",
        asked.elapsed()
    );
    let metrics = other.metrics().expect("edge-2 metrics");
    let m = |name: &str| metrics.get(name).copied().unwrap_or(f64::NAN);
    assert_eq!(m("mandi_cluster_trading_here"), 0.0);
    assert!(m("mandi_cluster_trading_api_forwarded_total") >= 4.0);
    assert!(m("mandi_cluster_trading_api_failed_total") >= 1.0);
    tick_of(
        &mut ws,
        "RELIANCE",
        "ticks go on without the trading node",
        WAIT,
    )
    .await;
    let _ = std::fs::remove_dir_all(&bot_dir);
}

#[actix_rt::test]
async fn edges_load_the_master_the_leader_shares() {
    let _serial = SERIAL.lock().await;
    let c = Cluster::new(vec![start_nats()], &[]);
    // Only the leader can reach the master; it keeps the file in its data directory.
    let master_url = format!("http://{}/api-data/api-scrip-master.csv", c.sim.addr);
    let data = c.scratch("feed-a-data").display().to_string();
    let leader = c.start_with(
        "feed",
        "feed-a",
        &[
            ("MANDI__MASTER__SOURCE", &master_url),
            ("MANDI__STORE__DATA_DIR", &data),
        ],
    );
    c.serving(&leader).await;
    c.logged(&leader, "instrument master shared with the edges", WAIT)
        .await;
    let edge = c.start_with("edge", "edge-1", &[("MANDI__MASTER__SOURCE", "")]);
    c.serving(&edge).await;
    let master = edge.health().expect("edge health")["master"].clone();
    assert_eq!(master["provider"], "cluster", "{master}");
    let led = leader.health().expect("leader health")["master"].clone();
    assert_eq!(
        master["index_len"], led["index_len"],
        "the same instruments: {master} vs {led}"
    );
    assert!(master["index_len"].as_u64() > Some(100), "{master}");
    // An option contract only the master names: in the edge's NIFTY chain, and its ticks
    // come through the leader, which knows it under the same id.
    let chain = wait_for("the NIFTY chain on the edge", WAIT, || async {
        common::get_json(&edge.addr, "/api/option-chain?underlying=NIFTY&strikes=1")
            .filter(|c| c["rows"].as_array().is_some_and(|r| r.len() == 3))
    })
    .await;
    let contract = chain["rows"][1]["call"]["symbol"]
        .as_str()
        .unwrap_or_else(|| panic!("no ATM call in {chain}"))
        .to_string();
    let mut ws = client(&edge, &[&contract]).await;
    tick_of(&mut ws, &contract, "the contract's ticks on the edge", WAIT).await;

    // A new master on the leader (the daily refresh, a reload) reaches the edge by itself.
    let before = master["loaded_at"].clone();
    let (status, reloaded) =
        common::request_json(&leader.addr, "POST", "/api/admin/master/reload", None)
            .expect("an answer");
    assert_eq!(status, 200, "{reloaded}");
    wait_for(
        "the edge to load the leader's new master",
        Duration::from_secs(25),
        || async {
            edge.health()
                .filter(|h| h["master"]["loaded_at"] != before)
                .map(|_| ())
        },
    )
    .await;
    c.logged(&edge, "the leader's new instrument master loaded", WAIT)
        .await;
}

#[actix_rt::test]
async fn a_browser_logged_in_on_one_edge_is_known_on_every_edge_with_its_watchlists() {
    let _serial = SERIAL.lock().await;
    const KEY: &str = "cluster-trade-key-0123456789";
    let keys = format!("trade:{KEY}");
    let c = Cluster::new(vec![start_nats()], &[("MANDI_API_KEYS", &keys)]);
    let leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    let (e1, e2) = (c.start("edge", "edge-1"), c.start("edge", "edge-2"));
    c.serving(&e1).await;
    c.serving(&e2).await;
    // nginx may send a browser's next request to another edge than its login's.
    let (cookie, _) = common::login_cookie(&e1.addr, KEY);
    let with = |edge: &Node| {
        vec![
            ("Cookie".to_string(), cookie.clone()),
            ("Origin".to_string(), format!("http://{}", edge.addr)),
            ("Content-Type".to_string(), "application/json".to_string()),
        ]
    };
    let call = |edge: &Node, method: &str, path: &str, body: &str| {
        let headers = with(edge);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        common::raw(&edge.addr, method, path, &headers, body)
    };
    let (status, body) = call(&e2, "GET", "/api/watchlists", "");
    assert_eq!(status, 200, "edge-2 knows edge-1's login: {body}");
    // Lists saved through one edge are read through the other.
    let doc = json!({"lists": [{"name": "Expiry", "symbols": ["NIFTY", "BANKNIFTY"]}]});
    let (status, body) = call(&e1, "PUT", "/api/watchlists", &doc.to_string());
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&e2, "GET", "/api/watchlists", "");
    assert_eq!(status, 200, "{body}");
    let lists: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(lists["lists"], doc["lists"], "{body}");
    // A logout on one edge ends the session on every edge.
    let (status, body) = call(&e2, "POST", "/api/auth/logout", "");
    assert_eq!(status, 200, "{body}");
    wait_for("edge-1 to forget the session", WAIT, || async {
        (call(&e1, "GET", "/api/watchlists", "").0 == 401).then_some(())
    })
    .await;
}

/// `kill -9` of `leader`, then wait (5 s at most) until the simulator's one connection
/// carries `ids` again: the standby's. Sampled all along, the simulator never saw two
/// connections at once. Returns how long the takeover took.
async fn kill_and_wait_for_takeover(c: &Cluster, leader: &mut Node, want: &[u64]) -> Duration {
    leader.kill9();
    let killed = Instant::now();
    let mut most = 0;
    wait_for(
        "the standby's upstream connection",
        Duration::from_secs(5),
        || {
            let conns = c.sim_connections();
            most = most.max(conns.len());
            let ok = conns.len() == 1 && want.iter().all(|id| ids(&conns[0]).contains(id));
            async move { ok.then_some(()) }
        },
    )
    .await;
    assert!(most <= 1, "the simulator saw {most} connections at once");
    killed.elapsed()
}

#[actix_rt::test]
async fn on_three_nats_servers_a_killed_leader_is_replaced_within_5_s() {
    let _serial = SERIAL.lock().await;
    // The deployment's settings (docs/cluster.md, "Three machines"): a 10 s lease, which a
    // standby does not wait out when the leader's process is gone.
    let c = Cluster::new(
        start_nats_cluster(),
        &[
            ("MANDI__CLUSTER__KV_REPLICAS", "3"),
            ("MANDI__CLUSTER__LEASE_TTL_MS", "10000"),
        ],
    );
    let mut leader = c.start("feed", "feed-a");
    c.serving(&leader).await;
    let standby = c.start("feed", "feed-b");
    c.logged(&standby, "feed standby", WAIT).await;
    let edge = c.start("edge", "edge-1");
    c.serving(&edge).await;
    let mut ws = client(&edge, &["BANKNIFTY"]).await;
    tick_of(&mut ws, "BANKNIFTY", "ticks before the kill", WAIT).await;
    let took = kill_and_wait_for_takeover(&c, &mut leader, &[BANKNIFTY]).await;
    println!("on three NATS servers the standby took over {took:?} after kill -9");
    c.logged(&standby, "lease taken over without waiting", WAIT)
        .await;
    let after = chrono::Utc::now();
    ws.tick_after(after, WAIT).await;
    tick_of(&mut ws, "BANKNIFTY", "ticks on the same socket", WAIT).await;
}

/// The last lines of a log, for a failure message.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}
