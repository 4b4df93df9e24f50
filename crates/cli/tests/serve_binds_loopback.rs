//! `mgpresence serve` listens on loopback unless `--bind` says otherwise: without `--bind` it announces
//! `http://127.0.0.1:PORT`, with `--bind 0.0.0.0` it announces that address instead.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `mgpresence serve --port 0` with `extra` arguments and returns the address line it prints.
fn announced_address(extra: &[&str]) -> String {
    let mut child: Child = Command::new(assert_cmd::cargo::cargo_bin("mgpresence"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mgpresence starts");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line);
    // Stop the emulator this test started (by its own handle), whatever the outcome.
    let _ = child.kill();
    let _ = child.wait();
    read.expect("mgpresence prints where it listens");
    line.trim().to_owned()
}

#[test]
fn serve_listens_on_loopback_by_default() {
    let line = announced_address(&[]);
    assert!(line.starts_with("MgPresence emulator listening on http://127.0.0.1:"), "{line}");
}

#[test]
fn serve_listens_where_bind_says() {
    let line = announced_address(&["--bind", "0.0.0.0"]);
    assert!(line.starts_with("MgPresence emulator listening on http://0.0.0.0:"), "{line}");
}
