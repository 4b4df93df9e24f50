//! The long runs:
//!
//! - `cargo xtask agent`: the keep-alive agent at the scale — the ignored tests of
//!   `tests/agent_against_emulator.rs`, in release, one after the other:
//!   `a_day_of_ten_thousand_holds_under_faults_has_no_lapse_and_loses_no_hold` (10,000 holds, a simulated day, 5%
//!   injected 429s, 503s and cut connections), the same with the agent stopped mid-round and restarted at random
//!   (`a_day_of_ten_thousand_holds_with_the_agent_stopped_and_restarted_loses_no_hold`), and
//!   `a_hundred_and_twenty_thousand_holds_against_the_documented_limit_lapse_in_turn` (120,000 `Available` holds
//!   against 10,000 requests per 30 s for a simulated hour: refused, then forced). `cargo xtask test` ends with them.
//! - `cargo xtask valgrind`: 100,000 calls through the C ABI under valgrind's memcheck.
//!
//! It builds the native library and the foreign-caller test binary in release (with line tables), starts the emulator
//! in a process of its own (outside valgrind), and runs the ignored test `soak_calls_for_valgrind` of
//! `tests/ffi_as_foreign_caller.rs` under memcheck. The result, read from valgrind's leak summary, is printed and
//! written to `out/valgrind/summary.json`; the task fails when any byte is definitely lost or memcheck reports errors.

use crate::emulator::EmulatorProcess;
use crate::module::{cargo, native_library_name, root, run};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::process::Command;

/// The release build of the foreign-caller test binary, found from cargo's JSON messages.
fn foreign_caller_test_binary(root: &std::path::Path) -> Result<std::path::PathBuf> {
    let out = cargo()
        .current_dir(root)
        .args(["test", "--release", "--test", "ffi_as_foreign_caller", "--no-run", "--message-format=json", "--quiet"])
        .output()
        .context("cannot run cargo to build the foreign-caller test")?;
    if !out.status.success() {
        bail!("building the foreign-caller test failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["target"]["name"] == "ffi_as_foreign_caller")
        .find_map(|m| m["executable"].as_str().map(std::path::PathBuf::from))
        .context("cargo did not name the foreign-caller test binary")
}

/// "==123==    definitely lost: 1,234 bytes in 5 blocks" → 1234.
fn bytes_after(log: &str, label: &str) -> Option<u64> {
    let line = log.lines().rev().find(|l| l.contains(label))?;
    let rest = &line[line.find(label)? + label.len()..];
    rest.split_whitespace().next()?.replace(',', "").parse().ok()
}

fn errors_of(log: &str) -> Option<u64> {
    bytes_after(log, "ERROR SUMMARY:")
}

/// The keep-alive agent at the scale, in release (ignored in the debug suite): a simulated day of 10,000
/// holds with and without stops, and 120,000 holds the limit cannot keep. `cargo xtask test` runs it too.
pub fn full_scale_agent_tests() -> Command {
    let mut command = cargo();
    command.current_dir(root()).args([
        "test",
        "--release",
        "--test",
        "agent_against_emulator",
        "--",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
        "a_day_of_ten_thousand_holds",
        "a_hundred_and_twenty_thousand_holds",
    ]);
    command
}

pub fn agent() -> Result<()> {
    run(
        &mut full_scale_agent_tests(),
        "run the keep-alive agent over a simulated day of 10,000 holds (with and without stops), and over 120,000 holds the limit cannot keep",
    )
}

pub fn valgrind(calls: u64) -> Result<()> {
    let root = root();
    if Command::new("valgrind").arg("--version").output().is_err() {
        bail!("valgrind is not installed (Debian: apt-get install valgrind)");
    }
    run(cargo().current_dir(&root).args(["build", "--release", "--quiet", "-p", "mgpresence-native", "-p", "mgpresence-cli"]), "build the release engine")?;
    let target = root.join("target/release");
    let test_binary = foreign_caller_test_binary(&root)?;
    let emulator = EmulatorProcess::start(&target.join(if cfg!(windows) { "mgpresence.exe" } else { "mgpresence" }), &[])?;
    let out_dir = root.join("out/valgrind");
    std::fs::create_dir_all(&out_dir)?;
    let log_path = out_dir.join("memcheck.log");
    println!("xtask: {calls} calls through the C ABI under valgrind memcheck (emulator at {}); this takes a few minutes", emulator.url);
    let started = std::time::Instant::now();
    let status = Command::new("valgrind")
        .args(["--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite", "--num-callers=40"])
        .arg(format!("--log-file={}", log_path.display()))
        .arg(&test_binary)
        .args(["--ignored", "--exact", "soak_calls_for_valgrind", "--test-threads=1", "--nocapture"])
        .env("MGPRESENCE_NATIVE_LIBRARY", target.join(native_library_name()))
        .env("MGPRESENCE_EMULATOR_URL", &emulator.url)
        .env("MGPRESENCE_SOAK_CALLS", calls.to_string())
        .status()
        .context("cannot start valgrind")?;
    let seconds = started.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(&log_path).with_context(|| format!("valgrind wrote no log at {}", log_path.display()))?;
    let summary = json!({
        "calls": calls,
        "seconds": (seconds * 10.0).round() / 10.0,
        "test_passed": status.success(),
        "definitely_lost_bytes": bytes_after(&log, "definitely lost:"),
        "indirectly_lost_bytes": bytes_after(&log, "indirectly lost:"),
        "possibly_lost_bytes": bytes_after(&log, "possibly lost:"),
        "still_reachable_bytes": bytes_after(&log, "still reachable:"),
        "memcheck_errors": errors_of(&log),
        "log": log_path.display().to_string(),
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    // No leak summary at all means nothing was lost ("All heap blocks were freed").
    let lost = summary["definitely_lost_bytes"].as_u64().unwrap_or(0);
    let errors = summary["memcheck_errors"].as_u64().unwrap_or(u64::MAX);
    if !status.success() || lost > 0 || errors > 0 {
        bail!("the soak under valgrind failed: test passed {}, {lost} bytes definitely lost, {errors} memcheck errors (see {})", status.success(), log_path.display());
    }
    println!("xtask valgrind: {calls} calls, 0 bytes definitely lost, 0 memcheck errors ({seconds:.0} s)");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_valgrinds_leak_summary() {
        let log = "==7== LEAK SUMMARY:\n==7==    definitely lost: 1,234 bytes in 5 blocks\n==7==    indirectly lost: 0 bytes in 0 blocks\n==7== ERROR SUMMARY: 3 errors from 3 contexts (suppressed: 0 from 0)\n";
        assert_eq!(super::bytes_after(log, "definitely lost:"), Some(1234));
        assert_eq!(super::bytes_after(log, "indirectly lost:"), Some(0));
        assert_eq!(super::errors_of(log), Some(3));
    }
}
