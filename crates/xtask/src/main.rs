//! `cargo xtask`: the project's build, test, demo and bench commands.
//!
//! - [`toolchain`]: finds or installs PowerShell 7 (`$MGPRESENCE_PWSH`, a `pwsh` on PATH, else the .NET tool) and Pester.
//! - [`test_results`]: test counts from the result files Pester writes.
//! - [`module`]: builds the Rust engine and the .NET runtime and lays out the importable module in `out/module/`.
//! - [`emulator`]: starts the emulator (the real `mgpresence serve`) for the demo and the tests.
//! - [`tasks`]: the commands themselves.
//! - [`bench`]: speed and memory against peers in the same run.
//! - [`soak`]: 100,000 calls through the C ABI under valgrind.
//! - [`package`]: the package admins install (PSResourceGet repository, Azure Automation zip).

mod bench;
mod emulator;
mod module;
mod package;
mod soak;
mod tasks;
mod test_results;
mod toolchain;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "MgPresence build, test, demo and bench tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build everything and lay out the module in out/module/MgPresence.
    Build,
    /// Build, start the emulator, import the module in PowerShell, set a presence and read it back.
    Demo,
    /// Every test: generated files fresh, Rust, .NET (xunit) and PowerShell against the emulator.
    Test,
    /// Speed and memory ratios against peers measured in the same run (release engine).
    Bench {
        /// Fewer runs and smaller counts, for a quick look.
        #[arg(long)]
        quick: bool,
    },
    /// Rewrite generated/ from the FFI inventory and the cmdlet catalog.
    Codegen,
    /// The package admins install: out/package/MgPresence/<version>/ (release engine, stripped, one
    /// runtimes/<rid>/native folder per platform), published into the PSResourceGet repository out/repo, and the Azure
    /// Automation zip out/package/MgPresence-<version>.zip.
    Package {
        /// An engine built on another machine, added as runtimes/<rid>/native: <rid>=<path>, e.g.
        /// osx-arm64=artifacts/libmgpresence_ffi.dylib. Repeat for each platform; this machine's engine is built
        /// unless one is given for its platform.
        #[arg(long = "native", value_name = "RID=PATH", value_parser = package::parse_native)]
        natives: Vec<(String, std::path::PathBuf)>,
    },
    /// The keep-alive agent at the scale: 10,000 holds over a simulated day under 5% faults (release build).
    Agent,
    /// Calls through the C ABI under valgrind memcheck (Linux); fails when bytes are definitely lost.
    Valgrind {
        /// How many calls.
        #[arg(long, default_value_t = 100_000)]
        calls: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Build => tasks::build().map(|_| ()),
        Task::Demo => tasks::demo(),
        Task::Test => tasks::test(),
        Task::Bench { quick } => bench::bench(&bench::BenchOptions { quick }),
        Task::Codegen => tasks::codegen(),
        Task::Package { natives } => {
            let root = module::root();
            toolchain::pwsh(&root).and_then(|pwsh| package::package_with(&root, &pwsh, &package::PackageOptions { natives })).map(|_| ())
        }
        Task::Agent => soak::agent(),
        Task::Valgrind { calls } => soak::valgrind(calls),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
