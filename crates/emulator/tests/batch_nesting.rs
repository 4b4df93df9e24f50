//! A `$batch` request cannot hold another `$batch`: the inner one is answered 400 with a Graph error inside the
//! outer 200, and a small body nesting batches dozens deep — which used to run every level on one stack and abort
//! the whole emulator with a stack overflow — is answered without bringing the emulator down.

mod common;

use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use serde_json::{Value, json};

fn nested_batch(depth: usize) -> Value {
    let mut body = json!({"requests": [{"id": "0", "method": "GET", "url": "/me/presence"}]});
    for _ in 0..depth {
        body = json!({"requests": [{"id": "0", "method": "POST", "url": "/$batch", "headers": {"Content-Type": "application/json"}, "body": body}]});
    }
    body
}

fn post_batch(url: &str, body: &Value) -> common::RawResponse {
    common::request(url, "POST", "/v1.0/$batch", &[("Authorization", "Bearer t"), ("Content-Type", "application/json")], body.to_string().as_bytes())
}

#[test]
fn a_batch_inside_a_batch_is_a_bad_request_item() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let response = post_batch(&emulator.url, &nested_batch(1));
    assert_eq!(response.status, 200, "{response:?}");
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    let item = &body["responses"][0];
    assert_eq!(item["status"], 400, "{item}");
    assert_eq!(item["body"]["error"]["code"], "BadRequest", "{item}");
}

#[test]
fn deeply_nested_batches_do_not_bring_the_emulator_down() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    for depth in [2, 10, 40, 41] {
        let response = post_batch(&emulator.url, &nested_batch(depth));
        assert!(response.status == 200 || response.status == 400, "depth {depth}: {response:?}");
        common::assert_healthy(&emulator.url);
    }
}
