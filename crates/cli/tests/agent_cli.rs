//! `mgpresence agent` over a real store file, and `agent run` against the emulator.

use assert_cmd::Command;
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use serde_json::Value;

fn agent(store: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("mgpresence")
        .unwrap()
        .arg("agent")
        .args(args)
        .arg("--store")
        .arg(store)
        .env_remove("AZURE_CLIENT_ID")
        .output()
        .unwrap()
}

#[test]
fn holds_are_added_listed_and_removed_and_a_pair_setpresence_refuses_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    let added = agent(&store, &["add", "--user", "adele@contoso.example", "--session-id", "app", "--availability", "Busy", "--activity", "InACall", "--until", "2099-01-01T17:00:00Z", "--json"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let listed = agent(&store, &["list", "--json"]);
    let holds: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(holds[0]["userId"], "adele@contoso.example");
    assert_eq!(holds[0]["until"], "2099-01-01T17:00:00Z");
    assert_eq!(holds[0]["lapses"], 0);

    let refused = agent(&store, &["add", "--user", "u2", "--session-id", "app", "--availability", "Available", "--activity", "Busy"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be held"), "{}", String::from_utf8_lossy(&refused.stderr));

    assert!(agent(&store, &["remove", "--user", "ADELE@contoso.example", "--session-id", "app"]).status.success());
    let missing = agent(&store, &["remove", "--user", "adele@contoso.example", "--session-id", "app"]);
    assert!(!missing.status.success(), "a hold that is not there is an error");
    let empty: Value = serde_json::from_slice(&agent(&store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(empty, Value::Array(Vec::new()));
}

#[test]
fn holds_that_do_not_fit_the_throttle_budget_are_refused_with_the_numbers_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    let mut csv = String::from("UserId\n");
    for i in 0..120_000 {
        csv.push_str(&format!("user-{i}\n"));
    }
    let file = dir.path().join("users.csv");
    std::fs::write(&file, csv).unwrap();
    let file = file.to_str().unwrap();
    let common = ["--session-id", "app", "--availability", "Available", "--activity", "Available"];
    let refused = agent(&store, &[&["add", "--file", file][..], &common[..]].concat());
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("120000 holds (120000 Available) need 12000 renewals per 30 s, more than the 10000"), "{message}");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["holds"], 0, "nothing was added");

    let forced = agent(&store, &[&["add", "--file", file, "--force"][..], &common[..]].concat());
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["holds"], 120_000);
    assert_eq!(status["renewalsPerWindow"].as_f64().map(f64::round), Some(12_000.0));
}

#[test]
fn agent_run_renews_the_due_holds_against_the_emulator() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    for user in ["run-a", "run-b"] {
        assert!(agent(&store, &["add", "--user", user, "--session-id", "app", "--availability", "Available", "--activity", "Available"]).status.success());
    }
    let run = Command::cargo_bin("mgpresence")
        .unwrap()
        .args(["agent", "run", "--once", "--endpoint", &emulator.url, "--store"])
        .arg(&store)
        .env("MGPRESENCE_ACCESS_TOKEN", "agent-token")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let posted: Vec<_> = emulator.requests().into_iter().filter(|r| r.path.ends_with("/setPresence")).map(|r| r.path).collect();
    assert_eq!(posted.len(), 2, "{posted:?}");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    for hold in status["each"].as_array().unwrap() {
        assert_eq!(hold["lastResult"], "200", "{hold}");
    }
}
