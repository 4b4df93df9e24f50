//! Building the engine and the .NET runtime, and laying out the importable module:
//!
//! ```text
//! out/module/MgPresence/
//!   MgPresence.psd1  MgPresence.psm1  MgPresence.format.ps1xml
//!   bin/MgPresence.Runtime.dll  bin/<native engine: libmgpresence_ffi.so | .dylib | mgpresence_ffi.dll>
//! ```
//!
//! The built `MgPresence.psm1` is `powershell/MgPresence.psm1` with each script it dot-sources written in place
//! (see [`bundle_loader`]): one file to read and compile instead of four saves about 15 ms of every import.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a command, inheriting output; fails with `what` when it fails.
pub fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot start the command to {what}"))?;
    if !status.success() {
        bail!("failed to {what} ({status})");
    }
    Ok(())
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("crates/xtask is two levels down").to_path_buf()
}

pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The native library's file name on this platform.
pub fn native_library_name() -> &'static str {
    if cfg!(windows) {
        "mgpresence_ffi.dll"
    } else if cfg!(target_os = "macos") {
        "libmgpresence_ffi.dylib"
    } else {
        "libmgpresence_ffi.so"
    }
}

/// What a build produced.
pub struct Built {
    pub module_dir: PathBuf,
    pub cli: PathBuf,
    pub target_dir: PathBuf,
}

/// Which build of the engine: debug for the demo and the tests, release for the bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Debug,
    Release,
}

impl Profile {
    fn name(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// The module's loader with its scripts in place: each line `. "$PSScriptRoot/<name>.ps1"` of
/// `powershell/MgPresence.psm1` is replaced by that script (from `powershell/`, or `generated/` for generated ones).
pub fn bundle_loader(root: &Path) -> Result<String> {
    let loader_path = root.join("powershell/MgPresence.psm1");
    let loader = std::fs::read_to_string(&loader_path).with_context(|| format!("cannot read {}", loader_path.display()))?;
    let mut bundled = String::with_capacity(256 * 1024);
    for line in loader.lines() {
        let script = line.trim().strip_prefix(". \"$PSScriptRoot/").and_then(|rest| rest.strip_suffix('"'));
        match script {
            Some(name) => {
                let path = [root.join("powershell").join(name), root.join("generated").join(name)]
                    .into_iter()
                    .find(|p| p.is_file())
                    .with_context(|| format!("MgPresence.psm1 dot-sources {name}, which is neither in powershell/ nor in generated/"))?;
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                bundled.push_str(&format!("#region {name}\n"));
                bundled.push_str(text.trim_start_matches('\u{feff}').trim_end());
                bundled.push_str(&format!("\n#endregion {name}\n"));
            }
            None => {
                bundled.push_str(line);
                bundled.push('\n');
            }
        }
    }
    Ok(bundled)
}

/// Builds the Rust workspace, the .NET runtime, and lays out the module: `out/module/MgPresence` (debug) or
/// `out/release/module/MgPresence` (release).
pub fn build(root: &Path, profile: Profile) -> Result<Built> {
    let mut cargo_build = cargo();
    cargo_build.current_dir(root).args(["build", "--workspace", "--quiet"]);
    if profile == Profile::Release {
        cargo_build.arg("--release");
    }
    run(&mut cargo_build, "build the Rust workspace")?;
    let target_dir = root.join("target").join(profile.name());
    let out = if profile == Profile::Release { root.join("out/release") } else { root.join("out") };
    let runtime_out = out.join("build/runtime");
    run(
        Command::new("dotnet")
            .current_dir(root)
            .args(["build", "powershell/MgPresence.Runtime/MgPresence.Runtime.csproj", "-c", "Release", "--nologo", "-v", "quiet", "-clp:NoSummary", "-o"])
            .arg(&runtime_out)
            .arg(format!("-p:RustTargetDir={}/", target_dir.display())),
        "build the .NET runtime (powershell/MgPresence.Runtime)",
    )?;

    let module_dir = out.join("module/MgPresence");
    if module_dir.exists() {
        std::fs::remove_dir_all(&module_dir).with_context(|| format!("cannot clear {}", module_dir.display()))?;
    }
    std::fs::create_dir_all(module_dir.join("bin"))?;
    std::fs::write(module_dir.join("MgPresence.psm1"), bundle_loader(root)?).context("cannot write MgPresence.psm1 into the module")?;
    let copies: [(PathBuf, &str); 5] = [
        (root.join("generated/MgPresence.psd1"), "MgPresence.psd1"),
        (root.join("generated/MgPresence.format.ps1xml"), "MgPresence.format.ps1xml"),
        (runtime_out.join("MgPresence.Runtime.dll"), "bin/MgPresence.Runtime.dll"),
        (runtime_out.join("MgPresence.Runtime.pdb"), "bin/MgPresence.Runtime.pdb"),
        (target_dir.join(native_library_name()), &format!("bin/{}", native_library_name())),
    ];
    for (from, to) in copies {
        std::fs::copy(&from, module_dir.join(to)).with_context(|| format!("cannot copy {} into the module", from.display()))?;
    }
    let cli = target_dir.join(if cfg!(windows) { "mgpresence.exe" } else { "mgpresence" });
    Ok(Built { module_dir, cli, target_dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_loader_holds_every_script_it_dot_sources() {
        let bundled = bundle_loader(&root()).unwrap();
        assert!(!bundled.lines().any(|l| l.trim_start().starts_with(". \"$PSScriptRoot/")), "no dot-source is left");
        for function in ["function Set-MgUserPresence {", "function Connect-MgGraph {", "function Invoke-MgBulkUserPresence {"] {
            assert_eq!(bundled.matches(function).count(), 1, "{function}");
        }
        let loader = std::fs::read_to_string(root().join("powershell/MgPresence.psm1")).unwrap();
        let scripts = loader.lines().filter(|l| l.starts_with(". \"$PSScriptRoot/")).count();
        assert_eq!(bundled.matches("#region ").count(), scripts);
    }
}
