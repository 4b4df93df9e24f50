//! Building the engine and the .NET runtime, and laying out the importable module:
//!
//! ```text
//! out/module/MgPresence/
//!   MgPresence.psd1  MgPresence.psm1  MgPresence.format.ps1xml
//!   bin/MgPresence.Runtime.dll
//!   runtimes/<rid>/native/<engine: libmgpresence_ffi.so | libmgpresence_ffi.dylib | mgpresence_ffi.dll>
//! ```
//!
//! The same layout as the package (`cargo xtask package`, [`crate::package`]), which holds one `runtimes/<rid>`
//! folder per platform; the dev build holds this machine's only. `NativeLibraryLoader` picks the folder of the running
//! OS and process architecture.
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
    native_library_name_for(if cfg!(windows) { "win" } else if cfg!(target_os = "macos") { "osx" } else { "linux" })
}

/// The platforms the package has a native folder for, as .NET runtime identifiers.
pub const RIDS: [&str; 6] = ["linux-x64", "linux-arm64", "osx-x64", "osx-arm64", "win-x64", "win-arm64"];

/// The runtime identifier of the platform xtask was built for (the one `cargo build` builds the engine for).
pub fn host_rid() -> Result<&'static str> {
    let os = match std::env::consts::OS {
        "windows" => "win",
        "macos" => "osx",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    let rid = format!("{os}-{arch}");
    RIDS.iter().copied().find(|r| *r == rid).with_context(|| format!("no runtimes/<rid> folder for {rid} (the package has {})", RIDS.join(", ")))
}

/// The native library's file name for a runtime identifier (`win-*`: `mgpresence_ffi.dll`, `osx-*`: `.dylib`, …).
pub fn native_library_name_for(rid: &str) -> &'static str {
    if rid.starts_with("win") {
        "mgpresence_ffi.dll"
    } else if rid.starts_with("osx") {
        "libmgpresence_ffi.dylib"
    } else {
        "libmgpresence_ffi.so"
    }
}

/// Where a module folder holds the engine of `rid`, relative to the module folder.
pub fn native_library_in_module(rid: &str) -> PathBuf {
    Path::new("runtimes").join(rid).join("native").join(native_library_name_for(rid))
}

/// What goes into a module folder besides the scripts and the manifest.
pub struct Layout<'a> {
    /// Where `dotnet build` put MgPresence.Runtime.dll.
    pub runtime_out: &'a Path,
    /// Copy MgPresence.Runtime.pdb too (the dev build does; the package does not).
    pub with_pdb: bool,
    /// The engine for each platform: (runtime identifier, built library).
    pub natives: &'a [(String, PathBuf)],
}

/// Lays out (or replaces) a module folder: the bundled loader, the manifest and the format file from `generated/`,
/// `bin/MgPresence.Runtime.dll`, and each engine in `runtimes/<rid>/native/`.
pub fn lay_out(root: &Path, module_dir: &Path, layout: &Layout<'_>) -> Result<()> {
    if module_dir.exists() {
        std::fs::remove_dir_all(module_dir).with_context(|| format!("cannot clear {}", module_dir.display()))?;
    }
    std::fs::create_dir_all(module_dir.join("bin")).with_context(|| format!("cannot create {}", module_dir.display()))?;
    std::fs::write(module_dir.join("MgPresence.psm1"), bundle_loader(root)?).context("cannot write MgPresence.psm1 into the module")?;
    let mut copies: Vec<(PathBuf, PathBuf)> = vec![
        (root.join("generated/MgPresence.psd1"), "MgPresence.psd1".into()),
        (root.join("generated/MgPresence.format.ps1xml"), "MgPresence.format.ps1xml".into()),
        (root.join("generated/en-US/MgPresence-help.xml"), "en-US/MgPresence-help.xml".into()),
        (layout.runtime_out.join("MgPresence.Runtime.dll"), "bin/MgPresence.Runtime.dll".into()),
    ];
    if layout.with_pdb {
        copies.push((layout.runtime_out.join("MgPresence.Runtime.pdb"), "bin/MgPresence.Runtime.pdb".into()));
    }
    for (rid, library) in layout.natives {
        if !RIDS.contains(&rid.as_str()) {
            bail!("unknown runtime identifier {rid:?} (expected one of {})", RIDS.join(", "));
        }
        let in_module = native_library_in_module(rid);
        if library.file_name() != in_module.file_name() {
            bail!("{} is not named {} as a {rid} engine must be", library.display(), native_library_name_for(rid));
        }
        copies.push((library.clone(), in_module));
    }
    for (from, to) in copies {
        let to = module_dir.join(to);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("cannot copy {} into the module", from.display()))?;
    }
    Ok(())
}

/// Builds the .NET runtime (powershell/MgPresence.Runtime) in Release into `out_dir`, beside the engine found in
/// cargo's `rust_target_dir`.
pub fn build_runtime(root: &Path, out_dir: &Path, rust_target_dir: &Path) -> Result<()> {
    run(
        Command::new("dotnet")
            .current_dir(root)
            .args(["build", "powershell/MgPresence.Runtime/MgPresence.Runtime.csproj", "-c", "Release", "--nologo", "-v", "quiet", "-clp:NoSummary", "-o"])
            .arg(out_dir)
            .arg(format!("-p:RustTargetDir={}/", rust_target_dir.display())),
        "build the .NET runtime (powershell/MgPresence.Runtime)",
    )
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
    build_runtime(root, &runtime_out, &target_dir)?;

    let module_dir = out.join("module/MgPresence");
    let natives = [(host_rid()?.to_owned(), target_dir.join(native_library_name()))];
    lay_out(root, &module_dir, &Layout { runtime_out: &runtime_out, with_pdb: true, natives: &natives })?;
    let cli = target_dir.join(if cfg!(windows) { "mgpresence.exe" } else { "mgpresence" });
    Ok(Built { module_dir, cli, target_dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_has_its_engine_folder() {
        assert!(RIDS.contains(&host_rid().unwrap()));
        assert_eq!(native_library_in_module("win-arm64"), Path::new("runtimes/win-arm64/native/mgpresence_ffi.dll"));
        assert_eq!(native_library_in_module("osx-x64"), Path::new("runtimes/osx-x64/native/libmgpresence_ffi.dylib"));
        assert_eq!(native_library_in_module("linux-arm64"), Path::new("runtimes/linux-arm64/native/libmgpresence_ffi.so"));
        assert_eq!(native_library_name_for(host_rid().unwrap()), native_library_name());
    }

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
