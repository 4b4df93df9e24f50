//! The emulator's JSON batching (graph-presence-api.md §5.3): limits, per-item status/headers/body, dependsOn and 424,
//! and each item going through the same routes (recorded, authenticated and faulted on its own).

use mgpresence_emulator::{EmulatorConfig, Fault, RunningEmulator};
use serde_json::{Value, json};

async fn post_batch(emulator: &RunningEmulator, body: Value) -> (u16, Value) {
    mgpresence_graph::client::ensure_tls_provider();
    let response = reqwest::Client::new()
        .post(format!("{}/v1.0/$batch", emulator.url))
        .bearer_auth("token")
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn set(id: &str, user: &str) -> Value {
    json!({"id": id, "method": "POST", "url": format!("/users/{user}/presence/setPresence"),
           "headers": {"Content-Type": "application/json"},
           "body": {"sessionId": "app", "availability": "Busy", "activity": "InACall", "expirationDuration": "PT1H"}})
}

#[tokio::test]
async fn a_batch_runs_its_requests_in_order_with_dependencies() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let (status, body) = post_batch(
        &emulator,
        json!({"requests": [
            set("1", "u1"),
            {"id": "2", "method": "GET", "url": "/users/u1/presence", "dependsOn": ["1"]},
            {"id": "3", "method": "POST", "url": "/users/u2/presence/clearPresence", "headers": {"content-type": "application/json"}, "body": {"sessionId": "none"}},
            {"id": "4", "method": "GET", "url": "/users/u2/presence", "dependsOn": ["3"]},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let responses = body["responses"].as_array().unwrap();
    let by_id = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("2")["body"]["availability"], "Busy");
    assert!(by_id("2")["headers"]["request-id"].is_string());
    assert_eq!(by_id("3")["status"], 404);
    assert_eq!(by_id("3")["body"]["error"]["code"], "NotFound");
    assert_eq!(by_id("4")["status"], 424);
    assert_eq!(by_id("4")["body"]["error"]["code"], "FailedDependency");
    let recorded: Vec<String> = emulator.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(recorded, ["POST /v1.0/$batch", "POST /v1.0/users/u1/presence/setPresence", "GET /v1.0/users/u1/presence", "POST /v1.0/users/u2/presence/clearPresence"]);
    emulator.stop().await;
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let twenty_one: Vec<Value> = (0..21).map(|i| set(&i.to_string(), &format!("u{i}"))).collect();
    let twenty: Vec<Value> = (0..20).map(|i| set(&i.to_string(), &format!("u{i}"))).collect();
    for (body, why) in [
        (json!({"requests": twenty_one}), "more than 20"),
        (json!({"requests": []}), "empty"),
        (json!({"requests": [set("1", "a"), set("1", "b")]}), "duplicate id"),
        (json!({"requests": [{"id": "1", "method": "POST", "url": "/users/a/presence/setPresence", "body": {}}]}), "body without Content-Type"),
        (json!({"requests": [{"id": "1", "method": "GET", "url": "/users/a/presence", "dependsOn": ["9"]}]}), "unknown dependency"),
        (json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me/presence"}]}), "absolute url"),
        (json!({"nothing": true}), "no requests"),
    ] {
        let (status, reply) = post_batch(&emulator, body).await;
        assert_eq!(status, 400, "{why}: {reply}");
        assert_eq!(reply["error"]["code"], "BadRequest", "{why}");
    }
    let (status, reply) = post_batch(&emulator, json!({"requests": twenty})).await;
    assert_eq!(status, 200);
    assert_eq!(reply["responses"].as_array().unwrap().len(), 20);
    emulator.stop().await;
}

#[tokio::test]
async fn each_item_is_authenticated_and_throttled_on_its_own() {
    let emulator = RunningEmulator::start(EmulatorConfig { require_issued_tokens: true, ..EmulatorConfig::default() }).await.unwrap();
    let (status, _) = post_batch(&emulator, json!({"requests": [set("1", "u1")]})).await;
    assert_eq!(status, 401, "the batch itself needs a valid token");
    emulator.state.require_issued_tokens.store(false, std::sync::atomic::Ordering::SeqCst);
    emulator.state.faults.lock().unwrap().push(Fault {
        method: Some("POST".into()),
        path_contains: Some("/users/u2/".into()),
        status: 429,
        code: "TooManyRequests".into(),
        message: "Too many requests.".into(),
        retry_after: Some(3),
        times: Some(1),
    });
    let (status, body) = post_batch(&emulator, json!({"requests": [set("1", "u1"), set("2", "u2"), set("3", "u3")]})).await;
    assert_eq!(status, 200, "a batch with a throttled item is still a 200");
    let statuses: Vec<u64> = body["responses"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 429, 200]);
    assert_eq!(body["responses"][1]["headers"]["retry-after"], "3");
    emulator.stop().await;
}

#[tokio::test]
async fn only_the_requests_inside_a_batch_count_toward_the_limit() {
    use mgpresence_emulator::throttle::ThrottleLimits;
    let emulator = RunningEmulator::start(EmulatorConfig {
        throttle: ThrottleLimits { enabled: true, requests: 20, reads: 20, window_seconds: 60 },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let full: Vec<Value> = (0..20).map(|i| set(&i.to_string(), &format!("u{i}"))).collect();
    let (status, body) = post_batch(&emulator, json!({ "requests": full })).await;
    assert_eq!(status, 200);
    assert!(body["responses"].as_array().unwrap().iter().all(|r| r["status"] == 200), "the envelope took no room: {body}");
    // The window is full now; the next envelope is still answered 200, with its request throttled inside.
    let (status, body) = post_batch(&emulator, json!({"requests": [set("x", "u20")]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["responses"][0]["status"], 429);
    assert!(body["responses"][0]["headers"]["retry-after"].as_str().is_some_and(|s| s.parse::<u64>().is_ok()));
    emulator.stop().await;
}
