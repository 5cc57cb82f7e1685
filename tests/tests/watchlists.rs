//! The terminal's watchlists over HTTP: kept per browser id (or per API key), validated
//! with a 400 that says what to change, and still there after a restart of the process.

use mandi_testkit::{start_stack, Stack, DEADLINE};
use serde_json::{json, Value};

/// `method` on `/api/watchlists` as browser `client` (no header when `None`).
async fn call(
    stack: &Stack,
    method: &str,
    client: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut req = awc::Client::new()
        .request(method, stack.url("/api/watchlists"))
        .timeout(DEADLINE);
    if let Some(id) = client {
        req = req.insert_header(("x-mandi-client", id));
    }
    let sent = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    };
    let mut resp = sent.unwrap_or_else(|e| panic!("/api/watchlists: {e}"));
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.unwrap_or(Value::Null))
}

#[actix_rt::test]
async fn lists_are_kept_per_browser_validated_and_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("mandi-watchlists-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data_dir = dir.to_string_lossy().to_string();
    let overrides = [("MANDI__STORE__DATA_DIR", data_dir.as_str())];
    let stack = start_stack(&overrides).await;
    let alice = Some("alice-browser-0001");
    let doc = json!({"lists": [{"name": "Calls", "symbols": ["NIFTY", "RELIANCE", "NIFTY"]}]});

    struct TestCase {
        name: &'static str,
        client: Option<&'static str>,
        body: Value,
        status: u16,
        error: &'static str,
    }
    let refused = [
        TestCase {
            name: "no browser id",
            client: None,
            body: doc.clone(),
            status: 400,
            error: "no_owner",
        },
        TestCase {
            name: "an id with path characters",
            client: Some("../../etc"),
            body: doc.clone(),
            status: 400,
            error: "no_owner",
        },
        TestCase {
            name: "two lists of one name",
            client: alice,
            body: json!({"lists": [{"name": "A", "symbols": []}, {"name": "a", "symbols": []}]}),
            status: 400,
            error: "bad_watchlists",
        },
        TestCase {
            name: "not the document's shape",
            client: alice,
            body: json!({"lists": "NIFTY"}),
            status: 400,
            error: "bad_json",
        },
    ];
    for case in refused {
        let (status, body) = call(&stack, "PUT", case.client, Some(&case.body)).await;
        assert_eq!(status, case.status, "case {:?}: {body}", case.name);
        assert_eq!(body["error"], case.error, "case {:?}: {body}", case.name);
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "case {:?}: a message",
            case.name
        );
    }

    let (status, empty) = call(&stack, "GET", alice, None).await;
    assert_eq!(
        (status, empty),
        (200, json!({"lists": []})),
        "nothing stored yet"
    );
    let (status, stored) = call(&stack, "PUT", alice, Some(&doc)).await;
    let want = json!({"lists": [{"name": "Calls", "symbols": ["NIFTY", "RELIANCE"]}]});
    assert_eq!(
        (status, &stored),
        (200, &want),
        "stored, the repeated symbol dropped"
    );
    let (_, other) = call(&stack, "GET", Some("bob-browser-00002"), None).await;
    assert_eq!(
        other,
        json!({"lists": []}),
        "another browser has its own lists"
    );

    stack.stop().await;
    let again = start_stack(&overrides).await;
    let (status, after) = call(&again, "GET", alice, None).await;
    assert_eq!(
        (status, &after),
        (200, &want),
        "the lists survive a restart"
    );
    again.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
