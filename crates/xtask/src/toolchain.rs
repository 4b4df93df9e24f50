//! PowerShell 7 for the demo and the tests.
//!
//! In order: `$MGPRESENCE_PWSH`; a `pwsh` on PATH that is 7.4 or newer; `dotnet tool install PowerShell` into
//! `out/tools/pwsh-tool` (the NuGet feed may not have it: on the project's build machines it does not); and last the
//! project's own host of the PowerShell 7 engine (powershell/pwsh-host, System.Management.Automation from NuGet),
//! built into `out/tools/pwsh-host`. See docs/powershell-host.md.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A PowerShell to run scripts with.
#[derive(Debug, Clone)]
pub struct Pwsh {
    pub program: PathBuf,
    pub description: String,
}

impl Pwsh {
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["-NoProfile", "-NonInteractive"]);
        c
    }
}

fn version_of(program: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(["-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.ToString()"])
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn at_least_7_4(version: &str) -> bool {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    major > 7 || (major == 7 && minor >= 4)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Finds or provides PowerShell 7.4+.
pub fn pwsh(root: &Path) -> Result<Pwsh> {
    if let Some(explicit) = std::env::var_os("MGPRESENCE_PWSH") {
        let program = PathBuf::from(explicit);
        let version = version_of(&program).with_context(|| format!("MGPRESENCE_PWSH={} does not run", program.display()))?;
        return Ok(Pwsh { program, description: format!("PowerShell {version} (MGPRESENCE_PWSH)") });
    }
    if let Some(program) = on_path("pwsh")
        && let Some(version) = version_of(&program).filter(|v| at_least_7_4(v))
    {
        return Ok(Pwsh { description: format!("PowerShell {version} ({})", program.display()), program });
    }
    let tool_dir = root.join("out/tools/pwsh-tool");
    let tool = tool_dir.join("pwsh");
    if !tool.is_file() {
        let status = Command::new("dotnet")
            .args(["tool", "install", "PowerShell", "--tool-path"])
            .arg(&tool_dir)
            .output();
        match status {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "xtask: `dotnet tool install PowerShell` is not possible here ({}); using the project's PowerShell 7 engine host",
                String::from_utf8_lossy(&out.stdout).trim().lines().chain(String::from_utf8_lossy(&out.stderr).trim().lines()).next().unwrap_or("no output")
            ),
            Err(e) => eprintln!("xtask: cannot run dotnet ({e}); trying the engine host"),
        }
    }
    if let Some(version) = tool.is_file().then(|| version_of(&tool)).flatten().filter(|v| at_least_7_4(v)) {
        return Ok(Pwsh { program: tool, description: format!("PowerShell {version} (dotnet tool)") });
    }
    let host_dir = root.join("out/tools/pwsh-host");
    crate::module::run(
        Command::new("dotnet")
            .args(["build", "-c", "Release", "--nologo", "-v", "quiet", "-clp:NoSummary", "-o"])
            .arg(&host_dir)
            .arg(root.join("powershell/pwsh-host/MgPresence.PwshHost.csproj")),
        "build the PowerShell engine host",
    )?;
    let program = host_dir.join(if cfg!(windows) { "pwsh.exe" } else { "pwsh" });
    let Some(version) = version_of(&program) else { bail!("the PowerShell engine host at {} does not run", program.display()) };
    Ok(Pwsh { program, description: format!("PowerShell {version} engine (project host, System.Management.Automation)") })
}
