//! The tools the demo, the tests and the bench run with: PowerShell 7 and Pester.
//!
//! PowerShell, in order: `$MGPRESENCE_PWSH`; a `pwsh` on PATH that is 7.4 or newer; else
//! `dotnet tool install PowerShell --version 7.6.9` into `out/tools/powershell`. A .NET tool's `pwsh` is a shim that
//! starts the real pwsh as a second process, so the real one inside the tool's folder is run instead (signals and
//! process ids then reach the PowerShell that runs the script; see docs/decisions.md).
//!
//! Pester: `Save-PSResource Pester` from a PSResourceGet repository registered for the machine's NuGet feed (the
//! first enabled source `dotnet nuget list source` names), into `out/tools/modules`. PSResourceGet keeps its
//! repository list under the user's data folder; every pwsh of xtask that registers a repository gets its own
//! ([`isolate_psresourceget`]), so the user's own list is never touched.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PowerShell that `dotnet tool install` is asked for: the feed serves 7.6.9, and without a version the tool
/// resolves to a newer one whose platform packages the feed may lack.
pub const POWERSHELL_TOOL_VERSION: &str = "7.6.9";
/// The Pester the tests are written for.
pub const PESTER_VERSION: &str = "5.7.1";

/// A PowerShell to run scripts with.
#[derive(Debug, Clone)]
pub struct Pwsh {
    pub program: PathBuf,
    /// What it is, for the bench table and the logs: "PowerShell 7.6.9 (dotnet tool, out/tools/powershell)".
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
    let file = if cfg!(windows) { format!("{name}.exe") } else { name.to_owned() };
    std::env::split_paths(&path).map(|d| d.join(&file)).find(|p| p.is_file())
}

/// The real pwsh inside a .NET tool folder: `.store/powershell/<v>/powershell/<v>/tools/<tfm>/any/<unix|win>/pwsh`.
fn real_pwsh_in_tool(tool_dir: &Path, version: &str) -> Option<PathBuf> {
    let tools = tool_dir.join(".store/powershell").join(version).join("powershell").join(version).join("tools");
    let (platform, file) = if cfg!(windows) { ("win", "pwsh.exe") } else { ("unix", "pwsh") };
    std::fs::read_dir(tools).ok()?.filter_map(|e| e.ok()).map(|tfm| tfm.path().join("any").join(platform).join(file)).find(|p| p.is_file())
}

/// Finds or installs PowerShell 7.4+.
pub fn pwsh(root: &Path) -> Result<Pwsh> {
    if let Some(explicit) = std::env::var_os("MGPRESENCE_PWSH") {
        let program = PathBuf::from(explicit);
        let version = version_of(&program).with_context(|| format!("MGPRESENCE_PWSH={} does not run", program.display()))?;
        if !at_least_7_4(&version) {
            bail!("MGPRESENCE_PWSH={} is PowerShell {version}; 7.4 or newer is needed", program.display());
        }
        return Ok(Pwsh { description: format!("PowerShell {version} ({})", program.display()), program });
    }
    if let Some(program) = on_path("pwsh")
        && let Some(version) = version_of(&program).filter(|v| at_least_7_4(v))
    {
        return Ok(Pwsh { description: format!("PowerShell {version} ({})", program.display()), program });
    }
    let tool_dir = root.join("out/tools/powershell");
    if real_pwsh_in_tool(&tool_dir, POWERSHELL_TOOL_VERSION).is_none() {
        println!("xtask: no pwsh 7.4+ found; installing PowerShell {POWERSHELL_TOOL_VERSION} as a .NET tool into {}", tool_dir.display());
        let out = Command::new("dotnet")
            .args(["tool", "install", "PowerShell", "--version", POWERSHELL_TOOL_VERSION, "--tool-path"])
            .arg(&tool_dir)
            .output()
            .context("cannot run dotnet to install PowerShell (the .NET SDK is a prerequisite)")?;
        if !out.status.success() {
            bail!(
                "`dotnet tool install PowerShell --version {POWERSHELL_TOOL_VERSION}` failed: {}{}\n\
                 Install PowerShell 7.4+ (pwsh on PATH) or set MGPRESENCE_PWSH.",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let program = real_pwsh_in_tool(&tool_dir, POWERSHELL_TOOL_VERSION)
        .with_context(|| format!("the PowerShell tool in {} has no pwsh inside", tool_dir.display()))?;
    if let Some(version) = version_of(&program) {
        return Ok(Pwsh { program, description: format!("PowerShell {version} (dotnet tool, out/tools/powershell)") });
    }
    // The package's own pwsh launcher is built for one platform (linux-x64 in 7.6.9); elsewhere the tool's shim runs
    // it as a second process (child-process tests that signal pwsh then reach the shim).
    let shim = tool_dir.join(if cfg!(windows) { "pwsh.exe" } else { "pwsh" });
    let version = version_of(&shim).with_context(|| format!("neither {} nor {} runs", program.display(), shim.display()))?;
    Ok(Pwsh { program: shim, description: format!("PowerShell {version} (dotnet tool shim, out/tools/powershell)") })
}

/// The NuGet feed this machine's `dotnet` uses: the first enabled source of `dotnet nuget list source`.
fn nuget_feed() -> Result<String> {
    if let Some(feed) = std::env::var_os("MGPRESENCE_NUGET_FEED") {
        return Ok(feed.to_string_lossy().into_owned());
    }
    let out = Command::new("dotnet").args(["nuget", "list", "source", "--format", "short"]).output().context("cannot run dotnet nuget list source")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| line.trim().strip_prefix("E ").map(|s| s.trim().to_owned()))
        .context("dotnet names no enabled NuGet source; set MGPRESENCE_NUGET_FEED to a feed that serves Pester")
}

/// Points PSResourceGet's user state into `state_dir`. PSResourceGet keeps its repository list under .NET's
/// "local application data" folder: `$XDG_DATA_HOME` (else `$HOME/.local/share`) on Linux,
/// `$HOME/Library/Application Support` on macOS, the profile's AppData\Local on Windows (which no environment
/// variable moves); NuGet inside it writes a NuGet.Config under "application data" (`$XDG_CONFIG_HOME`). Every one
/// of them is set and the folders are created first — .NET answers an empty path for a folder that does not exist,
/// and PSResourceGet then writes its files into the working directory — and the working directory is `state_dir`
/// too. A script checks with `Test-PSResourceGetIsolated` ([`with_isolation_check`]) before it registers anything.
pub fn isolate_psresourceget(command: &mut Command, state_dir: &Path) -> Result<()> {
    // As a home without XDG_* variables has them: PSResourceGet installs CurrentUser modules under
    // $HOME/.local/share whatever XDG_DATA_HOME says.
    let (data, config, cache) = (state_dir.join(".local/share"), state_dir.join(".config"), state_dir.join(".cache"));
    for dir in [&data, &config, &cache, &state_dir.join("Library/Application Support")] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    command
        .current_dir(state_dir)
        .env("HOME", state_dir)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_CACHE_HOME", &cache)
        .env("MGPRESENCE_PSRESOURCEGET_STATE", state_dir);
    Ok(())
}

/// A script with `Test-PSResourceGetIsolated` defined at its start: whether the folder PSResourceGet keeps its
/// repository list in is inside the state folder [`isolate_psresourceget`] made (a sibling folder with a longer name
/// does not count).
pub fn with_isolation_check(script: &str) -> String {
    const CHECK: &str = r#"function Test-PSResourceGetIsolated {
    if (-not $env:MGPRESENCE_PSRESOURCEGET_STATE) { return $false }
    $separator = [System.IO.Path]::DirectorySeparatorChar
    $state = [System.IO.Path]::TrimEndingDirectorySeparator([System.IO.Path]::GetFullPath($env:MGPRESENCE_PSRESOURCEGET_STATE)) + $separator
    $data = [Environment]::GetFolderPath('LocalApplicationData')
    [bool]$data -and ([System.IO.Path]::GetFullPath($data) + $separator).StartsWith($state, [StringComparison]::OrdinalIgnoreCase)
}
"#;
    format!("{CHECK}{script}")
}

/// Pester's manifest, saved from the feed on first use into `out/tools/modules/Pester/<version>/`.
pub fn pester(root: &Path, pwsh: &Pwsh) -> Result<PathBuf> {
    let modules = root.join("out/tools/modules");
    let manifest = modules.join("Pester").join(PESTER_VERSION).join("Pester.psd1");
    if manifest.is_file() {
        return Ok(manifest);
    }
    let feed = nuget_feed()?;
    println!("xtask: saving Pester {PESTER_VERSION} from the NuGet feed into {}", modules.display());
    let download = root.join("out/tools/download");
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)?;
    // Pester's NuGet package keeps the module under tools/; PSResourceGet saves such a package as it is.
    // Where PSResourceGet's repository list cannot be moved (Windows), nothing is registered: a repository the user
    // already has for the feed is used (hosted runners have PSGallery), else the save stops with a clear message.
    let body = r#"$ErrorActionPreference = 'Stop'
if (Test-PSResourceGetIsolated) {
    Register-PSResourceRepository -Name MgPresenceToolFeed -Uri $env:MGPRESENCE_TOOL_FEED -Trusted -Force
    $repository = 'MgPresenceToolFeed'
} else {
    $repository = (Get-PSResourceRepository | Where-Object { "$($_.Uri)".TrimEnd('/') -eq $env:MGPRESENCE_TOOL_FEED.TrimEnd('/') } | Select-Object -First 1).Name
    if (-not $repository) {
        throw "PSResourceGet's repository list is the user's here; register a repository for $($env:MGPRESENCE_TOOL_FEED) or put Pester $($env:MGPRESENCE_TOOL_PESTER) in out/tools/modules/Pester"
    }
}
Save-PSResource -Name Pester -Version $env:MGPRESENCE_TOOL_PESTER -Repository $repository -Path $env:MGPRESENCE_TOOL_DOWNLOAD -TrustRepository -SkipDependencyCheck -Quiet
"#;
    let script = with_isolation_check(body);
    let mut command = pwsh.command();
    command
        .args(["-Command", &script])
        .env("MGPRESENCE_TOOL_FEED", &feed)
        .env("MGPRESENCE_TOOL_PESTER", PESTER_VERSION)
        .env("MGPRESENCE_TOOL_DOWNLOAD", &download);
    isolate_psresourceget(&mut command, &root.join("out/tools/psresourceget"))?;
    crate::module::run(&mut command, "save Pester from the NuGet feed")?;
    let saved = ["Pester", "pester"]
        .iter()
        .map(|name| download.join(name).join(PESTER_VERSION))
        .find(|p| p.is_dir())
        .context("Save-PSResource left no Pester folder")?;
    let module_root = if saved.join("tools/Pester.psd1").is_file() { saved.join("tools") } else { saved };
    let target = modules.join("Pester").join(PESTER_VERSION);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(target.parent().expect("has a parent"))?;
    std::fs::rename(&module_root, &target).with_context(|| format!("cannot move Pester into {}", target.display()))?;
    let _ = std::fs::remove_dir_all(&download);
    if !manifest.is_file() {
        bail!("Pester {PESTER_VERSION} was saved, but {} is missing", manifest.display());
    }
    Ok(manifest)
}
