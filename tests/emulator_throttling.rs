//! The emulator's throttling and random faults, and the client honouring them: no request before Retry-After has
//! passed, and the run finishes.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::throttle::{FaultRates, ThrottleLimits};
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use mgpresence_graph::cmdlet_call::{self, CallOptions};
use mgpresence_graph::{Cloud, Credential, GraphClient, GraphClientConfig, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;

fn client(url: &str, retries: usize) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(Credential::AccessToken(SecretString::from("throttle-test-token")));
    config.retry = RetryPolicy { max_retries: retries, delay: Duration::from_millis(20), max_delay: Duration::from_secs(5), total_limit: None };
    GraphClient::new(config).unwrap()
}

#[tokio::test]
async fn throttled_requests_wait_for_retry_after_and_all_finish() {
    let emulator = RunningEmulator::start(EmulatorConfig {
        throttle: ThrottleLimits { enabled: true, requests: 3, reads: 3, window_seconds: 2 },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = client(&emulator.url, 5);
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    for i in 0..7 {
        let bound = json!({"UserId": format!("u{i}"), "SessionId": "app", "Availability": "Away", "Activity": "Away"});
        let result = cmdlet_call::run(Some(&client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions::default()).await;
        assert!(result.error.is_none(), "request {i}: {:?}", result.error);
    }
    let requests = emulator.requests();
    assert!(requests.len() > 7, "some requests were throttled: {}", requests.len());
    // After every 429, the next request came no earlier than its Retry-After allowed.
    let throttled: Vec<_> = requests.iter().enumerate().filter(|(_, r)| r.status == 429).collect();
    assert!(!throttled.is_empty());
    for (i, r) in throttled {
        let wait = jiff::SignedDuration::from_secs(r.retry_after.as_deref().unwrap().parse::<i64>().unwrap());
        let sent: jiff::Timestamp = r.at.parse().unwrap();
        let next: jiff::Timestamp = requests[i + 1].at.parse().unwrap();
        assert!(next.duration_since(sent) >= wait - jiff::SignedDuration::from_millis(5), "request {} came {:?} after a 429 asking for {wait:?}", i + 1, next.duration_since(sent));
    }
    assert_eq!(requests.iter().filter(|r| r.status == 200).count(), 7, "every user was set once");
    for (state, _) in (0..7).map(|i| (emulator.state.store.lock().unwrap().presence(&format!("u{i}"), emulator.state.clock.now(), false), i)) {
        assert_eq!(state.availability.as_str(), "Away", "every user was set");
    }
    emulator.stop().await;
}

#[tokio::test]
async fn random_faults_are_retried_and_reported_never_dropped() {
    let emulator = RunningEmulator::start(EmulatorConfig {
        throttle: ThrottleLimits { enabled: false, ..ThrottleLimits::default() },
        fault_rates: FaultRates { throttled: 0.1, unavailable: 0.05, gateway_timeout: 0.05, retry_after_seconds: 0, ..FaultRates::default() },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = client(&emulator.url, 3);
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let mut failed = Vec::new();
    for i in 0..200 {
        let bound = json!({"UserId": format!("user{i}"), "SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
        let result = cmdlet_call::run(Some(&client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions::default()).await;
        if let Some(e) = result.error {
            assert!(["TooManyRequests", "ServiceUnavailable", "GatewayTimeout"].contains(&e.error_id.as_str()), "{}", e.error_id);
            failed.push(i);
        }
    }
    let now = emulator.state.clock.now();
    let mut store = emulator.state.store.lock().unwrap();
    for i in 0..200 {
        let set = store.presence(&format!("user{i}"), now, false).availability.as_str() == "Busy";
        assert_eq!(set, !failed.contains(&i), "user{i}: set={set}, reported failed={}", failed.contains(&i));
    }
    assert!(failed.len() < 10, "retries absorb almost all faults: {} failed", failed.len());
}
