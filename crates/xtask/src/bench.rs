//! `cargo xtask bench`: speed and memory, each figure beside a peer measured in the same run, with the release engine.
//!
//! - Import (measured here, process by process): `pwsh -NoProfile -Command "Import-Module <module>"` against
//!   `pwsh -NoProfile -Command ""`: extra wall time and extra peak RSS (medians of interleaved runs); and against
//!   importing a one-function script module, the floor of any Import-Module in that pwsh.
//! - Per call, bulk, throttled bulk and FFI: `tests/powershell/Measure-MgPresence.ps1` in one PowerShell process,
//!   against an unthrottled emulator and one with a low limit; the per-call peer is the real `Invoke-RestMethod`.
//!
//! - The keep-alive agent (`mgpresence agent`): peak RSS of a run over 100,000 holds against the CLI doing nothing,
//!   the store's size per hold, and renewals per second against the throttle's bound when the limit is the
//!   bottleneck.
//!
//! Everything runs in the PowerShell [`crate::toolchain::pwsh`] finds, which the table names.
//!
//! Prints a markdown table and writes `out/bench/latest.json` and `out/bench/latest.md`.

use crate::emulator::EmulatorProcess;
use crate::module::Profile;
use crate::tasks::ModuleSession;
use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

/// How much to measure.
pub struct BenchOptions {
    pub quick: bool,
}

/// The counts of one bench run, and the limit of the throttled emulator; the script gets them as parameters.
struct BenchSizes {
    import_runs: usize,
    warmup_calls: u32,
    calls: u32,
    bulk_users: u32,
    throttled_users: u32,
    throttle_requests: u32,
    throttle_window_seconds: u32,
    ffi_calls: u32,
    agent_holds: u32,
}

impl BenchSizes {
    fn of(options: &BenchOptions) -> Self {
        let (import_runs, warmup_calls, calls, bulk_users, throttled_users, ffi_calls) =
            if options.quick { (3, 200, 100, 1000, 1500, 100_000) } else { (11, 1000, 1000, 10_000, 5000, 1_000_000) };
        let agent_holds = if options.quick { 20_000 } else { 100_000 };
        Self { import_runs, warmup_calls, calls, bulk_users, throttled_users, throttle_requests: 1000, throttle_window_seconds: 2, ffi_calls, agent_holds }
    }

    /// The throttled emulator's `mgpresence serve` arguments.
    fn throttle_arguments(&self) -> Vec<String> {
        vec!["--throttle-requests".into(), self.throttle_requests.to_string(), "--throttle-window-seconds".into(), self.throttle_window_seconds.to_string()]
    }

    /// Measure-MgPresence.ps1's parameters.
    fn script_arguments(&self) -> Vec<String> {
        [
            ("-WarmupCalls", self.warmup_calls),
            ("-Calls", self.calls),
            ("-BulkUsers", self.bulk_users),
            ("-ThrottledUsers", self.throttled_users),
            ("-ThrottleRequests", self.throttle_requests),
            ("-ThrottleWindowSeconds", self.throttle_window_seconds),
            ("-FfiCalls", self.ffi_calls),
        ]
        .into_iter()
        .flat_map(|(name, value)| [name.to_owned(), value.to_string()])
        .collect()
    }
}

/// Wall time and peak resident memory of one process run to its end.
struct ProcessCost {
    wall_ms: f64,
    peak_rss_mb: Option<f64>,
}

#[cfg(unix)]
fn run_measured(command: &mut Command) -> Result<ProcessCost> {
    let started = Instant::now();
    let child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().context("cannot start pwsh")?;
    let pid = libc::pid_t::try_from(child.id()).context("pid")?;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 reaps the child we started and fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    if reaped != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("the measured pwsh failed (status {status})");
    }
    // ru_maxrss: KiB on Linux, bytes on macOS.
    let kib = if cfg!(target_os = "macos") { usage.ru_maxrss as f64 / 1024.0 } else { usage.ru_maxrss as f64 };
    Ok(ProcessCost { wall_ms, peak_rss_mb: Some(kib / 1024.0) })
}

#[cfg(not(unix))]
fn run_measured(command: &mut Command) -> Result<ProcessCost> {
    let started = Instant::now();
    let status = command.stdin(Stdio::null()).stdout(Stdio::null()).status().context("cannot start pwsh")?;
    if !status.success() {
        bail!("the measured pwsh failed ({status})");
    }
    Ok(ProcessCost { wall_ms: started.elapsed().as_secs_f64() * 1000.0, peak_rss_mb: None })
}

/// A script module with one empty function, the import peer that shows the floor; returns its manifest.
fn write_empty_module(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("EmptyModule.psm1"), "function Get-Nothing { }\n")?;
    let manifest = dir.join("EmptyModule.psd1");
    std::fs::write(&manifest, "@{ RootModule = 'EmptyModule.psm1'; ModuleVersion = '1.0'; FunctionsToExport = @('Get-Nothing'); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }\n")?;
    Ok(manifest)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One line of the table.
struct Row {
    measure: String,
    ours: String,
    peer: String,
    ratio: Option<f64>,
    goal: &'static str,
    met: Option<bool>,
}

/// The keep-alive agent's rows: `mgpresence agent` over a store of `agent_holds` Available holds, run once against the
/// unthrottled emulator (peak RSS, store size), and over ten windows' worth of holds against the throttled one, its
/// budget told the limit (renewals per second against the limit's bound).
fn agent_rows(session: &ModuleSession, throttled: &EmulatorProcess, sizes: &BenchSizes, figures: &mut BTreeMap<String, f64>) -> Result<Vec<Row>> {
    let dir = session.root.join("out/bench/agent");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let cli = &session.built.cli;
    let fill = |store: &std::path::Path, holds: u32| -> Result<()> {
        let file = dir.join(format!("holds-{holds}.csv"));
        let mut csv = String::from("UserId\n");
        for i in 0..holds {
            csv.push_str(&format!("bench-hold-{i}\n"));
        }
        std::fs::write(&file, csv)?;
        let status = Command::new(cli)
            .args(["agent", "add", "--force", "--session-id", "bench-app", "--availability", "Available", "--activity", "Available", "--file"])
            .arg(&file)
            .arg("--store")
            .arg(store)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("mgpresence agent add failed ({status})");
        }
        Ok(())
    };
    println!("xtask bench: the keep-alive agent over {} holds", sizes.agent_holds);
    let store = dir.join("holds.db");
    fill(&store, sizes.agent_holds)?;
    let stored_bytes: u64 = ["holds.db", "holds.db-wal"].iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum();
    // The agent's budget is told the throttled emulator's limit, as an operator tells it the tenant's.
    let budget = [
        "--throttle-requests".to_owned(),
        sizes.throttle_requests.to_string(),
        "--throttle-window-seconds".to_owned(),
        sizes.throttle_window_seconds.to_string(),
    ];
    let run_once = |url: &str, store: &std::path::Path, budget: &[String]| {
        run_measured(
            Command::new(cli)
                .args(["agent", "run", "--once", "--endpoint", url, "--store"])
                .arg(store)
                .args(budget)
                .env("MGPRESENCE_ACCESS_TOKEN", "bench-token"),
        )
    };
    // The unthrottled emulator, and a budget that does not bind: every hold in the rounds of one pass.
    let agent_run = run_once(&session.emulator.url, &store, &["--throttle-requests".to_owned(), "1000000".to_owned()])?;
    let idle = run_measured(Command::new(cli).arg("--version"))?;
    let per_hold = stored_bytes as f64 / f64::from(sizes.agent_holds);

    // Saturated: ten windows' worth of holds, every one due at once (the steady state, not the first window's burst).
    let saturated_holds = sizes.throttle_requests * 10;
    let saturated_store = dir.join("saturated.db");
    fill(&saturated_store, saturated_holds)?;
    let saturated = run_once(&throttled.url, &saturated_store, &budget)?;
    let rate = f64::from(saturated_holds) / (saturated.wall_ms / 1000.0);
    // The least time the limit allows (the first window's requests pass at once), as the bulk row counts it.
    let least_s = (f64::from(saturated_holds) / f64::from(sizes.throttle_requests) - 1.0).ceil() * f64::from(sizes.throttle_window_seconds);
    let bound = f64::from(saturated_holds) / least_s;
    figures.insert("agent.holds".into(), f64::from(sizes.agent_holds));
    figures.insert("agent.run_s".into(), agent_run.wall_ms / 1000.0);
    figures.insert("agent.store_bytes_per_hold".into(), per_hold);
    figures.insert("agent.saturated_renewals_per_s".into(), rate);
    figures.insert("agent.throttle_bound_per_s".into(), bound);
    let mut rows = Vec::new();
    if let (Some(ours), Some(peer)) = (agent_run.peak_rss_mb, idle.peak_rss_mb) {
        figures.insert("agent.peak_rss_mb".into(), ours);
        rows.push(Row {
            measure: format!("Keep-alive agent: peak RSS renewing {} holds", sizes.agent_holds),
            ours: format!("{ours:.1} MB ({:.1} s)", agent_run.wall_ms / 1000.0),
            peer: format!("mgpresence --version: {peer:.1} MB"),
            ratio: Some(ours / peer),
            goal: "≤ 100 MB",
            met: Some(ours <= 100.0),
        });
    }
    rows.push(Row {
        measure: "Keep-alive agent: store size per hold".into(),
        ours: format!("{per_hold:.0} bytes"),
        peer: format!("{:.1} MB for {} holds", stored_bytes as f64 / 1_048_576.0, sizes.agent_holds),
        ratio: None,
        goal: "(reported)",
        met: None,
    });
    rows.push(Row {
        measure: format!("Keep-alive agent: renewals/s, saturated ({saturated_holds} holds due at once)"),
        ours: format!("{rate:.0} renewals/s"),
        peer: format!("the limit's bound: {bound:.0} renewals/s ({} per {} s, {saturated_holds} in {least_s:.0} s at best)", sizes.throttle_requests, sizes.throttle_window_seconds),
        ratio: Some(rate / bound),
        goal: "≥ 0.95× bound",
        met: Some(rate >= 0.95 * bound),
    });
    Ok(rows)
}

fn figure(figures: &BTreeMap<String, f64>, name: &str) -> Result<f64> {
    figures.get(name).copied().with_context(|| format!("the bench script did not report {name}"))
}

pub fn bench(options: &BenchOptions) -> Result<()> {
    let sizes = BenchSizes::of(options);
    let session = ModuleSession::start_with(Profile::Release, &["--no-throttling"])?;
    let throttle_arguments = sizes.throttle_arguments();
    let throttled = EmulatorProcess::start(&session.built.cli, &throttle_arguments.iter().map(String::as_str).collect::<Vec<_>>())?;
    let manifest = session.built.module_dir.join("MgPresence.psd1");
    let started = Instant::now();

    // Import: interleaved so that drift affects both sides alike, after two unmeasured runs of each (as hyperfine's
    // --warmup): the first runs after a build read freshly written files and wait for the build's disk writes.
    println!("xtask bench: import, {} runs each", sizes.import_runs);
    // A third side shows the floor: what Import-Module costs for a script module with one empty function (the
    // cmdlet's own work and the code PowerShell compiles for it on first use).
    let import = format!("Import-Module '{}'", manifest.display());
    let empty_module = write_empty_module(&session.root.join("out/bench/EmptyModule"))?;
    let import_empty = format!("Import-Module '{}'", empty_module.display());
    let (mut bare, mut with_module, mut with_empty) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..sizes.import_runs + 2 {
        let bare_run = run_measured(session.pwsh.command().args(["-Command", ""]))?;
        let module_run = run_measured(session.pwsh.command().args(["-Command", import.as_str()]))?;
        let empty_run = run_measured(session.pwsh.command().args(["-Command", import_empty.as_str()]))?;
        if run >= 2 {
            bare.push(bare_run);
            with_module.push(module_run);
            with_empty.push(empty_run);
        }
    }
    let wall = |runs: &[ProcessCost]| median(runs.iter().map(|r| r.wall_ms).collect());
    let rss = |runs: &[ProcessCost]| runs.iter().map(|r| r.peak_rss_mb).collect::<Option<Vec<_>>>().map(median);
    let (bare_ms, module_ms, empty_ms) = (wall(&bare), wall(&with_module), wall(&with_empty));

    println!("xtask bench: per call, bulk, throttled bulk and FFI in one PowerShell");
    let output = session
        .script("tests/powershell/Measure-MgPresence.ps1")
        .arg("-ThrottledEmulatorUrl")
        .arg(&throttled.url)
        .args(sizes.script_arguments())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the bench script")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("the bench script failed:\n{text}");
    }
    let mut figures = BTreeMap::new();
    let mut infos = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("bench"), Some(name), Some(value)) => {
                figures.insert(name.to_owned(), value.trim().parse::<f64>().with_context(|| format!("{name}: {value}"))?);
            }
            (Some("benchinfo"), Some(name), Some(value)) => {
                infos.insert(name.to_owned(), value.trim().to_owned());
            }
            _ => {}
        }
    }

    let mut rows = vec![Row {
        measure: "Import-Module: extra wall time".into(),
        ours: format!("{:.0} ms", module_ms - bare_ms),
        peer: format!("bare pwsh -NoProfile: {bare_ms:.0} ms"),
        ratio: Some(module_ms / bare_ms),
        goal: "≤ 100 ms",
        met: Some(module_ms - bare_ms <= 100.0),
    }];
    rows.push(Row {
        measure: "Import-Module: extra wall time over an empty module".into(),
        ours: format!("{:.0} ms", module_ms - empty_ms),
        peer: format!("Import-Module of a one-function script module: {:.0} ms over bare", empty_ms - bare_ms),
        ratio: Some((module_ms - bare_ms) / (empty_ms - bare_ms)),
        goal: "(reported)",
        met: None,
    });
    if let (Some(bare_rss), Some(module_rss)) = (rss(&bare), rss(&with_module)) {
        rows.push(Row {
            measure: "Import-Module: extra peak RSS".into(),
            ours: format!("{:.1} MB", module_rss - bare_rss),
            peer: format!("bare pwsh -NoProfile: {bare_rss:.1} MB"),
            ratio: Some(module_rss / bare_rss),
            goal: "≤ 20 MB",
            met: Some(module_rss - bare_rss <= 20.0),
        });
    }
    let peer_name = infos.get("call.peer").cloned().unwrap_or_else(|| "Invoke-RestMethod".to_owned());
    let (ours, theirs, floor) = (figure(&figures, "call.ours_ms")?, figure(&figures, "call.peer_ms")?, figure(&figures, "call.floor_ms")?);
    rows.push(Row {
        measure: "Set-MgUserPresence, median per call".into(),
        ours: format!("{ours:.2} ms"),
        peer: format!("{peer_name}: {theirs:.2} ms (reused HttpClient: {floor:.2} ms)"),
        ratio: Some(ours / theirs),
        goal: "≤ 0.4× peer",
        met: Some(ours / theirs <= 0.4),
    });
    let users = f64::from(sizes.bulk_users);
    let (bulk, looped, parallel) = (figure(&figures, "bulk.ours_s")?, figure(&figures, "bulk.loop_s")?, figure(&figures, "bulk.parallel_s")?);
    rows.push(Row {
        measure: "Bulk, unthrottled: users/s (Invoke-MgBulkUserPresence)".into(),
        ours: format!("{:.0} users/s ({bulk:.1} s for {users:.0})", users / bulk),
        peer: format!("ForEach-Object loop: {:.0} users/s ({looped:.1} s)", users / looped),
        ratio: Some(looped / bulk),
        goal: "≥ 5,000 users/s",
        met: Some(users / bulk >= 5000.0),
    });
    rows.push(Row {
        measure: "Bulk, unthrottled: against -Parallel".into(),
        ours: format!("{:.0} users/s", users / bulk),
        peer: format!("ForEach-Object -Parallel -ThrottleLimit 8: {:.0} users/s ({parallel:.1} s)", users / parallel),
        ratio: Some(parallel / bulk),
        goal: "faster than the peer",
        met: Some(bulk < parallel),
    });
    let (throttled_s, bound) = (figure(&figures, "throttled.ours_s")?, figure(&figures, "throttled.bound_s")?);
    rows.push(Row {
        measure: format!("Bulk under a limit of {} requests / {} s", sizes.throttle_requests, sizes.throttle_window_seconds),
        ours: format!("{throttled_s:.1} s for {} users ({:.0} retried)", sizes.throttled_users, figure(&figures, "throttled.retried")?),
        peer: format!("the limit's bound: {bound:.1} s"),
        ratio: Some(throttled_s / bound),
        goal: "≤ 1.1× bound",
        met: Some(throttled_s <= 1.1 * bound),
    });
    let (native, native_text, managed) = (figure(&figures, "ffi.native_ns")?, figure(&figures, "ffi.native_text_ns")?, figure(&figures, "ffi.managed_ns")?);
    rows.push(Row {
        measure: "C ABI round trip from .NET".into(),
        ours: format!("{native:.0} ns (returning text: {native_text:.0} ns)"),
        peer: format!("a managed call: {managed:.1} ns"),
        ratio: Some(native / managed),
        goal: "(reported)",
        met: None,
    });

    rows.extend(agent_rows(&session, &throttled, &sizes, &mut figures)?);

    let mut table = String::from("| Measure | MgPresence | Peer, same run | Ratio | Goal | Met |\n|---|---|---|---|---|---|\n");
    for row in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.measure,
            row.ours,
            row.peer,
            row.ratio.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}")),
            row.goal,
            row.met.map_or("–", |m| if m { "yes" } else { "no" })
        ));
    }
    let machine = format!(
        "{} {}, {} cores, PowerShell: {}, engine: release",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        session.pwsh.description
    );
    let report = format!("{table}\n{machine}; `cargo xtask bench{}` took {:.0} s.\n", if options.quick { " --quick" } else { "" }, started.elapsed().as_secs_f64());
    println!("\n{report}");

    let mut raw: Map<String, Value> = figures.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    raw.insert("import.bare_ms".into(), json!(bare_ms));
    raw.insert("import.module_ms".into(), json!(module_ms));
    raw.insert("import.empty_module_ms".into(), json!(empty_ms));
    raw.insert("import.bare_rss_mb".into(), json!(rss(&bare)));
    raw.insert("import.module_rss_mb".into(), json!(rss(&with_module)));
    let json = json!({
        "machine": machine,
        "quick": options.quick,
        "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "rows": rows.iter().map(|r| json!({"measure": r.measure, "ours": r.ours, "peer": r.peer, "ratio": r.ratio, "goal": r.goal, "met": r.met})).collect::<Vec<_>>(),
        "figures": raw,
        "peer": peer_name,
    });
    let out = session.root.join("out/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("latest.json"), serde_json::to_string_pretty(&json)? + "\n")?;
    std::fs::write(out.join("latest.md"), &report)?;
    println!("xtask bench: wrote out/bench/latest.json and out/bench/latest.md");
    Ok(())
}
