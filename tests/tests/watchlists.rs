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

const KEY: &str = "watchlist-e2e-key-0123456789";

/// A login session cookie (`name=value`) for `KEY`.
async fn login(stack: &Stack) -> String {
    let resp = awc::Client::new()
        .post(stack.url("/api/auth/login"))
        .timeout(DEADLINE)
        .send_json(&json!({ "key": KEY }))
        .await
        .unwrap_or_else(|e| panic!("login: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "login with the key");
    // `mandi_session=<id>; Path=/; HttpOnly; …`: the pair is what a browser sends back.
    let set = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a session cookie: {:?}", resp.headers()));
    let pair = set.split(';').next().unwrap_or_default().to_string();
    assert!(pair.starts_with(mandi_server::security::COOKIE), "{set}");
    pair
}

/// `method` on `/api/watchlists` with one extra header pair per `headers` entry.
async fn call_with(
    stack: &Stack,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut req = awc::Client::new()
        .request(method, stack.url("/api/watchlists"))
        .timeout(DEADLINE);
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
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
async fn with_api_keys_the_lists_follow_the_key_not_the_browser() {
    let dir = std::env::temp_dir().join(format!("mandi-watchlists-keyed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let keys = dir.join("keys");
    std::fs::write(&keys, format!("trade:{KEY}\n")).expect("keys file");
    let keys_file = keys.to_string_lossy().to_string();
    let data_dir = dir.join("data").to_string_lossy().to_string();
    let stack = start_stack(&[
        ("MANDI__SERVER__API_KEYS_FILE", keys_file.as_str()),
        ("MANDI__STORE__DATA_DIR", data_dir.as_str()),
    ])
    .await;
    let (status, _) = call_with(
        &stack,
        "GET",
        &[("x-mandi-client", "no-key-browser-1")],
        None,
    )
    .await;
    assert_eq!(status, 401, "without the key, no lists");

    let doc = json!({"lists": [{"name": "Desk", "symbols": ["NIFTY"]}]});
    let first = login(&stack).await;
    let (status, _) = call_with(
        &stack,
        "PUT",
        &[
            ("cookie", first.as_str()),
            ("x-mandi-client", "laptop-browser-1"),
        ],
        Some(&doc),
    )
    .await;
    assert_eq!(status, 200, "saved from the first browser's session");
    let second = login(&stack).await;
    let bearer = format!("Bearer {KEY}");
    for (name, headers) in [
        (
            "another browser logged in with the key",
            vec![
                ("cookie", second.as_str()),
                ("x-mandi-client", "phone-browser-2"),
            ],
        ),
        (
            "a bot with the key as bearer",
            vec![("authorization", bearer.as_str())],
        ),
    ] {
        let (status, got) = call_with(&stack, "GET", &headers, None).await;
        assert_eq!((status, &got), (200, &doc), "case {name:?}");
    }
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
