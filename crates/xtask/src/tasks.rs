//! The xtask commands.

use crate::emulator::EmulatorProcess;
use crate::module::{self, Built, Profile, cargo, root, run};
use crate::test_results::PesterCounts;
use crate::toolchain;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

pub fn build() -> Result<Built> {
    let root = root();
    let built = module::build(&root, Profile::Debug)?;
    println!("xtask: module laid out in {}", built.module_dir.display());
    Ok(built)
}

pub fn codegen() -> Result<()> {
    let changed = mgpresence_codegen::write_generated(&root()).map_err(anyhow::Error::msg)?;
    if changed.is_empty() {
        println!("xtask: generated/ is up to date");
    }
    for path in changed {
        println!("xtask: regenerated {}", path.display());
    }
    Ok(())
}

/// A built module, a PowerShell and a running emulator: what the demo, the PowerShell tests and the bench need.
pub(crate) struct ModuleSession {
    pub root: std::path::PathBuf,
    pub built: Built,
    pub pwsh: toolchain::Pwsh,
    pub emulator: EmulatorProcess,
}

impl ModuleSession {
    fn start(emulator_args: &[&str]) -> Result<Self> {
        Self::start_with(Profile::Debug, emulator_args)
    }

    pub fn start_with(profile: Profile, emulator_args: &[&str]) -> Result<Self> {
        let root = root();
        let built = module::build(&root, profile)?;
        let pwsh = toolchain::pwsh(&root)?;
        let emulator = EmulatorProcess::start(&built.cli, emulator_args)?;
        println!("xtask: emulator at {}; PowerShell: {}", emulator.url, pwsh.description);
        Ok(Self { root, built, pwsh, emulator })
    }

    /// `pwsh -File <script> -ModulePath <built module> -EmulatorUrl <emulator>`.
    pub fn script(&self, script: &str) -> Command {
        let mut command = self.pwsh.command();
        command
            .arg("-File")
            .arg(self.root.join(script))
            .arg("-ModulePath")
            .arg(self.built.module_dir.join("MgPresence.psd1"))
            .arg("-EmulatorUrl")
            .arg(&self.emulator.url);
        command
    }
}

pub fn demo() -> Result<()> {
    // The demo signs in for real: the emulator accepts only the tokens its identity provider issues.
    let session = ModuleSession::start(&["--require-issued-tokens"])?;
    run(&mut session.script("powershell/examples/Invoke-PresenceDemo.ps1"), "run the demo")
}

/// Tallies of passed and failed tests, read from each runner's closing lines.
#[derive(Default, Debug)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    fn read(&mut self, line: &str) {
        let number_before = |text: &str, word: &str| -> Option<u64> {
            let at = text.find(word)?;
            text[..at].trim_end().rsplit([' ', ':', ',']).next()?.trim().parse().ok()
        };
        let trimmed = line.trim();
        if trimmed.starts_with("test result:") {
            // cargo: "test result: ok. 12 passed; 0 failed; …"
            self.passed += number_before(trimmed, " passed").unwrap_or(0);
            self.failed += number_before(trimmed, " failed").unwrap_or(0);
        } else if trimmed.starts_with("Passed!") || trimmed.starts_with("Failed!") {
            // dotnet test: "Passed!  - Failed:     0, Passed:    14, Skipped: …"
            let field = |name: &str| {
                trimmed.split(',').find_map(|part| {
                    let part = part.trim_start_matches(|c| c != 'F' && c != 'P' && c != 'S').trim();
                    part.strip_prefix(name).and_then(|n| n.trim().parse::<u64>().ok())
                })
            };
            self.passed += field("Passed:").unwrap_or(0);
            self.failed += field("Failed:").unwrap_or(0);
        }
    }
}

/// Runs a command, echoing its output and reading the test counts from it.
fn run_counted(command: &mut Command, what: &str, tally: &mut Tally) -> Result<bool> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().with_context(|| format!("cannot start the command to {what}"))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let err_thread = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            lines.push(line);
        }
        lines
    });
    for line in BufReader::new(child.stdout.take().context("no stdout")?).lines().map_while(Result::ok) {
        println!("{line}");
        tally.read(&line);
    }
    for line in err_thread.join().unwrap_or_default() {
        tally.read(&line);
    }
    Ok(child.wait()?.success())
}

/// Runs a Pester runner script (`-PesterPath`, `-ResultPath` appended) and counts its tests from the NUnit XML it
/// writes; `what` names it among the failures.
fn run_pester(
    command: &mut Command,
    pester: &std::path::Path,
    results: &std::path::Path,
    session: &ModuleSession,
    what: &'static str,
    tally: &mut Tally,
    failures: &mut Vec<&'static str>,
) -> Result<()> {
    let _ = std::fs::remove_file(results);
    command
        .arg("-PesterPath")
        .arg(pester)
        .arg("-ResultPath")
        .arg(results)
        .env("MGPRESENCE_PWSH_PROGRAM", &session.pwsh.program)
        // For the tests that start an emulator of their own (over HTTPS).
        .env("MGPRESENCE_CLI", &session.built.cli);
    let ran = run_counted(command, &format!("run the {what}"), tally)?;
    match PesterCounts::read(results) {
        Ok(counts) => {
            println!("xtask: {what} ({}): {} passed, {} failed, {} skipped", results.display(), counts.passed, counts.failed, counts.skipped);
            tally.passed += counts.passed;
            tally.failed += counts.failed;
        }
        Err(e) => {
            eprintln!("xtask: {e:#}");
            failures.push(what);
        }
    }
    if !ran && !failures.contains(&what) {
        failures.push(what);
    }
    Ok(())
}

pub fn test() -> Result<()> {
    let root = root();
    let mut failures = Vec::new();
    let mut tally = Tally::default();

    println!("xtask: checking that generated/ matches the FFI inventory and the cmdlet catalog");
    let stale = mgpresence_codegen::stale_files(&root).map_err(anyhow::Error::msg)?;
    let mut generated_ok = stale.is_empty();
    if !stale.is_empty() {
        eprintln!("xtask: these generated files are stale; run `cargo xtask codegen` and commit them:");
        for path in &stale {
            eprintln!("  {}", path.display());
        }
    }
    if let Ok(out) = Command::new("git").current_dir(&root).args(["status", "--porcelain", "--", "generated"]).output() {
        let listing = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && !listing.trim().is_empty() {
            eprintln!("xtask: generated/ differs from what is committed:\n{listing}");
            generated_ok = false;
        }
    }
    if generated_ok {
        tally.passed += 1;
    } else {
        tally.failed += 1;
        failures.push("generated files are stale or uncommitted");
    }

    let session = ModuleSession::start(&[])?;
    if !run_counted(cargo().current_dir(&root).args(["test", "--workspace", "--quiet"]), "run the Rust tests", &mut tally)? {
        failures.push("Rust tests");
    }

    let dotnet_ok = run_counted(
        Command::new("dotnet")
            .current_dir(&root)
            .args(["test", "tests/dotnet/MgPresence.Runtime.Tests/MgPresence.Runtime.Tests.csproj", "--nologo", "-v", "quiet", "-clp:NoSummary"])
            .arg(format!("-p:RustTargetDir={}/", session.built.target_dir.display()))
            .env("MGPRESENCE_EMULATOR_URL", &session.emulator.url),
        "run the .NET tests",
        &mut tally,
    )?;
    if !dotnet_ok {
        failures.push(".NET tests");
    }

    // Microsoft's own clients (Microsoft.Graph, Azure.Identity) against an HTTPS emulator each test class starts.
    let microsoft_clients_ok = run_counted(
        Command::new("dotnet")
            .current_dir(&root)
            .args(["test", "tests/dotnet/MicrosoftClients.Tests/MicrosoftClients.Tests.csproj", "--nologo", "-v", "quiet", "-clp:NoSummary"])
            .env("MGPRESENCE_CLI", &session.built.cli),
        "run Microsoft's clients against the emulator",
        &mut tally,
    )?;
    if !microsoft_clients_ok {
        failures.push("Microsoft client tests");
    }

    let pester = toolchain::pester(&root, &session.pwsh)?;
    let mut module_tests = session.script("tests/powershell/Invoke-MgPresenceTests.ps1");
    run_pester(&mut module_tests, &pester, &root.join("out/test-results/powershell.xml"), &session, "PowerShell tests", &mut tally, &mut failures)?;

    // The package admins install (cargo xtask package), installed and run as a runbook: tests/package.
    match crate::package::package(&root, &session.pwsh) {
        Ok(package) => {
            let mut package_tests = session.pwsh.command();
            package_tests
                .arg("-File")
                .arg(root.join("tests/package/Invoke-PackageTests.ps1"))
                .arg("-PackageRoot")
                .arg(&package.package_root)
                .arg("-RepositoryPath")
                .arg(&package.repository)
                .arg("-EmulatorUrl")
                .arg(&session.emulator.url);
            run_pester(&mut package_tests, &pester, &root.join("out/test-results/package.xml"), &session, "package tests", &mut tally, &mut failures)?;
        }
        Err(e) => {
            eprintln!("xtask: cannot make the package: {e:#}");
            failures.push("cargo xtask package");
        }
    }
    drop(session);

    // The keep-alive agent at the scale, last: it takes about a quarter of an hour in release.
    if !run_counted(&mut crate::soak::full_scale_agent_tests(), "run the keep-alive agent at full scale", &mut tally)? {
        failures.push("the keep-alive agent at full scale");
    }

    println!("xtask test: {} passed, {} failed", tally.passed, tally.failed);
    if !failures.is_empty() || tally.failed > 0 {
        bail!("failed: {}", if failures.is_empty() { "see above".to_owned() } else { failures.join(", ") });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn reads_each_runners_closing_line() {
        let mut t = Tally::default();
        t.read("test result: ok. 12 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        t.read("Passed!  - Failed:     0, Passed:    14, Skipped:     0, Total:    14, Duration: 1 s - X.dll (net10.0)");
        t.read("PowerShell tests: 30 passed, 2 failed"); // Pester's counts come from its result file, not from here
        assert_eq!((t.passed, t.failed), (26, 1));
    }
}
