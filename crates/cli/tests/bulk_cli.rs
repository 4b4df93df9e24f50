//! `mgpresence bulk` against the emulator: a CSV of users set through $batch, one outcome line each, and a non-zero
//! exit with the failures reported.

use assert_cmd::Command;
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mgpresence-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_csv_of_users_is_set_in_bulk_with_an_outcome_each() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let mut csv = String::from("UserId,Availability,Activity\n");
    for i in 0..60 {
        csv.push_str(&format!("csv-user-{i},,\n"));
    }
    csv.push_str("csv-away,Away,Away\n");
    let file = temp_file("users.csv", &csv);
    let output = Command::cargo_bin("mgpresence")
        .unwrap()
        .args(["bulk", "--endpoint", &emulator.url, "--file"])
        .arg(&file)
        .args(["--session-id", "app", "--availability", "Busy", "--activity", "InACall"])
        .env("MGPRESENCE_ACCESS_TOKEN", "cli-token")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 61);
    assert!(lines.iter().all(|l| l["succeeded"] == true));
    let state = emulator.state.clone();
    let now = state.clock.now();
    let mut store = state.store.lock().unwrap();
    assert_eq!(store.presence("csv-user-59", now, false).availability.as_str(), "Busy");
    assert_eq!(store.presence("csv-away", now, false).availability.as_str(), "Away");
    drop(store);
    assert!(emulator.requests().iter().any(|r| r.path == "/v1.0/$batch"));
    let _ = std::fs::remove_file(file);
}

#[test]
fn failures_are_reported_and_the_exit_code_says_so() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let file = temp_file("users.jsonl", "{\"UserId\":\"ok-user\"}\n{\"UserId\":\"bad-user\",\"Activity\":\"OutOfOffice\"}\n");
    let output = Command::cargo_bin("mgpresence")
        .unwrap()
        .args(["bulk", "--jsonl", "--endpoint", &emulator.url, "--file"])
        .arg(&file)
        .args(["--session-id", "app", "--availability", "DoNotDisturb", "--activity", "Presenting"])
        .env("MGPRESENCE_ACCESS_TOKEN", "cli-token")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\"userId\":\"bad-user\"") && stdout.contains("InvalidArgument"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 of 2 users applied"));
    let _ = std::fs::remove_file(file);
}
