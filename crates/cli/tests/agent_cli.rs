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

/// `agent run --once` over `store` against `endpoint`, with the emulator's kind of token; at most a minute.
fn run_once(endpoint: &str, store: &std::path::Path) -> std::process::Output {
    Command::cargo_bin("mgpresence")
        .unwrap()
        .args(["agent", "run", "--once", "--endpoint", endpoint, "--store"])
        .arg(store)
        .env("MGPRESENCE_ACCESS_TOKEN", "agent-token")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

/// `agent run` started over `store` against `url`, its standard error read up to the first line (printed once the
/// stop handlers are in and just before the first round).
#[cfg(unix)]
fn start_agent(url: &str, store: &std::path::Path) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mgpresence"))
        .args(["agent", "run", "--endpoint", url, "--store"])
        .arg(store)
        .env("MGPRESENCE_ACCESS_TOKEN", "agent-token")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    (child, stderr, first)
}

/// SIGTERM, as a service manager stops a service.
#[cfg(unix)]
fn terminate(child: &std::process::Child) {
    assert!(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
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
    let status = String::from_utf8(agent(&store, &["status"]).stdout).unwrap();
    assert!(status.contains("; 0 of 10000 renewals per 30 s; 0 lapse(s)"), "{status}");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["renewalsPerWindow"].to_string(), "0.0");
}

/// An endpoint given with the API version (as an SDK's base URL is) is refused before anything is read or sent, with
/// the root to give; the holds are as they were.
#[test]
fn agent_run_refuses_an_endpoint_that_ends_in_the_api_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    assert!(agent(&store, &["add", "--user", "u1", "--session-id", "app", "--availability", "Busy", "--activity", "InACall"]).status.success());
    let run = run_once("http://127.0.0.1:9/v1.0", &store);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ends in the API version 'v1.0'") && stderr.contains("('http://127.0.0.1:9')"), "{stderr}");
    let holds: Value = serde_json::from_slice(&agent(&store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(holds[0]["userId"], "u1");
    assert_eq!(holds[0]["lastResult"], Value::Null);
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
    let run = run_once(&emulator.url, &store);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let posted: Vec<_> = emulator.requests().into_iter().filter(|r| r.path.ends_with("/setPresence")).map(|r| r.path).collect();
    assert_eq!(posted.len(), 2, "{posted:?}");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    for hold in status["each"].as_array().unwrap() {
        assert_eq!(hold["lastResult"], "200", "{hold}");
    }
}

/// A cause every hold shares (here a Graph root under a path the service does not have, so each `$batch` is refused
/// as a whole) is one line on standard error naming a few holds, not a line a hold; and no hold ends over it.
#[test]
fn a_failure_every_hold_shares_is_one_line_and_keeps_the_holds() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, (0..50).fold(String::from("UserId\n"), |text, i| text + &format!("shared-{i:02}\n"))).unwrap();
    let common = ["--session-id", "app", "--availability", "Busy", "--activity", "InACall"];
    assert!(agent(&store, &[&["add", "--file", csv.to_str().unwrap()][..], &common[..]].concat()).status.success());
    let run = run_once(&format!("{}/graph", emulator.url), &store);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let failures: Vec<&str> = stderr.lines().filter(|l| l.contains("not renewed")).collect();
    assert_eq!(failures.len(), 1, "{stderr}");
    assert!(failures[0].starts_with("mgpresence agent: 50 holds not renewed, trying again: "), "{stderr}");
    assert!(failures[0].ends_with(" (shared-00 (app), shared-01 (app), shared-02 (app) and 47 more)"), "{stderr}");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["holds"], 50, "no hold ended: {stderr}");
}

/// `agent run` killed (SIGKILL) at random moments and started again: no hold is lost and the store still opens.
#[test]
fn an_agent_killed_at_any_moment_loses_no_hold() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    let mut csv = String::from("UserId\n");
    for i in 0..300 {
        csv.push_str(&format!("killed-{i}\n"));
    }
    let file = dir.path().join("users.csv");
    std::fs::write(&file, csv).unwrap();
    let added = agent(&store, &["add", "--file", file.to_str().unwrap(), "--session-id", "app", "--availability", "Busy", "--activity", "InACall"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let bin = assert_cmd::cargo::cargo_bin("mgpresence");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..6 {
        let mut child = std::process::Command::new(&bin)
            .args(["agent", "run", "--endpoint", &emulator.url, "--store"])
            .arg(&store)
            .env("MGPRESENCE_ACCESS_TOKEN", "agent-token")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_millis(50 + seed % 400));
        child.kill().unwrap();
        child.wait().unwrap();
        let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
        assert_eq!(status["holds"], 300, "after a kill: {status}");
    }
    // A last run renews whatever the kills left due.
    let run = run_once(&emulator.url, &store);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert!(status["each"].as_array().unwrap().iter().all(|h| h["lastResult"] == "200"), "{status}");
}

/// The running agent answers /health and Prometheus /metrics on its loopback address, and stops on SIGTERM.
#[cfg(unix)]
#[test]
fn the_running_agent_reports_metrics_and_stops_on_sigterm() {
    use std::io::{Read, Write};
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    assert!(agent(&store, &["add", "--user", "metrics-user", "--session-id", "app", "--availability", "Away", "--activity", "Away"]).status.success());
    let (mut child, mut stderr, first) = start_agent(&emulator.url, &store);
    let address = first.split("status at http://").nth(1).and_then(|s| s.split('/').next()).unwrap_or_else(|| panic!("{first}")).to_owned();
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = get("/metrics");
        if metrics.contains("mgpresence_agent_renewals_total 1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(metrics.contains("# TYPE mgpresence_agent_holds gauge") && metrics.contains("mgpresence_agent_holds 1"), "{metrics}");
    assert!(metrics.contains("mgpresence_agent_renewals_total 1"), "{metrics}");
    assert!(get("/health").ends_with("ok"));
    // A second agent over the same store is refused while this one runs.
    let second = run_once(&emulator.url, &store);
    let refused = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success() && refused.contains("another agent is running over this store"), "{refused}");
    // SIGTERM, as a service manager stops it.
    terminate(&child);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(rest.contains("stopped; the holds stay in the store"), "{rest}");
}

/// A credential the identity provider refuses stops the running agent (not only `--once`) with the provider's reason
/// and a non-zero exit, so the service manager shows it; the holds stay, and the secret is never printed.
#[test]
fn a_refused_credential_stops_the_running_agent_with_the_reason_and_keeps_the_holds() {
    let emulator = BackgroundEmulator::start(EmulatorConfig { require_issued_tokens: true, ..EmulatorConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    assert!(agent(&store, &["add", "--user", "refused-user", "--session-id", "app", "--availability", "Away", "--activity", "Away"]).status.success());
    let directory = mgpresence_emulator::server::demo_directory();
    let run = Command::cargo_bin("mgpresence")
        .unwrap()
        .args(["agent", "run", "--endpoint", &emulator.url, "--store"])
        .arg(&store)
        .env_remove("MGPRESENCE_ACCESS_TOKEN")
        .env("AZURE_CLIENT_ID", mgpresence_emulator::server::DEMO_APP_ID)
        .env("AZURE_TENANT_ID", &directory.tenant_id)
        .env("AZURE_CLIENT_SECRET", "not-the-agent-secret")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && run.status.code().is_some(), "it exits, with a code: {stderr}");
    assert!(stderr.contains("invalid_client") && stderr.contains("the holds stay in the store"), "{stderr}");
    assert!(!stderr.contains("not-the-agent-secret"));
    assert!(emulator.requests().iter().all(|r| !r.path.ends_with("/setPresence")), "nothing is sent without a token");
    let list: Value = serde_json::from_slice(&agent(&store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

/// A sign-in that gets no answer (the identity endpoint is down) is tried again while the agent runs; SIGTERM still
/// stops it cleanly.
#[cfg(unix)]
#[test]
fn a_sign_in_that_gets_no_answer_is_tried_again_until_stopped() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    assert!(agent(&store, &["add", "--user", "no-answer-user", "--session-id", "app", "--availability", "Away", "--activity", "Away"]).status.success());
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mgpresence"))
        .args(["agent", "run", "--endpoint", &format!("http://{closed}"), "--store"])
        .arg(&store)
        .env_remove("MGPRESENCE_ACCESS_TOKEN")
        .env_remove("AZURE_CLIENT_ID")
        .env("IDENTITY_ENDPOINT", format!("http://{closed}/msi/token"))
        .env("IDENTITY_HEADER", "agent-identity-header")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = String::new();
    while !lines.contains("trying again") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the agent ended: {lines}");
        lines.push_str(&line);
    }
    assert!(child.try_wait().unwrap().is_none(), "still running after a sign-in with no answer: {lines}");
    terminate(&child);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{lines}{rest}");
    assert!(!format!("{lines}{rest}").contains("agent-identity-header"));
    let list: Value = serde_json::from_slice(&agent(&store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

/// SIGTERM that comes while a round is sending lets the round's batches finish and their outcomes be written: every
/// renewal the emulator took is in the store, and the agent exits 0.
#[cfg(unix)]
#[test]
fn sigterm_during_a_round_lets_its_batches_finish_and_records_them() {
    use std::io::Read;
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("holds.db");
    let users: String = (0..3_000).map(|i| format!("round-{i}\n")).collect();
    let file = dir.path().join("users.csv");
    std::fs::write(&file, format!("UserId\n{users}")).unwrap();
    let added = agent(&store, &["add", "--file", file.to_str().unwrap(), "--session-id", "app", "--availability", "Busy", "--activity", "InACall"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let (mut child, mut stderr, first) = start_agent(&emulator.url, &store);
    // The first line comes just before the first round: the stop lands while its 150 batches are sent.
    terminate(&child);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}: {first}{rest}");
    assert!(rest.contains("stopped; the holds stay in the store"), "{rest}");
    let taken = emulator.requests().iter().filter(|r| r.path.ends_with("/setPresence")).count();
    assert!(taken > 0, "the round had begun");
    let status: Value = serde_json::from_slice(&agent(&store, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["holds"], 3_000, "{status}");
    let recorded = status["each"].as_array().unwrap().iter().filter(|h| h["lastResult"] == "200").count();
    assert_eq!(recorded, taken, "each renewal the service took is recorded");
}
