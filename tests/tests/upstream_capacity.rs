//! The upstream never carries more than the broker allows and never churns with its
//! clients. With the per-connection limit lowered to 200 (test-only: the simulator lists
//! about 1500 derivatives, fewer than one real Dhan connection holds) and 3 connections:
//! clients asking for more than one connection holds get their symbols over several
//! upstream connections, each at most 200 in the simulator's own count (Dhan and Kite);
//! past 600 they get `capacity_reached`; an emptied connection closes. 10 000 subscribe and unsubscribe
//! messages from clients in 2 s become a few dozen upstream messages.

use std::time::{Duration, Instant};

use mandi_testkit::{get_json, request_json, start_stack, wait_for, Stack, WsClient, DEADLINE};
use serde_json::{json, Value};

/// Instruments one upstream connection may carry in these tests.
const PER_CONNECTION: u64 = 200;
/// Upstream connections in these tests.
const CONNECTIONS: u64 = 3;
/// The runtime's own `/prices` symbols, always on the first connection.
const RUNTIME_SYMBOLS: u64 = 4;
/// `upstream.max_subscribe_messages_per_s` (the default): the pacer's burst and rate.
const MESSAGES_PER_S: u64 = 10;

const OVERRIDES: &[(&str, &str)] = &[
    ("MANDI__UPSTREAM__MAX_INSTRUMENTS_PER_CONNECTION", "200"),
    ("MANDI__UPSTREAM__MAX_CONNECTIONS", "3"),
    // Hundreds of subscribed options tick every step: a slower step keeps the load down.
    ("MANDI__SIMULATOR__TICK_INTERVAL_MS", "250"),
];

/// The embedded simulator's `/admin/counters`.
async fn sim_counters(stack: &Stack) -> Value {
    let sim = stack.app.simulator.as_ref().expect("embedded simulator");
    get_json(&format!("{}/admin/counters", sim.rest_url())).await
}

/// Subscriptions per open connection of `broker`, in the simulator's own count.
fn per_connection(counters: &Value, broker: &str) -> Vec<u64> {
    mandi_testkit::sim_connections(counters, broker)
        .iter()
        .map(|subs| subs.as_array().map_or(0, |a| a.len() as u64))
        .collect()
}

/// Upstream subscribe and unsubscribe messages the simulator has seen.
fn upstream_messages(counters: &Value) -> u64 {
    let dhan = &counters["dhan"];
    dhan["subscribe_messages"].as_u64().unwrap_or(0)
        + dhan["unsubscribe_messages"].as_u64().unwrap_or(0)
}

/// Call and put symbols of every listed expiry of `underlying` on `exchange`, 20 strikes
/// each side of `price` (the simulator's start price), from `/api/option-chain`.
async fn options(stack: &Stack, underlying: &str, exchange: &str, price: f64) -> Vec<String> {
    let base = format!(
        "/api/option-chain?underlying={underlying}&exchange={exchange}&strikes=20&price={price}"
    );
    let first = wait_for("an option chain", DEADLINE, || async {
        let (status, body) = request_json("GET", &stack.url(&base), None).await;
        (status == 200).then_some(body)
    })
    .await;
    let mut out = Vec::new();
    for expiry in first["expiries"].as_array().into_iter().flatten() {
        let expiry = expiry.as_str().expect("an expiry date");
        let url = stack.url(&format!("{base}&expiry={expiry}"));
        let (status, chain) = request_json("GET", &url, None).await;
        assert_eq!(status, 200, "{chain}");
        for row in chain["rows"].as_array().into_iter().flatten() {
            for side in ["call", "put"] {
                if let Some(s) = row[side]["symbol"].as_str() {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// At least `n` distinct option symbols across NIFTY, BANKNIFTY and SENSEX.
async fn option_symbols(stack: &Stack, n: usize) -> Vec<String> {
    let mut all = options(stack, "NIFTY", "NSE", 25_760.0).await;
    all.extend(options(stack, "BANKNIFTY", "NSE", 58_120.0).await);
    all.extend(options(stack, "SENSEX", "BSE", 83_858.0).await);
    all.sort();
    all.dedup();
    assert!(all.len() >= n, "only {} options listed", all.len());
    all.truncate(n);
    all
}

async fn live_stack(broker: &str) -> Stack {
    let mut overrides = OVERRIDES.to_vec();
    overrides.push(("MANDI__UPSTREAM__BROKER", broker));
    let stack = start_stack(&overrides).await;
    let health = stack.url("/health");
    wait_for("feed live", DEADLINE, || async {
        (get_json(&health).await["feed"]["state"] == "live").then_some(())
    })
    .await;
    stack
}

/// Wait until the simulator shows these subscriptions per `broker` connection (in any
/// order).
async fn wait_for_connections(stack: &Stack, broker: &str, what: &str, want: &[u64]) -> Value {
    let mut want = want.to_vec();
    want.sort_unstable();
    wait_for(what, DEADLINE, || async {
        let c = sim_counters(stack).await;
        let mut got = per_connection(&c, broker);
        got.sort_unstable();
        (got == want).then_some(c)
    })
    .await
}

#[actix_rt::test]
async fn dhan_symbols_spread_over_connections_until_capacity_is_reached() {
    spread_until_capacity("dhan").await;
}

#[actix_rt::test]
async fn kite_symbols_spread_over_connections_until_capacity_is_reached() {
    spread_until_capacity("kite").await;
}

async fn spread_until_capacity(broker: &str) {
    let started = Instant::now();
    let stack = live_stack(broker).await;
    let symbols = option_symbols(&stack, 700).await;
    let (first, second) = symbols.split_at(300);

    // 300 + the runtime's 4 is more than one connection holds: a second one opens.
    let mut a = WsClient::connect(&stack.ws_url("/ws")).await;
    a.send_json(&json!({"action": "subscribe", "symbols": first, "mode": "ltp"}))
        .await;
    a.next_of_type("subscribed", DEADLINE).await;
    let two = "304 instruments over two connections";
    wait_for_connections(&stack, broker, two, &[200, 104]).await;

    // 400 more: 296 fit (96 on the second connection, 200 on a third), 104 do not.
    let mut b = WsClient::connect(&stack.ws_url("/ws")).await;
    b.send_json(&json!({"action": "subscribe", "symbols": second, "mode": "ltp"}))
        .await;
    let refused = b
        .next_matching("capacity_reached", DEADLINE, |m| {
            m["type"] == "error" && m["code"] == "capacity_reached"
        })
        .await;
    let message = refused["message"].as_str().unwrap_or_default();
    let named = second
        .iter()
        .filter(|s| message.contains(s.as_str()))
        .count();
    assert_eq!(named, 104, "the refused symbols are named: {message}");
    assert!(
        message.contains(second[399].as_str()) && !message.contains(second[0].as_str()),
        "the last ones asked for are refused, the first ones taken: {message}"
    );
    let three = "600 instruments over three connections";
    let full = wait_for_connections(&stack, broker, three, &[200, 200, 200]).await;

    // Clients see one state: live once all three connections are.
    let health = wait_for("three connections live", DEADLINE, || async {
        let h = get_json(&stack.url("/health")).await;
        let live = h["upstream"]["connections"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["state"] == "live"));
        (live && h["feed"]["state"] == "live").then_some(h)
    })
    .await;
    let up = &health["upstream"];
    assert_eq!(
        (&up["instruments"], &up["capacity"], &up["refused_total"]),
        (&json!(600), &json!(600), &json!(104)),
        "{up}"
    );
    let counts: Vec<u64> = up["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["instruments"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(counts, vec![200, 200, 200]);

    // B leaves: its 296 are released, the third connection empties and closes.
    b.close().await;
    let back = "back to two connections";
    let after = wait_for_connections(&stack, broker, back, &[200, 104]).await;
    let health = wait_for("the third connection idle", DEADLINE, || async {
        let h = get_json(&stack.url("/health")).await;
        (h["upstream"]["connections"][2]["state"] == "idle" && h["feed"]["state"] == "live")
            .then_some(h)
    })
    .await;
    assert_eq!(health["upstream"]["connections_in_use"], 2);

    // The broker never saw an oversized set.
    for c in [&full, &after] {
        let sim = &c[broker];
        let most = sim["max_subscriptions_per_connection"]
            .as_u64()
            .unwrap_or(u64::MAX);
        assert!(most <= PER_CONNECTION, "a connection held {most}: {sim}");
        assert_eq!(sim["limit_violations"], 0, "{sim}");
        assert!(sim["connections_open"].as_u64() <= Some(CONNECTIONS));
    }
    println!(
        "{broker} capacity: most per connection seen {}, limit {PER_CONNECTION}; {:.1} s",
        after[broker]["max_subscriptions_per_connection"],
        started.elapsed().as_secs_f64()
    );
    a.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn client_churn_does_not_become_broker_churn() {
    const CLIENTS: usize = 10;
    const MESSAGES_PER_CLIENT: usize = 1000;
    const SYMBOLS_PER_CLIENT: usize = 5;
    const CHURN: Duration = Duration::from_secs(2);
    let started = Instant::now();
    let stack = live_stack("dhan").await;
    let symbols = option_symbols(&stack, CLIENTS * SYMBOLS_PER_CLIENT).await;
    let before = sim_counters(&stack).await;
    let baseline = upstream_messages(&before);

    // Every client alternates subscribe and unsubscribe over its own few symbols, in
    // steps spread over two seconds; each message is answered before the next is sent.
    let steps = 20;
    let per_step = MESSAGES_PER_CLIENT / steps;
    let churn_started = Instant::now();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let mine: Vec<String> =
            symbols[i * SYMBOLS_PER_CLIENT..(i + 1) * SYMBOLS_PER_CLIENT].to_vec();
        let url = stack.ws_url("/ws");
        clients.push(actix_rt::spawn(async move {
            let mut ws = WsClient::connect(&url).await;
            let mut tick = tokio::time::interval(CHURN / steps as u32);
            let mut sent = 0;
            for _ in 0..steps {
                tick.tick().await;
                for _ in 0..per_step {
                    let symbol = &mine[(sent / 2) % mine.len()];
                    let (action, answer) = if sent % 2 == 0 {
                        ("subscribe", "subscribed")
                    } else {
                        ("unsubscribe", "unsubscribed")
                    };
                    ws.send_json(&json!({"action": action, "symbols": [symbol]}))
                        .await;
                    ws.next_of_type(answer, DEADLINE).await;
                    sent += 1;
                }
            }
            ws.close().await;
            sent
        }));
    }
    let mut sent = 0;
    for client in clients {
        sent += client.await.expect("client finished");
    }
    let churn = churn_started.elapsed();
    assert_eq!(sent, CLIENTS * MESSAGES_PER_CLIENT);

    // Settled: the upstream carries the runtime's own symbols again and nothing else.
    let gone = "the churned symbols gone";
    let settled = wait_for_connections(&stack, "dhan", gone, &[RUNTIME_SYMBOLS]).await;
    let until_settled = churn_started.elapsed();
    let upstream = upstream_messages(&settled) - baseline;
    // The pace: a burst of MESSAGES_PER_S, then MESSAGES_PER_S a second, from the first
    // churned message until the upstream settled.
    let bound = MESSAGES_PER_S + MESSAGES_PER_S * until_settled.as_secs_f64().ceil() as u64;
    println!(
        "churn: {sent} client messages in {:.2} s → {upstream} upstream messages (bound {bound}) \
         settled after {:.2} s; most per connection {}; test {:.1} s",
        churn.as_secs_f64(),
        until_settled.as_secs_f64(),
        settled["dhan"]["max_subscriptions_per_connection"],
        started.elapsed().as_secs_f64()
    );
    assert!(
        upstream <= bound,
        "{upstream} upstream messages, bound {bound}"
    );
    assert!(
        upstream < 100,
        "{upstream} upstream messages for {sent} client messages"
    );
    assert_eq!(settled["dhan"]["limit_violations"], 0);
    let most = settled["dhan"]["max_subscriptions_per_connection"]
        .as_u64()
        .unwrap_or(u64::MAX);
    assert!(most <= PER_CONNECTION, "a connection held {most}");

    // Nothing leaked: the registry holds only the runtime's own symbols.
    let active = get_json(&stack.url("/api/subscriptions/active")).await;
    assert_eq!(active["count"], RUNTIME_SYMBOLS, "{active}");
    stack.stop().await;
}
