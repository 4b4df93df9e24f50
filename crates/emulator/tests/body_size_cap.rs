//! The emulator caps request bodies at `control::MAX_BODY` (4 MiB): a body one byte larger is answered 413 with a
//! Graph error envelope and leaves no trace (not recorded, not applied), in-process and over a real TCP connection;
//! a body just under the cap is read whole and applied, so the cap is the documented one and not a lower default.

mod common;

use axum::body::{Body, to_bytes};
use axum::http::Request;
use mgpresence_domain::{Activity, Availability};
use mgpresence_emulator::control::MAX_BODY;
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use serde_json::json;
use tower::ServiceExt;

const SET_PRESENCE: &str = "/v1.0/users/capped-user/presence/setPresence";

/// A valid setPresence body of exactly `size` bytes (padded with an unknown member, which the service ignores).
fn set_presence_body_of_size(size: usize) -> Vec<u8> {
    let skeleton = json!({"sessionId": "app", "availability": "Busy", "activity": "InACall", "padding": ""}).to_string();
    let padding = size.checked_sub(skeleton.len()).expect("the size holds the skeleton");
    let body = json!({"sessionId": "app", "availability": "Busy", "activity": "InACall", "padding": "x".repeat(padding)}).to_string();
    assert_eq!(body.len(), size);
    body.into_bytes()
}

async fn post_in_process(router: axum::Router, path: &str, body: Vec<u8>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let request = Request::post(path)
        .header("authorization", "Bearer test-token")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned())).collect();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
    (status, headers, body)
}

fn presence_of(state: &mgpresence_emulator::server::AppState, user: &str) -> (Availability, Activity) {
    let now = state.clock.now();
    let presence = state.store.lock().unwrap().presence(user, now, false);
    (presence.availability, presence.activity)
}

#[tokio::test]
async fn a_body_over_the_cap_is_413_graph_shaped_and_leaves_no_trace() {
    let (router, state) = mgpresence_emulator::app(EmulatorConfig::default(), "http://emulator.test");
    for path in [SET_PRESENCE, "/v1.0/$batch", "/beta/communications/getPresencesByUserId"] {
        let (status, headers, body) = post_in_process(router.clone(), path, set_presence_body_of_size(MAX_BODY + 1)).await;
        assert_eq!(status, 413, "{path}");
        let error = common::assert_graph_error(status, &headers, &body);
        assert_eq!(error.error.code, "RequestEntityTooLarge", "{path}");
    }
    assert!(state.requests().is_empty(), "refused bodies are not recorded: {:?}", state.requests().len());
    assert_eq!(presence_of(&state, "capped-user"), (Availability::Offline, Activity::Offline), "nothing was applied");
}

#[tokio::test]
async fn a_body_just_under_the_cap_is_read_and_applied() {
    let (router, state) = mgpresence_emulator::app(EmulatorConfig::default(), "http://emulator.test");
    let (status, _, body) = post_in_process(router, SET_PRESENCE, set_presence_body_of_size(MAX_BODY - 1)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(presence_of(&state, "capped-user"), (Availability::Busy, Activity::InACall));
}

#[test]
fn over_tcp_a_body_over_the_cap_is_413_and_the_emulator_keeps_serving() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let response = common::request(
        &emulator.url,
        "POST",
        SET_PRESENCE,
        &[("Authorization", "Bearer test-token"), ("Content-Type", "application/json")],
        &set_presence_body_of_size(MAX_BODY + 1),
    );
    assert_eq!(response.status, 413);
    common::assert_graph_error(response.status, &response.headers, &response.body);
    assert!(emulator.requests().is_empty());
    assert_eq!(presence_of(&emulator.state, "capped-user"), (Availability::Offline, Activity::Offline));
    common::assert_healthy(&emulator.url);
}
