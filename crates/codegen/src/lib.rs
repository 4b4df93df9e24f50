//! Renders everything in `generated/` from the sources of truth: the FFI inventory (C# interop), the domain (the
//! presence values tab completion offers, C#), the catalog's model types (the .NET types of presence objects, C#)
//! and the cmdlet catalog (PowerShell functions, their MAML help, the
//! module manifest's export list, the format file, JSON Schemas, the Pester test cases); the manifest also lists the
//! functions of the hand-written scripts, read from them.
//!
//! The root `build.rs` calls [`write_generated`]; `cargo xtask test` fails when the committed files differ from what
//! this renders (see [`stale_files`]).

mod completion;
mod csharp;
mod format;
mod help;
mod manifest;
mod models;
mod powershell;
mod schemas;
mod tests;
mod variants;

use std::path::{Path, PathBuf};

/// The module's version (the workspace version), as the manifest's ModuleVersion and the package carry it.
pub const MODULE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One generated file: its path relative to the repository root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Every generated file, rendered in memory.
pub fn render_all(repo_root: &Path) -> Result<Vec<GeneratedFile>, String> {
    let mut files = vec![
        GeneratedFile { path: "generated/Interop.cs".into(), contents: csharp::render()? },
        GeneratedFile { path: "generated/PresenceValues.cs".into(), contents: completion::render() },
        GeneratedFile { path: "generated/Models.cs".into(), contents: models::render() },
        GeneratedFile { path: "generated/Variants.cs".into(), contents: variants::render() },
        GeneratedFile { path: "generated/MgPresence.Cmdlets.ps1".into(), contents: powershell::render() },
        GeneratedFile { path: "generated/MgPresence.format.ps1xml".into(), contents: format::render() },
        GeneratedFile { path: format!("generated/en-US/{}", help::HELP_FILE).into(), contents: help::render() },
        GeneratedFile { path: "generated/MgPresence.psd1".into(), contents: manifest::render(repo_root)? },
        GeneratedFile { path: "generated/MgPresence.Cmdlets.TestCases.psd1".into(), contents: tests::render() },
    ];
    files.extend(schemas::render());
    Ok(files)
}

/// The hand-written files the generated ones are made from (besides the catalog and the FFI crates): the manifest
/// template and the scripts whose functions the manifest exports. `build.rs` reruns when they change.
pub fn hand_written_inputs(repo_root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut inputs = vec![repo_root.join(manifest::TEMPLATE)];
    inputs.extend(manifest::script_paths(repo_root)?);
    Ok(inputs)
}

/// Writes the files whose text changed; returns their paths.
pub fn write_generated(repo_root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut changed = Vec::new();
    for file in render_all(repo_root)? {
        let target = repo_root.join(&file.path);
        if std::fs::read_to_string(&target).ok().as_deref() != Some(file.contents.as_str()) {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&target, &file.contents).map_err(|e| format!("{}: {e}", target.display()))?;
            changed.push(file.path);
        }
    }
    Ok(changed)
}

/// The generated files whose text on disk differs from what would be rendered now.
pub fn stale_files(repo_root: &Path) -> Result<Vec<PathBuf>, String> {
    Ok(render_all(repo_root)?
        .into_iter()
        .filter(|f| std::fs::read_to_string(repo_root.join(&f.path)).ok().as_deref() != Some(f.contents.as_str()))
        .map(|f| f.path)
        .collect())
}
