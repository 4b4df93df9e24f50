//! `cargo xtask package`: the module as admins install it.
//!
//! ```text
//! out/package/MgPresence/<ModuleVersion>/     the module folder, as Install-PSResource lays it out
//!   MgPresence.psd1  MgPresence.psm1  MgPresence.format.ps1xml  bin/MgPresence.Runtime.dll
//!   runtimes/<rid>/native/<engine>            one folder per platform: this machine's, plus each --native
//! out/package/MgPresence-<ModuleVersion>.zip  for Azure Automation: MgPresence/MgPresence.psd1 at its root
//! out/repo/MgPresence.<ModuleVersion>.nupkg   a PSResourceGet file repository (Publish-PSResource)
//! ```
//!
//! The engine is built with the `dist` profile (release, no debug info, symbols stripped by cargo on every
//! platform), the .NET runtime in Release. PSResourceGet keeps its repository list in the user's data folder, so the
//! pwsh that registers `out/repo` and publishes runs with `HOME` and the `XDG_*` folders under
//! `out/package-build/psresourceget/`: the user's own repositories are never read or changed. See docs/packaging.md.

use crate::module::{self, Layout, cargo, run};
use crate::toolchain;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// What `cargo xtask package` produced.
#[derive(Debug, Clone)]
pub struct PackageOutput {
    /// The ModuleVersion of the manifest.
    pub version: String,
    /// `out/package`: holds `MgPresence/<version>/` (a folder to put on PSModulePath) and the zip.
    pub package_root: PathBuf,
    /// `out/package/MgPresence/<version>`.
    pub module_dir: PathBuf,
    /// `out/repo`: the PSResourceGet file repository.
    pub repository: PathBuf,
    /// `out/repo/MgPresence.<version>.nupkg`.
    pub nupkg: PathBuf,
    /// `out/package/MgPresence-<version>.zip`.
    pub zip: PathBuf,
    /// The platforms the package holds an engine for.
    pub rids: Vec<String>,
}

/// Engines built elsewhere (`--native <rid>=<path>`), added to the package beside (or instead of) this machine's.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    pub natives: Vec<(String, PathBuf)>,
}

/// Parses `--native <rid>=<path>`.
pub fn parse_native(text: &str) -> Result<(String, PathBuf), String> {
    let (rid, path) = text.split_once('=').ok_or_else(|| format!("expected <rid>=<path>, got {text:?}"))?;
    if !module::RIDS.contains(&rid) {
        return Err(format!("unknown runtime identifier {rid:?}; expected one of {}", module::RIDS.join(", ")));
    }
    Ok((rid.to_owned(), PathBuf::from(path)))
}

/// The package of this machine's engine only (what `cargo xtask test` checks).
pub fn package(root: &Path, pwsh: &toolchain::Pwsh) -> Result<PackageOutput> {
    package_with(root, pwsh, &PackageOptions::default())
}

/// Builds and lays out the package, publishes it to `out/repo` with `pwsh` and writes the Azure Automation zip.
pub fn package_with(root: &Path, pwsh: &toolchain::Pwsh, options: &PackageOptions) -> Result<PackageOutput> {
    let changed = mgpresence_codegen::write_generated(root).map_err(anyhow::Error::msg)?;
    for path in changed {
        println!("xtask: regenerated {}", path.display());
    }
    let version = mgpresence_codegen::MODULE_VERSION.to_owned();

    let mut natives: Vec<(String, PathBuf)> = Vec::new();
    for (rid, path) in &options.natives {
        if natives.iter().any(|(r, _)| r == rid) {
            bail!("--native {rid} is given twice");
        }
        let path = std::path::absolute(path).with_context(|| format!("bad path {}", path.display()))?;
        if !path.is_file() {
            bail!("--native {rid}={}: no such file", path.display());
        }
        check_binary_platform(rid, &path)?;
        natives.push((rid.clone(), path));
    }
    let host = module::host_rid()?;
    let dist_dir = root.join("target/dist");
    if !natives.iter().any(|(rid, _)| rid == host) {
        println!("xtask: building the engine for {host} (profile dist: release, stripped)");
        run(cargo().current_dir(root).args(["build", "-p", "mgpresence-native", "--profile", "dist", "--quiet"]), "build the release engine")?;
        natives.push((host.to_owned(), dist_dir.join(module::native_library_name())));
    }
    natives.sort_by_key(|(rid, _)| module::RIDS.iter().position(|r| r == rid));

    let build_dir = root.join("out/package-build");
    let runtime_out = build_dir.join("runtime");
    module::build_runtime(root, &runtime_out, &dist_dir)?;

    let package_root = root.join("out/package");
    let _ = std::fs::remove_dir_all(&package_root);
    let module_dir = package_root.join("MgPresence").join(&version);
    module::lay_out(root, &module_dir, &Layout { runtime_out: &runtime_out, with_pdb: false, natives: &natives })?;

    let zip = package_root.join(format!("MgPresence-{version}.zip"));

    let repository = root.join("out/repo");
    let _ = std::fs::remove_dir_all(&repository);
    std::fs::create_dir_all(&repository)?;

    let state = build_dir.join("psresourceget");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)?;
    let mut publish = pwsh.command();
    publish
        .args(["-Command", &toolchain::with_isolation_check(PUBLISH_SCRIPT)])
        .env("MGPRESENCE_PUBLISH_MODULE", &module_dir)
        .env("MGPRESENCE_PUBLISH_REPOSITORY", &repository)
        .env("MGPRESENCE_PUBLISH_ZIP", &zip);
    toolchain::isolate_psresourceget(&mut publish, &state)?;
    run(&mut publish, "check the manifest, publish to out/repo and write the Azure Automation zip")?;

    let nupkg = repository.join(format!("MgPresence.{version}.nupkg"));
    if !nupkg.is_file() {
        bail!("Publish-PSResource left no {}", nupkg.display());
    }
    let rids = natives.into_iter().map(|(rid, _)| rid).collect();
    let output = PackageOutput { version, package_root, module_dir, repository, nupkg, zip, rids };
    println!(
        "xtask: package {} ({}): {} ({}), {} ({}), {} ({})",
        output.version,
        output.rids.join(", "),
        output.module_dir.display(),
        megabytes(dir_size(&output.module_dir)?),
        output.nupkg.display(),
        megabytes(std::fs::metadata(&output.nupkg)?.len()),
        output.zip.display(),
        megabytes(std::fs::metadata(&output.zip)?.len()),
    );
    Ok(output)
}

/// Checks the manifest (Test-ModuleManifest must be clean), publishes to the file repository, writes the zip.
const PUBLISH_SCRIPT: &str = r#"$ErrorActionPreference = 'Stop'
$ModuleDir, $RepositoryPath, $ZipPath = $env:MGPRESENCE_PUBLISH_MODULE, $env:MGPRESENCE_PUBLISH_REPOSITORY, $env:MGPRESENCE_PUBLISH_ZIP
$manifestPath = Join-Path $ModuleDir 'MgPresence.psd1'
$manifest = Test-ModuleManifest -Path $manifestPath -ErrorVariable manifestErrors -WarningVariable manifestWarnings -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
if ($manifestErrors.Count -or $manifestWarnings.Count -or -not $manifest) {
    $manifestErrors + $manifestWarnings | ForEach-Object { Write-Host "Test-ModuleManifest: $_" }
    throw "Test-ModuleManifest is not clean for $manifestPath"
}
Write-Host "xtask: Test-ModuleManifest is clean ($($manifest.Name) $($manifest.Version), $($manifest.ExportedFunctions.Count) functions)"

# Register-PSResourceRepository writes the repository list under LocalApplicationData: only when that is inside the
# state folder xtask made. Where the platform does not let the environment move it (Windows resolves known folders
# itself), the package is written with Compress-PSResource, which registers nothing; a file repository is just a
# folder of .nupkg files, so the result is the same.
if (Test-PSResourceGetIsolated) {
    $repository = 'MgPresencePackageBuild'
    Register-PSResourceRepository -Name $repository -Uri $RepositoryPath -Trusted -Force
    try {
        Publish-PSResource -Path $ModuleDir -Repository $repository
    } finally {
        Unregister-PSResourceRepository -Name $repository
    }
    Write-Host "xtask: published with Publish-PSResource into $RepositoryPath"
} else {
    Write-Host "xtask: PSResourceGet's data folder is the user's here, so no repository is registered; Compress-PSResource writes the package"
    if (-not (Get-Command Compress-PSResource -ErrorAction Ignore)) {
        throw 'Compress-PSResource (PSResourceGet 1.1, PowerShell 7.5 or newer) is needed to write the package without registering a repository'
    }
    Compress-PSResource -Path $ModuleDir -DestinationPath $RepositoryPath
}

# Azure Automation's zip: the module folder's files under MgPresence/ (the module's name, not its version folder),
# with / separators.
Add-Type -AssemblyName System.IO.Compression.FileSystem
if (Test-Path $ZipPath) { Remove-Item $ZipPath }
$zip = [System.IO.Compression.ZipFile]::Open($ZipPath, [System.IO.Compression.ZipArchiveMode]::Create)
try {
    foreach ($file in Get-ChildItem -LiteralPath $ModuleDir -Recurse -File) {
        $entry = 'MgPresence/' + [System.IO.Path]::GetRelativePath($ModuleDir, $file.FullName).Replace('\', '/')
        $null = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $entry, [System.IO.Compression.CompressionLevel]::Optimal)
    }
} finally {
    $zip.Dispose()
}
"#;

/// Refuses a library whose binary format or processor is not the one `rid` names (an ELF for linux, Mach-O for osx,
/// PE for win; x86-64 or arm64), so a CI job cannot put one platform's engine into another's folder.
pub fn check_binary_platform(rid: &str, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let found = if bytes.starts_with(b"\x7fELF") {
        match u16_at(18) {
            Some(0x3e) => "linux-x64",
            Some(0xb7) => "linux-arm64",
            _ => "linux-(other processor)",
        }
    } else if u32_at(0) == Some(0xfeed_facf) {
        match u32_at(4) {
            Some(0x0100_0007) => "osx-x64",
            Some(0x0100_000c) => "osx-arm64",
            _ => "osx-(other processor)",
        }
    } else if bytes.starts_with(b"MZ") {
        let pe = u32_at(0x3c).unwrap_or(0) as usize;
        match (bytes.get(pe..pe + 4), u16_at(pe + 4)) {
            (Some(b"PE\0\0"), Some(0x8664)) => "win-x64",
            (Some(b"PE\0\0"), Some(0xaa64)) => "win-arm64",
            _ => "win-(other processor)",
        }
    } else {
        "an unknown format"
    };
    if found != rid {
        bail!("{} is a library for {found}, not {rid}", path.display());
    }
    Ok(())
}

/// Bytes of the files under a folder.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        total += if entry.file_type()?.is_dir() { dir_size(&entry.path())? } else { entry.metadata()?.len() };
    }
    Ok(total)
}

/// As PowerShell counts them (1MB = 1,048,576 bytes), so the figures match the package tests'.
fn megabytes(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_048_576.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_native_argument() {
        assert_eq!(parse_native("osx-arm64=artifacts/libmgpresence_ffi.dylib").unwrap(), ("osx-arm64".to_owned(), PathBuf::from("artifacts/libmgpresence_ffi.dylib")));
        assert!(parse_native("freebsd-x64=x.so").is_err());
        assert!(parse_native("linux-x64").is_err());
    }

    #[test]
    fn knows_the_platform_of_a_library() {
        let dir = std::env::temp_dir().join(format!("mgpresence-xtask-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(20, 0);
        elf[18] = 0xb7;
        assert!(check_binary_platform("linux-arm64", &write("a.so", &elf)).is_ok());
        assert!(check_binary_platform("linux-x64", &write("a.so", &elf)).is_err());
        let mut macho = 0xfeed_facf_u32.to_le_bytes().to_vec();
        macho.extend(0x0100_000c_u32.to_le_bytes());
        assert!(check_binary_platform("osx-arm64", &write("b.dylib", &macho)).is_ok());
        let mut pe = vec![0u8; 0x48];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        pe[0x44..0x46].copy_from_slice(&0x8664_u16.to_le_bytes());
        assert!(check_binary_platform("win-x64", &write("c.dll", &pe)).is_ok());
        assert!(check_binary_platform("win-arm64", &write("c.dll", &pe)).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
