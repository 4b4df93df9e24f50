//! Cancelling a cmdlet call (what Ctrl+C does in PowerShell): a call whose request the emulator delays, and one
//! waiting out a 429's `Retry-After: 180`, return at once when cancelled from another thread; the emulator receives
//! nothing more; the same client (connection and token) serves the next call.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use mgpresence_graph::cmdlet_call::{CallOptions, CmdletCallResult, run};
use mgpresence_graph::{Cancellation, Cloud, Credential, GraphClient, GraphClientConfig, RetryPolicy};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn client(url: &str) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(Credential::AccessToken(SecretString::from("test-token")));
    // Microsoft's policy: a Retry-After of 180 s is waited out whole.
    config.retry = RetryPolicy::default();
    GraphClient::new(config).unwrap()
}

async fn set_presence(client: &GraphClient, cancel: Cancellation) -> CmdletCallResult {
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let bound = json!({"UserId": "u1", "SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
    run(Some(client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions { cancel, ..Default::default() }).await
}

async fn control(url: &str, path: &str, body: Value) {
    mgpresence_graph::client::ensure_tls_provider();
    let response = reqwest::Client::new().post(format!("{url}{path}")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

/// Cancels `cancel` from another thread after `after`.
fn cancel_later(cancel: &Cancellation, after: Duration) {
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        cancel.cancel();
    });
}

async fn assert_stopped_and_usable(emulator: &RunningEmulator, client: &GraphClient, result: CmdletCallResult, started: Instant) {
    let elapsed = started.elapsed();
    assert!(result.cancelled, "{result:?}");
    assert_eq!(result.error.as_ref().map(|e| e.error_id.as_str()), Some("OperationStopped"));
    assert!(elapsed < Duration::from_secs(2), "the call returned after {elapsed:?}");
    // Nothing more reaches the emulator after the cancel.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(emulator.requests().len(), 1, "{:?}", emulator.requests());

    control(&emulator.url, "/_emulator/fault-rates", json!({"delayed": 0.0, "delayMs": 0})).await;
    let next = set_presence(client, Cancellation::new()).await;
    assert!(next.error.is_none() && !next.cancelled, "{next:?}");
    assert_eq!(next.status, 200);
    assert_eq!(emulator.requests().len(), 2);
}

#[tokio::test]
async fn a_cancelled_request_in_flight_returns_at_once() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    control(&emulator.url, "/_emulator/fault-rates", json!({"delayed": 1.0, "delayMs": 30_000})).await;
    let client = client(&emulator.url);
    let cancel = Cancellation::new();
    cancel_later(&cancel, Duration::from_millis(300));
    let started = Instant::now();
    let result = set_presence(&client, cancel).await;
    assert_stopped_and_usable(&emulator, &client, result, started).await;
}

#[tokio::test]
async fn a_call_waiting_out_retry_after_stops_at_once() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    control(
        &emulator.url,
        "/_emulator/faults",
        json!({"status": 429, "code": "TooManyRequests", "message": "Slow down.", "retryAfter": 180, "times": 1}),
    )
    .await;
    let client = client(&emulator.url);
    let cancel = Cancellation::new();
    cancel_later(&cancel, Duration::from_millis(300));
    let started = Instant::now();
    let result = set_presence(&client, cancel).await;
    assert_eq!(emulator.requests()[0].status, 429);
    assert_stopped_and_usable(&emulator, &client, result, started).await;
}

#[tokio::test]
async fn a_call_cancelled_before_it_starts_sends_nothing() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator.url);
    let cancel = Cancellation::new();
    cancel.cancel();
    let result = set_presence(&client, cancel).await;
    assert!(result.cancelled);
    assert!(emulator.requests().is_empty());
}
