//! The bulk path: many users through `$batch` against the emulator, with injected faults and with throttling. Every
//! user is either set in the emulator or reported failed by its outcome — zero silent loss.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::throttle::{FaultRates, ThrottleLimits};
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use mgpresence_graph::bulk::{BulkItem, BulkOptions, run_bulk};
use mgpresence_graph::{Cloud, Credential, GraphClient, GraphClientConfig, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;
use std::time::{Duration, Instant};

fn client(url: &str) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(Credential::AccessToken(SecretString::from("bulk-test-token")));
    config.retry = RetryPolicy { max_retries: 6, delay: Duration::from_millis(5), max_delay: Duration::from_secs(5), total_limit: None };
    GraphClient::new(config).unwrap()
}

fn items(count: usize) -> Vec<BulkItem> {
    (0..count)
        .map(|i| BulkItem {
            key: format!("bulk-user-{i}"),
            bound: json!({"UserId": format!("bulk-user-{i}"), "SessionId": "sync-app", "Availability": "Busy", "Activity": "InACall", "ExpirationDuration": "PT1H"})
                .as_object()
                .unwrap()
                .clone(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_users_with_20_percent_faults_lose_nothing() {
    let emulator = RunningEmulator::start(EmulatorConfig {
        throttle: ThrottleLimits { enabled: false, ..ThrottleLimits::default() },
        // 20% in all: 429, 503, 504 and cut connections.
        fault_rates: FaultRates { throttled: 0.1, unavailable: 0.03, gateway_timeout: 0.02, reset: 0.05, retry_after_seconds: 0, ..FaultRates::default() },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = client(&emulator.url);
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let mut all = items(10_000);
    // Two items the service would refuse: they are never sent and say why.
    all[17].bound.insert("Activity".into(), json!("OutOfOffice"));
    all[4242].bound.remove("UserId");
    let started = Instant::now();
    let options = BulkOptions::default();
    let outcomes = run_bulk(&client, &cmdlet, "SetExpanded", all, &options).await;
    let elapsed = started.elapsed();
    assert_eq!(outcomes.len(), 10_000);
    assert_eq!(options.done.load(std::sync::atomic::Ordering::Relaxed), 10_000, "progress counted every item");
    assert_eq!(outcomes[17].error.as_ref().unwrap().error_id, "InvalidArgument", "the code the service answers with");
    assert_eq!(outcomes[4242].error.as_ref().unwrap().error_id, "MissingIdentifier");

    let now = emulator.state.clock.now();
    let mut store = emulator.state.store.lock().unwrap();
    let mut failed = 0;
    for (i, outcome) in outcomes.iter().enumerate() {
        let set = store.presence(&format!("bulk-user-{i}"), now, false).availability.as_str() == "Busy";
        assert_eq!(set, outcome.error.is_none(), "{}: set in the emulator = {set}, outcome = {:?}", outcome.key, outcome.error);
        if outcome.error.is_some() {
            failed += 1;
        }
    }
    drop(store);
    assert!(failed < 50, "retries absorb the faults: {failed} failed");
    let requests = emulator.requests();
    let batches = requests.iter().filter(|r| r.path == "/v1.0/$batch").count();
    assert!(requests.iter().filter(|r| r.path == "/v1.0/$batch").all(|r| r.body["requests"].as_array().is_some_and(|a| a.len() <= 20)));
    println!("10,000 users in {elapsed:?} with {batches} batches, {failed} reported failures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_bulk_run_honours_retry_after_and_finishes() {
    let emulator = RunningEmulator::start(EmulatorConfig {
        throttle: ThrottleLimits { enabled: true, requests: 100, reads: 100, window_seconds: 1 },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = client(&emulator.url);
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let started = Instant::now();
    // One batch at a time, so "no request before Retry-After" can be checked request by request.
    let options = BulkOptions { concurrency: 1, ..BulkOptions::default() };
    let outcomes = run_bulk(&client, &cmdlet, "SetExpanded", items(300), &options).await;
    let elapsed = started.elapsed();
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{:?}", outcomes.iter().find(|o| o.error.is_some()));
    // 300 item requests under 100 per second cannot finish in less than 2 seconds (the envelopes are not counted).
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    let requests = emulator.requests();
    for (i, r) in requests.iter().enumerate().filter(|(_, r)| r.status == 429) {
        let wait = jiff::SignedDuration::from_secs(r.retry_after.as_deref().unwrap_or("0").parse::<i64>().unwrap());
        let sent: jiff::Timestamp = r.at.parse().unwrap();
        // The next batch came no earlier than Retry-After (items of the same batch arrive together, at once).
        let next_batch = requests[i + 1..].iter().find(|n| n.path.ends_with("$batch") && n.at.parse::<jiff::Timestamp>().unwrap() > sent);
        if let Some(next) = next_batch {
            let next: jiff::Timestamp = next.at.parse().unwrap();
            assert!(next.duration_since(sent) >= wait - jiff::SignedDuration::from_millis(5), "a batch came {:?} after a 429 asking for {wait:?}", next.duration_since(sent));
        }
    }
    emulator.stop().await;
}
